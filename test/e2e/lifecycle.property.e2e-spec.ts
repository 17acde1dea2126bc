import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import type TestAgent from 'supertest/lib/agent.js';
import { isTerminal, type ActionStatus } from '../../src/actions/action-lifecycle.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { reachable } from '../support/poll.js';
import { TEST_ACTION, TestActionModule, TestGate, type GatedRun } from '../support/test-action.js';

/**
 * Model-based test: random sequences of starts (valid and invalid, several at once), cancels, reads, progress
 * reports, completions, failures, hangs, change_master runs, dry runs of both (a dry run answers the blockers
 * the model predicts and changes nothing), starts with an Idempotency-Key (retries, reused keys) and `?wait` reads
 * (also one the handler's finish ends) against the real app over HTTP, each checked against a small reference
 * model. After every command: the response codes the model predicts (of parallel
 * starts on an idle action exactly one 200, the others 409), only legal transitions, progress that never
 * decreases and is 100 exactly when completed, terminal states that never change, exactly one master.
 */

const PATH = `/v1/cluster/actions/${TEST_ACTION}`;
const NODES = ['1', '2', '3', '4'] as const; // 4 is down

interface ActionBody {
  readonly action_uid: string;
  readonly status: ActionStatus;
  readonly progress: number;
}

interface ModelRun {
  status: ActionStatus;
  progress: number;
  ignoresSignal: boolean;
}

/** An Idempotency-Key the sequence used: the body it was sent with and the run it started (as it is now). */
interface ModelKey {
  readonly ignoresSignal: boolean;
  readonly uid: string;
  readonly run: ModelRun;
}

interface Model {
  /** The test action's stored run, as the model predicts it. */
  run?: ModelRun;
  master: string;
  /** Idempotency-Keys by name: a key never expires within a sequence. */
  readonly keys: Map<string, ModelKey>;
}

interface Real {
  readonly http: TestAgent;
  readonly auth: readonly [string, string];
  readonly gate: TestGate;
  gated?: GatedRun;
  readonly history: Map<string, ActionBody>;
  /** Makes this sequence's Idempotency-Keys its own: the app keeps keys of earlier sequences. */
  readonly keyPrefix: string;
}

const isActive = (model: Model): boolean => model.run !== undefined && !isTerminal(model.run.status);

/** Records every observation of a run and fails on anything the lifecycle forbids. */
function observe(real: Real, body: ActionBody): void {
  const previous = real.history.get(body.action_uid);
  if (previous) {
    if (isTerminal(previous.status)) expect(body).toEqual(previous);
    else if (previous.status !== body.status) expect(reachable(previous.status, body.status)).toBe(true);
    expect(body.progress).toBeGreaterThanOrEqual(previous.progress);
  }
  expect(body.progress >= 0 && body.progress <= 100).toBe(true);
  if (body.status === 'completed') expect(body.progress).toBe(100);
  real.history.set(body.action_uid, body);
}

async function getRun(real: Real): Promise<ActionBody | undefined> {
  const response = await real.http.get(PATH).auth(...real.auth);
  if (response.status === 404) return undefined;
  expect(response.status).toBe(200);
  observe(real, response.body as ActionBody);
  return response.body as ActionBody;
}

/** Polls until the test action's run satisfies `done`, checking every observation on the way. */
async function settle(
  real: Real,
  done: (body: ActionBody | undefined) => boolean,
): Promise<ActionBody | undefined> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const body = await getRun(real);
    if (done(body)) return body;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error('The run did not settle');
}

async function checkInvariants(real: Real, model: Model): Promise<void> {
  const status = await real.http
    .get('/v1/nodes/status')
    .auth(...real.auth)
    .expect(200);
  const masters = Object.entries(status.body as Record<string, { role: string }>).filter(
    ([, n]) => n.role === 'master',
  );
  expect(masters.map(([uid]) => uid)).toEqual([model.master]);
  const run = await getRun(real);
  if (!model.run) expect(run).toBeUndefined();
  else expect(run).toMatchObject({ status: model.run.status, progress: model.run.progress });
}

type Command = fc.AsyncCommand<Model, Real>;

