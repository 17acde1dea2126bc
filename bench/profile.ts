import { readFile } from 'node:fs/promises';

/** The parts of a V8 .cpuprofile (as `node --cpu-prof` writes it) that self time needs. */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  }[];
  /** The node on top of the stack at each sample. */
  readonly samples: readonly number[];
}

const IDLE = '(idle)';

/** Where a function lives, short: a package and file for dependencies, the path for the service. */
function place(url: string, line: number): string {
  if (!url) return '';
  const short = url.replace(/^file:\/\/.*?\/node_modules\//, '').replace(/^file:\/\/.*?\/dist\//, 'dist/');
  return ` ${short}:${line + 1}`;
}

/**
 * The functions that were on top of the stack most often (self time), as lines of a report. Shares are of the
 * busy samples: idle time says nothing about where the work goes.
 */
export async function topSelfTime(file: string, count: number): Promise<string[]> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const names = new Map(
    profile.nodes.map(({ id, callFrame: { functionName, url, lineNumber } }) => [
      id,
      `${functionName || '(anonymous)'}${place(url, lineNumber)}`,
    ]),
  );
  const hits = new Map<string, number>();
  let busy = 0;
  for (const id of profile.samples) {
    const name = names.get(id) ?? '?';
    if (name === IDLE) continue;
    busy++;
    hits.set(name, (hits.get(name) ?? 0) + 1);
  }
  return [...hits]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, samples]) => `${((100 * samples) / busy).toFixed(1).padStart(5)}%  ${name}`);
}
