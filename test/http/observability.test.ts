// Observability: JSON request logs (request id, operationId, status, duration), Prometheus metrics at
// /metrics, pretty logs for people at a terminal.
import { spawn } from 'node:child_process';
import { createServer as createNetServer } from 'node:net';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Counter, Registry } from 'prom-client';
import { type CreateServerOptions, HttpError } from '../../src';
import { cliLogger, wantsPretty } from '../../src/observability/pretty';
import { start, type Started } from '../helpers/server';

const json = (schema: object) => ({ 'application/json': { schema } });
const SPEC = {
  openapi: '3.0.3',
  info: { title: 'Observability', version: '1.0.0' },
  paths: {
    '/pets/{petId}': {
      get: {
        operationId: 'getPet',
        parameters: [{ name: 'petId', in: 'path', required: true, schema: { type: 'integer' } }],
        responses: {
          '200': { description: 'ok', content: json({ type: 'object', required: ['id', 'name'], properties: { id: { type: 'integer' }, name: { type: 'string' } } }) },
          '404': { description: 'no such pet' },
        },
      },
    },
    '/broken': { get: { operationId: 'broken', responses: { '200': { description: 'ok', content: json({ type: 'object', required: ['id'] }) } } } },
    '/boom': { get: { operationId: 'boom', responses: { '200': { description: 'ok' } } } },
  },
};

const handlers: CreateServerOptions['handlers'] = {
  getPet: (input: { petId: number }, ctx) => {
    ctx.log.info({ petId: input.petId }, 'looking the pet up');
    if (input.petId === 404) throw new HttpError(404);
    return { id: input.petId, name: 'Rex' };
  },
  broken: () => ({ name: 'no id' }),
  boom: () => {
    throw new Error('the handler broke');
  },
};