/** `count` identical starts sent in parallel: the one-instance rule is where concurrent starts meet. */
class Start implements Command {
  constructor(
    readonly valid: boolean,
    readonly ignoresSignal: boolean,
    readonly count: number,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const body = this.valid ? { ignore_signal: this.ignoresSignal } : { ignore_signal: 'yes' };
    const responses = await Promise.all(
      Array.from({ length: this.count }, () =>
        real.http
          .post(PATH)
          .auth(...real.auth)
          .send(body),
      ),
    );
    const codes = responses.map((response) => response.status).sort();
    if (!this.valid) expect(codes).toEqual(Array.from({ length: this.count }, () => 400));
    else if (isActive(model)) expect(codes).toEqual(Array.from({ length: this.count }, () => 409));
    else {
      expect(codes).toEqual([200, ...Array.from({ length: this.count - 1 }, () => 409)]);
      const started = responses.find((response) => response.status === 200)!.body as ActionBody;
      observe(real, started);
      real.gated = await real.gate.next();
      model.run = { status: 'running', progress: 0, ignoresSignal: this.ignoresSignal };
      const running = await settle(real, (run) => run?.status === 'running');
      expect(running?.action_uid).toBe(started.action_uid);
    }
    for (const refused of responses.filter((response) => response.status === 409)) {
      expect(refused.body).toEqual({
        error_code: 'action_in_progress',
        description: `A run of action "${TEST_ACTION}" is already in progress.`,
      });
    }
    await checkInvariants(real, model);
  }
  toString = () =>
    `Start(${this.valid ? (this.ignoresSignal ? 'ignoring signal' : 'valid') : 'invalid'} x${this.count})`;
}

class Cancel implements Command {
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const response = await real.http.delete(PATH).auth(...real.auth);
    if (!model.run) {
      expect(response.status).toBe(404);
    } else if (isTerminal(model.run.status)) {
      expect(response.status).toBe(200);
      model.run = undefined;
    } else {
      expect(response.status).toBe(200);
      if (model.run.ignoresSignal) {
        model.run.status = 'cancelling';
      } else {
        await settle(real, (run) => run?.status === 'cancelled');
        model.run.status = 'cancelled';
        real.gated = undefined;
      }
    }
    await checkInvariants(real, model);
  }
  toString = () => 'Cancel';
}

class Progress implements Command {
  constructor(readonly percent: number) {}
  check = (model: Readonly<Model>) => isActive(model);
  async run(model: Model, real: Real): Promise<void> {
    await real.gated!.progress(this.percent);
    if (model.run!.status === 'running') model.run!.progress = Math.max(model.run!.progress, this.percent);
    await checkInvariants(real, model);
  }
  toString = () => `Progress(${this.percent})`;
}

class Finish implements Command {
  constructor(readonly outcome: 'complete' | 'fail') {}
  check = (model: Readonly<Model>) => isActive(model);
  async run(model: Model, real: Real): Promise<void> {
    if (this.outcome === 'complete') real.gated!.complete();
    else real.gated!.fail(new Error('told to fail'));
    real.gated = undefined;
    const run = model.run!;
    if (run.status === 'cancelling') run.status = 'cancelled';
    else if (this.outcome === 'complete') Object.assign(run, { status: 'completed', progress: 100 });
    else run.status = 'failed';
    await settle(real, (body) => body?.status === run.status);
    await checkInvariants(real, model);
  }
  toString = () => `Finish(${this.outcome})`;
}

class ChangeMaster implements Command {
  constructor(readonly node: string) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const path = '/v1/cluster/actions/change_master';
    const response = await real.http
      .post(path)
      .auth(...real.auth)
      .send({ node_uid: this.node });
    if (this.node === '4') {
      expect(response.status).toBe(406);
    } else {
      expect(response.status).toBe(200);
      for (let attempt = 0; attempt < 400; attempt++) {
        const run = await real.http
          .get(path)
          .auth(...real.auth)
          .expect(200);
        if (run.body.status === 'completed') break;
        expect(isTerminal(run.body.status as ActionStatus)).toBe(false);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      model.master = this.node;
    }
    await checkInvariants(real, model);
  }
  toString = () => `ChangeMaster(${this.node})`;
}

interface DryRunBody {
  readonly dry_run: true;
  readonly would_start: boolean;
  readonly blockers: { error_code: string }[];
  readonly steps: { name: string; status: string }[];
}

