// OpenTelemetry server spans, seen through the SDK's in-memory exporter: a real server on 127.0.0.1,
// requests over HTTP, the spans the application's tracer provider received.
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, NodeTracerProvider, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { Writable } from 'node:stream';
import pino from 'pino';
import { HttpError } from '../../src';
import { RequestTracing } from '../../src/observability/tracing';
import { start, type Started } from '../helpers/server';

const SPEC = {
  openapi: '3.0.3',
  info: { title: 'Builds', version: '2.1.0' },
  paths: {
    '/builds/{image-name}': {
      get: {
        operationId: 'getBuild',
        parameters: [{ name: 'image-name', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object', properties: { image: { type: 'string' } }, required: ['image'] } } } },
          '500': { description: 'failed', content: { 'application/problem+json': { schema: { type: 'object' } } } },
          '503': { description: 'unavailable', content: { 'application/problem+json': { schema: { type: 'object' } } } },
        },
      },
      post: {
        operationId: 'startBuild',
        parameters: [{ name: 'image-name', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { tag: { type: 'string' } }, required: ['tag'] } } } },
        responses: { '202': { description: 'started', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
    '/logs': {
      get: {
        operationId: 'followLog',
        parameters: [{ name: 'fail', in: 'query', schema: { type: 'boolean', default: false } }],
        responses: { '200': { description: 'the log as it is written', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } } },
      },
    },
    '/secret': {
      get: {
        operationId: 'getSecret',
        security: [{ apiKey: [] }],
        responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } }, '401': { description: 'no' } },
      },
    },
  },
  components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' } } },
};

const appTracer = () => trace.getTracer('the-app');
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Handlers that make spans of their own, as an application does around its database calls. */
const handlers = {
  getBuild: async (input: any, ctx: any) => {
    if (input.imageName === 'crash') throw new TypeError('no such thing');
    if (input.imageName === 'unavailable') throw new HttpError(503);
    await pause(2);
    ctx.log.info('looking the build up');
    appTracer().startActiveSpan('db.query', (span) => span.end());
    return { image: input.imageName };
  },
  startBuild: (input: any) => {
    // Called from the body's read callback: no promise chain carries the context here.
    appTracer().startSpan('queue.publish').end();
    return { tag: input.body.tag };
  },
  getSecret: () => ({}),
  followLog: (input: any) =>
    (async function* () {
      yield 'started\n';
      await pause(60);
      yield 'done\n';
      if (input.fail) yield 42; // neither bytes nor text: the stream fails after its headers went
    })(),
};

const security = {
  apiKey: async (check: any) => {
    appTracer().startSpan('auth.lookup').end();
    return check.credential === 'k1';
  },
};

