// node:http adapter: translates only. The core answers with a neutral response; this writes it (a
// streamed body with backpressure), and gives the core node's request as a neutral one. One object a
// request is both (NodeExchange): the request the core reads and the responder it answers through.
import { Buffer } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Responder } from '../core/pipeline';
import type { OutgoingResponse } from '../http/response';
import { rawHeader } from '../core/raw-headers';
import { HttpError } from '../errors';
import { CLOSE } from '../binding/body';
import type { CoreRequest, RequestBody } from '../http/request';
import { lingerOnClose } from './linger';
import { writeStream } from './node-stream';

/** The core: answers a request through its responder (it never throws at the caller). */
export type CoreHandler = (request: CoreRequest, responder: Responder) => void;

export function writeResponse(res: ServerResponse, response: OutgoingResponse): void {
  if (res.headersSent) return;
  if (response.stream) {
    writeStream(res, response, response.stream);
    return;
  }
  const headers: Record<string, string | string[] | number> = response.headers;
  if (response.body !== undefined) headers['content-length'] = Buffer.byteLength(response.body);
  else if (response.status !== 204 && response.status !== 304 && headers['content-length'] === undefined) headers['content-length'] = 0;
  // A refusal that closes the connection while the body is still arriving (413) lingers, so the
  // client reads the answer instead of a reset.
  if (headers.connection === 'close' && !res.req.complete && res.req.httpVersionMajor === 1) lingerOnClose(res.req.socket);
  res.writeHead(response.status, headers);
  res.end(response.body);
}

/** node's request and response as the core's request, body and responder (methods on the prototype: one allocation a request). */
export class NodeExchange implements CoreRequest, RequestBody, Responder {
  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    /** The URL the core routes, when a framework mounted the API under a prefix of its own (fastify). */
    private readonly mountedUrl?: string,
  ) {}

  get method(): string {
    return this.req.method ?? 'GET';
  }

  get url(): string {
    return this.mountedUrl ?? this.req.url ?? '/';
  }

  get requiresHost(): boolean {
    return this.req.httpVersionMajor === 1 && this.req.httpVersionMinor === 1;
  }

  /**
   * A GET reads from node's raw header list: `req.headers` is built on first access, and a GET needs
   * two headers at most. A request with a body asks for five or more (type, length, transfer
   * encoding, the id, Accept): building the lookup object once is cheaper than five scans
   * (bench/inprocess.ts --post). Both combine a repeated header as node does.
   */
  header(name: string): string | undefined {
    const req = this.req;
    if (req.method === 'GET') return rawHeader(req, name);
    const value = req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  get body(): RequestBody {
    return this;
  }

  get original(): IncomingMessage {
    return this.req;
  }

  read(limit: number, done: (error: unknown, bytes?: Buffer) => void): void {
    readBodyInto(this.req, limit, done);
  }

  stream(): Readable {
    return this.req;
  }

  get complete(): boolean {
    return this.req.complete;
  }

  get pending(): boolean {
    const req = this.req;
    const length = this.header('content-length');
    const hasBody = (length !== undefined && length !== '0') || this.header('transfer-encoding') !== undefined;
    if (!hasBody || req.complete) return false;
    // Arrived but not yet marked complete (node marks it a moment later): all of it is in the buffer.
    return !(length !== undefined && req.readableLength >= Number(length));
  }

  onComplete(listener: () => void): void {
    let called = false;
    const once = () => {
      if (called) return;
      called = true;
      listener();
    };
    this.req.once('end', once);
    this.req.once('close', once);
  }

  /** What Express's body-parser (in front of a mounted app) made of the body, once it has read it. */
  get parsed(): { value: unknown } | undefined {
    const req = this.req as IncomingMessage & { _body?: boolean; body?: unknown };
    if (!req.readableEnded && req._body !== true) return undefined;
    const value = req.body ?? Buffer.alloc(0);
    return { value: typeof value === 'string' ? Buffer.from(value) : value };
  }

  send(response: OutgoingResponse): void {
    writeResponse(this.res, response);
  }

  /** The client went away before the response was complete: `res` closed unfinished. */
  watch(listener: () => void): void {
    const res = this.res;
    res.once('close', () => {
      if (!res.writableFinished) listener();
    });
  }
}

/** `(req, res)` for `http.createServer`. */
export function nodeHandler(core: CoreHandler): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    try {
      const exchange = new NodeExchange(req, res);
      core(exchange, exchange);
    } catch {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/problem+json' });
        res.end('{"type":"about:blank","title":"Internal Server Error","status":500}');
      }
    }
  };
}

/**
 * Reads the whole body, refusing (413) as soon as it passes `limit`; `done` is called once, at once
 * when Content-Length already says the body is over the limit.
 */
function readBodyInto(request: IncomingMessage, limit: number, done: (error: unknown, bytes?: Buffer) => void): void {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    done(HttpError.of('payloadTooLarge', `the body is ${declared} bytes; the limit is ${limit}`, { headers: CLOSE }));
    return;
  }
  // Most bodies arrive in one chunk: a list is made for the second.
  let first: Buffer | undefined;
  let more: Buffer[] | undefined;
  let size = 0;
  let settled = false;
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) {
      request.off('data', onData);
      settled = true;
      done(HttpError.of('payloadTooLarge', `the body is over the limit of ${limit} bytes`, { headers: CLOSE }));
    } else if (first === undefined) first = chunk;
    else (more ??= [first]).push(chunk);
  };
  // The listeners stay on a finished request (it is dropped with them): removing them costs more
  // per request than the rest of this function. A client that goes away mid-body is an 'error'
  // (ECONNRESET, "aborted") on the request; a late one, after the body was read, is ignored.
  request.on('data', onData);
  request.on('end', () => {
    if (settled) return;
    settled = true;
    done(undefined, more ? Buffer.concat(more, size) : (first ?? Buffer.alloc(0)));
  });
  request.on('error', (error) => {
    if (settled) return;
    settled = true;
    done(error);
  });
}

