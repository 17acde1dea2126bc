import { closeTimeline, enterStep, pendingTimeline, type RunStep } from './step-timeline.js';

const T1 = '2026-01-01T00:00:01.000Z';
const T2 = '2026-01-01T00:00:02.000Z';
const T3 = '2026-01-01T00:00:03.000Z';

describe('step timeline', () => {
  const fresh = pendingTimeline(['a', 'b', 'c']);

  it('starts with every declared step pending', () => {
    expect(fresh).toEqual([
      { name: 'a', status: 'pending' },
      { name: 'b', status: 'pending' },
      { name: 'c', status: 'pending' },
    ]);
  });

  it('moves forward: the running step is done, the steps jumped over are skipped', () => {
    const inA = enterStep(fresh, 'a', T1)!;
    expect(inA[0]).toEqual({ name: 'a', status: 'running', startTime: T1 });
    expect(enterStep(inA, 'c', T2)).toEqual([
      { name: 'a', status: 'done', startTime: T1, endTime: T2 },
      { name: 'b', status: 'skipped' },
      { name: 'c', status: 'running', startTime: T2 },
    ]);
  });

  it('keeps the same timeline when the running step is named again', () => {
    const inA = enterStep(fresh, 'a', T1)!;
    expect(enterStep(inA, 'a', T2)).toBe(inA);
  });

  it('refuses a step that is not declared or already passed', () => {
    expect(enterStep(fresh, 'z', T1)).toBeUndefined();
    const inB = enterStep(fresh, 'b', T1)!;
    expect(enterStep(inB, 'a', T2)).toBeUndefined();
  });

  it.each([
    ['completed', 'done'],
    ['failed', 'failed'],
    ['aborted', 'failed'],
    ['cancelled', 'cancelled'],
  ] as const)('closes a run ended %s: the running step %s, the rest skipped', (status, ended) => {
    const inB = enterStep(enterStep(fresh, 'a', T1)!, 'b', T2)!;
    expect(closeTimeline(inB, status, T3)).toEqual([
      { name: 'a', status: 'done', startTime: T1, endTime: T2 },
      { name: 'b', status: ended, startTime: T2, endTime: T3 },
      { name: 'c', status: 'skipped' },
    ]);
  });

  it('has nothing to close when no step is open', () => {
    const closed: RunStep[] = closeTimeline(fresh, 'completed', T1)!;
    expect(closeTimeline(closed, 'completed', T2)).toBeUndefined();
    expect(closeTimeline([], 'failed', T1)).toBeUndefined();
    expect(closeTimeline(undefined, 'failed', T1)).toBeUndefined();
  });
});
