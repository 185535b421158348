// `npm run bench`: the server-bound comparison of issue 6, then the scale and large-document benchmarks.
//
// Every variant serves bench/petstore.yaml's two operations (GET /pets/{petId}, POST /pets) from its
// own process pinned to core 0; wrk (1 thread, 10 connections) runs pinned to core 1. Variants are
// interleaved (their order rotates every round), each process is warmed up on both operations
// before it is measured, and the table shows medians over rounds. Ratios to raw node:http are the
// median of the per-round ratios (each round's raw run is its reference), so slow drift of a
// shared machine cancels out.
//
//   npm run bench                       5 rounds, 5 s per measured run, then scale.ts and large.ts
//   npm run bench -- --quick            1 round, 1 s runs, main comparison only (< 1 min; a smoke test, not a measurement)
//   options: --rounds N --seconds S --warmup S --connections N --variants raw,specbind,...
//            --no-scale --no-large --out file.json
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { measure, measureQuiet, NOISY, type Measurement } from './lib/measure';
import { ROOT, memory, startServer, type ServerProcess } from './lib/proc';
import { fmt, machine, median, table } from './lib/report';

/**
 * What each row runs: a file of bench/servers/ (`server`, default the id) and its environment. specbind's
 * rows run the library's defaults (access log at info, its stdout a pipe the runner drains); the peers
 * run theirs (no logging) unless the row says otherwise. `config` says it in the table and results file.
 */
export interface Variant {
  id: string;
  label: string;
  config: string;
  server?: string;
  env?: Record<string, string>;
}

export const VARIANTS: Variant[] = [
  { id: 'raw', label: 'raw node:http (hand-written routing)', config: 'no log' },
  { id: 'raw-pino', label: 'raw node:http + pino access line', server: 'raw', env: { BENCH_RAW_ACCESS_LOG: '1' }, config: 'one pino line a request, pino defaults (sync to stdout)' },
  { id: 'express', label: 'Express 5 (hand-written routes)', config: 'no log' },
  { id: 'fastify', label: 'fastify (route schemas)', config: 'logger off (default)' },
  { id: 'fastify-glue', label: 'fastify + fastify-openapi-glue (req)', config: 'logger off (default)' },
  { id: 'fastify-glue-log', label: 'fastify + fastify-openapi-glue, logger: true', server: 'fastify-glue', env: { BENCH_FASTIFY_LOGGER: '1' }, config: 'logger: true (2 pino lines a request)' },
  { id: 'openapi-backend', label: 'Express + openapi-backend (req+res)', config: 'no log' },
  { id: 'express-openapi-validator', label: 'Express + express-openapi-validator (req+res)', config: 'no log' },
  { id: 'specbind', label: 'specbind standalone (req+res), defaults', config: 'defaults: access log at info' },
  { id: 'specbind-nolog', label: 'specbind standalone, LOG_LEVEL=warn', server: 'specbind', env: { LOG_LEVEL: 'warn' }, config: 'defaults but LOG_LEVEL=warn (no access line)' },
  { id: 'specbind-express', label: 'specbind mounted in Express (req+res), defaults', config: 'defaults: access log at info' },
];

export const GET_PATH = '/pets/7';
export const POST_PATH = '/pets';
export const POST_BODY = JSON.stringify({ name: 'Rex', tag: 'dog' });
export const RESULTS = path.join(ROOT, 'bench', 'results.json');

type Op = 'get' | 'post';
type Measured = Measurement & { retried?: boolean };
interface Run {
  round: number;
  variant: string;
  startupMs: number;
  rssMB: number;
  get: Measured;
  post: Measured;
}

/** The variant answers as the document says: the measured responses are right, and bad input is refused. */
async function check(server: ServerProcess): Promise<string[]> {
  const problems: string[] = [];
  const call = async (method: string, p: string, body?: string) => {
    const res = await fetch(server.url + p, { method, body, headers: body ? { 'content-type': 'application/json' } : {} });
    const text = await res.text();
    return { status: res.status, text };
  };
  const expect = async (what: string, method: string, p: string, status: number, body?: string, json?: unknown) => {
    const res = await call(method, p, body);
    if (res.status !== status) problems.push(`${what}: ${res.status}, expected ${status} (${res.text.slice(0, 200)})`);
    else if (json !== undefined && JSON.stringify(JSON.parse(res.text)) !== JSON.stringify(json)) problems.push(`${what}: body ${res.text.slice(0, 200)}`);
  };
  await expect('GET', 'GET', GET_PATH, 200, undefined, { id: 7, name: 'Rex', tag: 'dog' });
  await expect('POST', 'POST', POST_PATH, 201, POST_BODY, { id: 1, name: 'Rex', tag: 'dog' });
  await expect('GET with petId=abc', 'GET', '/pets/abc', 400);
  await expect('GET with petId=0', 'GET', '/pets/0', 400);
  await expect('POST without name', 'POST', POST_PATH, 400, '{"tag":"x"}');
  await expect('POST with an unknown property', 'POST', POST_PATH, 400, '{"name":"Rex","owner":"x"}');
  return problems;
}

