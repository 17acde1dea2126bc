import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { Action } from './api-client.js';

/** Shows runs as they change. */
export interface RunDisplay {
  /** Whether stdout got a line for each change (else the final state is worth a line of its own). */
  readonly printsLines: boolean;
  show(action: Action): void;
  /** Leaves the display in its final state (the bars drawn once more, the cursor back). */
  end(): void;
}

/** On a terminal: one progress bar per action type, with its status, step and the time since it appeared. */
class ProgressBars implements RunDisplay {
  readonly printsLines = false;
  private readonly bars = new Map<string, { bar: SingleBar; actionUid: string }>();
  private readonly multiBar = new MultiBar(
    {
      format: '{name} [{bar}] {percentage}% | {status} | {step} | {duration_formatted}',
      hideCursor: true,
      clearOnComplete: false,
      // Redraw on every tick, not only when the value changes, so the elapsed time keeps moving.
      forceRedraw: true,
      barsize: 30,
    },
    Presets.shades_classic,
  );

  show(action: Action): void {
    const payload = { name: action.name, status: action.status, step: action.step ?? '-' };
    const shown = this.bars.get(action.name);
    if (!shown) {
      const bar = this.multiBar.create(100, action.progress, payload);
      this.bars.set(action.name, { bar, actionUid: action.action_uid });
    } else if (shown.actionUid !== action.action_uid) {
      // A new run of the type: its own bar and clock.
      shown.bar.start(100, action.progress, payload);
      shown.actionUid = action.action_uid;
    } else {
      shown.bar.update(action.progress, payload);
    }
  }

  end(): void {
    this.multiBar.stop();
  }
}

/** The fields whose change is worth a line. */
const stateOf = (action: Action): string =>
  [action.action_uid, action.status, action.progress, action.step, action.error_code].join(' ');

/** Without a terminal: one line (text or JSON) per change of a run. */
class ChangeLines implements RunDisplay {
  readonly printsLines = true;
  private readonly last = new Map<string, string>();

  constructor(private readonly format: (action: Action) => string) {}

  show(action: Action): void {
    const state = stateOf(action);
    if (this.last.get(action.name) === state) return;
    this.last.set(action.name, state);
    process.stdout.write(`${this.format(action)}\n`);
  }

  end(): void {}
}

/** One line describing a run: `change_master running 33% sync_configuration`. */
export function describeRun(action: Action): string {
  const parts = [action.name, action.status, `${action.progress}%`];
  if (action.step) parts.push(action.step);
  if (action.error_code) parts.push(`(${action.error_code}: ${action.error_message ?? ''})`);
  return parts.join(' ');
}

const silent: RunDisplay = { printsLines: false, show: () => undefined, end: () => undefined };

/**
 * The display for a command. With `--json` stdout carries JSON only: every change for `watch`, else nothing but
 * the final object, with the bars on stderr when that is a terminal. Without it: the bars when stdout and stderr
 * are a terminal, else (output redirected to a log, a pipe) one line per change on stdout.
 */
export function createRunDisplay({ json, everyChange }: { json: boolean; everyChange: boolean }): RunDisplay {
  if (json && everyChange) return new ChangeLines((action) => JSON.stringify(action));
  if (json) return process.stderr.isTTY ? new ProgressBars() : silent;
  return process.stdout.isTTY && process.stderr.isTTY ? new ProgressBars() : new ChangeLines(describeRun);
}
