import { jest } from '@jest/globals';
import { createTestApp, type TestApp } from '../support/app.js';
import { pollAction } from '../support/poll.js';

const LOG_LINE_FIELDS = ['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'context'];

describe('audit trail', () => {
  let t: TestApp;
  let lines: string[];

  beforeEach(async () => {
    t = await createTestApp({ env: { AUDIT_LOG: 'on', CHANGE_MASTER_STEP_MS: '5000' } });
    lines = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await t.close();
  });

  // One write may carry several lines (those of one turn of the event loop).
  const audit = () =>
    lines
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  /** A line's audit fields, without the ones every log line has. */
  const auditFields = (line: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(line).filter(([key]) => !LOG_LINE_FIELDS.includes(key)));

  it('records who started, cancelled and removed an action, and who changed users, from where', async () => {
    const started = await t.http
      .post('/v1/cluster/actions/change_master')
      .auth(...t.admin)
      .send({ node_uid: '2' });
    await t.http
      .delete('/v1/cluster/actions/change_master')
      .auth(...t.admin)
      .expect(200);
    await pollAction(t.http, t.admin, 'change_master');
    await t.http
      .delete('/v1/cluster/actions/change_master')
      .auth(...t.admin)
      .expect(200);
    const user = await t.http
      .post('/v1/users')
      .auth(...t.admin)
      .send({ email: 'audited@test.local', password: 'audited-password', role: 'none' });
    await t.http
      .put(`/v1/users/${user.body.uid}`)
      .auth(...t.admin)
      .send({ password: 'changed-password' });
    await t.http
      .delete(`/v1/users/${user.body.uid}`)
      .auth(...t.admin)
      .expect(200);

    const by = { by: t.admin[0], from: expect.stringContaining('127.0.0.1') };
    const uid = started.body.action_uid as string;
    expect(audit().map(auditFields)).toEqual([
      { audit: 'action.start', ...by, action: 'change_master', action_uid: uid, params: { node_uid: '2' } },
      { audit: 'action.cancel', ...by, action: 'change_master', action_uid: uid, status: 'cancelling' },
      { audit: 'action.remove', ...by, action: 'change_master', action_uid: uid, status: 'cancelled' },
      { audit: 'user.create', ...by, uid: user.body.uid, email: 'audited@test.local', role: 'none' },
      {
        audit: 'user.update',
        ...by,
        uid: user.body.uid,
        email: 'audited@test.local',
        changed: ['password'],
        role: 'none',
        status: 'active',
      },
      { audit: 'user.delete', ...by, uid: user.body.uid, email: 'audited@test.local' },
    ]);
    for (const line of audit()) {
      expect(line).toMatchObject({ context: 'Audit', msg: line.audit, reqId: expect.any(String) });
    }
    expect(lines.join('')).not.toMatch(/audited-password|changed-password|scrypt\$/);
  });
});
