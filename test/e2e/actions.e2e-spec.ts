import { DomainError } from 'cluster-actions';
import { createTestApp, type TestApp } from '../support/app.js';
import { raceCancelWithResult, type RaceOrder } from '../support/cancel-race.js';
import { FlakyActionsRepository } from '../support/flaky-actions.repository.js';
import { pollAction, type ActionBody } from '../support/poll.js';
import { TEST_ACTION, TestActionModule, TestGate } from '../support/test-action.js';

const path = `/v1/cluster/actions/${TEST_ACTION}`;

describe('cluster actions API', () => {
  let t: TestApp;
  let gate: TestGate;
  let store: FlakyActionsRepository;

  beforeEach(async () => {
    store = new FlakyActionsRepository();
    t = await createTestApp({ imports: [TestActionModule], actionsRepository: store });
    gate = t.app.get(TestGate);
  });

  afterEach(() => t.close());

  const start = (body: object = {}) =>
    t.http
      .post(path)
      .auth(...t.admin)
      .send(body);
  const getAction = () => t.http.get(path).auth(...t.admin);
  const deleteAction = () => t.http.delete(path).auth(...t.admin);

  describe('GET /v1/cluster/actions', () => {
    it('answers an empty list when nothing ran', async () => {
      const response = await t.http
        .get('/v1/cluster/actions')
        .auth(...t.admin)
        .expect(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toEqual({ actions: [] });
    });

    it('lists the current run of every action type', async () => {
      await start({ label: 'listed' }).expect(200);
      await gate.next();
      const response = await t.http
        .get('/v1/cluster/actions')
        .auth(...t.admin)
        .expect(200);
      expect(response.body).toEqual({
        actions: [expect.objectContaining({ name: TEST_ACTION, status: 'running', label: 'listed' })],
      });
    });
  });

  describe('GET /v1/cluster/actions/{action}', () => {
    it('is 404 action_not_found for an action that never ran', async () => {
      await getAction().expect(404, {
        error_code: 'action_not_found',
        description: `Action "${TEST_ACTION}" is not running and has no stored status.`,
      });
    });

    it('is 404 for a name that is no action type at all', async () => {
      const response = await t.http
        .get('/v1/cluster/actions/no_such_thing')
        .auth(...t.admin)
        .expect(404);
      expect(response.body.error_code).toBe('action_not_found');
    });
  });

  describe('POST /v1/cluster/actions/{action}', () => {
    it('answers 200 at once with the new run, queued, while the handler has not finished', async () => {
      const response = await start({ label: 'x' }).expect(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toEqual({
        name: TEST_ACTION,
        action_uid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        status: 'queued',
        progress: 0,
        steps: [], // the test action declares no steps
        label: 'x',
        creation_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        started_by: t.admin[0],
        cancellable: true,
      });
    });

    it('runs the handler in the background to completion with progress 100', async () => {
      const { body } = await start().expect(200);
      const run = await gate.next();
      await run.progress(40, 'half way');
      const running = await getAction().expect(200);
      expect(running.body).toMatchObject({ status: 'running', progress: 40, step: 'half way' });
      run.complete();
      const seen = await pollAction(t.http, t.admin, TEST_ACTION);
      expect(seen.at(-1)).toEqual({
        name: TEST_ACTION,
        action_uid: (body as ActionBody).action_uid,
        status: 'completed',
        progress: 100,
        step: 'half way',
        steps: [],
        creation_time: expect.any(String),
        start_time: expect.any(String),
        end_time: expect.any(String),
        started_by: t.admin[0],
        cancellable: true,
      });
    });

    it('an empty body means no parameters', async () => {
      await t.http
        .post(path)
        .auth(...t.admin)
        .expect(200);
    });

    it('is 400 unknown_action for an unregistered action type', async () => {
      await t.http
        .post('/v1/cluster/actions/make_coffee')
        .auth(...t.admin)
        .send({})
        .expect(400, {
          error_code: 'unknown_action',
          description: 'There is no action type named "make_coffee".',
        });
    });

    it.each([
      ['a wrongly typed field', { label: 5 }, 'label must be a string'],
      ['an unknown field', { colour: 'red' }, 'property colour should not exist'],
      ['an array body', [1, 2], 'must be a JSON object'],
      ['a scalar body', 5, 'must be a JSON object'],
      ['a null body', null, 'must be a JSON object'],
    ])('is 400 invalid_request for %s, naming the problem', async (_case, body, message) => {
      const response = await t.http
        .post(path)
        .auth(...t.admin)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(body))
        .expect(400);
      expect(response.body.error_code).toBe('invalid_request');
      expect(response.body.description).toContain(message);
      await getAction().expect(404);
    });

    it('is 400 invalid_request for malformed JSON', async () => {
      const response = await t.http
        .post(path)
        .auth(...t.admin)
        .set('Content-Type', 'application/json')
        .send('{"label": ')
        .expect(400);
      expect(response.body).toEqual({
        error_code: 'invalid_request',
        description: 'The request body is not valid JSON.',
      });
    });

    it("lets the handler's precheck refuse the request with its own error", async () => {
      await start({ label: 'refuse' }).expect(406, {
        error_code: 'label_refused',
        description: 'Refused by precheck.',
      });
      await getAction().expect(404);
    });

    it('is 409 action_in_progress while a run is active, and keeps that run', async () => {
      const first = await start({ label: 'first' }).expect(200);
      await start({ label: 'second' }).expect(409, {
        error_code: 'action_in_progress',
        description: `A run of action "${TEST_ACTION}" is already in progress.`,
      });
      const current = await getAction().expect(200);
      expect(current.body).toMatchObject({ action_uid: first.body.action_uid, label: 'first' });
    });

    it('gives exactly one 200 and 49 409 for 50 parallel starts', async () => {
      const responses = await Promise.all(Array.from({ length: 50 }, () => start()));
      const codes = responses.map((response) => response.status).sort();
      expect(codes.filter((code) => code === 200)).toHaveLength(1);
      expect(codes.filter((code) => code === 409)).toHaveLength(49);
      const winner = responses.find((response) => response.status === 200)!;
      const current = await getAction().expect(200);
      expect(current.body.action_uid).toBe(winner.body.action_uid);
    });

    it("replaces the previous finished run's status with the new run", async () => {
      const first = await start({ label: 'first' }).expect(200);
      (await gate.next()).fail(new Error('first went wrong'));
      await pollAction(t.http, t.admin, TEST_ACTION);
      const second = await start({ label: 'second' }).expect(200);
      expect(second.body.action_uid).not.toBe(first.body.action_uid);
      const list = await t.http
        .get('/v1/cluster/actions')
        .auth(...t.admin)
        .expect(200);
      expect(list.body.actions).toEqual([
        expect.objectContaining({ action_uid: second.body.action_uid, label: 'second' }),
      ]);
    });
  });

  describe('a handler that fails', () => {
    // More misbehaviour (non-Errors, broken progress, hanging) is in handler-faults.e2e-spec.ts.
    it.each([
      ['an Error', new Error('disk on fire'), 'internal_error', 'disk on fire'],
      [
        'a DomainError',
        new DomainError('conflict', 'insufficient_resources', 'Not enough memory.'),
        'insufficient_resources',
        'Not enough memory.',
      ],
    ])('ends the run failed on %s, with its code and message', async (_case, error, code, message) => {
      await start().expect(200);
      (await gate.next()).fail(error);
      const last = (await pollAction(t.http, t.admin, TEST_ACTION)).at(-1)!;
      expect(last).toMatchObject({ status: 'failed', error_code: code, error_message: message });
    });
  });

  describe('DELETE /v1/cluster/actions/{action}', () => {
    it('is 404 action_not_found when there is nothing to cancel or remove', async () => {
      const response = await deleteAction().expect(404);
      expect(response.body.error_code).toBe('action_not_found');
    });

    it('cancels a running run: cancelling, then cancelled once the handler stops', async () => {
      await start({ ignore_signal: true }).expect(200);
      const run = await gate.next();
      const response = await deleteAction().expect(200);
      expect(response.body).toMatchObject({ status: 'cancelling' });
      expect(run.context.signal.aborted).toBe(true);
      await getAction()
        .expect(200)
        .expect((r) => expect(r.body.status).toBe('cancelling'));
      run.complete(); // finishing after the cancel does not turn the run into completed
      const last = (await pollAction(t.http, t.admin, TEST_ACTION)).at(-1)!;
      expect(last.status).toBe('cancelled');
      expect(last.end_time).toEqual(expect.any(String));
      expect(last.cancelled_by).toBe(t.admin[0]);
    });

    it('cancels a handler that honours its signal straight to cancelled', async () => {
      await start().expect(200);
      await gate.next();
      await deleteAction().expect(200);
      const seen = await pollAction(t.http, t.admin, TEST_ACTION);
      expect(seen.at(-1)!.status).toBe('cancelled');
    });

    it('answers 200 again while a cancel is in flight, without changing the run', async () => {
      await start({ ignore_signal: true }).expect(200);
      const run = await gate.next();
      const first = await deleteAction().expect(200);
      const second = await deleteAction().expect(200);
      expect(second.body).toMatchObject({ action_uid: first.body.action_uid, status: 'cancelling' });
      run.complete();
      await pollAction(t.http, t.admin, TEST_ACTION);
    });

    it('makes room for a new run once cancelled', async () => {
      await start().expect(200);
      await gate.next();
      await deleteAction().expect(200);
      await pollAction(t.http, t.admin, TEST_ACTION);
      await start().expect(200);
    });

    it("removes a finished run's status, after which the action is 404", async () => {
      await start().expect(200);
      (await gate.next()).complete();
      const finished = (await pollAction(t.http, t.admin, TEST_ACTION)).at(-1)!;
      const removed = await deleteAction().expect(200);
      expect(removed.body).toEqual(finished);
      await getAction().expect(404);
      await deleteAction().expect(404);
      await t.http
        .get('/v1/cluster/actions')
        .auth(...t.admin)
        .expect(200, { actions: [] });
    });

    it('ends in exactly one terminal state when cancel races completion, whichever lands first', async () => {
      const outcomes = new Set<string>();
      for (let round = 0; round < 20; round++) {
        const order: RaceOrder = round % 2 === 0 ? 'result first' : 'cancel first';
        await start({ ignore_signal: true }).expect(200);
        const run = await gate.next();
        const cancel = await raceCancelWithResult(
          { store, run, settle: () => run.complete(), resultStatus: 'completed', cancel: deleteAction },
          order,
        );
        expect(cancel.status).toBe(200);
        if (order === 'result first') {
          // The DELETE read the run as running, but the completion was recorded first: the run is a finished
          // run, which that DELETE removed and answers.
          expect(cancel.body).toMatchObject({ status: 'completed', progress: 100 });
          expect(cancel.body.cancelled_by).toBeUndefined();
          await getAction().expect(404);
        } else {
          // The cancel was recorded first: the handler's later success does not turn the run completed.
          expect(cancel.body.status).toBe('cancelling');
          const last = (await pollAction(t.http, t.admin, TEST_ACTION)).at(-1)!;
          expect(last).toMatchObject({ status: 'cancelled', cancelled_by: t.admin[0] });
          expect(last.progress).toBeLessThan(100);
          await deleteAction().expect(200);
        }
        outcomes.add(cancel.body.status as string);
      }
      expect([...outcomes].sort()).toEqual(['cancelling', 'completed']);
    });
  });
});