/** Asks what a start would do: the model predicts the answer, and that nothing changed (checkInvariants). */
async function dryRun(real: Real, path: string, body: object, blockers: string[]): Promise<DryRunBody> {
  const response = await real.http
    .post(`${path}?dry_run=true`)
    .auth(...real.auth)
    .send(body)
    .expect(200);
  const answer = response.body as DryRunBody;
  expect(answer.dry_run).toBe(true);
  expect(answer.blockers.map((blocker) => blocker.error_code)).toEqual(blockers);
  expect(answer.would_start).toBe(blockers.length === 0);
  return answer;
}

/** A dry run of the test action: refused by its precheck (label `refuse`), blocked by its run in progress. */
class DryRunStart implements Command {
  constructor(
    readonly valid: boolean,
    readonly refused: boolean,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    if (!this.valid) {
      await real.http
        .post(`${PATH}?dry_run=true`)
        .auth(...real.auth)
        .send({ ignore_signal: 'yes' })
        .expect(400);
    } else {
      const blockers = [
        ...(this.refused ? ['label_refused'] : []),
        ...(isActive(model) ? ['action_in_progress'] : []),
      ];
      const answer = await dryRun(real, PATH, this.refused ? { label: 'refuse' } : {}, blockers);
      expect(answer.steps).toEqual([]); // the test action declares none
    }
    await checkInvariants(real, model);
  }
  toString = () => `DryRunStart(${this.valid ? (this.refused ? 'refused' : 'valid') : 'invalid'})`;
}

/** A dry run of change_master: node 4 is down; an expected master other than the model's is a blocker. */
class DryRunChangeMaster implements Command {
  constructor(
    readonly node: string,
    readonly expectedMaster: string | undefined,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const blockers = [
      ...(this.node === '4' ? ['node_not_active'] : []),
      ...(this.expectedMaster !== undefined && this.expectedMaster !== model.master
        ? ['precondition_failed']
        : []),
    ];
    const answer = await dryRun(
      real,
      '/v1/cluster/actions/change_master',
      { node_uid: this.node, expected_master_uid: this.expectedMaster },
      blockers,
    );
    expect(answer.steps.map((step) => step.status)).toEqual(['pending', 'pending', 'pending']);
    await checkInvariants(real, model);
  }
  toString = () => `DryRunChangeMaster(${this.node}, expected ${this.expectedMaster ?? 'any'})`;
}

/**
 * `count` identical starts with one Idempotency-Key, in parallel. A key the sequence used answers its run as it is
 * now to every one (the same body) or 422 (another body); a new key starts one run that every one answers, or
 * meets an active run (409, and the key stays unused).
 */
class KeyedStart implements Command {
  constructor(
    readonly key: string,
    readonly ignoresSignal: boolean,
    readonly count: number,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const responses = await Promise.all(
      Array.from({ length: this.count }, () =>
        real.http
          .post(PATH)
          .auth(...real.auth)
          .set('Idempotency-Key', `${real.keyPrefix}-${this.key}`)
          .send({ ignore_signal: this.ignoresSignal }),
      ),
    );
    const codes = responses.map((response) => response.status);
    const kept = model.keys.get(this.key);
    if (kept && kept.ignoresSignal !== this.ignoresSignal) {
      expect(codes).toEqual(Array.from({ length: this.count }, () => 422));
      for (const response of responses) expect(response.body.error_code).toBe('idempotency_key_reused');
    } else if (kept) {
      expect(codes).toEqual(Array.from({ length: this.count }, () => 200));
      for (const response of responses) {
        expect(response.body).toMatchObject({
          action_uid: kept.uid,
          status: kept.run.status,
          progress: kept.run.progress,
        });
        observe(real, response.body as ActionBody);
      }
    } else if (isActive(model)) {
      expect(codes).toEqual(Array.from({ length: this.count }, () => 409));
    } else {
      expect(codes).toEqual(Array.from({ length: this.count }, () => 200));
      const uids = new Set(responses.map((response) => (response.body as ActionBody).action_uid));
      expect(uids.size).toBe(1);
      for (const response of responses) observe(real, response.body as ActionBody);
      real.gated = await real.gate.next();
      model.run = { status: 'running', progress: 0, ignoresSignal: this.ignoresSignal };
      model.keys.set(this.key, { ignoresSignal: this.ignoresSignal, uid: [...uids][0], run: model.run });
      await settle(real, (run) => run?.status === 'running');
    }
    await checkInvariants(real, model);
  }
  toString = () =>
    `KeyedStart(${this.key}, ${this.ignoresSignal ? 'ignoring signal' : 'valid'} x${this.count})`;
}

