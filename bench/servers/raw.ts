// raw node:http with hand-written routing and checks: the limit every other variant is compared with.
// BENCH_RAW_ACCESS_LOG=1 ('raw-pino') also writes specbind's access line through a default pino logger
// (synchronous writes to stdout), when the response finishes: what the line itself costs, without specbind.
// BENCH_RAW_SPIN_US=N busy-waits N µs a request before answering: what N µs of work a request costs in
// this benchmark's figures (bench/ab.ts raw raw:BENCH_RAW_SPIN_US=2; bench/README.md "What a microsecond costs").
import { createServer, type ServerResponse } from 'node:http';
import pino from 'pino';
import { answer, HOST, isNewPet, parsePetId, PORT, ready } from './common';

function send(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const accessLog = process.env.BENCH_RAW_ACCESS_LOG === '1' ? pino({ name: 'raw' }) : undefined;
let requests = 0;
const spinMs = Number(process.env.BENCH_RAW_SPIN_US ?? 0) / 1000;

/** Busy for `ms` of wall time: work that costs only CPU, no allocation, no I/O. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

const server = createServer((req, res) => {
  if (spinMs) spin(spinMs);
  if (accessLog) {
    const started = performance.now();
    const reqId = `raw${(requests++).toString(36)}`;
    res.once('finish', () => accessLog.info({ reqId, method: req.method, url: req.url, status: res.statusCode, ms: Math.round((performance.now() - started) * 1000) / 1000 }, 'request'));
  }
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path.startsWith('/pets/') && path.indexOf('/', 6) === -1) {
    if (req.method !== 'GET') return send(res, 405, { message: 'method not allowed' });
    const petId = parsePetId(path.slice(6));
    if (petId === undefined) return send(res, 400, { message: 'petId must be an integer ≥ 1' });
    const a = answer('getPet', { petId });
    return send(res, a.status, a.body);
  }
  if (path === '/pets') {
    if (req.method !== 'POST') return send(res, 405, { message: 'method not allowed' });
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return send(res, 415, { message: 'send application/json' });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= 1 << 20) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > 1 << 20) return send(res, 413, { message: 'too large' });
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(res, 400, { message: 'malformed JSON' });
      }
      if (!isNewPet(body)) return send(res, 400, { message: 'invalid pet' });
      const a = answer('createPet', {}, body);
      send(res, a.status, a.body);
    });
    return;
  }
  send(res, 404, { message: 'not found' });
});
server.listen(PORT, HOST, () => ready(server));
