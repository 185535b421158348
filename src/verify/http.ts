// One HTTP exchange with any server, over node:http(s): exact bytes and headers out, status, headers
// and body in, within a time limit. A server that answers before reading the whole body (a 413 for an
// oversized one) is still heard: its response is kept even when the upload is cut off.
import * as http from 'node:http';
import * as https from 'node:https';

export interface WireRequest {
  method: string;
  /** Absolute URL. */
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface WireResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type Exchange = { response: WireResponse; ms: number } | { error: string; timedOut: boolean; ms: number };


/** Reads at most this much of a response body (the rest is drained). */
const MAX_BODY = 16 * 1024 * 1024;

export interface Client {
  send(request: WireRequest, timeoutMs: number): Promise<Exchange>;
  /** Closes the keep-alive sockets (so a process or a test can exit promptly). */
  close(): void;
}

export function createClient(): Client {
  const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 32 }), https: new https.Agent({ keepAlive: true, maxSockets: 32 }) };
  return {
    send: (request, timeoutMs) => send(request, timeoutMs, agents),
    close: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

function send(request: WireRequest, timeoutMs: number, agents: { http: http.Agent; https: https.Agent }): Promise<Exchange> {
  const started = Date.now();
  const url = new URL(request.url);
  const secure = url.protocol === 'https:';
  const client = secure ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    let response: WireResponse | undefined;
    const finish = (result: Exchange) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const headers: Record<string, string> = { ...request.headers };
    if (request.body) headers['content-length'] = String(request.body.length);
    const req = client.request(
      {
        method: request.method,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || (secure ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        headers,
        agent: request.body && request.body.length > 1024 * 1024 ? false : secure ? agents.https : agents.http,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_BODY) chunks.push(chunk);
        });
        res.on('end', () => {
          response = { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
          finish({ response, ms: Date.now() - started });
        });
        res.on('error', (error) => finish({ error: `response: ${error.message}`, timedOut: false, ms: Date.now() - started }));
        res.on('aborted', () => {
          response = { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
          finish({ response, ms: Date.now() - started });
        });
      },
    );
    const timer = setTimeout(() => {
      finish({ error: `no answer within ${timeoutMs} ms`, timedOut: true, ms: Date.now() - started });
      req.destroy();
    }, timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      // EPIPE/ECONNRESET while uploading: the server may already have answered; give it a moment.
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') {
        setTimeout(() => finish(response ? { response, ms: Date.now() - started } : { error: `connection closed: ${error.code}`, timedOut: false, ms: Date.now() - started }), 50);
        return;
      }
      finish({ error: error.message, timedOut: false, ms: Date.now() - started });
    });
    if (request.body) req.end(request.body);
    else req.end();
  });
}

