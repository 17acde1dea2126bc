/** Small DOM helpers: elements are built with properties and text, never from HTML strings. */

type Props<K extends keyof HTMLElementTagNameMap> = Partial<
  Omit<HTMLElementTagNameMap[K], 'style' | 'attributes'>
> & {
  readonly attributes?: Record<string, string>;
};

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props<K> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const { attributes, ...properties } = props;
  const element = Object.assign(document.createElement(tag), properties);
  for (const [name, value] of Object.entries(attributes ?? {})) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** An element the page must have: its absence is a bug in index.html. */
export function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`index.html has no #${id}`);
  return element as T;
}

const DATE_AND_TIME: Intl.DateTimeFormatOptions = { dateStyle: 'short', timeStyle: 'medium' };
export const TIME_ONLY: Intl.DateTimeFormatOptions = { timeStyle: 'medium' };

/** A `<time>` for an ISO 8601 instant, shown in the browser's locale and time zone. */
export function time(iso: string | undefined, style = DATE_AND_TIME): HTMLElement | string {
  if (!iso) return '—';
  return h('time', { dateTime: iso, title: iso }, new Date(iso).toLocaleString(undefined, style));
}

/** What went wrong, as the server described it when it did. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
