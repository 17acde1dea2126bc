/** One event of a `text/event-stream`. */
export interface StreamEvent {
  readonly id?: string;
  readonly event: string;
  readonly data: string;
}

/**
 * The `text/event-stream` format (WHATWG HTML, "Server-sent events"): lines of `field: value`, an event ending at
 * an empty line, comments starting with `:`. The few lines a library would take, without a bundler to ship one.
 */
export class EventStreamParser {
  private buffer = '';
  private id?: string;
  private event?: string;
  private data: string[] = [];

  constructor(private readonly onEvent: (event: StreamEvent) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    // Lines end with \n or \r\n (this service writes \n; a lone \r, which the format also allows, it never
    // writes). The last piece is a line still arriving.
    const lines = this.buffer.split('\n');
    this.buffer = lines.pop() ?? '';
    for (const line of lines) this.line(line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) {
        this.onEvent({ id: this.id, event: this.event ?? 'message', data: this.data.join('\n') });
      }
      this.event = undefined;
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id') this.id = value;
  }
}
