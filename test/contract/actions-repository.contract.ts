import { randomUUID } from 'node:crypto';
import type { ActionStatus } from '../../src/actions/action-lifecycle.js';
import type { ActionRun } from '../../src/actions/action-run.js';
import type { ActionsRepository, IdempotencyKey } from '../../src/actions/actions.repository.js';

export function aRun(overrides: Partial<ActionRun> = {}): ActionRun {
  return {
    actionUid: randomUUID(),
    name: 'change_master',
    status: 'queued',
    progress: 0,
    params: { node_uid: '2' },
    creationTime: new Date().toISOString(),
    ...overrides,
  };
}

const NOW = '2026-01-01T00:00:00.000Z';
const LATER = '2026-01-01T12:00:00.000Z';
const EXPIRY = '2026-01-02T00:00:00.000Z';
const AFTER_EXPIRY = '2026-01-02T00:00:00.001Z';

function aKey(overrides: Partial<IdempotencyKey> = {}): IdempotencyKey {
  return { owner: 'admin@example.com', key: 'key-1', requestHash: 'hash-a', expiresAt: EXPIRY, ...overrides };
}

/**
 * What every ActionsRepository backend must do. `open` gives a fresh, empty repository for each test;
 * `close` releases it.
 */
export function actionsRepositoryContract(
  backend: string,
  open: () => Promise<ActionsRepository>,
  close: (repository: ActionsRepository) => Promise<void> = () => Promise.resolve(),
): void {
  describe(`ActionsRepository contract: ${backend}`, () => {
    let repository: ActionsRepository;

    beforeEach(async () => {
      repository = await open();
    });

    afterEach(async () => {
      await close(repository);
    });

    it('stores a run and finds it as the latest of its name and by uid, with every field intact', async () => {
      const run = aRun({
        step: 'prepare',
        progress: 12.5,
        params: { node_uid: '3', nested: { list: [1, 'two'] } },
        startTime: '2026-01-01T00:00:00.000Z',
        startedBy: 'admin@example.com',
      });
      expect(await repository.insertUnlessActive(run)).toEqual(run);
      expect(await repository.findLatest('change_master')).toStrictEqual(run);
      expect(await repository.findByUid(run.actionUid)).toStrictEqual(run);
      expect(await repository.findLatest('other')).toBeUndefined();
      expect(await repository.findByUid(randomUUID())).toBeUndefined();
    });

    it('keeps the params as given: key order, nesting and types', async () => {
      const params = { zeta: '1', a: { y: [true, null, 2.5], b: 'x' }, node_uid: '3' };
      const run = aRun({ params });
      await repository.insertUnlessActive(run);
      expect(JSON.stringify((await repository.findByUid(run.actionUid))?.params)).toBe(
        JSON.stringify(params),
      );
    });

    it('lists the latest run of every name, ordered by name', async () => {
      const b = aRun({ name: 'b_action' });
      const a = aRun({ name: 'a_action' });
      await repository.insertUnlessActive(b);
      await repository.insertUnlessActive(a);
      expect(await repository.listLatest()).toEqual([a, b]);
    });

    it('orders names by their characters, not by a locale', async () => {
      const underscore = aRun({ name: 'a_b' });
      const digit = aRun({ name: 'a1' });
      await repository.insertUnlessActive(underscore);
      await repository.insertUnlessActive(digit);
      expect((await repository.listLatest()).map((run) => run.name)).toEqual(['a1', 'a_b']);
    });

    it('lists nothing when empty', async () => {
      expect(await repository.listLatest()).toEqual([]);
    });

    it.each<ActionStatus>(['queued', 'starting', 'running', 'cancelling'])(
      'refuses a new run while the current one is %s',
      async (status) => {
        const current = aRun({ status });
        await repository.insertUnlessActive(current);
        expect(await repository.insertUnlessActive(aRun())).toBeUndefined();
        expect(await repository.findLatest('change_master')).toEqual(current);
      },
    );

    it.each<ActionStatus>(['completed', 'failed', 'cancelled', 'aborted'])(
      'stores a new run after a %s one, and keeps the old one',
      async (status) => {
        const old = aRun({ status });
        await repository.insertUnlessActive(old);
        const next = aRun();
        expect(await repository.insertUnlessActive(next)).toEqual(next);
        expect(await repository.findLatest('change_master')).toEqual(next);
        expect(await repository.listLatest()).toEqual([next]);
        expect(await repository.findByUid(old.actionUid)).toEqual(old);
      },
    );

    it('keeps every run of a name; the latest is the one stored last, whatever its times say', async () => {
      const runs = [
        aRun({ status: 'completed', creationTime: '2026-01-01T00:00:03.000Z' }),
        aRun({ status: 'failed', creationTime: '2026-01-01T00:00:01.000Z' }),
        aRun({ status: 'aborted', creationTime: '2026-01-01T00:00:02.000Z' }),
      ];
      for (const run of runs) expect(await repository.insertUnlessActive(run)).toEqual(run);
      expect(await repository.findLatest('change_master')).toEqual(runs[2]);
      for (const run of runs) expect(await repository.findByUid(run.actionUid)).toEqual(run);
    });

    it('lets exactly one of many concurrent inserts win', async () => {
      const attempts = Array.from({ length: 20 }, () => aRun());
      const results = await Promise.all(attempts.map((run) => repository.insertUnlessActive(run)));
      const winners = results.filter((result) => result !== undefined);
      expect(winners).toHaveLength(1);
      expect(await repository.findLatest('change_master')).toEqual(winners[0]);
      const losers = attempts.filter((run) => run.actionUid !== winners[0].actionUid);
      for (const run of losers) expect(await repository.findByUid(run.actionUid)).toBeUndefined();
    });

    it('lets exactly one of many concurrent inserts win after a finished run', async () => {
      await repository.insertUnlessActive(aRun({ status: 'completed' }));
      const results = await Promise.all(
        Array.from({ length: 20 }, () => repository.insertUnlessActive(aRun())),
      );
      expect(results.filter((result) => result !== undefined)).toHaveLength(1);
    });

    it('updates a run only while its status is the expected one', async () => {
      const run = aRun();
      await repository.insertUnlessActive(run);
      const updated = await repository.update(run.actionUid, 'queued', { status: 'starting' });
      expect(updated).toEqual({ ...run, status: 'starting' });
      expect(await repository.update(run.actionUid, 'queued', { status: 'cancelled' })).toBeUndefined();
      expect(await repository.findLatest(run.name)).toEqual(updated);
      expect(await repository.update(randomUUID(), 'queued', { status: 'starting' })).toBeUndefined();
    });

    it('applies every field of a patch and keeps the others', async () => {
      const run = aRun({ status: 'running', startTime: '2026-01-01T00:00:00.000Z' });
      await repository.insertUnlessActive(run);
      const patch = {
        status: 'failed',
        progress: 40,
        step: 'sync',
        errorCode: 'internal_error',
        errorMessage: 'boom',
        endTime: '2026-01-01T00:00:01.000Z',
        cancelledBy: 'ops@example.com',
      } as const;
      expect(await repository.update(run.actionUid, 'running', patch)).toStrictEqual({ ...run, ...patch });
    });

    it('stores the step timeline in order with its times, replaces it on update, and reads it back everywhere', async () => {
      const run = aRun({
        steps: [
          { name: 'check_target', status: 'pending' },
          { name: 'switch', status: 'pending' },
        ],
      });
      expect(await repository.insertUnlessActive(run)).toStrictEqual(run);
      await repository.update(run.actionUid, 'queued', { status: 'running' });
      const steps = [
        {
          name: 'check_target',
          status: 'done',
          startTime: '2026-01-01T00:00:00.000Z',
          endTime: '2026-01-01T00:00:01.500Z',
        },
        { name: 'switch', status: 'running', startTime: '2026-01-01T00:00:01.500Z' },
      ] as const;
      const moved = await repository.update(run.actionUid, 'running', { step: 'switch', steps });
      expect(moved).toStrictEqual({ ...run, status: 'running', step: 'switch', steps });
      // A write that does not name the steps keeps them.
      const ended = await repository.update(run.actionUid, 'running', { status: 'failed' });
      expect(ended?.steps).toStrictEqual(steps);
      expect(await repository.findByUid(run.actionUid)).toStrictEqual(ended);
      expect(await repository.listLatest()).toStrictEqual([ended]);
      expect((await repository.history(run.name, { limit: 10 })).runs).toStrictEqual([ended]);
    });

    it('keeps an empty timeline empty and a run stored without one without one', async () => {
      const empty = aRun({ name: 'no_steps', steps: [] });
      const none = aRun({ name: 'older' });
      await repository.insertUnlessActive(empty);
      await repository.insertUnlessActive(none);
      expect((await repository.findByUid(empty.actionUid))?.steps).toStrictEqual([]);
      expect(await repository.findByUid(none.actionUid)).not.toHaveProperty('steps');
    });

    it('keeps a run cancellable until a patch records its point of no return, and after it ends', async () => {
      const run = aRun({ status: 'running' });
      await repository.insertUnlessActive(run);
      expect((await repository.findByUid(run.actionUid))?.cancellable).toBeUndefined();
      const pastNoReturn = await repository.update(run.actionUid, 'running', { cancellable: false });
      expect(pastNoReturn).toStrictEqual({ ...run, cancellable: false });
      expect(
        await repository.update(run.actionUid, 'running', {
          status: 'cancelling',
          cancelledBy: 'ops@example.com',
        }),
      ).toBeUndefined();
      await repository.update(run.actionUid, 'running', { status: 'completed', progress: 100 });
      expect(await repository.findByUid(run.actionUid)).toMatchObject({
        status: 'completed',
        cancellable: false,
      });
    });

    it("keeps a run's result as reported: absent until set, replaced by each patch, kept after the run ends", async () => {
      const run = aRun({ status: 'running' });
      await repository.insertUnlessActive(run);
      expect((await repository.findByUid(run.actionUid))?.result).toBeUndefined();
      await repository.update(run.actionUid, 'running', { result: { nodes: { 1: { status: 'saved' } } } });
      const result = {
        nodes: { 1: { status: 'saved' }, 2: { status: 'failed', error: 'down' } },
        total: 2.5,
      };
      expect(await repository.update(run.actionUid, 'running', { result })).toStrictEqual({ ...run, result });
      await repository.update(run.actionUid, 'running', {
        status: 'failed',
        errorCode: 'snapshot_incomplete',
      });
      expect((await repository.findByUid(run.actionUid))?.result).toStrictEqual(result);
      expect((await repository.history(run.name, { limit: 10 })).runs[0].result).toStrictEqual(result);
    });

    it('updates an older run by its uid without touching the latest', async () => {
      const old = aRun({ status: 'completed' });
      await repository.insertUnlessActive(old);
      const next = aRun();
      await repository.insertUnlessActive(next);
      expect(await repository.update(old.actionUid, 'completed', { step: 'x' })).toEqual({
        ...old,
        step: 'x',
      });
      expect(await repository.findLatest('change_master')).toEqual(next);
    });

    it('lets exactly one of two concurrent conditional updates win', async () => {
      const run = aRun({ status: 'running' });
      await repository.insertUnlessActive(run);
      const [cancel, complete] = await Promise.all([
        repository.update(run.actionUid, 'running', { status: 'cancelling' }),
        repository.update(run.actionUid, 'running', { status: 'completed', progress: 100 }),
      ]);
      expect([cancel, complete].filter((result) => result !== undefined)).toHaveLength(1);
    });

    it('keeps the owner and lease of a run, and a patch renews the lease', async () => {
      const run = aRun({ ownerId: 'host:1:abcd', leaseExpiresAt: '2026-01-01T00:00:30.000Z' });
      await repository.insertUnlessActive(run);
      expect(await repository.findLatest(run.name)).toEqual(run);
      const renewed = await repository.update(run.actionUid, 'queued', {
        leaseExpiresAt: '2026-01-01T00:01:00.000Z',
      });
      expect(renewed).toEqual({ ...run, leaseExpiresAt: '2026-01-01T00:01:00.000Z' });
    });

    describe('fenced update', () => {
      const owned = (): ActionRun =>
        aRun({ status: 'running', ownerId: 'replica-a', leaseExpiresAt: '2026-01-01T00:01:00.000Z' });

      it('applies a write of the owner while its lease runs', async () => {
        const run = owned();
        await repository.insertUnlessActive(run);
        const fence = { ownerId: 'replica-a', now: '2026-01-01T00:00:59.999Z' };
        expect(await repository.update(run.actionUid, 'running', { progress: 50 }, fence)).toEqual({
          ...run,
          progress: 50,
        });
      });

      it.each([
        ['another owner', { ownerId: 'replica-b', now: '2026-01-01T00:00:00.000Z' }],
        ['an expired lease', { ownerId: 'replica-a', now: '2026-01-01T00:01:00.000Z' }],
        ['a lease long gone', { ownerId: 'replica-a', now: '2026-01-02T00:00:00.000Z' }],
      ])('refuses a write with %s, and changes nothing', async (_case, fence) => {
        const run = owned();
        await repository.insertUnlessActive(run);
        expect(
          await repository.update(run.actionUid, 'running', { status: 'completed' }, fence),
        ).toBeUndefined();
        expect(await repository.findByUid(run.actionUid)).toEqual(run);
      });

      it('refuses a fenced write on a run without owner or lease', async () => {
        const run = aRun({ status: 'running' });
        await repository.insertUnlessActive(run);
        const fence = { ownerId: 'replica-a', now: '2026-01-01T00:00:00.000Z' };
        expect(await repository.update(run.actionUid, 'running', { progress: 1 }, fence)).toBeUndefined();
      });
    });

    describe('updateAbandoned', () => {
      const lease = (leaseExpiresAt: string): Partial<ActionRun> => ({ ownerId: 'gone', leaseExpiresAt });
      const aborted = {
        status: 'aborted',
        errorCode: 'executor_lost',
        endTime: '2026-01-01T00:02:00.000Z',
      } as const;

      it('without a time, updates every run in the expected status and returns them', async () => {
        const running = aRun({ name: 'a', status: 'running', ...lease('2099-01-01T00:00:00.000Z') });
        const noLease = aRun({ name: 'b', status: 'running' });
        const queued = aRun({ name: 'c', status: 'queued' });
        for (const run of [running, noLease, queued]) await repository.insertUnlessActive(run);
        const updated = await repository.updateAbandoned('running', aborted);
        expect(updated.sort((x, y) => x.name.localeCompare(y.name))).toEqual([
          { ...running, ...aborted },
          { ...noLease, ...aborted },
        ]);
        expect(await repository.listLatest()).toEqual([
          { ...running, ...aborted },
          { ...noLease, ...aborted },
          queued,
        ]);
      });

      it('with a time, updates only the runs whose lease ran out by then or that have none', async () => {
        const expired = aRun({ name: 'a', status: 'starting', ...lease('2026-01-01T00:00:59.999Z') });
        const expiresNow = aRun({ name: 'b', status: 'starting', ...lease('2026-01-01T00:01:00.000Z') });
        const live = aRun({ name: 'c', status: 'starting', ...lease('2026-01-01T00:01:00.001Z') });
        const noLease = aRun({ name: 'd', status: 'starting' });
        for (const run of [expired, expiresNow, live, noLease]) await repository.insertUnlessActive(run);
        const updated = await repository.updateAbandoned('starting', aborted, '2026-01-01T00:01:00.000Z');
        expect(updated.map((run) => run.name).sort()).toEqual(['a', 'b', 'd']);
        expect(await repository.findLatest('c')).toEqual(live);
      });

      it("closes each updated run's step timeline in the same write", async () => {
        const run = aRun({
          status: 'running',
          steps: [
            { name: 'check', status: 'done', startTime: NOW, endTime: NOW },
            { name: 'move', status: 'running', startTime: NOW },
            { name: 'confirm', status: 'pending' },
          ],
        });
        await repository.insertUnlessActive(run);
        const closed = [
          { name: 'check', status: 'done', startTime: NOW, endTime: NOW },
          { name: 'move', status: 'failed', startTime: NOW, endTime: aborted.endTime },
          { name: 'confirm', status: 'skipped' },
        ];
        expect(await repository.updateAbandoned('running', aborted)).toEqual([
          { ...run, ...aborted, steps: closed },
        ]);
        expect(await repository.findByUid(run.actionUid)).toEqual({ ...run, ...aborted, steps: closed });
      });

      it('updates nothing when no run is in the expected status', async () => {
        const completed = aRun({ status: 'completed' });
        await repository.insertUnlessActive(completed);
        expect(await repository.updateAbandoned('cancelling', { status: 'cancelled' })).toEqual([]);
        expect(await repository.findLatest(completed.name)).toEqual(completed);
      });
    });

    describe('claimQueued', () => {
      const claim = {
        ownerId: 'primary',
        executorNode: 2,
        leaseExpiresAt: '2026-01-01T00:02:00.000Z',
        now: '2026-01-01T00:01:00.000Z',
        names: ['a', 'b', 'c', 'd'],
      };

      it('takes the queued runs of the given names that nobody holds, oldest first, and no other', async () => {
        const unowned = aRun({ name: 'b', leaseExpiresAt: '2026-01-01T00:01:30.000Z' });
        const expired = aRun({
          name: 'a',
          ownerId: 'gone',
          leaseExpiresAt: '2026-01-01T00:00:30.000Z',
          creationTime: '2025-12-31T00:00:00.000Z',
        });
        const held = aRun({ name: 'c', ownerId: 'alive', leaseExpiresAt: '2026-01-01T00:01:30.000Z' });
        const running = aRun({ name: 'd', status: 'running' });
        const unknownName = aRun({ name: 'e' });
        for (const run of [unowned, expired, held, running, unknownName]) {
          await repository.insertUnlessActive(run);
        }
        const owned = { ownerId: 'primary', executorNode: 2, leaseExpiresAt: claim.leaseExpiresAt };
        expect(await repository.claimQueued(claim)).toEqual([
          { ...expired, ...owned },
          { ...unowned, ...owned },
        ]);
        expect(await repository.findByUid(held.actionUid)).toEqual(held);
        expect(await repository.findByUid(unknownName.actionUid)).toEqual(unknownName);
        // Claimed once: a second claim finds nothing left.
        expect(await repository.claimQueued({ ...claim, ownerId: 'other' })).toEqual([]);
      });
    });

    describe('hide', () => {
      it('hides a finished run only while its status is the expected one, and keeps its row', async () => {
        const run = aRun({ status: 'completed' });
        await repository.insertUnlessActive(run);
        expect(await repository.hide(run.actionUid, 'failed')).toBe(false);
        expect(await repository.hide(run.actionUid, 'completed')).toBe(true);
        expect(await repository.findLatest(run.name)).toBeUndefined();
        expect(await repository.listLatest()).toEqual([]);
        expect(await repository.findByUid(run.actionUid)).toStrictEqual({ ...run, hidden: true });
        expect(await repository.hide(run.actionUid, 'completed')).toBe(false);
      });

      it('lets exactly one of two concurrent hides win', async () => {
        const run = aRun({ status: 'failed' });
        await repository.insertUnlessActive(run);
        const results = await Promise.all([
          repository.hide(run.actionUid, 'failed'),
          repository.hide(run.actionUid, 'failed'),
        ]);
        expect(results.sort()).toEqual([false, true]);
      });

      it('does not reveal an older run when the latest is hidden', async () => {
        const old = aRun({ status: 'completed' });
        await repository.insertUnlessActive(old);
        const latest = aRun({ status: 'failed' });
        await repository.insertUnlessActive(latest);
        expect(await repository.hide(latest.actionUid, 'failed')).toBe(true);
        expect(await repository.findLatest('change_master')).toBeUndefined();
        expect(await repository.listLatest()).toEqual([]);
      });

      it('hides an older run without hiding the latest', async () => {
        const old = aRun({ status: 'completed' });
        await repository.insertUnlessActive(old);
        const next = aRun({ status: 'completed' });
        await repository.insertUnlessActive(next);
        expect(await repository.hide(old.actionUid, 'completed')).toBe(true);
        expect(await repository.findLatest('change_master')).toEqual(next);
      });

      it('shows the next run of a name once it is stored after a hidden one', async () => {
        const hidden = aRun({ name: 'b', status: 'completed' });
        await repository.insertUnlessActive(hidden);
        await repository.hide(hidden.actionUid, 'completed');
        const other = aRun({ name: 'a' });
        await repository.insertUnlessActive(other);
        const next = aRun({ name: 'b' });
        expect(await repository.insertUnlessActive(next)).toEqual(next);
        expect(await repository.findLatest('b')).toEqual(next);
        expect(await repository.listLatest()).toEqual([other, next]);
      });
    });

    describe('history', () => {
      /** Stores finished runs of `name` one after the other (the second of each pair created later). */
      async function storeRuns(count: number, overrides: (index: number) => Partial<ActionRun> = () => ({})) {
        const runs: ActionRun[] = [];
        for (let index = 0; index < count; index++) {
          const run = aRun({
            status: 'completed',
            creationTime: new Date(Date.UTC(2026, 0, 1, 0, index)).toISOString(),
            ...overrides(index),
          });
          await repository.insertUnlessActive(run);
          runs.push(run);
        }
        return runs;
      }

      it('answers the runs of a name newest first, hidden ones included, and no other name', async () => {
        const runs = await storeRuns(3);
        await repository.insertUnlessActive(aRun({ name: 'other', status: 'completed' }));
        await repository.hide(runs[1].actionUid, 'completed');
        const page = await repository.history('change_master', { limit: 10 });
        expect(page.runs).toEqual([runs[2], { ...runs[1], hidden: true }, runs[0]]);
        expect(page.nextSeq).toBeUndefined();
        expect(await repository.history('nothing', { limit: 10 })).toEqual({ runs: [], nextSeq: undefined });
      });

      it('orders by storage, not by creation time', async () => {
        const runs = await storeRuns(3, (index) => ({
          creationTime: new Date(Date.UTC(2026, 0, 1, 0, 10 - index)).toISOString(),
        }));
        expect((await repository.history('change_master', { limit: 10 })).runs).toEqual(runs.reverse());
      });

      it('pages with nextSeq until the last page, which has none', async () => {
        const runs = await storeRuns(5);
        const seen: ActionRun[] = [];
        let beforeSeq: number | undefined;
        const sizes: number[] = [];
        do {
          const page = await repository.history('change_master', { limit: 2, beforeSeq });
          seen.push(...page.runs);
          sizes.push(page.runs.length);
          beforeSeq = page.nextSeq;
        } while (beforeSeq !== undefined);
        expect(sizes).toEqual([2, 2, 1]);
        expect(seen).toEqual(runs.reverse());
      });

      it('has no next page when the page ends exactly at the last run', async () => {
        await storeRuns(2);
        const page = await repository.history('change_master', { limit: 2 });
        expect(page.runs).toHaveLength(2);
        expect(page.nextSeq).toBeUndefined();
      });

      it('filters by status, keeping the order and the paging', async () => {
        const runs = await storeRuns(6, (index) => ({ status: index % 2 ? 'failed' : 'completed' }));
        const first = await repository.history('change_master', { limit: 2, status: 'failed' });
        expect(first.runs).toEqual([runs[5], runs[3]]);
        const second = await repository.history('change_master', {
          limit: 2,
          status: 'failed',
          beforeSeq: first.nextSeq,
        });
        expect(second).toEqual({ runs: [runs[1]], nextSeq: undefined });
      });

      it('filters by who started the run', async () => {
        const runs = await storeRuns(3, (index) => ({
          startedBy: index === 1 ? 'a@example.com' : 'b@example.com',
        }));
        expect(
          (await repository.history('change_master', { limit: 10, startedBy: 'a@example.com' })).runs,
        ).toEqual([runs[1]]);
      });

      it('filters by creation time: since inclusive, until exclusive', async () => {
        const runs = await storeRuns(4);
        const { runs: between } = await repository.history('change_master', {
          limit: 10,
          since: runs[1].creationTime,
          until: runs[3].creationTime,
        });
        expect(between).toEqual([runs[2], runs[1]]);
        expect(
          (await repository.history('change_master', { limit: 10, since: runs[3].creationTime })).runs,
        ).toEqual([runs[3]]);
        expect(
          (await repository.history('change_master', { limit: 10, until: runs[1].creationTime })).runs,
        ).toEqual([runs[0]]);
      });

      it('combines every filter', async () => {
        const runs = await storeRuns(4, (index) => ({
          startedBy: index < 2 ? 'a@example.com' : 'b@example.com',
          status: index === 3 ? 'failed' : 'completed',
        }));
        const { runs: found } = await repository.history('change_master', {
          limit: 10,
          status: 'completed',
          startedBy: 'b@example.com',
          since: runs[0].creationTime,
          until: '2027-01-01T00:00:00.000Z',
        });
        expect(found).toEqual([runs[2]]);
      });
    });

    describe('prune', () => {
      const LONG_AGO = '2000-01-01T00:00:00.000Z';

      it('keeps the newest runs of each name up to the count', async () => {
        const kept: ActionRun[] = [];
        for (const name of ['a', 'b']) {
          const runs: ActionRun[] = [];
          for (let index = 0; index < 4; index++) {
            const run = aRun({ name, status: 'completed' });
            await repository.insertUnlessActive(run);
            runs.push(run);
          }
          kept.push(...runs.slice(2).reverse());
        }
        expect(await repository.prune({ maxRuns: 2, createdBefore: LONG_AGO, batch: 100 })).toBe(4);
        const remaining = [
          ...(await repository.history('a', { limit: 10 })).runs,
          ...(await repository.history('b', { limit: 10 })).runs,
        ];
        expect(remaining).toEqual(kept);
        expect(await repository.prune({ maxRuns: 2, createdBefore: LONG_AGO, batch: 100 })).toBe(0);
      });

      it('deletes finished runs created before the time, but never the latest of a name', async () => {
        const old = aRun({ status: 'failed', creationTime: '2020-01-01T00:00:00.000Z' });
        const latestOld = aRun({
          name: 'other',
          status: 'completed',
          creationTime: '2020-01-01T00:00:00.000Z',
        });
        const recent = aRun({ status: 'completed', creationTime: '2026-01-01T00:00:00.000Z' });
        for (const run of [old, latestOld, recent]) await repository.insertUnlessActive(run);
        expect(
          await repository.prune({ maxRuns: 1000, createdBefore: '2025-01-01T00:00:00.000Z', batch: 100 }),
        ).toBe(1);
        expect(await repository.findByUid(old.actionUid)).toBeUndefined();
        expect(await repository.findByUid(recent.actionUid)).toEqual(recent);
        expect(await repository.findLatest('other')).toEqual(latestOld);
      });

      it('keeps a hidden latest run and an active run, whatever their age and rank', async () => {
        const hidden = aRun({ name: 'h', status: 'completed', creationTime: '2020-01-01T00:00:00.000Z' });
        await repository.insertUnlessActive(hidden);
        await repository.hide(hidden.actionUid, 'completed');
        const older = aRun({ status: 'cancelled', creationTime: '2020-01-01T00:00:00.000Z' });
        const active = aRun({ status: 'running', creationTime: '2020-01-02T00:00:00.000Z' });
        await repository.insertUnlessActive(older);
        await repository.insertUnlessActive(active);
        expect(
          await repository.prune({ maxRuns: 1, createdBefore: '2025-01-01T00:00:00.000Z', batch: 100 }),
        ).toBe(1);
        expect(await repository.findByUid(hidden.actionUid)).toEqual({ ...hidden, hidden: true });
        expect(await repository.findByUid(active.actionUid)).toEqual(active);
        expect(await repository.findByUid(older.actionUid)).toBeUndefined();
      });

      it('deletes at most a batch per call, the rest at the next call', async () => {
        for (let index = 0; index < 5; index++)
          await repository.insertUnlessActive(aRun({ status: 'failed' }));
        const limits = { maxRuns: 1, createdBefore: LONG_AGO, batch: 3 };
        expect(await repository.prune(limits)).toBe(3);
        expect(await repository.prune(limits)).toBe(1);
        expect(await repository.prune(limits)).toBe(0);
        expect((await repository.history('change_master', { limit: 10 })).runs).toHaveLength(1);
      });

      it('deletes each run once when sweeps run at the same time', async () => {
        for (let index = 0; index < 5; index++)
          await repository.insertUnlessActive(aRun({ status: 'failed' }));
        const counts = await Promise.all([
          repository.prune({ maxRuns: 1, createdBefore: LONG_AGO, batch: 100 }),
          repository.prune({ maxRuns: 1, createdBefore: LONG_AGO, batch: 100 }),
        ]);
        expect(counts.reduce((sum, count) => sum + count, 0)).toBe(4);
        expect((await repository.history('change_master', { limit: 10 })).runs).toHaveLength(1);
      });
    });
    describe('idempotency keys', () => {
      it('stores a run with its key, and finds the key with the run until it expires', async () => {
        const run = aRun();
        expect(await repository.insertWithKey(run, aKey(), NOW)).toEqual({ outcome: 'inserted', run });
        expect(await repository.findLatest('change_master')).toEqual(run);
        expect(await repository.findKey('admin@example.com', 'key-1', LATER)).toEqual({
          requestHash: 'hash-a',
          run,
        });
        expect(await repository.findKey('admin@example.com', 'key-1', EXPIRY)).toBeUndefined();
      });

      it('finds the run a key started as it is now', async () => {
        const run = aRun();
        await repository.insertWithKey(run, aKey(), NOW);
        const completed = await repository.update(run.actionUid, 'queued', { status: 'completed' });
        expect((await repository.findKey('admin@example.com', 'key-1', LATER))?.run).toEqual(completed);
      });

      it('keeps a key per owner: the same key of another owner is another key', async () => {
        const first = aRun({ status: 'completed' });
        const second = aRun();
        await repository.insertWithKey(first, aKey(), NOW);
        expect(await repository.insertWithKey(second, aKey({ owner: 'other@example.com' }), NOW)).toEqual({
          outcome: 'inserted',
          run: second,
        });
        expect((await repository.findKey('other@example.com', 'key-1', NOW))?.run).toEqual(second);
        expect(await repository.findKey('admin@example.com', 'key-2', NOW)).toBeUndefined();
      });

      it('answers a kept key with the request it was used for, and stores nothing', async () => {
        const run = aRun({ status: 'completed' });
        await repository.insertWithKey(run, aKey(), NOW);
        const retry = aRun();
        expect(await repository.insertWithKey(retry, aKey({ requestHash: 'hash-b' }), LATER)).toEqual({
          outcome: 'kept',
          kept: { requestHash: 'hash-a', run },
        });
        expect(await repository.findByUid(retry.actionUid)).toBeUndefined();
        expect(await repository.findLatest('change_master')).toEqual(run);
      });

      it('stores neither run nor key while another run is active, and accepts the key afterwards', async () => {
        const active = aRun();
        await repository.insertUnlessActive(active);
        const refused = aRun();
        expect(await repository.insertWithKey(refused, aKey(), NOW)).toEqual({ outcome: 'active' });
        expect(await repository.findByUid(refused.actionUid)).toBeUndefined();
        expect(await repository.findKey('admin@example.com', 'key-1', NOW)).toBeUndefined();
        await repository.update(active.actionUid, 'queued', { status: 'failed' });
        const next = aRun();
        expect(await repository.insertWithKey(next, aKey(), NOW)).toEqual({ outcome: 'inserted', run: next });
      });

      it('replaces an expired key: the key starts a new run', async () => {
        const first = aRun({ status: 'completed' });
        await repository.insertWithKey(first, aKey(), NOW);
        const second = aRun();
        const renewed = aKey({ requestHash: 'hash-b', expiresAt: '2026-01-03T00:00:00.000Z' });
        expect(await repository.insertWithKey(second, renewed, EXPIRY)).toEqual({
          outcome: 'inserted',
          run: second,
        });
        expect(await repository.findKey('admin@example.com', 'key-1', AFTER_EXPIRY)).toEqual({
          requestHash: 'hash-b',
          run: second,
        });
      });

      it('stores one run of many concurrent inserts with one key; the others find it kept', async () => {
        const attempts = Array.from({ length: 20 }, () => aRun());
        const results = await Promise.all(attempts.map((run) => repository.insertWithKey(run, aKey(), NOW)));
        const inserted = results.filter((result) => result.outcome === 'inserted');
        expect(inserted).toHaveLength(1);
        const [winner] = inserted.map((result) => result.run);
        expect(results.filter((result) => result.outcome === 'kept')).toEqual(
          Array.from({ length: 19 }, () => ({
            outcome: 'kept',
            kept: { requestHash: 'hash-a', run: winner },
          })),
        );
        expect((await repository.history('change_master', { limit: 100 })).runs).toEqual([winner]);
      });

      it('answers a kept key without its run once history retention deleted the run', async () => {
        const first = aRun({ status: 'completed' });
        await repository.insertWithKey(first, aKey(), NOW);
        await repository.insertUnlessActive(aRun({ status: 'completed' }));
        expect(await repository.prune({ maxRuns: 1, createdBefore: NOW, batch: 100 })).toBe(1);
        expect(await repository.findKey('admin@example.com', 'key-1', NOW)).toEqual({
          requestHash: 'hash-a',
        });
      });

      it('purges the keys expired by a time, and only those', async () => {
        await repository.insertWithKey(aRun({ status: 'completed' }), aKey(), NOW);
        const kept = aRun({ status: 'completed' });
        await repository.insertWithKey(kept, aKey({ key: 'key-2', expiresAt: AFTER_EXPIRY }), NOW);
        expect(await repository.purgeKeys(EXPIRY)).toBe(1);
        expect(await repository.purgeKeys(EXPIRY)).toBe(0);
        expect((await repository.findKey('admin@example.com', 'key-2', EXPIRY))?.run).toEqual(kept);
      });
    });
  });
}
