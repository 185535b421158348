// One request header read from node's `rawHeaders` list. `request.headers` is built on first access
// (a lookup object of every header, lower-cased): the hot path needs two headers at most, and an
// operation without header parameters or security need not pay for the rest (bench/README.md).
import type { IncomingMessage } from 'node:http';

/**
 * The value of header `name` (lower-case), or undefined. A header sent more than once is answered
 * from `request.headers`, so node's rules for combining duplicates still apply.
 */
export function rawHeader(request: IncomingMessage, name: string): string | undefined {
  const raw = request.rawHeaders;
  let found: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i];
    if (key.length !== name.length || !sameLowerCase(key, name)) continue;
    if (found !== undefined) {
      const combined = request.headers[name];
      return Array.isArray(combined) ? combined.join(', ') : combined;
    }
    found = raw[i + 1];
  }
  return found;
}

/** `key.toLowerCase() === lower` for ASCII `lower` of the same length, without making the lower-cased copy. */
function sameLowerCase(key: string, lower: string): boolean {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    // A-Z → a-z; anything else must be equal as it is.
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}