export async function mainComparison(options: { rounds: number; seconds: number; warmup: number; connections: number; variants: string[]; log: (s: string) => void }) {
  const { rounds, seconds, warmup, connections, log } = options;
  const variants = VARIANTS.filter((v) => options.variants.includes(v.id));
  const runs: Run[] = [];
  const checks: Record<string, string[]> = {};
  const load = (op: Op, s: number) => ({ method: op === 'get' ? ('GET' as const) : ('POST' as const), body: op === 'post' ? POST_BODY : undefined, seconds: s, connections });
  const target = (op: Op) => (op === 'get' ? GET_PATH : POST_PATH);
  // Each next process starts while the current one warms up (warm-up is not measured), and must be
  // ready before the current one's measured runs begin: no startup overlaps a measurement.
  const schedule = Array.from({ length: rounds }, (_, round) => variants.map((_, i) => ({ round, variant: variants[(i + round) % variants.length] }))).flat();
  const start = (i: number) => {
    const { variant } = schedule[i];
    // LOG_LEVEL unset unless the row sets it: a LOG_LEVEL in the runner's environment must not leak in.
    const p = startServer(variant.server ?? variant.id, { env: { LOG_LEVEL: undefined, LOG_SYNC: undefined, ...variant.env } });
    p.catch(() => undefined);
    return p;
  };
  let pending = start(0);
  for (let i = 0; i < schedule.length; i++) {
    const { round, variant } = schedule[i];
    const server = await pending;
    try {
      if (round === 0) checks[variant.id] = await check(server);
      // Warm-up: both operations at once (two wrk processes sharing the connections), while the next starts.
      const half = Math.max(1, Math.floor(connections / 2));
      const warming = Promise.all([measure(server, GET_PATH, { ...load('get', warmup), connections: half }), measure(server, POST_PATH, { ...load('post', warmup), connections: half })]);
      if (i + 1 < schedule.length) pending = start(i + 1);
      await warming;
      if (i + 1 < schedule.length) await pending.catch(() => undefined);
      const get = await measureQuiet(server, GET_PATH, load('get', seconds));
      const post = await measureQuiet(server, POST_PATH, load('post', seconds));
      const run: Run = { round, variant: variant.id, startupMs: server.spawnToReadyMs, rssMB: memory(server.pid).rssMB, get, post };
      runs.push(run);
      log(
        `  round ${round + 1}/${rounds} ${variant.id.padEnd(26)} GET ${fmt.int(get.rps).padStart(7)} req/s ${fmt.us(get.cpuUsPerReq).padStart(4)} µs` +
          `  POST ${fmt.int(post.rps).padStart(7)} req/s ${fmt.us(post.cpuUsPerReq).padStart(4)} µs` +
          `  (others on core 0: ${Math.round(100 * Math.max(get.serverCoreOthers, post.serverCoreOthers))}%${get.retried || post.retried ? ', re-measured' : ''}${get.errors + post.errors ? `, ${get.errors + post.errors} ERRORS` : ''})`,
      );
    } finally {
      await server.stop();
    }
  }

  const rows = variants.map((variant) => {
    const mine = runs.filter((r) => r.variant === variant.id);
    const per = (op: Op) => {
      const ratio = (key: 'rps' | 'cpuUsPerReq') =>
        median(
          mine.map((r) => {
            const raw = runs.find((x) => x.variant === 'raw' && x.round === r.round);
            return raw ? r[op][key] / raw[op][key] : NaN;
          }),
        );
      return {
        rps: median(mine.map((r) => r[op].rps)),
        rpsRatio: ratio('rps'),
        p99Ms: median(mine.map((r) => r[op].p99Ms)),
        p50Ms: median(mine.map((r) => r[op].p50Ms)),
        cpuUsPerReq: median(mine.map((r) => r[op].cpuUsPerReq)),
        cpuRatio: ratio('cpuUsPerReq'),
        errors: mine.reduce((n, r) => n + r[op].errors, 0),
        serverCoreOthers: median(mine.map((r) => r[op].serverCoreOthers)),
      };
    };
    return { variant: variant.id, label: variant.label, config: variant.config, get: per('get'), post: per('post'), startupMs: median(mine.map((r) => r.startupMs)), rssMB: median(mine.map((r) => r.rssMB)), checks: checks[variant.id] ?? [] };
  });
  return { rounds, seconds, warmup, connections, rows, runs };
}

