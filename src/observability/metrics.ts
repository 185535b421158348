// Prometheus metrics (prom-client), served at GET /metrics (the `metrics` option moves or disables it).
//
//   specbind_http_request_duration_seconds{operationId,method,status}   histogram; its _count is the
//                                                                        request count
//   specbind_response_validation_failures_total{operationId}            counter (strict and warn mode)
//   process_* and nodejs_*                                              prom-client's default metrics, but its GC
//                                                                        histogram only with { gcDuration: true }
//
// Requests that match no operation (404, 405, /healthz, /docs, /metrics itself) count under
// operationId="(none)".
//
// The hot path is one observation per request, and it is kept to a few array writes: prom-client's
// Histogram#observe validates and hashes its labels into a string on every call (≈2 µs per request
// here, a fifth of an in-process request), so the request histogram is specbind's own series table
// (one series per operationId, method and status, found through nested maps and cached for good),
// registered in the prom-client registry as a histogram and rendered by it at scrape time.
import { collectDefaultMetrics, Counter, type Metric, Registry } from 'prom-client';

export interface MetricsOptions {
  /** Where the metrics are served (default '/metrics'). */
  path?: string;
  /** Include prom-client's process and Node.js metrics (default true). */
  processMetrics?: boolean;
  /**
   * Include prom-client's `nodejs_gc_duration_seconds` histogram (default false: the GC hooks behind it
   * change how V8 sizes its young generation, and every small request costs ~4 % more CPU; see
   * processMetricsRegistry). Process metrics are per process: it is there if any server of the process
   * asks for it.
   */
  gcDuration?: boolean;
  /** Histogram buckets in seconds. */
  buckets?: number[];
  /** Register specbind's metrics in this registry (your own metrics are then served beside them). */
  registry?: Registry;
}

/** What the pipeline calls: the two hook-ins. */
export interface RequestMetrics {
  /** Once per request, when its response is ready. */
  request(operationId: string | undefined, method: string | undefined, status: number, seconds: number): void;
  /** When a response breaks the document (whether it is replaced, strict, or sent anyway, warn). */
  responseInvalid(operationId: string): void;
  /** When a streamed body is cut off because its source failed (the client got an incomplete body). */
  streamFailed(operationId: string): void;
}

export const UNMATCHED = '(none)';
export const DEFAULT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Labels = { operationId: string; method: string; status: number };

interface Series {
  labels: Labels;
  /** Observations per bucket (not cumulative); the last slot is above every bound (+Inf). */
  buckets: Float64Array;
  sum: number;
  count: number;
}

const DURATION = 'specbind_http_request_duration_seconds';

/**
 * The request-duration histogram: what prom-client's registry needs of a metric (name, help, type,
 * aggregator, get, reset), with an observe that only adds numbers.
 */
export class RequestDurations {
  readonly name = DURATION;
  readonly help = 'Time from request to response ready, by operationId, method and status (its _count is the request count)';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly bounds: readonly number[];
  /** operationId → method → status → series. */
  private readonly index = new Map<string, Map<string, Map<number, Series>>>();
  private readonly all: Series[] = [];
  private last?: Series;

  constructor(buckets: readonly number[]) {
    this.bounds = [...new Set(buckets.filter((b) => Number.isFinite(b)))].sort((a, b) => a - b);
  }

  series(operationId: string, method: string, status: number): Series {
    // Consecutive requests are often the same operation and answer: one comparison instead of three lookups.
    const last = this.last;
    if (last && last.labels.status === status && last.labels.operationId === operationId && last.labels.method === method) return last;
    return (this.last = this.lookup(operationId, method, status));
  }

  private lookup(operationId: string, method: string, status: number): Series {
    let byMethod = this.index.get(operationId);
    if (!byMethod) this.index.set(operationId, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let series = byStatus.get(status);
    if (!series) {
      series = { labels: { operationId, method, status }, buckets: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      byStatus.set(status, series);
      this.all.push(series);
    }
    return series;
  }

  observe(series: Series, seconds: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]) i++;
    series.buckets[i]++;
    series.sum += seconds;
    series.count++;
  }

