// The response as every layer below the adapters writes it, whatever carries it: status, headers, and
// a body as text or bytes, or a stream pulled by the adapter. Adapters translate this into their own
// response (node's ServerResponse, a Fetch API Response) and nothing else.
import type { Buffer } from 'node:buffer';
import type { Readable } from 'node:stream';

/** The neutral response every adapter writes. */
export interface OutgoingResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body?: string | Buffer;
  /** A body written over time instead of `body`. */
  stream?: ResponseStream;
}

/**
 * A streamed body, pulled by the adapter as fast as the client reads it (backpressure). The adapter
 * closes the source when the client goes away (a Node stream destroyed, an iterator's `return()`), and
 * ends the response so that the client can tell it is incomplete when the source fails.
 */
export interface ResponseStream {
  /** A Node stream (piped), or an iterator of chunks (text is written as UTF-8). */
  source: Readable | AsyncIterator<Uint8Array | string>;
  /** The byte length when it is known before the first byte (sent as Content-Length; else chunked). */
  length?: number;
  /** Written after `ms` without a write, so that proxies keep an idle stream open (SSE comments). */
  heartbeat?: { ms: number; chunk: string };
  /** A stream of items that may end between two items without harm (SSE: the client reconnects); ended so at shutdown. */
  resumable?: boolean;
  /** Told once how the stream ended (the pipeline logs and counts it). */
  ended?: (outcome: StreamOutcome) => void;
  /** Set by the adapter while it pulls: ends the stream now, cleanly (shutdown of a resumable stream). */
  stop?: () => void;
  /** The pipeline has looked for a file's length already. */
  measured?: boolean;
}

export type StreamOutcome =
  | { kind: 'complete'; bytes: number }
  /** The client went away (or the server shut down) before the end. */
  | { kind: 'closed'; bytes: number }
  /** The source failed (or gave something that is not bytes): the response was cut off. */
  | { kind: 'failed'; bytes: number; error: unknown };
