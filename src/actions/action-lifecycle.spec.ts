import {
  ACTION_STATUSES,
  assertTransition,
  canTransition,
  IllegalTransitionError,
  isTerminal,
  TERMINAL_STATUSES,
  type ActionStatus,
} from './action-lifecycle.js';

/** The Redis Enterprise state diagram, written out edge by edge, plus queued -> aborted (ours). */
const LEGAL: readonly (readonly [ActionStatus, ActionStatus])[] = [
  ['queued', 'starting'],
  ['queued', 'cancelled'],
  ['queued', 'aborted'],
  ['starting', 'running'],
  ['starting', 'cancelling'],
  ['starting', 'aborted'],
  ['running', 'completed'],
  ['running', 'failed'],
  ['running', 'cancelling'],
  ['running', 'aborted'],
  ['cancelling', 'cancelled'],
];

const ALL_PAIRS = ACTION_STATUSES.flatMap((from) => ACTION_STATUSES.map((to) => [from, to] as const));

describe('action lifecycle', () => {
  it.each(ALL_PAIRS)('%s -> %s is legal exactly when the diagram has it', (from, to) => {
    const legal = LEGAL.some(([a, b]) => a === from && b === to);
    expect(canTransition(from, to)).toBe(legal);
    if (legal) expect(() => assertTransition(from, to)).not.toThrow();
    else expect(() => assertTransition(from, to)).toThrow(IllegalTransitionError);
  });

  it('has exactly the four terminal states, which lead nowhere', () => {
    expect([...TERMINAL_STATUSES].sort()).toEqual(['aborted', 'cancelled', 'completed', 'failed']);
    for (const status of ACTION_STATUSES) {
      expect(isTerminal(status)).toBe(TERMINAL_STATUSES.includes(status));
    }
  });

  it('names both ends of an illegal transition', () => {
    expect(() => assertTransition('completed', 'running')).toThrow(
      'Illegal action status transition completed -> running',
    );
  });

  it('reaches a terminal state from every state', () => {
    const reachesEnd = (status: ActionStatus, seen = new Set<ActionStatus>()): boolean =>
      isTerminal(status) ||
      ACTION_STATUSES.some(
        (next) =>
          !seen.has(next) && canTransition(status, next) && reachesEnd(next, new Set([...seen, status])),
      );
    for (const status of ACTION_STATUSES) expect(reachesEnd(status)).toBe(true);
  });
});
