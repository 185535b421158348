// What the hostile-input suites share: a raw HTTP/1.1 client that can send anything (and never waits
// longer than a bound), the checks every answer must pass, and a watch on Object.prototype.
import * as net from 'node:net';

export interface RawAnswer {
  status: number;
  /** Lower-case names; a repeated header keeps its values in order. */
  headers: Record<string, string[]>;
  body: Buffer;
  /** The body parsed as JSON, when it is JSON. */
  json: any;
  /** The raw bytes received (status line, headers, body). */
  raw: Buffer;
}

export class Hang extends Error {}

/** Bound on every exchange: a server that has not answered by then is hanging. */
export const ANSWER_WITHIN_MS = 5_000;

/**
 * Sends `bytes` on a fresh connection and reads one response. Resolves once the response is complete
 * (by its Content-Length) or the server closes; rejects with Hang after `timeoutMs`. Writing after the
 * server answered and closed (a refused upload) is not an error: the answer is what counts.
 */
export function exchange(port: number, bytes: Buffer | string | Array<Buffer | string>, timeoutMs = ANSWER_WITHIN_MS, head = false): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks);
      if (error && raw.length === 0) return reject(error);
      const parsed = parseResponse(raw, false, head);
      if (!parsed) return reject(error ?? new Error(`no complete HTTP response: ${JSON.stringify(raw.toString('latin1').slice(0, 200))}`));
      resolve(parsed);
    };
    const timer = setTimeout(() => finish(new Hang(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      // Complete by Content-Length: done without waiting for the server to close.
      const parsed = parseResponse(Buffer.concat(chunks), true, head);
      if (parsed) finish();
    });
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    socket.on('error', (error) => {
      // EPIPE / ECONNRESET after an early answer: keep what arrived.
      if (chunks.length) finish();
      else finish(error);
    });
    for (const part of Array.isArray(bytes) ? bytes : [bytes]) socket.write(part);
  });
}

/** One response from raw bytes; undefined while incomplete (`strict`: the body must be all there; `head`: there is none). */
export function parseResponse(raw: Buffer, strict = false, head = false): RawAnswer | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!status) return undefined;
  const headers: Record<string, string[]> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    (headers[name] ??= []).push(line.slice(colon + 1).trim());
  }
  const length = head ? 0 : headers['content-length'] ? Number(headers['content-length'][0]) : undefined;
  const start = end + 4;
  if (length === undefined && strict) return undefined;
  if (length !== undefined && raw.length < start + length) return undefined;
  const body = raw.subarray(start, length === undefined ? raw.length : start + length);
  let json: any;
  try {
    json = body.length ? JSON.parse(body.toString('utf8')) : undefined;
  } catch {
    json = undefined;
  }
  return { status: Number(status[1]), headers, body, json, raw };
}

export interface RequestSpec {
  method: string;
  /** The request target as sent: path and query, any bytes (latin1 string or Buffer). */
  target: string | Buffer;
  headers?: Array<[string, string | Buffer]>;
  body?: Buffer | string;
  /** Send no Content-Length for the body (the caller's headers say how long it is). */
  rawLength?: boolean;
}

/** The bytes of one HTTP/1.1 request, `Connection: close`, with a Content-Length unless told otherwise. */
export function requestBytes(spec: RequestSpec): Buffer {
  const body = spec.body === undefined ? undefined : Buffer.isBuffer(spec.body) ? spec.body : Buffer.from(spec.body, 'utf8');
  const head: Buffer[] = [Buffer.from(`${spec.method} `, 'latin1'), Buffer.isBuffer(spec.target) ? spec.target : Buffer.from(spec.target, 'latin1'), Buffer.from(' HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n', 'latin1')];
  for (const [name, value] of spec.headers ?? []) head.push(Buffer.from(`${name}: `, 'latin1'), Buffer.isBuffer(value) ? value : Buffer.from(value, 'latin1'), Buffer.from('\r\n'));
  if (body && !spec.rawLength) head.push(Buffer.from(`Content-Length: ${body.length}\r\n`));
  head.push(Buffer.from('\r\n'));
  return Buffer.concat(body ? [...head, body] : head);
}

export function send(port: number, spec: RequestSpec, timeoutMs = ANSWER_WITHIN_MS): Promise<RawAnswer> {
  return exchange(port, requestBytes(spec), timeoutMs, spec.method === 'HEAD');
}

const KNOWN_PLACES = new Set(['path', 'query', 'header', 'cookie', 'body']);

/**
 * What holds for every answer, whatever was sent: no 5xx, and every 4xx an RFC 9457 problem whose
 * validation errors each name a parameter (`in` + `name`) or a body location (`in: body` + `pointer`).
 * Returns the problem (4xx) for further checks. Throws with the request in the message.
 */
export function expectSound(answer: RawAnswer, what: string): any {
  const context = () => `${what}\n→ ${answer.status} ${answer.body.toString('utf8').slice(0, 500)}`;
  if (answer.status >= 500) throw new Error(`5xx: ${context()}`);
  if (answer.status < 400) return undefined;
  const type = answer.headers['content-type']?.[0] ?? '';
  if (!type.startsWith('application/problem+json')) throw new Error(`4xx is not problem+json (${type}): ${context()}`);
  if (answer.body.length === 0 && answer.headers['content-length']?.[0] !== '0') return undefined; // HEAD: no body to read
  const problem = answer.json;
  if (!problem || typeof problem !== 'object') throw new Error(`4xx body is not JSON: ${context()}`);
  if (problem.status !== answer.status || typeof problem.title !== 'string' || typeof problem.type !== 'string') throw new Error(`problem lacks type/title/status: ${context()}`);
  const validation = /:(validationFailed|malformedBody)$/.test(problem.type);
  if (validation) {
    if (!Array.isArray(problem.errors) || problem.errors.length === 0) throw new Error(`a validation problem without errors: ${context()}`);
    for (const error of problem.errors) {
      const named = error.in === 'body' ? typeof error.pointer === 'string' : typeof error.name === 'string' && error.name.length > 0;
      if (!KNOWN_PLACES.has(error.in) || !named || typeof error.message !== 'string') throw new Error(`an error that names no parameter or pointer: ${JSON.stringify(error)}: ${context()}`);
    }
  }
  return problem;
}

/** Object.prototype as it is now: its own keys, and whether a few tell-tale names resolve. */
export function prototypeState(): string {
  const probe: any = {};
  const tell = ['x', 'polluted', 'isAdmin', 'admin', 'hacked', 'p'].map((k) => `${k}=${String(probe[k])}`);
  return JSON.stringify({ own: Reflect.ownKeys(Object.prototype).map(String).sort(), tell, array: Reflect.ownKeys(Array.prototype).length, fn: Reflect.ownKeys(Function.prototype).map(String).sort() });
}

/** Keys the generators use to try to reach a prototype. */
export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'] as const;
