import { jest } from '@jest/globals';
import type { ActionRun } from '../../src/actions/action-run.js';
import { RunEvents } from '../../src/actions/run-events.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { mastersOf } from '../support/poll.js';

const path = '/v1/cluster/actions/change_master';
const dryRun = `${path}?dry_run=true`;
const PENDING_STEPS = [
  { name: 'prepare_handover', status: 'pending' },
  { name: 'sync_configuration', status: 'pending' },
  { name: 'switch_master', status: 'pending' },
];

describe('POST /v1/cluster/actions/{action}?dry_run=true', () => {
  let t: TestApp;
  let changes: ActionRun[];
  let audited: jest.SpiedFunction<AuditLog['record']>;

  beforeEach(async () => {
    t = await createTestApp({
      // Node 4 is down; each step of a change_master takes long enough to find one in progress.
      env: { CLUSTER_NODES: '1,2,3,4:down', CHANGE_MASTER_STEP_MS: '60000', AUDIT_LOG: 'on' },
    });
    changes = [];
    t.app.get(RunEvents).subscribe((run) => changes.push(run));
    audited = jest.spyOn(t.app.get(AuditLog), 'record').mockImplementation(() => undefined);
  });

  afterEach(() => t.close());

  const master = async (): Promise<string | undefined> => (await mastersOf(t.http, t.admin))[0];

  /** Nothing was created or changed: no run, no history row, no run event, no audit record, the same master. */
  async function expectNothingChanged(): Promise<void> {
    await t.http
      .get(path)
      .auth(...t.admin)
      .expect(404);
    await t.http
      .get(`${path}/history`)
      .auth(...t.admin)
      .expect(200, { actions: [], next_cursor: null });
    expect(changes).toEqual([]);
    expect(audited).not.toHaveBeenCalled();
    expect(await master()).toBe('1');
  }

  it('answers would_start true with the pending steps, and creates nothing', async () => {
    await t.http
      .post(dryRun)
      .auth(...t.admin)
      .send({ node_uid: '2', expected_master_uid: '1' })
      .expect(200, { dry_run: true, would_start: true, blockers: [], steps: PENDING_STEPS });
    await expectNothingChanged();
  });

  it.each([
    [{ node_uid: '9' }, 'node_not_found', 'Node 9 does not exist.'],
    [{ node_uid: '4' }, 'node_not_active', 'Node 4 is down, not active.'],
    [
      { node_uid: '2', expected_master_uid: '3' },
      'precondition_failed',
      'expected_master_uid is 3, but node 1 is master.',
    ],
  ])('reports a refusal of %j as the blocker %s, not as an error', async (params, code, description) => {
    await t.http
      .post(dryRun)
      .auth(...t.admin)
      .send(params)
      .expect(200, {
        dry_run: true,
        would_start: false,
        blockers: [{ error_code: code, description }],
        steps: PENDING_STEPS,
      });
    await expectNothingChanged();
  });

  it('reports a run in progress as the blocker action_in_progress, with every other blocker', async () => {
    const started = await t.http
      .post(path)
      .auth(...t.admin)
      .send({ node_uid: '2' })
      .expect(200);
    changes.length = 0;
    audited.mockClear();
    const { body } = await t.http
      .post(dryRun)
      .auth(...t.admin)
      .send({ node_uid: '9', expected_master_uid: '2' })
      .expect(200);
    expect(body).toEqual({
      dry_run: true,
      would_start: false,
      blockers: [
        { error_code: 'node_not_found', description: 'Node 9 does not exist.' },
        { error_code: 'precondition_failed', description: 'expected_master_uid is 2, but node 1 is master.' },
        {
          error_code: 'action_in_progress',
          description: 'A run of action "change_master" is already in progress.',
        },
      ],
      steps: PENDING_STEPS,
    });
    // The run in progress is untouched: still the latest, still going, and nothing else happened.
    const current = await t.http
      .get(path)
      .auth(...t.admin)
      .expect(200);
    expect(current.body).toMatchObject({ action_uid: started.body.action_uid, cancellable: true });
    expect(['queued', 'starting', 'running']).toContain(current.body.status);
    expect(changes.filter((run) => run.actionUid !== started.body.action_uid)).toEqual([]);
    expect(audited).not.toHaveBeenCalled();
  });

  it('validates the parameters as a start does: 400 for bad ones, and nothing created', async () => {
    const response = await t.http
      .post(dryRun)
      .auth(...t.admin)
      .send({ node_uid: '2', expected_master_uid: 'one' })
      .expect(400);
    expect(response.body.error_code).toBe('invalid_request');
    await t.http
      .post('/v1/cluster/actions/no_such_action?dry_run=true')
      .auth(...t.admin)
      .send({})
      .expect(400);
    await expectNothingChanged();
  });

  it('requires the permission to start: 403 for a cluster_viewer, and nothing created', async () => {
    const viewer = await t.userWithRole('cluster_viewer');
    const response = await t.http
      .post(dryRun)
      .auth(...viewer)
      .send({ node_uid: '2' })
      .expect(403);
    expect(response.body.error_code).toBeDefined();
    await expectNothingChanged();
  });

  it.each(['yes', '1', 'TRUE', '', 'true&dry_run=true'])(
    'is 400 invalid_request for dry_run=%s, and starts nothing',
    async (value) => {
      await t.http
        .post(`${path}?dry_run=${value}`)
        .auth(...t.admin)
        .send({ node_uid: '2' })
        .expect(400, { error_code: 'invalid_request', description: 'dry_run must be true or false.' });
      await expectNothingChanged();
    },
  );

  it('starts the run as usual with dry_run=false', async () => {
    const { body } = await t.http
      .post(`${path}?dry_run=false`)
      .auth(...t.admin)
      .send({ node_uid: '2' })
      .expect(200);
    expect(body).toMatchObject({ status: 'queued', steps: PENDING_STEPS });
    expect(audited).toHaveBeenCalledWith('action.start', expect.anything(), expect.anything());
  });
});
