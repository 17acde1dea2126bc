/** Text a client sent (a URL segment), cut for an error message so that the error body stays small. */
export function shortened(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}
