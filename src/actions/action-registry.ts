import { Injectable, type Type } from '@nestjs/common';
import type { ClusterActionHandler } from './cluster-action-handler.js';
import type { ClusterActionOptions } from './cluster-action.decorator.js';
import { StartupError } from '../config/startup-error.js';
import { UnknownActionError } from './actions.errors.js';

/** A handler that breaks the registry's rules: start-up stops with this line, which names the handler's module. */
export class InvalidActionHandlerError extends StartupError {}

/** A run that outlives this without settling ends `failed` with `timeout`: nothing stays in progress forever. */
export const DEFAULT_ACTION_TIMEOUT_MS = 10 * 60 * 1000;

const ACTION_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** Names a route below /v1/cluster/actions takes: `GET .../events` is the stream of every action's changes. */
const RESERVED_NAMES: ReadonlySet<string> = new Set(['events']);

export interface RegisteredAction {
  readonly name: string;
  readonly params?: Type<object>;
  readonly timeoutMs: number;
  /** The declared steps, in order; empty when there are none. */
  readonly steps: readonly string[];
  readonly handler: ClusterActionHandler;
}

/**
 * What the registry knows of `handler`, from its decorator options: a member set on the handler (e.g. from
 * configuration) wins over the decorator's `timeoutMs` and `steps`.
 */
export function describeAction(
  handler: ClusterActionHandler,
  { name, params, timeoutMs, steps }: ClusterActionOptions,
): RegisteredAction {
  return {
    name,
    params,
    timeoutMs: handler.timeoutMs ?? timeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS,
    steps: handler.steps ?? steps ?? [],
    handler,
  };
}

/** The action types this service knows, filled once at start-up by the ActionExplorer. */
@Injectable()
export class ActionRegistry {
  private readonly actions = new Map<string, RegisteredAction>();
  /** Where each action type was registered from, for the message that refuses a second one. */
  private readonly sources = new Map<string, string>();

  register(action: RegisteredAction, source: string): void {
    if (!ACTION_NAME.test(action.name)) {
      throw new InvalidActionHandlerError(
        `${source}: action name ${JSON.stringify(action.name)} must be snake_case (${ACTION_NAME}).`,
      );
    }
    if (RESERVED_NAMES.has(action.name)) {
      throw new InvalidActionHandlerError(
        `${source}: action name '${action.name}' is reserved: GET /v1/cluster/actions/${action.name} is another route.`,
      );
    }
    if (!(Number.isInteger(action.timeoutMs) && action.timeoutMs > 0)) {
      throw new InvalidActionHandlerError(
        `${source}: timeoutMs of action '${action.name}' must be a positive integer.`,
      );
    }
    const badStep = action.steps.find(
      (step, index) => !ACTION_NAME.test(step) || action.steps.indexOf(step) !== index,
    );
    if (badStep !== undefined) {
      throw new InvalidActionHandlerError(
        `${source}: step ${JSON.stringify(badStep)} of action '${action.name}' must be snake_case (${ACTION_NAME}) and declared once.`,
      );
    }
    const registered = this.sources.get(action.name);
    if (registered !== undefined) {
      throw new InvalidActionHandlerError(
        `${source}: action '${action.name}' is already registered by another handler (${registered}).`,
      );
    }
    this.actions.set(action.name, action);
    this.sources.set(action.name, source);
  }

  get(name: string): RegisteredAction | undefined {
    return this.actions.get(name);
  }

  /** The action type named `name`; 400 `unknown_action` when there is none. */
  require(name: string): RegisteredAction {
    const action = this.actions.get(name);
    if (!action) throw new UnknownActionError(name);
    return action;
  }

  names(): string[] {
    return [...this.actions.keys()].sort();
  }
}
