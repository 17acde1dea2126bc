import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config.js';
import { MemoryActionsRepository } from '../storage/memory/memory-actions.repository.js';
import { EveryProcessCoordinates } from './coordination.js';
import { HistoryRetentionSweep } from './history-retention.js';

describe('HistoryRetentionSweep', () => {
  it('deletes a backlog larger than one batch in several steps, down to the limit', async () => {
    const repository = new MemoryActionsRepository();
    const prune = jest.spyOn(repository, 'prune');
    for (let index = 0; index < 2503; index++) {
      await repository.insertUnlessActive({
        actionUid: randomUUID(),
        name: 'change_master',
        status: 'completed',
        progress: 100,
        params: {},
        creationTime: new Date().toISOString(),
      });
    }
    const sweep = new HistoryRetentionSweep(
      repository,
      new AppConfig({ HISTORY_MAX_RUNS: '3' }),
      new EveryProcessCoordinates(),
    );
    expect(await sweep.sweep()).toBe(2500);
    expect(prune.mock.calls.length).toBeGreaterThan(1);
    expect((await repository.history('change_master', { limit: 100 })).runs).toHaveLength(3);
  });

  it('deletes the Idempotency-Keys expired by the time of the sweep', async () => {
    const repository = new MemoryActionsRepository();
    const run = (status: 'completed' | 'failed') => ({
      actionUid: randomUUID(),
      name: 'change_master',
      status,
      progress: 100,
      params: {},
      creationTime: new Date().toISOString(),
    });
    const key = (name: string, expiresAt: string) => ({
      owner: 'admin@example.com',
      key: name,
      requestHash: 'hash',
      expiresAt,
    });
    const now = '2026-01-01T00:00:00.000Z';
    await repository.insertWithKey(run('completed'), key('expired', now), now);
    await repository.insertWithKey(run('failed'), key('kept', '2026-01-01T00:00:00.001Z'), now);
    const purge = jest.spyOn(repository, 'purgeKeys');
    await new HistoryRetentionSweep(repository, new AppConfig({}), new EveryProcessCoordinates()).sweep(
      new Date(now),
    );
    expect(purge).toHaveBeenCalledWith(now);
    expect(await repository.purgeKeys(now)).toBe(0);
    expect(await repository.findKey('admin@example.com', 'kept', now)).toBeDefined();
  });
});
