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
