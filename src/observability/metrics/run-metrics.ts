import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ACTION_STATUSES, isTerminal, type ActionStatus } from '../../actions/action-lifecycle.js';
import type { ActionRun } from '../../actions/action-run.js';
import { RunEvents } from '../../actions/run-events.js';
import { Metrics } from './metrics.js';

/**
 * The run metrics, derived only from RunEvents: each stored state of each run arrives there once, so a run is
 * counted started on its `queued` state and finished on its terminal one, whoever wrote it.
 */
@Injectable()
export class RunMetrics implements OnModuleInit, OnModuleDestroy {
  /** The status of every run seen active, by action_uid, so that a change moves it between gauge series. */
  private readonly active = new Map<string, ActionStatus>();
  private unsubscribe?: () => void;

  constructor(
    private readonly events: RunEvents,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    for (const status of ACTION_STATUSES.filter((s) => !isTerminal(s)))
      this.metrics.runsActive.set({ status }, 0);
    this.unsubscribe = this.events.subscribe((run) => this.record(run));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  private record(run: ActionRun): void {
    // A removed run is published as it was, hidden: nothing about its run changed.
    if (run.hidden) return;
    const { actionUid, name: action, status } = run;
    const previous = this.active.get(actionUid);
    if (previous) this.metrics.runsActive.dec({ status: previous });
    if (status === 'queued') this.metrics.runsStarted.inc({ action });
    if (isTerminal(status)) {
      this.active.delete(actionUid);
      this.metrics.runsFinished.inc({ action, status });
      const from = Date.parse(run.startTime ?? run.creationTime);
      const to = run.endTime ? Date.parse(run.endTime) : Date.now();
      this.metrics.runDuration.observe({ action, status }, Math.max(0, to - from) / 1000);
    } else {
      this.active.set(actionUid, status);
      this.metrics.runsActive.inc({ status });
    }
  }
}
