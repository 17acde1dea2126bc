import { randomUUID } from 'node:crypto';
import type { ActionStatus } from '../../src/actions/action-lifecycle.js';
import type { ActionRun } from '../../src/actions/action-run.js';
import type { ActionsRepository } from '../../src/actions/actions.repository.js';

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

    it('stores a run and finds it by name, with every field intact', async () => {
      const run = aRun({
        step: 'prepare',
        progress: 12.5,
        params: { node_uid: '3', nested: { list: [1, 'two'] } },
        startTime: '2026-01-01T00:00:00.000Z',
        startedBy: 'admin@example.com',
      });
      expect(await repository.insertUnlessActive(run)).toEqual(run);
      expect(await repository.findByName('change_master')).toEqual(run);
      expect(await repository.findByName('other')).toBeUndefined();
    });

    it('lists the latest run of every name, ordered by name', async () => {
      const b = aRun({ name: 'b_action' });
      const a = aRun({ name: 'a_action' });
      await repository.insertUnlessActive(b);
      await repository.insertUnlessActive(a);
      expect(await repository.list()).toEqual([a, b]);
    });

    it('orders names by their characters, not by a locale', async () => {
      const underscore = aRun({ name: 'a_b' });
      const digit = aRun({ name: 'a1' });
      await repository.insertUnlessActive(underscore);
      await repository.insertUnlessActive(digit);
      expect((await repository.list()).map((run) => run.name)).toEqual(['a1', 'a_b']);
    });

    it('lists nothing when empty', async () => {
      expect(await repository.list()).toEqual([]);
    });

    it.each<ActionStatus>(['queued', 'starting', 'running', 'cancelling'])(
      'refuses a new run while the current one is %s',
      async (status) => {
        const current = aRun({ status });
        await repository.insertUnlessActive(current);
        expect(await repository.insertUnlessActive(aRun())).toBeUndefined();
        expect(await repository.findByName('change_master')).toEqual(current);
      },
    );

    it.each<ActionStatus>(['completed', 'failed', 'cancelled', 'aborted'])(
      'replaces a %s run with the new one',
      async (status) => {
        await repository.insertUnlessActive(aRun({ status }));
        const next = aRun();
        expect(await repository.insertUnlessActive(next)).toEqual(next);
        expect(await repository.findByName('change_master')).toEqual(next);
        expect(await repository.list()).toHaveLength(1);
      },
    );

    it('lets exactly one of many concurrent inserts win', async () => {
      const attempts = Array.from({ length: 20 }, () => aRun());
      const results = await Promise.all(attempts.map((run) => repository.insertUnlessActive(run)));
      const winners = results.filter((result) => result !== undefined);
      expect(winners).toHaveLength(1);
      expect(await repository.findByName('change_master')).toEqual(winners[0]);
    });

    it('updates a run only while its status is the expected one', async () => {
      const run = aRun();
      await repository.insertUnlessActive(run);
      const updated = await repository.update(run.actionUid, 'queued', { status: 'starting' });
      expect(updated).toEqual({ ...run, status: 'starting' });
      expect(await repository.update(run.actionUid, 'queued', { status: 'cancelled' })).toBeUndefined();
      expect(await repository.findByName(run.name)).toEqual(updated);
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
      expect(await repository.update(run.actionUid, 'running', patch)).toEqual({ ...run, ...patch });
    });

    it('does not update a run that was replaced', async () => {
      const old = aRun({ status: 'completed' });
      await repository.insertUnlessActive(old);
      const next = aRun();
      await repository.insertUnlessActive(next);
      expect(await repository.update(old.actionUid, 'completed', { progress: 1 })).toBeUndefined();
      expect(await repository.findByName('change_master')).toEqual(next);
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
      expect(await repository.findByName(run.name)).toEqual(run);
      const renewed = await repository.update(run.actionUid, 'queued', {
        leaseExpiresAt: '2026-01-01T00:01:00.000Z',
      });
      expect(renewed).toEqual({ ...run, leaseExpiresAt: '2026-01-01T00:01:00.000Z' });
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
        expect(await repository.list()).toEqual([
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
        expect(await repository.findByName('c')).toEqual(live);
      });

      it('updates nothing when no run is in the expected status', async () => {
        const completed = aRun({ status: 'completed' });
        await repository.insertUnlessActive(completed);
        expect(await repository.updateAbandoned('cancelling', { status: 'cancelled' })).toEqual([]);
        expect(await repository.findByName(completed.name)).toEqual(completed);
      });
    });

    it('removes a run only while its status is the expected one', async () => {
      const run = aRun({ status: 'completed' });
      await repository.insertUnlessActive(run);
      expect(await repository.remove(run.actionUid, 'failed')).toBe(false);
      expect(await repository.remove(run.actionUid, 'completed')).toBe(true);
      expect(await repository.findByName(run.name)).toBeUndefined();
      expect(await repository.remove(run.actionUid, 'completed')).toBe(false);
    });

    it('does not remove the run that replaced the one named', async () => {
      const old = aRun({ status: 'completed' });
      await repository.insertUnlessActive(old);
      const next = aRun({ status: 'completed' });
      await repository.insertUnlessActive(next);
      expect(await repository.remove(old.actionUid, 'completed')).toBe(false);
      expect(await repository.findByName('change_master')).toEqual(next);
    });
  });
}
