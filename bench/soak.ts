// The soak of issue 8: the bundled API served standalone, as `npm start` serves it (`specbind serve
// --config handlers/_app/config`), driven at full speed for minutes with mixed valid and invalid
// requests; every request kind must get only its expected statuses, RSS must stay flat after the
// warm-up, and no file descriptor may be left open. Not part of `npm test`.
//
//   npx tsx bench/soak.ts                    5 minutes (--seconds 300), 10 connections, bench/soak-results.json
//   npx tsx bench/soak.ts --seconds 30 --out /tmp/soak.json      a short run while developing
//   options: --seconds S --connections N --warmup S --store memory|pglite --out file.json
//            --only REGEX   only the request kinds whose name matches (to find which kind is slow)
//
// The server runs compiled JavaScript (bench/lib/build.ts, plus handlers/ transpiled beside it), pinned
// to core 0. Its store: `memory` (default) is the bundled API's MemoryStore (set by
// servers/soak-memory-store.ts, preloaded), so the load is on specbind; `pglite` is the store
// `npm start` uses, PGlite, kept in memory (PGLITE_DATA_DIR=memory://), where the embedded database
// is the bottleneck (about 1k req/s). Neither writes files. wrk (bench/wrk/soak.lua, one thread) runs
// pinned to core 1. Every 5 s
// the runner samples the server's VmRSS, its open file descriptors and its CPU time. Exit code 1 when
// an assertion fails; results are written either way.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { buildDir, transpileInto } from './lib/build';
import { CLK_TCK, coreTicks, cpuTicks, memory, ROOT } from './lib/proc';
import { machine, median } from './lib/report';
import { runWrkJson } from './lib/wrk';

const API_KEY = 'soak-key';
const SAMPLE_MS = 5000;
const LUA = path.join(ROOT, 'bench', 'wrk', 'soak.lua');
export const SOAK_RESULTS = path.join(ROOT, 'bench', 'soak-results.json');

// ---- the request mix ------------------------------------------------------------------------------

interface Kind {
  name: string;
  method: string;
  /** `{n}` is replaced by the request counter (a path never seen before). */
  target: string;
  headers?: Record<string, string>;
  body?: string;
  /** Raw Content-Length to declare instead of the body's (a body over the server's limit, never sent). */
  contentLength?: number;
  expect: number[];
  /** How many times the kind appears in the rotation (default 1). */
  weight?: number;
}

const KEY = { 'X-API-Key': API_KEY };
const JSON_TYPE = { 'Content-Type': 'application/json' };
const TEMPLATE = 'binder-project-example-requirements';
const APPLICATION = '0f8b7c3e2a1d4e5f9a6b7c8d9e0f1a2b';
const BOUNDARY = 'soakboundary7d93';

function multipart(file: string): { headers: Record<string, string>; body: string } {
  const body = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename=".dockerconfigjson"\r\nContent-Type: application/json\r\n\r\n${file}\r\n--${BOUNDARY}--\r\n`;
  return { headers: { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` }, body };
}

/**
 * Valid requests touch a bounded set of records (upserts of fixed names, reads), so the data the store
 * holds does not grow with the run: RSS growth would be a leak, not data.
 */
