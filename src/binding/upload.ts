// Uploads as streams: an operation whose handler is wrapped in `streamBody()` gets a binary request body
// as a Readable that specbind never buffers, read from the connection only as fast as the handler
// consumes it, with a size limit of its own (past it: the stream errors with a 413 HttpError, which is
// what the request is answered with unless the handler answers first).
import { Readable } from 'node:stream';
import { HttpError } from '../errors';
import type { Handler } from '../contract/handler';
import { CLOSE } from './body';

export interface StreamBodyOptions {
  /** Bytes the body may have at most (default 2 GiB); past it the stream errors with a 413. */
  limit?: number;
}

export const DEFAULT_STREAM_LIMIT = 2 * 1024 ** 3;

/** Marks a handler that takes its binary request body as a stream. */
export const STREAM_BODY = Symbol.for('specbind.streamBody');

export interface StreamedHandler extends Handler {
  [STREAM_BODY]: Required<StreamBodyOptions>;
}

/** A `streamBody()` handler's input: the operation's, with a binary body as the stream (other media types' bodies as parsed). */
export type StreamedInput<I> = Omit<I, 'body'> & { body: Readable | (I extends { body?: infer B } ? Exclude<B, Buffer | Uint8Array> : never) };

/**
 * `export const putArtifact = streamBody(async (input, ctx) => { await pipeline(input.body, file); ... })`:
 * for a request body declared as binary (`application/octet-stream`, a schema with `format: binary` or
 * `contentMediaType`, or none), `input.body` is a Readable of the bytes as they arrive. Other media
 * types of the operation are read, parsed and validated as usual.
 */
export function streamBody<I, C, R>(handler: (input: StreamedInput<I>, ctx: C) => R, options: StreamBodyOptions = {}): (input: I, ctx: C) => R {
  const limit = options.limit ?? DEFAULT_STREAM_LIMIT;
  if (!(Number.isFinite(limit) || limit === Infinity) || limit < 0) throw new TypeError(`streamBody: limit must be a number of bytes, got ${String(options.limit)}`);
  const wrapped = (input: I, ctx: C) => handler(input as unknown as StreamedInput<I>, ctx);
  Object.defineProperty(wrapped, STREAM_BODY, { value: { limit } });
  Object.defineProperty(wrapped, 'name', { value: handler.name });
  return wrapped;
}

export function streamBodyOptions(handler: unknown): Required<StreamBodyOptions> | undefined {
  return (handler as Partial<StreamedHandler>)[STREAM_BODY];
}

/**
 * The request's body as a Readable: nothing is read before the handler reads (a handler that answers
 * without reading leaves it to node, which discards it), then chunk by chunk with the request paused
 * while the handler is behind (backpressure to the client).
 */
export class UploadStream extends Readable {
  private received = 0;
  private started = false;
  private readonly onData = (chunk: Buffer) => {
    this.received += chunk.length;
    if (this.received > this.limit) {
      this.request.pause();
      this.destroy(HttpError.of('payloadTooLarge', `the body is over the limit of ${this.limit} bytes`, { headers: CLOSE }));
      return;
    }
    if (!this.push(chunk)) this.request.pause();
  };
  private readonly onEnd = () => this.push(null);
  private readonly onError = (error: Error) => this.destroy(error);
  private readonly onAborted = () => this.destroy(Object.assign(new Error('the client aborted the upload'), { code: 'ECONNRESET' }));

  constructor(
    private readonly request: Readable,
    readonly limit: number,
  ) {
    super();
  }

  /** Bytes received so far. */
  get bytesReceived(): number {
    return this.received;
  }

  override _read(): void {
    if (!this.started) {
      this.started = true;
      this.request.on('data', this.onData);
      this.request.on('end', this.onEnd);
      this.request.on('error', this.onError);
      this.request.on('aborted', this.onAborted);
    }
    this.request.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.request.off('data', this.onData);
    this.request.off('end', this.onEnd);
    this.request.off('error', this.onError);
    this.request.off('aborted', this.onAborted);
    callback(error);
  }
}

/** A Content-Length over the limit is refused before the handler runs. */
export function declaredOverLimit(contentLength: string | undefined, limit: number): HttpError | undefined {
  const declared = Number(contentLength);
  if (Number.isFinite(declared) && declared > limit) return HttpError.of('payloadTooLarge', `the body is ${declared} bytes; the limit is ${limit}`, { headers: CLOSE });
  return undefined;
}
