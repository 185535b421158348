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
    if (key.length !== name.length || key.toLowerCase() !== name) continue;
    if (found !== undefined) {
      const combined = request.headers[name];
      return Array.isArray(combined) ? combined.join(', ') : combined;
    }
    found = raw[i + 1];
  }
  return found;
}