export const KINDS: Kind[] = [
  // valid
  { name: 'GET template', method: 'GET', target: `/templates/${TEMPLATE}`, headers: KEY, expect: [200], weight: 3 },
  { name: 'GET templates', method: 'GET', target: '/templates', headers: KEY, expect: [200] },
  { name: 'POST template (upsert)', method: 'POST', target: '/templates', headers: { ...KEY, ...JSON_TYPE }, body: JSON.stringify({ name: 'soak-template', 'image-source': 'binder/soak', port: 8080 }), expect: [200, 201], weight: 2 },
  { name: 'POST build (force)', method: 'POST', target: '/builds', headers: { ...KEY, ...JSON_TYPE }, body: JSON.stringify({ repository: 'https://github.com/soak/repo', force: true }), expect: [202] },
  { name: 'GET build (advances it)', method: 'GET', target: '/builds/soak-repo', expect: [200, 404] }, // 404 only before the first POST build
  { name: 'GET builds (deepObject filter)', method: 'GET', target: '/builds?phase=finished&phase=fetching&filter[status]=completed&filter[limit]=10', headers: KEY, expect: [200] },
  { name: 'GET application', method: 'GET', target: `/applications/${TEMPLATE}/${APPLICATION}`, expect: [200] },
  { name: 'GET health', method: 'GET', target: '/health', headers: KEY, expect: [200] },
  { name: 'POST person (JSON → Person)', method: 'POST', target: '/person', headers: JSON_TYPE, body: '{"name":"fred"}', expect: [200], weight: 2 },
  { name: 'POST person (form)', method: 'POST', target: '/person', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'name=fred', expect: [200] },
  { name: 'PUT account', method: 'PUT', target: '/account/1234?name=fred', expect: [200] },
  { name: 'GET person by path', method: 'GET', target: '/person/fred', expect: [200] },
  { name: 'PUT pull secret (multipart)', method: 'PUT', target: '/templates/soak-template/pull-secret', ...withKey(multipart('{"auths":{"registry.example.org":{"auth":"c29hazpzb2Fr"}}}')), expect: [200, 404] }, // 404 before the first POST template
  { name: 'GET /healthz', method: 'GET', target: '/healthz', expect: [200] },
  { name: 'GET /readyz', method: 'GET', target: '/readyz', expect: [200] },
  // invalid
  { name: '400 malformed JSON', method: 'POST', target: '/person', headers: JSON_TYPE, body: '{"name":', expect: [400] },
  { name: '400 readOnly property sent', method: 'POST', target: '/templates', headers: { ...KEY, ...JSON_TYPE }, body: JSON.stringify({ name: 'x', 'image-source': 'binder/x', 'time-created': '2016-03-01T12:05:00.000Z' }), expect: [400] },
  { name: '400 query not an integer', method: 'GET', target: '/builds?filter[limit]=ten', headers: KEY, expect: [400] },
  { name: '400 unknown property', method: 'POST', target: '/person', headers: JSON_TYPE, body: '{"name":"fred","__proto__":{"admin":true}}', expect: [400] },
  { name: '401 no API key', method: 'GET', target: '/templates', expect: [401] },
  { name: '401 wrong API key', method: 'GET', target: '/health', headers: { 'X-API-Key': 'not-the-key' }, expect: [401] },
  { name: '404 unknown path (new each time)', method: 'GET', target: '/nope/{n}', expect: [404] },
  { name: '404 no such template', method: 'GET', target: '/templates/no-such-template', headers: KEY, expect: [404] },
  { name: '405 undeclared method', method: 'DELETE', target: '/templates', headers: KEY, expect: [405] },
  { name: '406 unsatisfiable Accept', method: 'GET', target: '/person/fred', headers: { Accept: 'text/html' }, expect: [406] },
  { name: '413 file over the operation limit', method: 'PUT', target: '/templates/soak-template/pull-secret', ...withKey(multipart('x'.repeat(9 * 1024))), expect: [413] },
  { name: '413 body over bodyLimit (declared, not sent)', method: 'POST', target: '/templates', headers: { ...KEY, ...JSON_TYPE }, body: '{"name":"', contentLength: 2 * 1024 * 1024, expect: [413] },
  { name: '415 undeclared content type', method: 'POST', target: '/person', headers: { 'Content-Type': 'text/plain' }, body: 'fred', expect: [415] },
];

function withKey(part: { headers: Record<string, string>; body: string }) {
  return { headers: { ...KEY, ...part.headers }, body: part.body };
}

/** A Lua string literal for any bytes (decimal escapes for everything but printable ASCII). */
function lua(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, 'utf8')) {
    out += byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c ? String.fromCharCode(byte) : `\\${String(byte).padStart(3, '0')}`;
  }
  return `${out}"`;
}