/** Lines a pino logger writes, parsed. */
function capturingLogger() {
  const lines: any[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

const PARENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${PARENT_TRACE}-${PARENT_SPAN}-01`;

function spansNamed(exporter: InMemorySpanExporter, name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.name === name);
}

const parentSpanId = (span: ReadableSpan) => span.parentSpanContext?.spanId;

/** Finished spans arrive after the response: the exporter gets them when span.end() runs. */
async function waitFor(exporter: InMemorySpanExporter, name: string, count = 1): Promise<ReadableSpan[]> {
  for (let i = 0; i < 100; i++) {
    const found = spansNamed(exporter, name);
    if (found.length >= count) return found;
    await pause(10);
  }
  throw new Error(`no span ${name}; have ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
}

describe('traces, with the SDK registered (W3C propagator, AsyncLocalStorage context)', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const captured = capturingLogger();
  let api: Started;

  beforeAll(async () => {
    provider.register();
    api = await start({ spec: SPEC, handlers, security, logger: captured.logger });
  });
  afterAll(async () => {
    await api.close();
    await provider.shutdown();
    trace.disable();
    propagation.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  it('makes a server span named by the route, with the HTTP conventions and the operationId', async () => {
    const answer = await api.request('GET', '/builds/web-1?verbose=1', { headers: { 'user-agent': 'jest' } });
    expect(answer.status).toBe(200);
    const [span] = await waitFor(exporter, 'GET /builds/{image-name}');
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/builds/{image-name}',
      'url.path': '/builds/web-1',
      'url.query': 'verbose=1',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'user_agent.original': 'jest',
      'http.response.status_code': 200,
      'openapi.operation.id': 'getBuild',
      'api.name': 'Builds',
      'api.version': '2.1.0',
    });
    expect(span.attributes['error.type']).toBeUndefined();
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.instrumentationScope.name).toBe('specbind');
  });

  it('is the child of the caller\'s span when the request carries a traceparent', async () => {
    await api.request('GET', '/builds/web-2', { headers: { traceparent: TRACEPARENT } });
    const [span] = await waitFor(exporter, 'GET /builds/{image-name}');
    expect(span.spanContext().traceId).toBe(PARENT_TRACE);
    expect(parentSpanId(span)).toBe(PARENT_SPAN);
  });

  it('runs the handler in the span\'s context: its own spans nest under the server span, after an await too', async () => {
    await api.request('GET', '/builds/web-3', { headers: { traceparent: TRACEPARENT } });
    const [server] = await waitFor(exporter, 'GET /builds/{image-name}');
    const [query] = await waitFor(exporter, 'db.query');
    expect(query.spanContext().traceId).toBe(PARENT_TRACE);
    expect(parentSpanId(query)).toBe(server.spanContext().spanId);
  });

  it('keeps the context for a handler called from the body\'s read callback, and for a security check', async () => {
    await api.request('POST', '/builds/web-4', { body: { tag: 'v1' } });
    const [server] = await waitFor(exporter, 'POST /builds/{image-name}');
    const [publish] = await waitFor(exporter, 'queue.publish');
    expect(parentSpanId(publish)).toBe(server.spanContext().spanId);

    expect((await api.request('GET', '/secret', { headers: { 'x-api-key': 'k1' } })).status).toBe(200);
    const [secret] = await waitFor(exporter, 'GET /secret');
    const [lookup] = await waitFor(exporter, 'auth.lookup');
    expect(parentSpanId(lookup)).toBe(secret.spanContext().spanId);
  });

  it('marks a 500 from a handler\'s exception as an error, with error.type and the exception recorded', async () => {
    expect((await api.request('GET', '/builds/crash')).status).toBe(500);
    const [span] = await waitFor(exporter, 'GET /builds/{image-name}');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['http.response.status_code']).toBe(500);
    expect(span.attributes['error.type']).toBe('TypeError');
    const exception = span.events.find((e) => e.name === 'exception');
    expect(exception?.attributes?.['exception.message']).toBe('no such thing');
  });

  it('gives a 5xx without an exception its status as error.type; a 4xx leaves the status unset', async () => {
    expect((await api.request('GET', '/builds/unavailable')).status).toBe(503);
    const [unavailable] = await waitFor(exporter, 'GET /builds/{image-name}');
    expect(unavailable.attributes['error.type']).toBe('503');
    expect(unavailable.status.code).toBe(SpanStatusCode.ERROR);

    exporter.reset();
    expect((await api.request('GET', '/secret')).status).toBe(401);
    const [refused] = await waitFor(exporter, 'GET /secret');
    expect(refused.attributes['http.response.status_code']).toBe(401);
    expect(refused.status.code).toBe(SpanStatusCode.UNSET);
    expect(refused.attributes['error.type']).toBeUndefined();
  });

  it('ends a streamed response\'s span when the stream ends, an error if it broke after its headers', async () => {
    const answer = await fetch(`${api.url}/logs`);
    expect(await answer.text()).toBe('started\ndone\n');
    const [span] = await waitFor(exporter, 'GET /logs');
    const ms = (span.duration[0] * 1e9 + span.duration[1]) / 1e6;
    expect(ms).toBeGreaterThanOrEqual(50);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);

    exporter.reset();
    await fetch(`${api.url}/logs?fail=true`).then((r) => r.text()).catch(() => undefined);
    const [broken] = await waitFor(exporter, 'GET /logs');
    expect(broken.attributes['http.response.status_code']).toBe(200);
    expect(broken.status.code).toBe(SpanStatusCode.ERROR);
    expect(broken.attributes['error.type']).toBeDefined();
  });

  it('names a request that matches no route by its method alone, and specbind\'s own routes by their path', async () => {
    expect((await api.request('GET', '/nowhere/42')).status).toBe(404);
    const [missing] = await waitFor(exporter, 'GET');
    expect(missing.attributes['http.route']).toBeUndefined();
    expect(missing.attributes['url.path']).toBe('/nowhere/42');

    expect((await api.request('GET', '/healthz')).status).toBe(200);
    const [health] = await waitFor(exporter, 'GET /healthz');
    expect(health.attributes['http.route']).toBe('/healthz');
  });

  it('puts trace_id and span_id on the request\'s log lines: the handler\'s and the access line', async () => {
    captured.lines.length = 0;
    await api.request('GET', '/builds/web-5', { headers: { traceparent: TRACEPARENT } });
    const [span] = await waitFor(exporter, 'GET /builds/{image-name}');
    const ids = { trace_id: PARENT_TRACE, span_id: span.spanContext().spanId };
    expect(captured.lines.find((l) => l.msg === 'looking the build up')).toMatchObject(ids);
    expect(captured.lines.find((l) => l.msg === 'request' && l.url === '/builds/web-5')).toMatchObject(ids);
  });
});