/** A pino logger writing JSON lines into an array. */
function capture() {
  const lines: any[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

/** Reads one sample's value from Prometheus exposition text: `name{a="b",...} value`. */
function sample(text: string, name: string, labels: Record<string, string | number>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && line.split(' ')[0] !== name) continue;
    const labelText = line.slice(name.length + 1, line.lastIndexOf('}'));
    if (wanted.every((pair) => labelText.split(',').includes(pair))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('request logs', () => {
  let api: Started;
  const { lines, logger } = capture();
  beforeAll(async () => {
    api = await start({ spec: SPEC, handlers, logger });
  });
  afterAll(() => api.close());
  const requestLine = (reqId: string) => lines.find((l) => l.msg === 'request' && l.reqId === reqId);

  it('logs one JSON line per request: request id, operationId, method, url, status, duration in ms', async () => {
    const answer = await api.request('GET', '/pets/7?x=1', { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(answer.headers.get('x-request-id')).toBe('trace-abc.123');
    const line = requestLine('trace-abc.123');
    expect(line).toMatchObject({ level: 30, msg: 'request', reqId: 'trace-abc.123', operationId: 'getPet', method: 'GET', url: '/pets/7?x=1', status: 200 });
    expect(typeof line.ms).toBe('number');
    expect(line.ms).toBeGreaterThanOrEqual(0);
    expect(typeof line.time).toBe('number');
  });

  it('generates a request id when none (or an unsafe one) is sent, and echoes it', async () => {
    const ids = new Set<string>();
    for (const sent of [undefined, 'has spaces and "quotes"', 'x'.repeat(200)]) {
      const answer = await api.request('GET', '/pets/8', { headers: sent === undefined ? {} : { 'x-request-id': sent } });
      const id = answer.headers.get('x-request-id')!;
      expect(id).toMatch(/^[0-9a-z]{8,11}$/);
      expect(requestLine(id)).toMatchObject({ operationId: 'getPet', status: 200 });
      ids.add(id);
    }
    expect(ids.size).toBe(3);
  });

  it("gives the handler's ctx.log the request id and operationId", async () => {
    await api.request('GET', '/pets/9', { headers: { 'x-request-id': 'handler-log' } });
    expect(lines.find((l) => l.msg === 'looking the pet up' && l.petId === 9)).toMatchObject({ reqId: 'handler-log', operationId: 'getPet', petId: 9 });
  });

  it('logs a failing handler at error with its stack and the request id; the 500 carries the id', async () => {
    const answer = await api.request('GET', '/boom', { headers: { 'x-request-id': 'boom-1' } });
    expect(answer.status).toBe(500);
    expect(answer.headers.get('x-request-id')).toBe('boom-1');
    const error = lines.find((l) => l.level === 50 && l.reqId === 'boom-1');
    expect(error).toMatchObject({ operationId: 'boom', msg: 'handler boom failed' });
    expect(error.err.stack).toContain('the handler broke');
    expect(requestLine('boom-1')).toMatchObject({ status: 500, operationId: 'boom' });
  });

  it("keeps a handler error's stack frames after refused requests, whose own errors carry none", async () => {
    // specbind makes its refusals (400, 404, 413…) without a stack trace; the limit it lowers for that
    // must be back before anything else makes an error.
    const limit = Error.stackTraceLimit;
    expect((await api.request('GET', '/pets/abc')).status).toBe(400);
    expect((await api.request('GET', '/nowhere')).status).toBe(404);
    expect(Error.stackTraceLimit).toBe(limit);
    expect(HttpError.of('validationFailed', 'no').stack).toBe('HttpError: no');
    expect(new HttpError(404, 'gone').stack).toMatch(/\n\s+at /);
    await api.request('GET', '/boom', { headers: { 'x-request-id': 'boom-after-400' } });
    const error = lines.find((l) => l.level === 50 && l.reqId === 'boom-after-400');
    expect(error.err.stack).toMatch(/the handler broke\n\s+at /);
  });

  it('logs requests that match no operation without an operationId', async () => {
    await api.request('GET', '/nowhere', { headers: { 'x-request-id': 'lost-1' } });
    const line = requestLine('lost-1');
    expect(line).toMatchObject({ status: 404, url: '/nowhere' });
    expect(line.operationId).toBeUndefined();
  });
});

describe('GET /metrics', () => {
  let api: Started;
  beforeAll(async () => {
    api = await start({ spec: SPEC, handlers });
  });
  afterAll(() => api.close());

  it('serves Prometheus text: request count and duration histogram by operationId, method and status', async () => {
    await api.request('GET', '/pets/1');
    await api.request('GET', '/pets/2');
    await api.request('GET', '/pets/404');
    await api.request('HEAD', '/pets/3');
    await api.request('GET', '/pets/not-a-number');
    const answer = await api.request('GET', '/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = answer.text;
    expect(text).toContain('# TYPE specbind_http_request_duration_seconds histogram');
    const count = (labels: Record<string, string | number>) => sample(text, 'specbind_http_request_duration_seconds_count', labels);
    expect(count({ operationId: 'getPet', method: 'GET', status: 200 })).toBe(2);
    expect(count({ operationId: 'getPet', method: 'GET', status: 404 })).toBe(1);
    expect(count({ operationId: 'getPet', method: 'GET', status: 400 })).toBe(1);
    expect(count({ operationId: 'getPet', method: 'HEAD', status: 200 })).toBe(1);
    expect(sample(text, 'specbind_http_request_duration_seconds_bucket', { operationId: 'getPet', method: 'GET', status: 200, le: '+Inf' })).toBe(2);
    expect(sample(text, 'specbind_http_request_duration_seconds_sum', { operationId: 'getPet', method: 'GET', status: 200 })).toBeGreaterThan(0);
  });

  it('counts requests that match no operation under operationId="(none)"', async () => {
    await api.request('GET', '/nowhere');
    await api.request('DELETE', '/pets/1');
    const text = (await api.request('GET', '/metrics')).text;
    expect(sample(text, 'specbind_http_request_duration_seconds_count', { operationId: '(none)', method: 'GET', status: 404 })).toBe(1);
    expect(sample(text, 'specbind_http_request_duration_seconds_count', { operationId: '(none)', method: 'DELETE', status: 405 })).toBe(1);
  });

  it('counts response-validation failures by operationId, every served operation starting at 0', async () => {
    const before = (await api.request('GET', '/metrics')).text;
    expect(sample(before, 'specbind_response_validation_failures_total', { operationId: 'getPet' })).toBe(0);
    expect(sample(before, 'specbind_response_validation_failures_total', { operationId: 'broken' })).toBe(0);
    expect((await api.request('GET', '/broken')).status).toBe(500);
    expect((await api.request('GET', '/broken')).status).toBe(500);
    const after = (await api.request('GET', '/metrics')).text;
    expect(sample(after, 'specbind_response_validation_failures_total', { operationId: 'broken' })).toBe(2);
    expect(sample(after, 'specbind_http_request_duration_seconds_count', { operationId: 'broken', method: 'GET', status: 500 })).toBe(2);
  });

  it('includes the process metrics', async () => {
    const text = (await api.request('GET', '/metrics')).text;
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(text).toMatch(new RegExp(`^${name} `, 'm'));
    }
    // The GC histogram is opt-in (metrics-gc.test.ts).
    expect(text).not.toContain('nodejs_gc_duration_seconds');
  });

  it('counts failures under responseValidation: warn too, where the response is sent anyway', async () => {
    const warn = await start({ spec: SPEC, handlers, responseValidation: 'warn' });
    try {
      expect((await warn.request('GET', '/broken')).status).toBe(200);
      expect(sample((await warn.request('GET', '/metrics')).text, 'specbind_response_validation_failures_total', { operationId: 'broken' })).toBe(1);
    } finally {
      await warn.close();
    }
  });
});

describe('metrics options', () => {
  it('metrics: false serves no /metrics (404) and records nothing', async () => {
    const api = await start({ spec: SPEC, handlers, metrics: false });
    try {
      await api.request('GET', '/pets/1');
      expect((await api.request('GET', '/metrics')).status).toBe(404);
    } finally {
      await api.close();
    }
  });

  it('moves the endpoint with { path }, leaves out process metrics with { processMetrics: false }', async () => {
    const api = await start({ spec: SPEC, handlers, metrics: { path: '/internal/metrics', processMetrics: false } });
    try {
      await api.request('GET', '/pets/1');
      expect((await api.request('GET', '/metrics')).status).toBe(404);
      const text = (await api.request('GET', '/internal/metrics')).text;
      expect(sample(text, 'specbind_http_request_duration_seconds_count', { operationId: 'getPet', method: 'GET', status: 200 })).toBe(1);
      expect(text).not.toContain('process_cpu');
    } finally {
      await api.close();
    }
  });

  it("registers in the application's registry when given one, serving its metrics beside specbind's", async () => {
    const registry = new Registry();
    const orders = new Counter({ name: 'shop_orders_total', help: 'orders', registers: [registry] });
    orders.inc(3);
    const api = await start({ spec: SPEC, handlers, metrics: { registry, processMetrics: false } });
    try {
      await api.request('GET', '/pets/1');
      const text = (await api.request('GET', '/metrics')).text;
      expect(text).toMatch(/^shop_orders_total 3$/m);
      expect(sample(text, 'specbind_http_request_duration_seconds_count', { operationId: 'getPet', method: 'GET', status: 200 })).toBe(1);
      expect(await registry.getSingleMetricAsString('specbind_http_request_duration_seconds')).toContain('operationId="getPet"');
    } finally {
      await api.close();
    }
  });

  it("yields to the document: an operation at /metrics is the document's", async () => {
    const spec = { ...SPEC, paths: { ...SPEC.paths, '/metrics': { get: { operationId: 'myMetrics', responses: { '200': { description: 'ok', content: json({ type: 'object' }) } } } } } };
    const api = await start({ spec, handlers: { ...handlers, myMetrics: () => ({ mine: true }) } });
    try {
      expect((await api.request('GET', '/metrics')).json).toEqual({ mine: true });
    } finally {
      await api.close();
    }
  });
});

describe('pretty logs at a terminal (CLI only)', () => {
  const saved = process.env.LOG_FORMAT;
  afterEach(() => {
    if (saved === undefined) delete process.env.LOG_FORMAT;
    else process.env.LOG_FORMAT = saved;
  });

  it('is chosen by a TTY stdout, and LOG_FORMAT=json|pretty overrides', () => {
    expect(wantsPretty({ isTTY: true }, undefined)).toBe(true);
    expect(wantsPretty({ isTTY: false }, undefined)).toBe(false);
    expect(wantsPretty({ isTTY: true }, 'json')).toBe(false);
    expect(wantsPretty({ isTTY: false }, 'pretty')).toBe(true);
  });

  it('keeps JSON (the option unchanged) off a terminal and a logger given by the config file', () => {
    delete process.env.LOG_FORMAT;
    const notTty = { isTTY: false } as NodeJS.WriteStream;
    expect(cliLogger({ level: 'debug' }, notTty)).toEqual({ level: 'debug' });
    const own = pino({ level: 'warn' });
    expect(cliLogger(own, { isTTY: true } as NodeJS.WriteStream)).toBe(own);
    const pretty = cliLogger({ level: 'debug' }, { isTTY: true } as NodeJS.WriteStream) as pino.Logger;
    expect(typeof pretty.child).toBe('function');
    expect(pretty.level).toBe('debug');
  });

  it('prints `GET /path → status in ms` lines from `specbind serve` (LOG_FORMAT=pretty stands in for a terminal)', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createNetServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const root = path.join(__dirname, '../..');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--spec', 'test/fixtures/shutdown/openapi.yaml', '--handlers', 'test/fixtures/shutdown/handlers', '--port', String(port)], {
      cwd: root,
      env: { ...process.env, LOG_FORMAT: 'pretty', LOG_LEVEL: 'info', SLOW_MS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 20_000;
      while (!out.includes('specbind serving') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const answer = await fetch(`http://127.0.0.1:${port}/slow?n=5`, { headers: { 'x-request-id': 'pretty-1' } });
      expect(answer.status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toMatch(/INFO.*: GET \/slow\?n=5 → 200 in [\d.]+ ms\n\s+reqId: "pretty-1"\n\s+operationId: "slow"/);
      expect(out).not.toMatch(/^\{"level"/m);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
