// Fetch API adapter: `server.fetch(request) => Promise<Response>`, the handler Bun.serve, Deno.serve,
// Hono's `app.mount()` and edge runtimes call. Translates only: the web Request into the core's
// neutral request, the core's neutral response into a web Response, a streamed body into a web
// ReadableStream pulled as fast as the runtime sends it (its cancel() closes the source).
import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import type { CoreHandler } from './node';
import type { Responder } from '../core/pipeline';
import type { OutgoingResponse, ResponseStream, StreamOutcome } from '../http/response';
import { HttpError } from '../errors';
import type { CoreRequest, RequestBody } from '../http/request';
import { isNodeReadable } from '../replies/bodies';
import { closeSource } from '../replies/streams';

/** Headers a Fetch runtime owns (the connection is its business): never set from a response. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);

export type FetchHandler = (request: Request) => Promise<Response>;

/** The core as a Fetch handler. Never rejects: what cannot be answered otherwise is a plain 500. */
export function fetchHandler(core: CoreHandler): FetchHandler {
  return (request) =>
    new Promise<Response>((resolve) => {
      const exchange = new FetchExchange(request, resolve);
      try {
        core(exchange, exchange);
      } catch {
        resolve(new Response('{"type":"about:blank","title":"Internal Server Error","status":500}', { status: 500, headers: { 'content-type': 'application/problem+json' } }));
      }
    });
}

const encoder = new TextEncoder();

/** A web Request as the core's request, body and responder. */
class FetchExchange implements CoreRequest, RequestBody, Responder {
  /**
   * Whether all of the body is in (or there is none); undefined until someone asks. Not read from
   * `request.body` up front: Deno builds a ReadableStream on that read, and `arrayBuffer()` then
   * collects the body through it (a bare Deno.serve POST 84k → 65k req/s).
   */
  private arrived: boolean | undefined;
  private readonly waiting: Array<() => void> = [];
  private sent = false;
  private headers?: Headers;
  /** The whole answer has been handed over (a body that is not a stream): an abort now is no client leaving. */
  private delivered = false;

  constructor(
    private readonly request: Request,
    private readonly resolve: (response: Response) => void,
  ) {}

  get method(): string {
    return this.request.method;
  }

  /** Absolute (`http://host/a?b`): the core takes the path and query from it. */
  get url(): string {
    return this.request.url;
  }

  /** The runtime has parsed the request line and Host already. */
  get requiresHost(): boolean {
    return false;
  }

  header(name: string): string | undefined {
    // The Headers object fetched once: under Bun each `request.headers` read crosses into native code.
    return (this.headers ??= this.request.headers).get(name) ?? undefined;
  }

  get body(): RequestBody {
    return this;
  }

  get original(): Request {
    return this.request;
  }

  read(limit: number, done: (error: unknown, bytes?: Buffer) => void): void {
    const lengthHeader = this.request.headers.get('content-length');
    const declared = lengthHeader === null ? NaN : Number(lengthHeader);
    if (declared > limit) {
      done(HttpError.of('payloadTooLarge', `the body is ${declared} bytes; the limit is ${limit}`));
      return;
    }
    if (Number.isFinite(declared)) {
      // A declared length within the limit: the runtime reads the whole body natively, ~3× faster
      // under Bun than pulling it through a reader. A body longer than it declared is the runtime's
      // protocol error; the size is checked again all the same.
      this.request.arrayBuffer().then(
        (buffer) => {
          this.finished();
          if (buffer.byteLength > limit) done(HttpError.of('payloadTooLarge', `the body is over the limit of ${limit} bytes`));
          else done(undefined, Buffer.from(buffer));
        },
        (error: unknown) => {
          this.finished();
          done(error);
        },
      );
      return;
    }
    const body = this.request.body;
    if (!body) {
      this.finished();
      done(undefined, Buffer.alloc(0));
      return;
    }
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    const pull = (): void => {
      reader.read().then(
        ({ done: end, value }) => {
          if (end) {
            this.finished();
            done(undefined, chunks.length === 1 ? Buffer.from(chunks[0].buffer, chunks[0].byteOffset, chunks[0].byteLength) : Buffer.concat(chunks, size));
            return;
          }
          size += value.byteLength;
          if (size > limit) {
            void reader.cancel().catch(() => undefined);
            this.finished();
            done(HttpError.of('payloadTooLarge', `the body is over the limit of ${limit} bytes`));
            return;
          }
          chunks.push(value);
          pull();
        },
        (error: unknown) => {
          this.finished();
          done(error);
        },
      );
    };
    pull();
  }

  stream(): Readable {
    const body = this.request.body;
    if (!body) return Readable.from([]);
    const readable = Readable.fromWeb(body as import('node:stream/web').ReadableStream);
    readable.once('end', () => this.finished());
    readable.once('close', () => this.finished());
    return readable;
  }

  get complete(): boolean {
    return (this.arrived ??= this.request.body === null);
  }

  /** Nothing to close: the runtime owns the connection and reads (or drops) what is left. */
  get pending(): boolean {
    return false;
  }