/** The rotation for soak.lua: each kind as raw HTTP/1.1, split where its X-Request-Id value goes. */
function luaTable(kinds: Kind[], host: string): { file: string; rotation: number[] } {
  const rotation: number[] = [];
  kinds.forEach((kind, i) => {
    for (let w = 0; w < (kind.weight ?? 1); w++) rotation.push(i);
  });
  // Interleave (weights spread through the rotation, not in runs).
  rotation.sort((a, b) => ((a * 7919) % 31) - ((b * 7919) % 31) || a - b);
  // wrk checks the first request parses as a whole one: start with a kind that sends its whole body.
  const first = rotation.findIndex((i) => kinds[i].contentLength === undefined);
  if (first < 0) throw new Error('at least one request kind must send its whole body');
  rotation.unshift(...rotation.splice(first, 1));
  const entries = rotation.map((i) => {
    const kind = kinds[i];
    const length = kind.contentLength ?? (kind.body === undefined ? undefined : Buffer.byteLength(kind.body));
    const headers = [`Host: ${host}`, ...Object.entries(kind.headers ?? {}).map(([k, v]) => `${k}: ${v}`), ...(length === undefined ? [] : [`Content-Length: ${length}`])];
    const before = `${kind.method} ${kind.target} HTTP/1.1\r\n${headers.join('\r\n')}\r\nX-Request-Id: `;
    const after = `\r\n\r\n${kind.body ?? ''}`;
    return `  { kind = ${i + 1}, before = ${lua(before)}, after = ${lua(after)}, dynamic = ${kind.target.includes('{n}')} },`;
  });
  return { file: `kindCount = ${kinds.length}\nkinds = {\n${entries.join('\n')}\n}\n`, rotation };
}

// ---- the server -----------------------------------------------------------------------------------

