// Traces end to end: a server in its own process, traced as an application would trace it (the SDK,
// a batching OTLP/HTTP exporter: test/fixtures/tracing/otel.ts), sends its spans to an OTLP receiver
// this test runs on 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { until } from '../helpers/processes';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'tracing');

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
  status?: { code?: number };
  events?: Array<{ name: string }>;
}

/** An OTLP/HTTP receiver: every span of every export request it was sent (JSON encoding, the exporter's default). */
function receiver(): Promise<{ server: Server; endpoint: string; spans: OtlpSpan[]; contentTypes: string[] }> {
  const spans: OtlpSpan[] = [];
  const contentTypes: string[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      contentTypes.push(String(request.headers['content-type']));
      if (request.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const resource of body.resourceSpans ?? []) for (const scope of resource.scopeSpans ?? []) spans.push(...scope.spans);
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, spans, contentTypes })),
  );
}

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value && (value.stringValue ?? (value.intValue === undefined ? undefined : Number(value.intValue)));
};

describe('traces sent over OTLP/HTTP', () => {
  let otlp: Awaited<ReturnType<typeof receiver>>;
  let child: ChildProcess;
  let base: string;
  let stderr = '';

  beforeAll(async () => {
    otlp = await receiver();
    child = spawn(process.execPath, ['--import', 'tsx', '--import', path.join(FIXTURE, 'otel.ts'), path.join(FIXTURE, 'server.ts')], {
      cwd: ROOT,
      env: { ...process.env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlp.endpoint, OTEL_SERVICE_NAME: 'builds-api' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const port = await until('the server\'s port', () => /PORT (\d+)/.exec(stdout)?.[1], 20_000, () => stderr);
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await new Promise((resolve) => otlp.server.close(resolve));
  });

  it('sends the server span, the caller as its parent, the handler\'s span under it, and a 500 as an error', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const callerSpan = 'b7ad6b7169203331';
    const ok = await fetch(`${base}/builds/web-1`, { headers: { traceparent: `00-${traceId}-${callerSpan}-01` } });
    expect(ok.status).toBe(200);
    const failed = await fetch(`${base}/builds/broken`);
    expect(failed.status).toBe(500);

    const named = (name: string) => otlp.spans.filter((s) => s.name === name);
    await until('three spans at the receiver', () => (named('GET /builds/{image-name}').length >= 2 && named('store.read').length >= 1 ? true : undefined), 10_000, () => stderr);

    const server = named('GET /builds/{image-name}').find((s) => attribute(s, 'http.response.status_code') === 200)!;
    const error = named('GET /builds/{image-name}').find((s) => attribute(s, 'http.response.status_code') === 500)!;
    expect(server.traceId).toBe(traceId);
    expect(server.parentSpanId).toBe(callerSpan);
    expect(server.kind).toBe(2); // SPAN_KIND_SERVER
    expect(attribute(server, 'http.route')).toBe('/builds/{image-name}');
    expect(attribute(server, 'url.path')).toBe('/builds/web-1');
    expect(attribute(server, 'http.request.method')).toBe('GET');
    expect(attribute(server, 'openapi.operation.id')).toBe('getBuild');

    const [read] = named('store.read');
    expect(read.traceId).toBe(traceId);
    expect(read.parentSpanId).toBe(server.spanId);

    expect(attribute(error, 'http.response.status_code')).toBe(500);
    expect(attribute(error, 'error.type')).toBe('RangeError');
    expect(error.status?.code).toBe(2); // STATUS_CODE_ERROR
    expect(error.events?.map((e) => e.name)).toContain('exception');
    expect(otlp.contentTypes.every((type) => type.startsWith('application/json'))).toBe(true);
  });
});
