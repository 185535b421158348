// The request as every layer below the adapters reads it, whatever carried it (node:http, Express, a
// Fetch API Request under Bun, Deno or an edge runtime). Adapters translate their own request into
// this and nothing else; the core never imports an adapter (STYLE principle 3).
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';

/** The adapter's own request object, handed to handlers as `ctx.request`: node's (or Express's), or a Fetch `Request`. */
export type NativeRequest = IncomingMessage | Request;

export interface CoreRequest {
  readonly method: string;
  /** The request target as sent: origin-form (`/a?b`) or absolute-form (`http://host/a?b`). */
  readonly url: string;
  /** True when the protocol requires a Host header (HTTP/1.1): one without it is a 400. */
  readonly requiresHost: boolean;
  /** A request header by its lower-case name; several of one name combined as node combines them. */
  header(name: string): string | undefined;
  readonly body: RequestBody;
  /** What the adapter was given: `ctx.request`. */
  readonly original: NativeRequest;
}

/** A request's body: read whole within a limit, or as a stream, or already parsed by a framework in front. */
export interface RequestBody {
  /**
   * Reads all of it, refusing (413, `payloadTooLarge`) as soon as it passes `limit`; `done` is called
   * once. A callback, not a promise: the POST path reads this way (each promise hop per request is
   * measurable at 50k req/s).
   */
  read(limit: number, done: (error: unknown, bytes?: Buffer) => void): void;
  /** Its bytes as a Node stream, read only as fast as they are consumed (multipart, streamed uploads). */
  stream(): Readable;
  /** True once all of it has arrived (or there is none). */
  readonly complete: boolean;
  /** True while part of it is still on its way: an answer sent now must close the connection. */
  readonly pending: boolean;
  /** `listener` is called when it has all arrived, or the request is gone. */
  onComplete(listener: () => void): void;
  /** What a framework in front made of it already (Express's body-parser); undefined when it is still to be read. */
  readonly parsed: { value: unknown } | undefined;
}
