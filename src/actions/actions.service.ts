import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Actor } from '../audit/actor.js';
import { AuditLog } from '../audit/audit-log.js';
import { Clock } from '../common/clock.js';
import { assertTransition, isTerminal } from './action-lifecycle.js';
import { ActionRegistry } from './action-registry.js';
import { cancelPatch, type ActionRun } from './action-run.js';
import { ActionRunner } from './action-runner.js';
import {
  ActionInProgressError,
  ActionNotCancellableError,
  ActionNotFoundError,
  IdempotencyKeyReusedError,
  KeyedRunNotFoundError,
} from './actions.errors.js';
import { ActionsRepository, type IdempotencyKey, type KeptIdempotencyKey } from './actions.repository.js';
import { IDEMPOTENCY_KEY_TTL_MS, requestHash } from './idempotency-key.js';
import { RunStore } from './run-store.js';
import { pendingTimeline, type RunStep } from './step-timeline.js';
import { DomainError } from '../errors/domain-error.js';

/** A request to start a run: `params` already validated against the action type's params DTO. */
export interface StartAction {
  readonly name: string;
  readonly params: object;
  readonly actor: Actor;
  /** The client's Idempotency-Key: a retry with it answers the run it started (see `start`). */
  readonly idempotencyKey?: string;
}

function keyOf(key: string, name: string, params: object, actor: Actor, now: Date): IdempotencyKey {
  return {
    owner: actor.email,
    key,
    requestHash: requestHash(name, params),
    expiresAt: new Date(now.getTime() + IDEMPOTENCY_KEY_TTL_MS).toISOString(),
  };
}

/** The run a kept key started, for a retry of the same request. */
function replayed(kept: KeptIdempotencyKey, key: IdempotencyKey): ActionRun {
  if (kept.requestHash !== key.requestHash) throw new IdempotencyKeyReusedError(key.key);
  // History retention deleted the run within the 24 hours: a new run would start the action twice.
  if (!kept.run) throw new KeyedRunNotFoundError(key.key);
  return kept.run;
}

/** Why a run would not start now: the error its POST would answer. */
export interface DryRunBlocker {
  readonly code: string;
  readonly description: string;
}

/** What a start would do, found without creating or changing anything. */
export interface DryRunOutcome {
  readonly blockers: DryRunBlocker[];
  /** The timeline the run would start with. */
  readonly steps: RunStep[];
}

/**
 * The refusals a dry run reports as blockers rather than answering them: the state of the cluster or of the
 * action's runs (404, 406, 409). A malformed request (400) or a store that does not answer (503) is answered
 * as a start would.
 */
const BLOCKING_KINDS = new Set<string>(['not_found', 'not_acceptable', 'conflict']);

/** How often DELETE re-reads a run that changed under it before it gives up with a conflict. */
const CANCEL_ATTEMPTS = 5;