  /** prom-client's shape: cumulative `_bucket` samples with `le`, then `_sum` and `_count`, per series. */
  async get() {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    for (const series of this.all) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += series.buckets[i];
        values.push({ labels: { ...series.labels, le }, value: cumulative, metricName: `${DURATION}_bucket` });
      });
      values.push({ labels: { ...series.labels, le: '+Inf' }, value: series.count, metricName: `${DURATION}_bucket` });
      values.push({ labels: { ...series.labels }, value: series.sum, metricName: `${DURATION}_sum` });
      values.push({ labels: { ...series.labels }, value: series.count, metricName: `${DURATION}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const series of this.all) {
      series.buckets.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}

/**
 * prom-client's default process metrics, one collector at a time (its collectDefaultMetrics takes
 * them all), so that the GC histogram can be left out, as it is by default. It needs a
 * PerformanceObserver on `gc` entries, and with V8's GC hooks installed (an observer, or v8.GCProfiler)
 * V8 promotes a little at every scavenge and grows the young generation to twice its size: on the
 * benchmark's GET each scavenge took 0.31 ms instead of 0.14 on raw node:http, and specbind's GET cost
 * 13.82 µs of CPU with the histogram against 13.22 without (bench/README.md, "What the GC metric
 * costs"). A metric that makes every request dearer is opt-in: `gcDuration: true`.
 */
type Collector = (registry: Registry, config: Record<string, unknown>) => void;
const COLLECTOR_DIR = 'prom-client/lib/metrics/';

function defaultCollectors(): Map<string, Collector> | undefined {
  try {
    // prom-client exports only collectDefaultMetrics; its list and per-metric modules are in lib/ (pinned ^15).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const names: string[] = require('prom-client/lib/defaultMetrics').metricsList;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return new Map(names.map((name) => [name, require(COLLECTOR_DIR + name) as Collector]));
  } catch {
    return undefined;
  }
}

/** Process metrics are per process: collected once, into their own registry, whatever number of servers runs. */
let processRegistry: Registry | undefined;
let gcObserved = false;
function processMetricsRegistry(gcDuration: boolean): Registry {
  const config = { eventLoopMonitoringPrecision: 10 };
  if (!processRegistry) {
    processRegistry = new Registry();
    const collectors = defaultCollectors();
    if (!collectors) {
      // A prom-client whose layout differs: all of its defaults, the GC histogram included.
      collectDefaultMetrics({ register: processRegistry });
      gcObserved = true;
    } else for (const [name, collect] of collectors) if (name !== 'gc') collect(processRegistry, config);
  }
  if (gcDuration && !gcObserved) {
    (require(`${COLLECTOR_DIR}gc`) as Collector)(processRegistry, config); // eslint-disable-line @typescript-eslint/no-require-imports
    gcObserved = true;
  }
  return processRegistry;
}

export class Metrics implements RequestMetrics {
  readonly path: string;
  readonly registry: Registry;
  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;
  private readonly duration: RequestDurations;
  private readonly invalid: Counter<'operationId'>;
  private readonly streamFailures: Counter<'operationId'>;
  private readonly process?: Registry;
  private unreported?: readonly string[];

  constructor(operationIds: readonly string[], options: MetricsOptions = {}) {
    this.path = options.path ?? '/metrics';
    this.registry = options.registry ?? new Registry();
    // Several servers may share one registry (and then one histogram and one counter).
    const known = this.registry.getSingleMetric(DURATION) as unknown;
    if (known instanceof RequestDurations) this.duration = known;
    else {
      this.duration = new RequestDurations(options.buckets ?? DEFAULT_BUCKETS);
      this.registry.registerMetric(this.duration as unknown as Metric);
    }
    this.invalid = this.counter('specbind_response_validation_failures_total', 'Responses that broke the OpenAPI document (replaced by a 500 under strict, sent under warn), by operationId');
    this.streamFailures = this.counter('specbind_response_stream_failures_total', 'Streamed responses cut off because their source failed (the client saw an incomplete body), by operationId');
    // Every served operation starts at 0, so rate() and alerts work before the first failure: set when
    // first rendered (1,223 series are ~4 ms of GitHub's startup; no scrape can tell the difference).
    // A registry of the caller's may be scraped without us: then now.
    this.unreported = operationIds;
    if (options.registry) this.reportZeroes();
    if (options.processMetrics !== false) this.process = processMetricsRegistry(options.gcDuration === true);
  }

  request(operationId: string | undefined, method: string | undefined, status: number, seconds: number): void {
    this.duration.observe(this.duration.series(operationId ?? UNMATCHED, method ?? 'GET', status), seconds);
  }

  responseInvalid(operationId: string): void {
    this.invalid.inc({ operationId });
  }

  streamFailed(operationId: string): void {
    this.streamFailures.inc({ operationId });
  }

  /** A counter by operationId in the registry (the one there already when servers share a registry). */
  private counter(name: string, help: string): Counter<'operationId'> {
    return (this.registry.getSingleMetric(name) as Counter<'operationId'> | undefined) ?? new Counter({ name, help, labelNames: ['operationId'], registers: [this.registry] });
  }

  private reportZeroes(): void {
    if (!this.unreported) return;
    for (const operationId of this.unreported) {
      this.invalid.inc({ operationId }, 0);
      this.streamFailures.inc({ operationId }, 0);
    }
    this.unreported = undefined;
  }

  /** The exposition text: specbind's (and the given registry's) metrics, then the process metrics. */
  async render(): Promise<string> {
    this.reportZeroes();
    const own = await this.registry.metrics();
    if (!this.process || this.process === this.registry) return own;
    return `${own}${own.endsWith('\n') || own === '' ? '' : '\n'}${await this.process.metrics()}`;
  }
}