/** buildDir() holds src/ and bench/servers/; the bundled API's handlers/ and openapi/*.ts go beside them. */
function buildBundledApi(): string {
  const out = buildDir();
  transpileInto(path.join(ROOT, 'handlers'), out);
  transpileInto(path.join(ROOT, 'openapi'), out);
  return out;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms: number, detail: () => string): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}\n${detail()}`);
}

interface Served {
  pid: number;
  url: string;
  startupMs: number;
  logs: { lines: number; errors: number; tail: () => string };
  exited: () => boolean;
  stop(): Promise<number | string | null>;
}

export type Store = 'memory' | 'pglite';
export const STORES: Record<Store, string> = {
  memory: 'the bundled API\'s MemoryStore (preloaded bench/servers/soak-memory-store.ts)',
  pglite: 'PGlite in memory (PGLITE_DATA_DIR=memory://), the store npm start uses',
};

/** `specbind serve` as `npm start` runs it (compiled), pinned to core 0; ready when /readyz says so. */
async function startBundledApi(store: Store): Promise<Served> {
  const out = buildBundledApi();
  const port = await freePort();
  const preload = store === 'memory' ? ['--require', path.join(out, 'bench', 'servers', 'soak-memory-store.js')] : [];
  const args = ['-c', '0', process.execPath, ...preload, path.join(out, 'src', 'cli.js'), 'serve', '--spec', 'openapi/api.yaml', '--handlers', path.join(out, 'handlers'), '--config', path.join(out, 'handlers', '_app', 'config.js'), '--port', String(port)];
  const started = performance.now();
  const child = spawn('taskset', args, {
    cwd: ROOT,
    env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules'), PGLITE_DATA_DIR: 'memory://', API_KEYS: API_KEY, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Logs are JSON lines (pino): count them and their errors (level ≥ 50), keep the last few.
  const logs = { lines: 0, errors: 0, recent: [] as string[], tail: () => logs.recent.join('\n') };
  const take = (chunk: string) => {
    for (const line of chunk.split('\n')) {
      if (!line) continue;
      logs.lines++;
      if (/"level":(5|6)\d/.test(line)) logs.errors++;
      logs.recent.push(line.slice(0, 500));
      if (logs.recent.length > 20) logs.recent.shift();
    }
  };
  child.stdout!.setEncoding('utf8').on('data', take);
  child.stderr!.setEncoding('utf8').on('data', take);
  let exit: number | string | null | undefined;
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve((exit = code ?? signal))));
  const url = `http://127.0.0.1:${port}`;
  await waitFor('the server to be ready (/readyz 200)', async () => {
    if (exit !== undefined) throw new Error(`the server exited (${exit}) before it was ready:\n${logs.tail()}`);
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
    await res.text();
    return res.status === 200 ? true : undefined;
  }, 60_000, logs.tail).catch((error) => {
    child.kill('SIGKILL');
    throw error;
  });
  // taskset execs node: the child's pid is the server's.
  return {
    pid: child.pid!,
    url,
    startupMs: performance.now() - started,
    logs,
    exited: () => exit !== undefined,
    stop: async () => {
      if (exit !== undefined) return exit;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

// ---- sampling and figures -------------------------------------------------------------------------

interface Sample {
  t: number; // seconds since the load started
  rssMB: number;
  fds: number;
  cpuPct: number; // the server's CPU, % of one core, since the previous sample
  othersPct: number; // % of core 0 (the server's) that other processes used meanwhile (a shared machine)
}

function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx ? sxy / sxx : NaN;
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

interface WrkSoak {
  requests: number;
  durationUs: number;
  bytes: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyUs: { mean: number; stdev: number; p50: number; p90: number; p99: number; max: number };
  kinds: Array<Record<string, number>>;
  unattributed: Record<string, number>;
  perSecond: number[];
}

function runWrk(url: string, tableFile: string, seconds: number, connections: number): Promise<WrkSoak> {
  const args = ['-c', '1', 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '-s', LUA, url];
  return runWrkJson<WrkSoak>('taskset', args, { SOAK_TABLE: tableFile }, 'SOAK_JSON ');
}

export async function soak(options: { seconds: number; connections: number; warmup: number; store: Store; only?: RegExp; log: (s: string) => void }) {
  const { seconds, connections, log } = options;
  const kinds = options.only ? KINDS.filter((k) => options.only!.test(k.name)) : KINDS;
  const server = await startBundledApi(options.store);
  log(`server: pid ${server.pid}, ${server.url}, ready in ${Math.round(server.startupMs)} ms (store: ${STORES[options.store]}; compiled JS, core 0)`);
  const tableDir = path.join(os.tmpdir(), 'specbind-bench');
  mkdirSync(tableDir, { recursive: true });
  const tableFile = path.join(tableDir, `soak-table-${process.pid}.lua`);
  const { file, rotation } = luaTable(kinds, new URL(server.url).host);
  writeFileSync(tableFile, file);

  try {
    const fdsAtStart = fdCount(server.pid);
    const rssAtStart = memory(server.pid).rssMB;
    const samples: Sample[] = [];
    const loadStarted = performance.now();
    let lastTicks = cpuTicks(server.pid);
    let lastCore = coreTicks()[0];
    let lastAt = loadStarted;
    const sample = () => {
      if (server.exited()) return;
      const now = performance.now();
      const ticks = cpuTicks(server.pid);
      const core = coreTicks()[0];
      const coreTotal = core.total - lastCore.total;
      samples.push({
        t: round((now - loadStarted) / 1000, 1),
        rssMB: round(memory(server.pid).rssMB),
        fds: fdCount(server.pid),
        cpuPct: round((((ticks - lastTicks) / CLK_TCK) * 100000) / (now - lastAt), 0),
        othersPct: coreTotal > 0 ? Math.max(0, round(((core.busy - lastCore.busy - (ticks - lastTicks)) / coreTotal) * 100, 0)) : 0,
      });
      lastTicks = ticks;
      lastCore = core;
      lastAt = now;
    };
    sample();
    const timer = setInterval(() => {
      sample();
      const s = samples[samples.length - 1];
      if (s && Math.round(s.t) % 30 < 5) log(`  t=${String(Math.round(s.t)).padStart(4)} s  RSS ${s.rssMB.toFixed(1)} MB  fds ${s.fds}  CPU ${s.cpuPct}% (others on core 0: ${s.othersPct}%)`);
    }, SAMPLE_MS);
    let result: WrkSoak;
    try {
      result = await runWrk(server.url, tableFile, seconds, connections);
    } finally {
      clearInterval(timer);
    }
    sample();

    // After the load: every connection wrk had open is gone once the server has seen the FINs.
    const idle = await waitFor('the descriptors to settle after the load', async () => {
      const fds = fdCount(server.pid);
      return fds <= fdsAtStart ? fds : undefined;
    }, 5000, () => '').catch(() => fdCount(server.pid));
    const stillReady = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(5000) }).then(async (r) => (await r.text(), r.status), (e: Error) => e.message);
    const rssAtEnd = memory(server.pid).rssMB;
    const exitCode = await server.stop();

    // ---- figures and assertions
    const unexpected: Array<{ kind: string; status: string; count: number }> = [];
    const perKind = kinds.map((kind, i) => {
      const statuses = result.kinds[i] ?? {};
      const total = Object.values(statuses).reduce((a, b) => a + b, 0);
      for (const [status, count] of Object.entries(statuses)) if (!kind.expect.includes(Number(status))) unexpected.push({ kind: kind.name, status, count });
      return { kind: kind.name, request: `${kind.method} ${kind.target}`, expect: kind.expect, statuses, total };
    });
    for (const [status, count] of Object.entries(result.unattributed)) unexpected.push({ kind: '(no X-Request-Id in the response)', status, count });
    const statusTotals: Record<string, number> = {};
    for (const k of perKind) for (const [s, c] of Object.entries(k.statuses)) statusTotals[s] = (statusTotals[s] ?? 0) + c;
    for (const [s, c] of Object.entries(result.unattributed)) statusTotals[s] = (statusTotals[s] ?? 0) + c;

    const warmup = options.warmup;
    const windowS = Math.min(60, Math.max(5, (seconds - warmup) / 2));
    const after = samples.filter((s) => s.t >= warmup);
    const firstWindow = after.filter((s) => s.t < warmup + windowS).map((s) => s.rssMB);
    const lastWindow = after.filter((s) => s.t >= seconds - windowS).map((s) => s.rssMB);
    const firstMedian = median(firstWindow);
    const lastMedian = median(lastWindow);
    const slopeMBPerMin = slope(after.map((s) => [s.t / 60, s.rssMB]));
    // Garbage collection makes RSS a sawtooth: a leak raises its floor (each 30 s window's minimum), a
    // collection still to come only a peak. Stability is judged on the floor; the raw slope is reported.
    const floors: Array<[number, number]> = [];
    for (let t = warmup; t < seconds; t += 30) {
      const window = after.filter((s) => s.t >= t && s.t < t + 30).map((s) => s.rssMB);
      if (window.length) floors.push([(t + 15) / 60, Math.min(...window)]);
    }
    const floorSlopeMBPerMin = floors.length >= 2 ? slope(floors) : 0;
    const growthPct = ((lastMedian - firstMedian) / firstMedian) * 100;
    const rps = result.requests / (result.durationUs / 1e6);
    const perSecond = result.perSecond;
    // Throughput per 5 s (complete seconds only; the last second of the run is partial).
    const throughput: number[] = [];
    for (let s = 0; s + 5 <= perSecond.length - 1; s += 5) throughput.push(Math.round(perSecond.slice(s, s + 5).reduce((a, b) => a + b, 0) / 5));

    const socketErrors = result.errors.connect + result.errors.read + result.errors.write + result.errors.timeout;
    const checks = {
      noUnexpectedStatus: unexpected.length === 0,
      everyKindAnswered: perKind.every((k) => k.total > 0),
      noSocketErrors: socketErrors === 0,
      rssStable: Math.abs(growthPct) <= 10 && floorSlopeMBPerMin <= 1,
      noFdLeak: idle <= fdsAtStart,
      stillReady: stillReady === 200,
      serverAlive: !samples.some((s) => Number.isNaN(s.rssMB)) && exitCode === 0,
      noErrorLogs: server.logs.errors === 0,
    };
    return {
      date: new Date().toISOString(),
      command: `npx tsx bench/soak.ts --seconds ${seconds} --connections ${connections} --warmup ${warmup} --store ${options.store}`,
      server: { how: 'specbind serve --config handlers/_app/config (compiled, as npm start), bundled API, LOG_LEVEL=warn, pinned to core 0', store: STORES[options.store], startupMs: Math.round(server.startupMs) },
      load: { tool: 'wrk -t1, pinned to core 1, bench/wrk/soak.lua', seconds, connections, rotation: rotation.length, kinds: kinds.length },
      machine: machine(),
      passed: Object.values(checks).every(Boolean),
      checks,
      requests: result.requests,
      rps: Math.round(rps),
      latencyMs: { p50: result.latencyUs.p50 / 1000, p90: result.latencyUs.p90 / 1000, p99: result.latencyUs.p99 / 1000, max: result.latencyUs.max / 1000 },
      socketErrors: result.errors,
      statusTotals,
      unexpected,
      perKind,
      rss: {
        atStartMB: round(rssAtStart),
        atEndMB: round(rssAtEnd),
        warmupS: warmup,
        windowS,
        firstWindowMedianMB: round(firstMedian),
        lastWindowMedianMB: round(lastMedian),
        growthPct: round(growthPct),
        slopeMBPerMinAfterWarmup: round(slopeMBPerMin, 2),
        floorsMB: floors.map(([minute, mb]) => ({ minute: round(minute, 2), mb: round(mb) })),
        floorSlopeMBPerMin: round(floorSlopeMBPerMin, 2),
        maxMB: round(Math.max(...samples.map((s) => s.rssMB))),
      },
      fds: { atStart: fdsAtStart, maxUnderLoad: Math.max(...samples.map((s) => s.fds)), atEndIdle: idle },
      readyzAfter: stillReady,
      serverExit: exitCode,
      logs: { lines: server.logs.lines, errors: server.logs.errors, tail: server.logs.errors ? server.logs.tail() : undefined },
      throughputPer5s: throughput,
      othersOnServerCoreMedianPct: median(samples.slice(1).map((s) => s.othersPct)),
      samples,
    };
  } finally {
    await server.stop();
  }
}

