// The scale benchmark: synthetic documents of 10, 100, 1,000 and 3,000 operations (each
// `GET /r<i>/items/{itemId}`, integer path parameter, its own response schema component), served by
// specbind and the spec-first peers. Per document and variant: startup (spawn to listening, and the
// library's own init), RSS once ready, and req/s, p99 and CPU µs per request on the first and on the
// last operation of the document. Part of `npm run bench` (not --quick); alone:
//   npx tsx bench/scale.ts [--sizes 10,3000] [--variants specbind,fastify-glue] [--seconds 2] [--repeats 5]
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { measure, measureQuiet, type Measurement } from './lib/measure';
import { memory, startServer } from './lib/proc';
import { fmt, machine, table } from './lib/report';

export const SIZES = [10, 100, 1000, 3000];
export const SCALE_VARIANTS = ['specbind', 'fastify-glue', 'openapi-backend', 'express-openapi-validator'];

export function syntheticDocument(operations: number): object {
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (let i = 0; i < operations; i++) {
    paths[`/r${i}/items/{itemId}`] = {
      get: {
        operationId: `getItem${i}`,
        tags: [`group${i % 25}`],
        parameters: [{ name: 'itemId', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }],
        responses: { '200': { description: 'The item', content: { 'application/json': { schema: { $ref: `#/components/schemas/Item${i}` } } } } },
      },
    };
    schemas[`Item${i}`] = {
      type: 'object',
      required: ['id', 'name'],
      properties: { id: { type: 'integer', minimum: 1 }, name: { type: 'string', maxLength: 200 }, tag: { type: 'string' } },
    };
  }
  return { openapi: '3.0.3', info: { title: `Synthetic ${operations}`, version: '1.0.0' }, paths, components: { schemas } };
}

export function writeSynthetic(operations: number): string {
  const dir = path.join(os.tmpdir(), 'specbind-bench');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `scale-${operations}.json`);
  writeFileSync(file, JSON.stringify(syntheticDocument(operations)));
  return file;
}

const minimum = (values: number[]) => (values.length ? Math.min(...values) : NaN);

export interface ScaleRow {
  operations: number;
  variant: string;
  startupMs?: number;
  initMs?: number;
  rssMB?: number;
  first?: Measurement;
  last?: Measurement;
  /** last req/s ÷ first req/s. */
  lastVsFirst?: number;
  error?: string;
}

/** The run with the median req/s (its CPU and latency figures stay its own). */
function medianRun(runs: Measurement[]): Measurement {
  return [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)];
}

export async function runScale(options: { sizes?: number[]; variants?: string[]; seconds?: number; repeats?: number; warmup?: number; startupTimeoutMs?: number; log?: (s: string) => void } = {}) {
  const sizes = options.sizes ?? SIZES;
  const variants = options.variants ?? SCALE_VARIANTS;
  const seconds = options.seconds ?? 2;
  const repeats = options.repeats ?? 5;
  const warmup = options.warmup ?? 1;
  // openapi-backend needs minutes to start with 3,000 operations: past this, the row says "not ready".
  const startupTimeoutMs = options.startupTimeoutMs ?? 60_000;
  const log = options.log ?? console.log;
  const rows: ScaleRow[] = [];
  for (const operations of sizes) {
    const file = writeSynthetic(operations);
    for (const variant of variants) {
      const row: ScaleRow = { operations, variant };
      rows.push(row);
      let server;
      try {
        server = await startServer(variant, { env: { BENCH_SPEC: file, LOG_LEVEL: 'warn' }, timeoutMs: startupTimeoutMs });
        row.startupMs = server.spawnToReadyMs;
        row.initMs = server.info.initMs;
        row.rssMB = memory(server.pid).rssMB;
        const first = '/r0/items/7';
        const last = `/r${operations - 1}/items/7`;
        for (const p of [first, last]) {
          const res = await fetch(server.url + p);
          const body = await res.text();
          if (res.status !== 200) throw new Error(`GET ${p}: ${res.status} ${body.slice(0, 200)}`);
        }
        for (const p of [first, last]) await measure(server, p, { seconds: warmup });
        // First and last alternately, `repeats` times, the median run of each: one run of each was
        // ±7 % apart on the same document (a 10-operation one came out at 0.93x, first vs last).
        const runs: Record<'first' | 'last', Measurement[]> = { first: [], last: [] };
        for (let i = 0; i < repeats; i++) {
          runs.first.push(await measureQuiet(server, first, { seconds }));
          runs.last.push(await measureQuiet(server, last, { seconds }));
        }
        row.first = medianRun(runs.first);
        row.last = medianRun(runs.last);
        row.lastVsFirst = row.last.rps / row.first.rps;
        log(
          `  ${String(operations).padStart(5)} ops ${variant.padEnd(26)} ready ${fmt.int(row.startupMs).padStart(6)} ms (init ${fmt.int(row.initMs ?? NaN)} ms), ` +
            `${fmt.mb(row.rssMB)} MB; first ${fmt.int(row.first.rps)} req/s, last ${fmt.int(row.last.rps)} req/s ` +
            `(others on core 0: ${Math.round(100 * Math.max(row.first.serverCoreOthers, row.last.serverCoreOthers))}%)`,
        );
      } catch (error) {
        const message = (error as Error).message;
        row.error = /not ready within/.test(message) ? `not ready within ${startupTimeoutMs / 1000} s` : message.split('\n').slice(0, 3).join(' ');
        log(`  ${String(operations).padStart(5)} ops ${variant.padEnd(26)} FAILED: ${row.error}`);
      } finally {
        await server?.stop();
      }
    }
  }
  const pick = (variant: string, operations: number, which: 'first' | 'last') => rows.find((r) => r.variant === variant && r.operations === operations)?.[which];
  const rps = (variant: string, operations: number, which: 'first' | 'last') => pick(variant, operations, which)?.rps ?? NaN;
  const cpu = (variant: string, operations: number, which: 'first' | 'last') => pick(variant, operations, which)?.cpuUsPerReq ?? NaN;
  const summary = Object.fromEntries(
    variants.map((v) => [
      v,
      {
        lastOfLargestVsFirstOfSmallest: rps(v, sizes[sizes.length - 1], 'last') / rps(v, sizes[0], 'first'),
        /** The same by server CPU per request (first-of-smallest µs ÷ last-of-largest µs; steadier on a shared machine). */
        cpuLastOfLargestVsFirstOfSmallest: cpu(v, sizes[0], 'first') / cpu(v, sizes[sizes.length - 1], 'last'),
        worstLastVsFirst: minimum(rows.filter((r) => r.variant === v && r.lastVsFirst !== undefined).map((r) => r.lastVsFirst!)),
      },
    ]),
  );
  return { date: new Date().toISOString(), seconds, repeats, warmup, sizes, rows, summary };
}