  onComplete(listener: () => void): void {
    if (this.complete) queueMicrotask(listener);
    else this.waiting.push(listener);
  }

  get parsed(): undefined {
    return undefined;
  }

  send(response: OutgoingResponse): void {
    if (this.sent) return;
    this.sent = true;
    if (!response.stream) this.delivered = true;
    // `request.signal` only for a stream: Deno makes the signal on first access, which cost a GET ~9 µs
    // under Deno.serve (50k → 92k req/s, bench/runtimes.ts).
    this.resolve(toWebResponse(response, this.request.method === 'HEAD', () => this.request.signal));
  }

  /**
   * The client went away: the runtime aborts the request's signal. Deno (by default) also aborts it
   * once a response has been delivered, which is no client leaving: ignored then.
   */
  watch(listener: () => void): void {
    this.request.signal.addEventListener('abort', () => this.delivered || listener(), { once: true });
  }

  private finished(): void {
    if (this.arrived) return;
    this.arrived = true;
    for (const listener of this.waiting.splice(0)) listener();
  }
}

function toWebResponse(response: OutgoingResponse, head: boolean, signal: () => AbortSignal): Response {
  const declared = typeof response.headers['content-length'] === 'string' ? response.headers['content-length'] : undefined;
  const bodiless = head || response.status === 204 || response.status === 304;
  let web: Response;
  let length: string | undefined;
  if (response.stream) {
    web = new Response(webStream(response.stream, signal()), { status: response.status });
    length = response.stream.length !== undefined ? String(response.stream.length) : declared;
  } else if (response.body !== undefined && !bodiless) {
    web = new Response(response.body, { status: response.status });
    length = declared;
  } else {
    web = new Response(null, { status: response.status });
    length = response.body !== undefined ? String(Buffer.byteLength(response.body)) : declared;
  }
  // The headers are added to the Response made, not given in its init: Deno's constructor takes ~2 µs
  // for an init with any header but Content-Type (0.35 µs set one by one), Bun's ~0.2 µs more for
  // pairs (bench/README.md, "The Fetch adapter's headers"). `set` for Content-Type replaces the one a
  // runtime adds for a text body; the core's other names are lower case and unique.
  const headers = web.headers;
  for (const name of Object.keys(response.headers)) {
    if (HOP_BY_HOP.has(name) || name === 'content-length') continue;
    const value = response.headers[name];
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  if (length !== undefined) headers.set('content-length', length);
  return web;
}

/**
 * A streamed body as a web ReadableStream, pulled chunk by chunk (the runtime pulls as fast as the
 * client reads: backpressure). The runtime's cancel() (the client went away) closes the source; a
 * failing source errors the stream, which the runtime sends as an incomplete body.
 */
function webStream(stream: ResponseStream, signal: AbortSignal): ReadableStream<Uint8Array> {
  const source = stream.source;
  const iterator: AsyncIterator<Uint8Array | string> = isNodeReadable(source) ? source[Symbol.asyncIterator]() : source;
  let bytes = 0;
  let done = false;
  let writes = 0;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  const finish = (outcome: StreamOutcome) => {
    if (done) return;
    done = true;
    clearInterval(heartbeat);
    stream.stop = undefined;
    signal.removeEventListener('abort', onAbort);
    stream.ended?.(outcome);
  };
  const onAbort = () => {
    closeSource(isNodeReadable(source) ? source : iterator);
    finish({ kind: 'closed', bytes });
  };
  signal.addEventListener('abort', onAbort, { once: true });
  return new ReadableStream<Uint8Array>({
    start(controller) {
      // Shutdown: end between two chunks, cleanly.
      stream.stop = () => {
        if (done) return;
        closeSource(isNodeReadable(source) ? source : iterator);
        controller.close();
        finish({ kind: 'closed', bytes });
      };
      if (stream.heartbeat) {
        const { ms, chunk } = stream.heartbeat;
        let seen = 0;
        heartbeat = setInterval(() => {
          if (writes === seen && !done) controller.enqueue(encoder.encode(chunk));
          seen = writes;
        }, ms);
        (heartbeat as { unref?: () => void }).unref?.();
      }
    },
    async pull(controller) {
      if (done) return;
      try {
        const result = await iterator.next();
        if (done) return;
        if (result.done) {
          if (stream.length !== undefined && bytes !== stream.length) throw new RangeError(`the stream ended after ${bytes} of the ${stream.length} bytes its Content-Length announced`);
          controller.close();
          finish({ kind: 'complete', bytes });
          return;
        }
        const chunk = result.value;
        const data = typeof chunk === 'string' ? encoder.encode(chunk) : chunk instanceof Uint8Array ? chunk : undefined;
        if (!data) throw new TypeError('the stream gave something that is not bytes or text');
        bytes += data.byteLength;
        writes++;
        controller.enqueue(data);
      } catch (error) {
        if (done) return;
        closeSource(isNodeReadable(source) ? source : iterator);
        controller.error(error);
        finish({ kind: 'failed', bytes, error });
      }
    },
    cancel() {
      onAbort();
    },
  });
}
