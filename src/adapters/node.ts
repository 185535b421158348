// node:http adapter: translates only. The core answers with a neutral response; this writes it.
import { Buffer } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OutgoingResponse } from '../core/respond';
import { lingerOnClose } from './linger';

/** The core: answers a request by calling `done` with the response to write (it never throws at the caller). */
export type CoreHandler = (request: IncomingMessage, done: (response: OutgoingResponse) => void) => void;

export function writeResponse(res: ServerResponse, response: OutgoingResponse): void {
  if (res.headersSent) return;
  const headers: Record<string, string | string[] | number> = response.headers;
  if (response.body !== undefined) headers['content-length'] = Buffer.byteLength(response.body);
  else if (response.status !== 204 && response.status !== 304) headers['content-length'] = 0;
  // A refusal that closes the connection while the body is still arriving (413) lingers, so the
  // client reads the answer instead of a reset.
  if (headers.connection === 'close' && !res.req.complete && res.req.httpVersionMajor === 1) lingerOnClose(res.req.socket);
  res.writeHead(response.status, headers);
  res.end(response.body);
}

/** `(req, res)` for `http.createServer`. */
export function nodeHandler(core: CoreHandler): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    try {
      core(req, (response) => writeResponse(res, response));
    } catch {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/problem+json' });
        res.end('{"type":"about:blank","title":"Internal Server Error","status":500}');
      }
    }
  };
}