export function mainTable(rows: Awaited<ReturnType<typeof mainComparison>>['rows']): string {
  return table(
    ['variant', 'configuration', 'GET req/s', '×raw', 'p99 ms', 'CPU µs/req', 'CPU ×raw', 'POST req/s', '×raw', 'p99 ms', 'CPU µs/req', 'CPU ×raw'],
    rows.map((r) => [
      r.label,
      r.config,
      fmt.int(r.get.rps),
      fmt.ratio(r.get.rpsRatio),
      fmt.ms(r.get.p99Ms),
      fmt.us(r.get.cpuUsPerReq),
      fmt.ratio(r.get.cpuRatio),
      fmt.int(r.post.rps),
      fmt.ratio(r.post.rpsRatio),
      fmt.ms(r.post.p99Ms),
      fmt.us(r.post.cpuUsPerReq),
      fmt.ratio(r.post.cpuRatio),
    ]),
  );
}

/** Reads the results file, replaces the sections just measured, writes it back. */
export function saveResults(file: string, sections: Record<string, unknown>): void {
  let previous: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      previous = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      previous = {};
    }
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ ...previous, ...sections }, null, 2)}\n`);
}

async function main() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string', default: '10' },
      variants: { type: 'string' },
      'no-scale': { type: 'boolean', default: false },
      'no-large': { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  const quick = values.quick!;
  const rounds = Number(values.rounds ?? (quick ? 1 : 5));
  const seconds = Number(values.seconds ?? (quick ? 1 : 5));
  const warmup = Number(values.warmup ?? 1);
  const variants = values.variants ? values.variants.split(',') : VARIANTS.map((v) => v.id);
  if (!variants.includes('raw')) variants.unshift('raw');
  const out = values.out ? path.resolve(values.out) : quick ? path.join(os.tmpdir(), 'specbind-bench', 'results-quick.json') : RESULTS;
  const started = Date.now();
  const log = (s: string) => console.log(s);
  const info = machine();
  log(`specbind bench: ${info.cpus} cores (${info.cpuModel}), Node ${info.node}, load average ${(info.loadAverageAtStart as number[]).join(' ')}`);
  log(`main comparison: ${rounds} round(s), ${seconds} s per measured run after ${warmup} s warm-up per operation, wrk -t1 -c${values.connections}; server on core 0, wrk on core 1`);

  const comparison = await mainComparison({ rounds, seconds, warmup, connections: Number(values.connections), variants, log });
  const sections: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: info,
    main: { date: new Date().toISOString(), quick, ...comparison },
  };
  log('');
  log(mainTable(comparison.rows));
  for (const row of comparison.rows) {
    if (row.checks.length) log(`! ${row.variant} does not answer as the document says: ${row.checks.join('; ')}`);
    if (row.get.errors || row.post.errors) log(`! ${row.variant}: ${row.get.errors} GET and ${row.post.errors} POST error answers during the runs`);
  }
  const others = median(comparison.runs.flatMap((r) => [r.get.serverCoreOthers, r.post.serverCoreOthers]));
  const retried = comparison.runs.reduce((n, r) => n + (r.get.retried ? 1 : 0) + (r.post.retried ? 1 : 0), 0);
  log(
    `(medians over ${rounds} round(s); other processes used a median ${Math.round(others * 100)}% of core 0 during the measured runs; ` +
      `${retried} of ${comparison.runs.length * 2} runs measured twice because others took over ${NOISY * 100}% of core 0, the quieter kept)`,
  );
  saveResults(out, sections);

  if (!quick && !values['no-scale']) {
    const { runScale, scaleTable } = await import('./scale');
    log('\nscale: synthetic documents');
    const scale = await runScale({ log });
    log('');
    log(scaleTable(scale));
    saveResults(out, { scale });
  }
  if (!quick && !values['no-large']) {
    const { runLarge, largeTable } = await import('./large');
    log('\nlarge documents');
    const large = await runLarge({ log });
    log('');
    log(largeTable(large));
    saveResults(out, { large });
  }
  log(`\nwrote ${path.relative(process.cwd(), out) || out} in ${Math.round((Date.now() - started) / 1000)} s`);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