/** Start, cancel, read the latest run of each action: the one-instance rule, over the repository's atomic writes. */
@Injectable()
export class ActionsService {
  constructor(
    private readonly registry: ActionRegistry,
    private readonly repository: ActionsRepository,
    private readonly store: RunStore,
    private readonly runner: ActionRunner,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  list(): Promise<ActionRun[]> {
    return this.repository.listLatest();
  }

  async get(name: string): Promise<ActionRun> {
    const run = await this.repository.findLatest(name);
    if (!run) throw new ActionNotFoundError(name);
    return run;
  }

  /**
   * Lets the handler refuse the request, then stores a new `queued` run as the latest of its name (older runs
   * are kept). The store refuses atomically while a run of the same name is active (409).
   *
   * With an Idempotency-Key, a key the same user sent in the last 24 hours answers the run it started, as it is
   * now, when the request is the same (action and parameters) and 422 `idempotency_key_reused` when it is not;
   * the handler is not asked again. Otherwise the run is stored with its key in one atomic step, so that of
   * parallel retries one starts the run and the others answer it.
   */
  async start({ name, params, actor, idempotencyKey }: StartAction): Promise<ActionRun> {
    const action = this.registry.require(name);
    const now = this.clock.now();
    const key = idempotencyKey === undefined ? undefined : keyOf(idempotencyKey, name, params, actor, now);
    if (key) {
      const kept = await this.repository.findKey(key.owner, key.key, now.toISOString());
      if (kept) return replayed(kept, key);
    }
    await action.handler.precheck(params);
    await action.handler.preconditions(params);
    const run: ActionRun = {
      actionUid: randomUUID(),
      name,
      status: 'queued',
      progress: 0,
      // The parameters as the client gave them (validated: an object with only the DTO's fields), a copy apart
      // from the handler's.
      params: { ...params },
      steps: pendingTimeline(action.steps),
      creationTime: new Date().toISOString(),
      startedBy: actor.email,
      ...this.runner.claim(),
    };
    let stored: ActionRun | undefined;
    if (key) {
      const keyed = await this.store.insertWithKey(run, key, now.toISOString());
      if (keyed.outcome === 'kept') return replayed(keyed.kept, key);
      stored = keyed.outcome === 'inserted' ? keyed.run : undefined;
    } else {
      stored = await this.store.insertUnlessActive(run);
    }
    if (!stored) throw new ActionInProgressError(name);
    this.runner.launch(stored, action, params);
    this.audit.record('action.start', actor, { action: name, action_uid: run.actionUid, params: run.params });
    return stored;
  }

  /**
   * What `start` would answer, without creating or changing anything (no run, no audit record, no event): the
   * handler's precheck, its preconditions and the one-instance rule, each refusal a blocker.
   */
  async dryRun({ name, params }: StartAction): Promise<DryRunOutcome> {
    const action = this.registry.require(name);
    const blockers: DryRunBlocker[] = [];
    const check = async (refuse: () => Promise<void> | void): Promise<void> => {
      try {
        await refuse();
      } catch (error) {
        if (!(error instanceof DomainError && BLOCKING_KINDS.has(error.kind))) throw error;
        blockers.push({ code: error.code, description: error.description });
      }
    };
    await check(() => action.handler.precheck(params));
    await check(() => action.handler.preconditions(params));
    await check(async () => {
      const latest = await this.repository.findLatest(name);
      if (latest && !isTerminal(latest.status)) throw new ActionInProgressError(name);
    });
    return { blockers, steps: pendingTimeline(action.steps) };
  }

  /**
   * Cancels an active run or hides a finished run's status, and returns the run as it is afterwards.
   * So a DELETE answering a finished run (other than one it cancelled) has hidden that run's status.
   */
  async cancel(name: string, actor: Actor): Promise<ActionRun> {
    for (let attempt = 0; attempt < CANCEL_ATTEMPTS; attempt++) {
      const run = await this.get(name);
      if (isTerminal(run.status)) {
        if (!(await this.store.hide(run))) continue;
        this.audit.record('action.remove', actor, {
          action: name,
          action_uid: run.actionUid,
          status: run.status,
        });
        return run;
      }
      const cancelled = await (this.runner.cancel(run.actionUid, actor.email) ??
        this.cancelInStore(run, actor));
      // Past its point of no return the run goes on: the cancel was not recorded.
      if (cancelled && !isTerminal(cancelled.status) && cancelled.cancellable === false) {
        throw new ActionNotCancellableError(name);
      }
      // Changed meanwhile, or finished before the cancel landed (a finished run: the next round hides it).
      if (!cancelled || (isTerminal(cancelled.status) && cancelled.status !== 'cancelled')) continue;
      this.audit.record('action.cancel', actor, {
        action: name,
        action_uid: run.actionUid,
        status: cancelled.status,
      });
      return cancelled;
    }
    throw new ActionInProgressError(name);
  }

  /** A run no session of this process executes: the store alone records the cancel. */
  private async cancelInStore(run: ActionRun, actor: Actor): Promise<ActionRun | undefined> {
    const patch = cancelPatch(run, actor.email);
    if (!patch?.status) return run; // already cancelling, or not cancellable
    assertTransition(run.status, patch.status);
    return this.store.update(run.actionUid, run.status, patch);
  }
}