function summary(r: Awaited<ReturnType<typeof soak>>): string {
  const lines = [
    `${r.passed ? 'PASSED' : 'FAILED'}: ${r.requests.toLocaleString('en')} requests in ${r.load.seconds} s, ${r.rps.toLocaleString('en')} req/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms (${r.load.connections} connections, ${r.load.kinds} request kinds)`,
    `statuses: ${Object.entries(r.statusTotals).map(([s, c]) => `${s}×${c}`).join('  ')}`,
    `unexpected statuses: ${r.unexpected.length ? r.unexpected.map((u) => `${u.kind}: ${u.status}×${u.count}`).join('; ') : 'none'}`,
    `socket errors: connect ${r.socketErrors.connect}, read ${r.socketErrors.read}, write ${r.socketErrors.write}, timeout ${r.socketErrors.timeout}`,
    `RSS: ${r.rss.atStartMB} MB at start, median ${r.rss.firstWindowMedianMB} MB in the first ${r.rss.windowS} s after a ${r.rss.warmupS} s warm-up, ${r.rss.lastWindowMedianMB} MB in the last ${r.rss.windowS} s (${r.rss.growthPct >= 0 ? '+' : ''}${r.rss.growthPct}%), slope ${r.rss.slopeMBPerMinAfterWarmup} MB/min after warm-up (of the 30 s floors: ${r.rss.floorSlopeMBPerMin} MB/min, ${r.rss.floorsMB.map((f) => f.mb).join(' ')}), max ${r.rss.maxMB} MB`,
    `RSS curve (MB, every 5 s): ${r.samples.map((s) => s.rssMB.toFixed(0)).join(' ')}`,
    `file descriptors: ${r.fds.atStart} at start, ${r.fds.maxUnderLoad} max under load, ${r.fds.atEndIdle} after the load`,
    `throughput per 5 s (req/s): min ${Math.min(...r.throughputPer5s)}, median ${median(r.throughputPer5s)}, max ${Math.max(...r.throughputPer5s)}; other processes used a median ${r.othersOnServerCoreMedianPct}% of the server's core`,
    `after the load: /readyz ${r.readyzAfter}, server exit on SIGTERM ${r.serverExit}, ${r.logs.errors} error log lines of ${r.logs.lines}`,
  ];
  for (const [name, ok] of Object.entries(r.checks)) if (!ok) lines.push(`! check failed: ${name}`);
  return lines.join('\n');
}

async function main() {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '300' },
      connections: { type: 'string', default: '10' },
      warmup: { type: 'string' },
      store: { type: 'string', default: 'memory' },
      only: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  if (!(seconds >= 10) || !(connections >= 1)) throw new Error('--seconds must be at least 10 and --connections at least 1');
  const store = values.store as Store;
  if (!(store in STORES)) throw new Error(`--store must be memory or pglite (got "${store}")`);
  const warmup = values.warmup !== undefined ? Number(values.warmup) : Math.min(60, Math.round(seconds / 5));
  const out = path.resolve(values.out ?? SOAK_RESULTS);
  const log = (s: string) => console.log(s);
  log(`specbind soak: ${seconds} s of mixed traffic (${KINDS.length} request kinds), ${connections} connections, store ${store}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const result = await soak({ seconds, connections, warmup, store, only: values.only ? new RegExp(values.only) : undefined, log });
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  log('');
  log(summary(result));
  log(`\nwrote ${path.relative(process.cwd(), out) || out}`);
  if (!result.passed) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
