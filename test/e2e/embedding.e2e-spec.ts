import { Controller, Get, Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import {
  AppConfig,
  ClusterAction,
  ClusterActionHandler,
  ClusterActionsModule,
  ClusterControl,
  configureApp,
  Permission,
  Public,
  RequirePermission,
  type ActionContext,
} from 'cluster-actions';
import request from 'supertest';
import { pollAction } from '../support/poll.js';

const ADMIN = ['admin@embedding.local', 'embedding-admin-password'] as const;
const ENV = {
  DATABASE_URL: 'memory:',
  ADMIN_EMAIL: ADMIN[0],
  ADMIN_PASSWORD: ADMIN[1],
  CHANGE_MASTER_STEP_MS: '10',
  LOG_LEVEL: 'fatal',
};

/** The embedding team's own action type. */
@ClusterAction({ name: 'team_task' })
class TeamTask extends ClusterActionHandler {
  async run(_params: object, { progress, result }: ActionContext): Promise<void> {
    await progress(50, 'half-way');
    await result({ done_by: 'team' });
  }
}

/** The team's own routes next to the service's, guarded by the same users and roles. */
@Controller('team')
class TeamController {
  constructor(private readonly cluster: ClusterControl) {}

  @Get('nodes')
  @RequirePermission(Permission.ViewAllNodesInfo)
  async nodes(): Promise<{ count: number }> {
    return { count: (await this.cluster.listNodes()).length };
  }

  @Get('ping')
  @Public()
  ping(): { pong: true } {
    return { pong: true };
  }
}

/** What an application might read its settings from. */
@Injectable()
class TeamSettings {
  readonly env = { ...ENV, METRICS: 'off' };
}

@Module({ providers: [TeamSettings], exports: [TeamSettings] })
class TeamSettingsModule {}

@Module({
  imports: [ClusterActionsModule.forRoot(new AppConfig(ENV))],
  controllers: [TeamController],
  providers: [TeamTask],
})
class TeamApp {}

@Module({
  imports: [
    ClusterActionsModule.forRootAsync({
      imports: [TeamSettingsModule],
      inject: [TeamSettings],
      useFactory: (settings: TeamSettings) => new AppConfig(settings.env),
    }),
  ],
  controllers: [TeamController],
  providers: [TeamTask],
})
class TeamAppFromFactory {}

/** The application as an embedding team creates it: the service's HTTP set-up applied with its config. */
async function start(module: object): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(module, { bodyParser: false, logger: false });
  configureApp(app, app.get(AppConfig));
  return app.init();
}

describe.each([
  ['ClusterActionsModule.forRoot', TeamApp],
  ['ClusterActionsModule.forRootAsync', TeamAppFromFactory],
])('a Nest application embedding %s', (_how, module) => {
  let app: INestApplication;
  let http: ReturnType<typeof request>;

  beforeAll(async () => {
    app = await start(module);
    http = request(app.getHttpServer());
  });

  afterAll(() => app.close());

  it('serves its own action type through the service routes, next to change_master', async () => {
    await http
      .post('/v1/cluster/actions/team_task')
      .auth(...ADMIN)
      .expect(200);
    const runs = await pollAction(request.agent(app.getHttpServer()), ADMIN, 'team_task');
    expect(runs.at(-1)).toMatchObject({ status: 'completed', result: { done_by: 'team' } });
    await http
      .post('/v1/cluster/actions/change_master')
      .auth(...ADMIN)
      .send({ node_uid: '2' })
      .expect(200);
  });

  it('serves its own routes with the service users and permissions', async () => {
    await http
      .get('/team/nodes')
      .auth(...ADMIN)
      .expect(200, { count: 3 });
    const refused = await http.get('/team/nodes').expect(401);
    expect(refused.body).toMatchObject({ error_code: 'unauthorized' });
    await http.get('/team/ping').expect(200, { pong: true });
  });
});

describe('ClusterActionsModule.forRootAsync', () => {
  it('follows the factory config where the module shape is fixed beforehand: METRICS=off answers 404', async () => {
    const app = await start(TeamAppFromFactory);
    try {
      const response = await request(app.getHttpServer())
        .get('/metrics')
        .auth(...ADMIN)
        .expect(404);
      expect(response.body).toEqual({ error_code: 'not_found', description: 'No such route.' });
    } finally {
      await app.close();
    }
  });
});
