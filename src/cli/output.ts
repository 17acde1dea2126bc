/** What a command writes on stdout: JSON alone with `--json`, else text for people. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Notes for people (hints, warnings) go to stderr, so stdout stays the command's answer. */
export function printNote(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** A value as a cell or field shows it: `-` for nothing, objects as JSON. */
function textOf(value: unknown): string {
  if (value === undefined || value === null) return '-';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Rows under a header, columns padded to their widest cell. */
export function printTable(header: readonly string[], rows: readonly (readonly unknown[])[]): void {
  const cells = [header, ...rows.map((row) => row.map(textOf))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  for (const row of cells)
    printLine(
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd(),
    );
}

/** One `field: value` line per field of an object. */
export function printFields(object: Readonly<Record<string, unknown>>): void {
  const width = Math.max(...Object.keys(object).map((key) => key.length));
  for (const [key, value] of Object.entries(object)) {
    if (value !== undefined) printLine(`${`${key}:`.padEnd(width + 1)} ${textOf(value)}`);
  }
}
