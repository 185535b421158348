import type { IncomingMessage } from 'node:http';
import { rawHeader } from '../../src/core/raw-headers';

/** A stand-in with node's two views of the headers: the raw list and the combined object. */
function request(raw: string[], headers: Record<string, string | string[]> = {}): IncomingMessage {
  return { rawHeaders: raw, headers } as unknown as IncomingMessage;
}

describe('rawHeader', () => {
  it('finds a header whatever the case it was sent in', () => {
    expect(rawHeader(request(['Host', 'x', 'X-Request-ID', 'abc']), 'x-request-id')).toBe('abc');
    expect(rawHeader(request(['accept', 'application/json']), 'accept')).toBe('application/json');
  });

  it('is undefined for a header not sent', () => {
    expect(rawHeader(request(['Host', 'x']), 'accept')).toBeUndefined();
    // Same length as the name asked for, but a different name: no match.
    expect(rawHeader(request(['Accepx', 'a', 'ACCEP[', 'b']), 'accept')).toBeUndefined();
    expect(rawHeader(request([]), 'accept')).toBeUndefined();
  });

  it('combines a repeated header as node does', () => {
    const repeated = request(['Accept', 'text/html', 'accept', 'application/json'], { accept: 'text/html, application/json' });
    expect(rawHeader(repeated, 'accept')).toBe('text/html, application/json');
  });
});
