import { Injectable, Module, Scope, type Type } from '@nestjs/common';
import { ClusterAction, ClusterActionHandler } from 'cluster-actions';
import { createTestApp } from '../support/app.js';

@ClusterAction({ name: 'twice' })
class FirstTwice extends ClusterActionHandler {
  run(): Promise<void> {
    return Promise.resolve();
  }
}

@ClusterAction({ name: 'twice' })
class SecondTwice extends ClusterActionHandler {
  run(): Promise<void> {
    return Promise.resolve();
  }
}

@ClusterAction({ name: 'not_a_handler' })
class NotAHandler {
  run(): Promise<void> {
    return Promise.resolve();
  }
}

@Injectable({ scope: Scope.REQUEST })
class PerRequest {}

@ClusterAction({ name: 'per_request' })
class DependsOnRequestScope extends ClusterActionHandler {
  constructor(readonly perRequest: PerRequest) {
    super();
  }

  run(): Promise<void> {
    return Promise.resolve();
  }
}

@ClusterAction({ name: 'Bad-Name' })
class BadlyNamed extends ClusterActionHandler {
  run(): Promise<void> {
    return Promise.resolve();
  }
}

@ClusterAction({ name: 'step_twice', steps: ['check', 'move', 'check'] })
class StepDeclaredTwice extends ClusterActionHandler {
  run(): Promise<void> {
    return Promise.resolve();
  }
}

@ClusterAction({ name: 'bad_step', steps: ['Move Shards'] })
class BadlyNamedStep extends ClusterActionHandler {
  run(): Promise<void> {
    return Promise.resolve();
  }
}

@ClusterAction({ name: 'events' })
class NamedLikeARoute extends ClusterActionHandler {
  run(): Promise<void> {
    return Promise.resolve();
  }
}

@ClusterAction({ name: 'change_master' })
class ShadowsChangeMaster extends ClusterActionHandler {
  run(): Promise<void> {
    return Promise.resolve();
  }
}

@ClusterAction({ name: 'from_factory' })
class FromFactory extends ClusterActionHandler {
  run(): Promise<void> {
    return Promise.resolve();
  }
}

@ClusterAction({ name: 'from_value' })
class FromValue extends ClusterActionHandler {
  run(): Promise<void> {
    return Promise.resolve();
  }
}

@Module({
  providers: [
    { provide: 'FACTORY_HANDLER', useFactory: () => new FromFactory() },
    { provide: FromValue, useValue: new FromValue() },
    // The same instance under a second token is still one handler, not a duplicate name.
    { provide: 'VALUE_ALIAS', useExisting: FromValue },
  ],
})
class ProvidedByInstance {}

const moduleWith = (...providers: Type[]): Type => {
  @Module({ providers })
  class ExtensionModule {}
  return ExtensionModule;
};

describe('extension API start-up checks', () => {
  it.each([
    ['two handlers with one name', [FirstTwice, SecondTwice], /action 'twice' is already registered/],
    [
      'a class not extending ClusterActionHandler',
      [NotAHandler],
      /NotAHandler: the class must extend ClusterActionHandler/,
    ],
    [
      'a request-scoped handler',
      [PerRequest, DependsOnRequestScope],
      /DependsOnRequestScope: action handlers must be singletons/,
    ],
    ['a name that is not snake_case', [BadlyNamed], /"Bad-Name" must be snake_case/],
    ['a name a route takes', [NamedLikeARoute], /action name 'events' is reserved/],
    ['a second change_master', [ShadowsChangeMaster], /action 'change_master' is already registered/],
    [
      'a step declared twice',
      [StepDeclaredTwice],
      /step "check" of action 'step_twice' must be .* declared once/,
    ],
    ['a step name that is not snake_case', [BadlyNamedStep], /step "Move Shards" of action 'bad_step'/],
  ])('%s stops the start-up with a clear message', async (_case, providers, message) => {
    await expect(createTestApp({ imports: [moduleWith(...providers)] })).rejects.toThrow(message);
  });

  it('finds handlers provided with useFactory, useValue and useExisting, by their instance', async () => {
    const t = await createTestApp({ imports: [ProvidedByInstance] });
    try {
      for (const name of ['from_factory', 'from_value']) {
        await t.http
          .post(`/v1/cluster/actions/${name}`)
          .auth(...t.admin)
          .expect(200);
      }
    } finally {
      await t.close();
    }
  });

  it('a well-formed extension starts and serves its action type', async () => {
    const t = await createTestApp({ imports: [moduleWith(FirstTwice)] });
    try {
      await t.http
        .post('/v1/cluster/actions/twice')
        .auth(...t.admin)
        .expect(200);
    } finally {
      await t.close();
    }
  });
});
