// specbind standalone (its own node:http server) at the library's defaults: request and response
// validation on ('strict'), the access log at info (one JSON line a request on stdout, which the runner
// drains through a pipe, as Docker or systemd would), metrics on. LOG_LEVEL=warn (the 'specbind-nolog'
// variant) turns the access line off.
import { createServer, type Handler } from '../../src';
import { answer, HOST, loadDocument, operationIds, PORT, ready, SPEC_FILE } from './common';

export function handlers(): Record<string, Handler> {
  const out: Record<string, Handler> = {};
  for (const id of operationIds(loadDocument())) out[id] = (input: any) => answer(id, input, input.body).body;
  return out;
}

function benchMetrics(setting: string | undefined): boolean | { processMetrics?: boolean; gcDuration?: boolean } {
  if (setting === '0') return false;
  if (setting === 'noprocess') return { processMetrics: false };
  if (setting === 'gc') return { gcDuration: true };
  return true;
}

/**
 * BENCH_TRACING=1: OpenTelemetry's SDK registered as an application registers it, every request
 * sampled, spans batched (BatchSpanProcessor) to an exporter that drops them: what a traced request
 * costs in this process, without the collector's network and encoding. BENCH_TRACING=0.1: a tenth of
 * the traces sampled (TraceIdRatioBasedSampler), as production often runs. Unset: the API installed,
 * no provider (the default case); BENCH_TRACING=off: `tracing: false`, nothing looked up a request.
 */
function benchTracing(): void {
  const setting = process.env.BENCH_TRACING;
  if (!setting || setting === 'off') return;
  const { NodeTracerProvider, BatchSpanProcessor, AlwaysOnSampler, TraceIdRatioBasedSampler } = require('@opentelemetry/sdk-trace-node');
  const sampler = setting === '1' ? new AlwaysOnSampler() : new TraceIdRatioBasedSampler(Number(setting));
  let exported = 0;
  const dropping = {
    export: (spans: unknown[], done: (result: { code: number }) => void) => {
      exported += spans.length;
      done({ code: 0 });
    },
    shutdown: async () => undefined,
  };
  new NodeTracerProvider({ sampler, spanProcessors: [new BatchSpanProcessor(dropping)] }).register();
  process.once('exit', () => process.stderr.write(`spans exported: ${exported}\n`));
}

async function main() {
  benchTracing();
  const started = performance.now();
  const server = await createServer({
    spec: SPEC_FILE,
    handlers: handlers(),
    // BENCH_RESPONSE_VALIDATION, BENCH_METRICS=0|noprocess|gc: what those checks cost (A/B only, bench/ab.ts;
    // the benchmark runs the defaults).
    responseValidation: (process.env.BENCH_RESPONSE_VALIDATION as 'strict' | 'warn' | 'off' | undefined) ?? 'strict',
    metrics: benchMetrics(process.env.BENCH_METRICS),
    // The library's default (lazy) unless BENCH_COMPILE says otherwise: warm-up compiles what is measured.
    compile: process.env.BENCH_COMPILE as 'eager' | 'lazy' | undefined,
    tracing: process.env.BENCH_TRACING !== 'off',
  });
  const initMs = performance.now() - started;
  const listening = await server.listen(PORT, HOST);
  ready(listening.server, { initMs });
}
if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
