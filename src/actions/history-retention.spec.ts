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
});
