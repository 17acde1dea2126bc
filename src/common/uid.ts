const UID = /^[1-9]\d{0,8}$/;

/** A positive integer uid from a URL segment or a string field; `undefined` for anything else. */
export function parseUid(raw: string): number | undefined {
  return UID.test(raw) ? Number(raw) : undefined;
}