describe('traces, with a provider registered but no propagator (the API alone)', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let api: Started;

  beforeAll(async () => {
    trace.setGlobalTracerProvider(provider);
    api = await start({ spec: SPEC, handlers, security });
  });
  afterAll(async () => {
    await api.close();
    await provider.shutdown();
    trace.disable();
  });
  beforeEach(() => exporter.reset());

  it('still reads a W3C traceparent (and its tracestate)', async () => {
    await api.request('GET', '/builds/web-6', { headers: { traceparent: TRACEPARENT, tracestate: 'vendor=abc' } });
    const [span] = await waitFor(exporter, 'GET /builds/{image-name}');
    expect(span.spanContext().traceId).toBe(PARENT_TRACE);
    expect(parentSpanId(span)).toBe(PARENT_SPAN);
    expect(span.spanContext().traceState?.get('vendor')).toBe('abc');
  });

  it.each([
    ['all-zero trace id', `00-${'0'.repeat(32)}-${PARENT_SPAN}-01`],
    ['version ff', `ff-${PARENT_TRACE}-${PARENT_SPAN}-01`],
    ['upper-case hex', `00-${PARENT_TRACE.toUpperCase()}-${PARENT_SPAN}-01`],
    ['version 00 with more fields', `${TRACEPARENT}-extra`],
  ])('starts a new trace for an invalid traceparent (%s)', async (_why, header) => {
    expect((await api.request('GET', '/builds/web-7', { headers: { traceparent: header } })).status).toBe(200);
    const [span] = await waitFor(exporter, 'GET /builds/{image-name}');
    expect(span.spanContext().traceId).not.toBe(PARENT_TRACE);
    expect(parentSpanId(span)).toBeUndefined();
  });
});

describe('no spans where none are asked for', () => {
  it('makes none, and logs no ids, while no tracer provider is registered; one registered later is used', async () => {
    const captured = capturingLogger();
    const api = await start({ spec: SPEC, handlers, security, logger: captured.logger });
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    try {
      expect((await api.request('GET', '/builds/a', { headers: { traceparent: TRACEPARENT } })).status).toBe(200);
      const line = captured.lines.find((l) => l.msg === 'request');
      expect(line).toBeDefined();
      expect(line.trace_id).toBeUndefined();

      trace.setGlobalTracerProvider(provider);
      await api.request('GET', '/builds/b');
      const [span] = await waitFor(exporter, 'GET /builds/{image-name}');
      expect(span.attributes['url.path']).toBe('/builds/b');
    } finally {
      await api.close();
      await provider.shutdown();
      trace.disable();
    }
  });

  it('makes none with `tracing: false`, provider or not', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    trace.setGlobalTracerProvider(provider);
    const api = await start({ spec: SPEC, handlers, security, tracing: false });
    try {
      expect((await api.request('GET', '/builds/c')).status).toBe(200);
      await pause(50);
      expect(exporter.getFinishedSpans().filter((s) => s.instrumentationScope.name === 'specbind')).toEqual([]);
    } finally {
      await api.close();
      await provider.shutdown();
      trace.disable();
    }
  });

  it('loads nothing when @opentelemetry/api is not installed', () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module '@opentelemetry/api'"), { code: 'MODULE_NOT_FOUND' });
    };
    expect(RequestTracing.load({}, missing)).toBeUndefined();
  });
});
