import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { StoreUnavailableError } from '../errors/domain-error.js';
import { ActionsRepository } from './actions.repository.js';
import { Coordination } from './coordination.js';

/** How often history is trimmed: runs pile up at the pace of operators, so a few minutes late costs nothing. */
export const RETENTION_SWEEP_MS = 5 * 60 * 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Runs deleted per statement. Each statement ranks every run, and SQLite's blocks the event loop while it runs:
 * a backlog (e.g. after lowering the limits) is deleted in steps of a few milliseconds with requests served in
 * between, rather than in one statement of seconds (measured: 190,000 runs in one SQLite statement, 1.8 s).
 */
const PRUNE_BATCH = 1000;

/**
 * Keeps run history within HISTORY_MAX_RUNS per action type and HISTORY_MAX_AGE_DAYS: once shortly after
 * start-up, then every few minutes, it deletes the finished runs beyond those limits (never the latest run of an
 * action type nor an active one). On PostgreSQL one replica sweeps at a time: the repository skips a sweep while
 * another replica's holds the lock. The embedded stores have one process anyway. Expired Idempotency-Keys are
 * deleted in the same sweep.
 */
@Injectable()
export class HistoryRetentionSweep implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(HistoryRetentionSweep.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly repository: ActionsRepository,
    private readonly config: AppConfig,
    private readonly coordination: Coordination,
  ) {}

  onModuleInit(): void {
    // Not awaited: a long first sweep must not hold the start-up; the timer is unref'd, so it never holds a stop.
    const sweepLogged = (): void => void this.sweep().catch((error: unknown) => this.failed(error));
    setImmediate(sweepLogged).unref();
    this.timer = setInterval(sweepLogged, RETENTION_SWEEP_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /**
   * Deletes what the limits no longer keep as of `now`, and returns how many runs. Only the coordinator sweeps
   * (the primary, with CLUSTER_NODES=replicas), fenced by its leader lease.
   */
  async sweep(now = new Date()): Promise<number> {
    const turn = this.coordination.turn();
    if (!turn) return 0;
    const { maxRuns, maxAgeDays } = this.config.history;
    const limits = {
      maxRuns,
      createdBefore: new Date(now.getTime() - maxAgeDays * DAY_MS).toISOString(),
      batch: PRUNE_BATCH,
    };
    let deleted = 0;
    for (;;) {
      const step = await this.repository.prune(limits, turn.leader);
      deleted += step;
      if (step < PRUNE_BATCH) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (deleted > 0) this.logger.log(`Deleted ${deleted} finished runs beyond the history retention limits.`);
    // Expired keys are ignored by every read already: deleting them only keeps the table small.
    await this.repository.purgeKeys(now.toISOString());
    return deleted;
  }

  private failed(error: unknown): void {
    if (error instanceof StoreUnavailableError) {
      this.logger.warn('Could not trim the run history: the store does not answer.');
    } else {
      this.logger.error('Could not trim the run history', error);
    }
  }
}