/**
 * `GET ?wait=`: with nothing finishing the run meanwhile, the run as the model has it (at once when terminal, at
 * the timeout when active); with the handler finishing it while the wait is open, the finished run.
 */
class Wait implements Command {
  constructor(
    readonly seconds: string,
    readonly finishMeanwhile: boolean,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const finishing = this.finishMeanwhile && isActive(model);
    const answer = real.http.get(`${PATH}?wait=${finishing ? '30' : this.seconds}`).auth(...real.auth);
    if (finishing) {
      // Sent before the handler finishes, answered after: whichever reaches the app first, the answer is final.
      const response = answer.then((result) => result);
      real.gated!.complete();
      real.gated = undefined;
      const run = model.run!;
      if (run.status === 'cancelling') run.status = 'cancelled';
      else Object.assign(run, { status: 'completed', progress: 100 });
      const body = (await response).body as ActionBody;
      expect(body).toMatchObject({ status: run.status, progress: run.progress });
      observe(real, body);
    } else {
      const response = await answer;
      if (!model.run) {
        expect(response.status).toBe(404);
      } else {
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ status: model.run.status, progress: model.run.progress });
        observe(real, response.body as ActionBody);
      }
    }
    await checkInvariants(real, model);
  }
  toString = () => `Wait(${this.seconds}${this.finishMeanwhile ? ', finish meanwhile' : ''})`;
}

const commands = [
  fc
    .tuple(fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 5 }))
    .map(([valid, ignoresSignal, count]) => new Start(valid, ignoresSignal, count)),
  fc.constant(new Cancel()),
  fc.integer({ min: 0, max: 100 }).map((percent) => new Progress(percent)),
  fc.constantFrom('complete' as const, 'fail' as const).map((outcome) => new Finish(outcome)),
  fc.constantFrom(...NODES).map((node) => new ChangeMaster(node)),
  fc.tuple(fc.boolean(), fc.boolean()).map(([valid, refused]) => new DryRunStart(valid, refused)),
  fc
    .tuple(fc.constantFrom(...NODES), fc.option(fc.constantFrom(...NODES), { nil: undefined }))
    .map(([node, expected]) => new DryRunChangeMaster(node, expected)),
  fc
    .tuple(fc.constantFrom('k1', 'k2', 'k3'), fc.boolean(), fc.integer({ min: 1, max: 4 }))
    .map(([key, ignoresSignal, count]) => new KeyedStart(key, ignoresSignal, count)),
  fc
    .tuple(fc.constantFrom('0', '0.02'), fc.boolean())
    .map(([seconds, finishMeanwhile]) => new Wait(seconds, finishMeanwhile)),
];

describe('lifecycle model', () => {
  let t: TestApp;
  let gate: TestGate;

  beforeAll(async () => {
    t = await createTestApp({
      imports: [TestActionModule],
      env: { CLUSTER_NODES: '1,2,3,4:down', CHANGE_MASTER_STEP_MS: '0' },
    });
    gate = t.app.get(TestGate);
  });

  afterAll(() => t.close());

  it('holds the API promises over random command sequences', async () => {
    let master = '1';
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 12 }), async (sequence) => {
        const real: Real = {
          http: t.http,
          auth: t.admin,
          gate,
          history: new Map(),
          keyPrefix: randomUUID(),
        };
        const model: Model = { master, keys: new Map() };
        // Leaves nothing running for the next sequence.
        const leaveIdle = async () => {
          master = model.master;
          // Runs the test did not expect to start (a broken one-instance rule) are ended too.
          for (const run of [real.gated, ...gate.takeEntered()]) run?.complete();
          await settle(real, (run) => run === undefined || isTerminal(run.status));
          await t.http.delete(PATH).auth(...t.admin);
        };
        try {
          await fc.asyncModelRun(() => ({ model, real }), sequence);
        } catch (error) {
          // Report the sequence's own failure, not a clean-up that its broken state made fail too.
          await leaveIdle().catch(() => undefined);
          throw error;
        }
        await leaveIdle();
      }),
      { numRuns: 300, verbose: 1 },
    );
  }, 240_000);
});
