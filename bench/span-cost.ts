// What one OpenTelemetry span costs in a tight loop, made as specbind makes a request's (startSpan with
// the request's attributes, setSpan, context.with around the handler, the route and status set, end),
// with the SDK registered, batching to an exporter that drops. For bench/README.md, "Traces": the
// in-server cost is several times this, as for every microbenchmarked part.
//   npx tsx bench/span-cost.ts [ratio: 1 (every span sampled), 0.1, 0]
import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { AlwaysOnSampler, BatchSpanProcessor, NodeTracerProvider, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-node';

const ratio = Number(process.argv[2] ?? 1);
const dropping = { export: (_spans: unknown[], done: (result: { code: number }) => void) => done({ code: 0 }), shutdown: async () => undefined };
new NodeTracerProvider({ sampler: ratio === 1 ? new AlwaysOnSampler() : new TraceIdRatioBasedSampler(ratio), spanProcessors: [new BatchSpanProcessor(dropping)] }).register();
const tracer = trace.getTracer('span-cost');

function oneRequest(): void {
  const span = tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'url.path': '/pets/7', 'url.scheme': 'http', 'server.address': '127.0.0.1', 'server.port': 3000 } }, ROOT_CONTEXT);
  context.with(trace.setSpan(ROOT_CONTEXT, span), () => span.spanContext().traceId);
  span.updateName('GET /pets/{petId}');
  span.setAttribute('http.route', '/pets/{petId}');
  span.setAttribute('openapi.operation.id', 'getPet');
  span.setAttribute('http.response.status_code', 200);
  span.end();
}

for (let i = 0; i < 200_000; i++) oneRequest();
const results: number[] = [];
for (let round = 0; round < 5; round++) {
  const count = 500_000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) oneRequest();
  results.push(Number(process.hrtime.bigint() - started) / count);
}
results.sort((a, b) => a - b);
console.log(`ratio ${ratio}: ${results[2].toFixed(0)} ns a span (median of 5 rounds of 500,000; ${results.map((r) => r.toFixed(0)).join(' ')})`);