const startupLimit = (error: string) => Number(/within (\d+) s/.exec(error)?.[1] ?? NaN) * 1000;

export function scaleTable(result: Awaited<ReturnType<typeof runScale>>): string {
  const body = table(
    ['operations', 'variant', 'ready ms', 'init ms', 'RSS MB', 'first req/s', 'last req/s', 'last/first', 'first µs/req', 'last µs/req', 'last p99 ms'],
    result.rows.map((r) =>
      r.error
        ? [String(r.operations), r.variant, r.error.startsWith('not ready') ? `> ${fmt.int(startupLimit(r.error))}` : 'failed', '', '', '', '', '', '', '', '']
        : [
            String(r.operations),
            r.variant,
            fmt.int(r.startupMs ?? NaN),
            fmt.int(r.initMs ?? NaN),
            fmt.mb(r.rssMB ?? NaN),
            fmt.int(r.first?.rps ?? NaN),
            fmt.int(r.last?.rps ?? NaN),
            fmt.ratio(r.lastVsFirst ?? NaN),
            fmt.us(r.first?.cpuUsPerReq ?? NaN),
            fmt.us(r.last?.cpuUsPerReq ?? NaN),
            fmt.ms(r.last?.p99Ms ?? NaN),
          ],
    ),
  );
  const lines = Object.entries(result.summary).map(
    ([v, s]) =>
      `${v}: last of ${result.sizes[result.sizes.length - 1]} ÷ first of ${result.sizes[0]} = ${fmt.ratio(s.lastOfLargestVsFirstOfSmallest)} by req/s, ` +
      `${fmt.ratio(s.cpuLastOfLargestVsFirstOfSmallest)} by CPU µs/request; worst last/first ${fmt.ratio(s.worstLastVsFirst)}`,
  );
  return `${body}\n${lines.join('\n')}`;
}

if (require.main === module) {
  const { values } = parseArgs({ options: { sizes: { type: 'string' }, variants: { type: 'string' }, seconds: { type: 'string' }, repeats: { type: 'string' }, warmup: { type: 'string' }, out: { type: 'string' } } });
  (async () => {
    const result = await runScale({
      sizes: values.sizes?.split(',').map(Number),
      variants: values.variants?.split(','),
      seconds: values.seconds ? Number(values.seconds) : undefined,
      repeats: values.repeats ? Number(values.repeats) : undefined,
      warmup: values.warmup ? Number(values.warmup) : undefined,
    });
    console.log(`\n${scaleTable(result)}`);
    if (values.out) {
      const { saveResults } = await import('./run');
      saveResults(path.resolve(values.out), { machine: machine(), scale: result });
    }
  })().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
