import type { Measurement } from './load.js';

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Every round's measurement of one case. */
export interface CaseRecord {
  readonly name: string;
  readonly unit: 'req/s' | 'runs/s';
  readonly rounds: Measurement[];
}

export interface CaseSummary {
  readonly name: string;
  readonly unit: string;
  readonly perSecond: number;
  readonly perSecondByRound: readonly number[];
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly rssMb?: number;
  /** Lines the server printed during the case, all rounds together. */
  readonly logLines: number;
  /** Median over rounds of (this case / the baseline in the same round); only for request cases. */
  readonly ratio?: number;
  readonly p99Ratio?: number;
}

/** Ratios are taken round by round, so that drift of the machine between rounds cancels out. */
function roundRatio(record: CaseRecord, baseline: CaseRecord, of: (m: Measurement) => number): number {
  return median(record.rounds.map((m, round) => of(m) / of(baseline.rounds[round])));
}

export function summarise(record: CaseRecord, baseline: CaseRecord): CaseSummary {
  const peaks = record.rounds.flatMap((m) => (m.rssMb === undefined ? [] : [m.rssMb]));
  const requests = record.unit === 'req/s';
  return {
    name: record.name,
    unit: record.unit,
    perSecond: median(record.rounds.map((m) => m.perSecond)),
    perSecondByRound: record.rounds.map((m) => m.perSecond),
    p50Ms: median(record.rounds.map((m) => m.p50Ms)),
    p99Ms: median(record.rounds.map((m) => m.p99Ms)),
    rssMb: peaks.length ? Math.max(...peaks) : undefined,
    logLines: record.rounds.reduce((sum, m) => sum + m.logLines, 0),
    ratio: requests ? roundRatio(record, baseline, (m) => m.perSecond) : undefined,
    p99Ratio: requests ? roundRatio(record, baseline, (m) => m.p99Ms) : undefined,
  };
}

const fixed = (value: number | undefined, digits: number): string =>
  value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits);

/** A Markdown table, so that a run can be pasted into the README as it is. */
export function table(summaries: readonly CaseSummary[]): string {
  const rows = [
    [
      'case',
      'rate (median)',
      'rate by round',
      'p50 ms',
      'p99 ms',
      'RSS MB',
      'ratio',
      'p99 ratio',
      'log lines',
    ],
    ...summaries.map((s) => [
      s.name,
      `${fixed(s.perSecond, 0)} ${s.unit}`,
      s.perSecondByRound.map((value) => fixed(value, 0)).join(' / '),
      fixed(s.p50Ms, 1),
      fixed(s.p99Ms, 1),
      fixed(s.rssMb, 0),
      fixed(s.ratio, 2),
      fixed(s.p99Ratio, 2),
      String(s.logLines),
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row: readonly string[]): string =>
    `| ${row.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  return [line(rows[0]), line(widths.map((width) => '-'.repeat(width))), ...rows.slice(1).map(line)].join(
    '\n',
  );
}

/** A target from issue 5, checked against one run. */
export interface Goal {
  readonly what: string;
  readonly value: number | undefined;
  readonly limit: number;
  /** Whether the value must stay at or above the limit (a ratio) or at or below it (a latency, a size). */
  readonly atLeast: boolean;
}

export function goalMet(goal: Goal): boolean {
  if (goal.value === undefined) return false;
  return goal.atLeast ? goal.value >= goal.limit : goal.value <= goal.limit;
}

export function describeGoal(goal: Goal): string {
  const verdict = goalMet(goal) ? 'met   ' : 'MISSED';
  return `${verdict} ${goal.what}: ${fixed(goal.value, 3)} (${goal.atLeast ? '>=' : '<='} ${goal.limit})`;
}
