// node:http adapter: translates only. The core answers with a neutral response; this writes it, a
// streamed body with backpressure, and tells the core when the client goes away.
import { Buffer } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Responder } from '../core/pipeline';
import type { OutgoingResponse } from '../core/respond';
import { lingerOnClose } from './linger';
import { writeStream } from './node-stream';

/** The core: answers a request through its responder (it never throws at the caller). */
export type CoreHandler = (request: IncomingMessage, responder: Responder) => void;

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

/** A node response as the core's responder (one object per request, methods on its prototype). */
export class NodeResponder implements Responder {
  constructor(private readonly res: ServerResponse) {}

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
      core(req, new NodeResponder(res));
    } catch {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/problem+json' });
        res.end('{"type":"about:blank","title":"Internal Server Error","status":500}');
      }
    }
  };
}
