// Streamed responses (issue 16): what a file download and a stream of server-sent events cost in
// specbind against raw node:http doing the same work by hand.
//
// 1. Download: a 1 GiB file (random bytes, written once into a temp dir, synced to disk so no
//    writeback runs during the measurements, deleted at the end) served by specbind's handler
//    `() => createReadStream(file)` for an application/octet-stream response, against raw node:http's
//    `createReadStream(file).pipe(res)` with Content-Length. curl downloads it into /dev/null, one at a
//    time (c=1) and four at once in one curl process (c=4, --parallel). MB/s (10^6 bytes), server CPU
//    per GiB, the server's RSS before the first download and its peak (VmHWM; and VmRSS sampled every
//    25 ms per phase).
// 2. Server-sent events: a handler returning an async generator of N `{ data: { n, at: 'text' } }`
//    items, each checked against the document's schema (bench/streams.yaml; responseValidation
//    'strict', the default) and framed by specbind; the same generator framed by hand in raw node:http
//    (`res.write('data: ' + JSON.stringify(item.data) + '\n\n')`, waiting for 'drain' when write()
//    says so), and specbind with responseValidation 'off'. A node client (bench/clients/sse.ts) reads
//    every byte and counts the events. Events/s, server CPU µs per event, RSS.
//
// Every round starts a fresh process of every variant (compiled, bench/lib/build.ts), all pinned to
// core 0 and only one loaded at a time; curl and the SSE client run pinned to core 1. Within a round
// the measured downloads (streams) alternate between the variants, the order rotating every turn and
// every round: this VM's host takes CPU away in bursts (steal) and other sessions run tests on the same
// two cores, so measurements close in time are compared. A variant's ratio to raw is the median over
// rounds of each round's median ratio of back-to-back measurements. Before each measurement the runner
// waits (at most 30 s) until both cores are quiet; a measurement during which others took more than
// 10 % of core 0 or 25 % of core 1 (the client's CPU, read with the shell's `times`, set apart) is taken
// again once, and the quieter kept. specbind runs at its defaults except its logger: level info as by
// default (an access line per download and per event stream), written to a file instead of stdout
// (checked afterwards: `request` lines, every stream `complete`, nothing at warn or above).
//
//   npx tsx bench/streams.ts                  5 rounds, 1 GiB file, 1,000,000 events a stream (~8 min)
//   npx tsx bench/streams.ts --quick          2 rounds, 256 MiB, 200,000 events (~1 min)
//   options: --rounds N --file-mb MB --downloads N (c=1 downloads a round, 3) --parallel N (c=N, 4; 0: none)
//            --parallel-batches N (2) --events N --streams N (measured streams a round, 3) --only download|sse
//            --out file.json. Results go to bench/streams-results.json, section "full" or "quick".
//   npx tsx bench/streams.ts --profile [--only sse|download]   CPU profiles (node --cpu-prof) of one
//            measured download / stream per variant, summarised; files in bench/profiles/
import { spawn } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, fdatasyncSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { buildDir, transpileInto } from './lib/build';
import { printSummary, summarise, type ProfileSummary } from './lib/cpuprofile';
import { CLK_TCK, cpuTicks, memory, ROOT, startServer, type ServerProcess } from './lib/proc';
import { fmt, machine, median, table } from './lib/report';

export const STREAMS_RESULTS = path.join(ROOT, 'bench', 'streams-results.json');
/** Others' share of core 0 (the server's) above which a measurement is taken again, once. */
const NOISY = 0.1;
/** Others' share of core 1 (the client's) above which a measurement is taken again, once: the client has headroom, but not unlimited. */
const LOAD_NOISY = 0.25;
const LOAD_CORE = '1';
const MB = 1e6;
const GiB = 2 ** 30;

interface Variant {
  id: string;
  label: string;
  server: string;
  env?: Record<string, string>;
}

const DOWNLOAD_VARIANTS: Variant[] = [
  { id: 'raw', label: 'raw node:http (createReadStream().pipe(res))', server: 'raw-streams' },
  { id: 'specbind', label: 'specbind (handler returns createReadStream())', server: 'specbind-streams' },
];

const SSE_VARIANTS: Variant[] = [
  { id: 'raw', label: 'raw node:http (hand-framed, no check)', server: 'raw-streams' },
  { id: 'specbind', label: 'specbind, responseValidation strict (default)', server: 'specbind-streams' },
  { id: 'specbind-off', label: "specbind, responseValidation 'off'", server: 'specbind-streams', env: { BENCH_RESPONSE_VALIDATION: 'off' } },
];

// ---------------------------------------------------------------------------------------------
// Processes and /proc

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(command: string, args: string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-4000)));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

/**
 * A client on the load core, its CPU time (user + system) read by the shell's `times` after it exits:
 * what the client used of core 1, told apart from what other processes took of it.
 */
async function onLoadCore(command: string, args: string[]): Promise<Ran & { clientCpuS: number }> {
  const ran = await run('taskset', ['-c', LOAD_CORE, 'sh', '-c', '"$@"; s=$?; times >&2; exit $s', 'sh', command, ...args]);
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(ran.stderr);
  const clientCpuS = m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) : NaN;
  return { ...ran, stderr: m ? ran.stderr.slice(0, ran.stderr.lastIndexOf('\n', m.index - 2) + 1) : ran.stderr, clientCpuS };
}

/** Bytes a process (all its threads) had fetched from storage: a download that reads its file from disk, not the page cache, says so. */
function storageReadBytes(pid: number): number {
  try {
    return Number(/^read_bytes:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/** Per-core ticks from /proc/stat: busy (not idle or iowait), of which irq + softirq and steal (the hypervisor's), and total. */
function cores(): Array<{ busy: number; irq: number; steal: number; total: number }> {
  const out: Array<{ busy: number; irq: number; steal: number; total: number }> = [];
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    out[Number(m[1])] = { busy: total - v[3] - v[4], irq: v[5] + v[6], steal: v[7] ?? 0, total };
  }
  return out;
}

interface Watched<T> {
  result: T;
  /** Server CPU (user + system, every thread), seconds. */
  cpuS: number;
  /** Share of core 0 that other processes took (its busy time less the server's and less interrupt work). */
  others: number;
  /** Share of core 0 spent in hard and soft interrupts (loopback TCP is processed there, much of it for the server). */
  irq: number;
  /** Share of core 0's time the hypervisor gave to others (steal): the VM's neighbours. */
  steal: number;
  /** Share of core 1 the client used (curl, or the SSE client). */
  client: number;
  /** Share of core 1 that other processes took (its busy time less the client's, interrupts and steal). */
  loadOthers: number;
  /** What the server read from storage (not the page cache), MB: the host's memory management (DAMON reclaim runs here) can evict the file between rounds. */
  diskMB: number;
  /** Highest VmRSS sampled every 25 ms, MB. */
  rssMaxMB: number;
  /** VmHWM afterwards (the process's peak RSS so far), MB. */
  hwmMB: number;
}

async function watched<T extends { clientCpuS: number }>(server: ServerProcess, work: () => Promise<T>): Promise<Watched<T>> {
  const t0 = cpuTicks(server.pid);
  const d0 = storageReadBytes(server.pid);
  const c0 = cores();
  let rssMaxMB = memory(server.pid).rssMB;
  const sampler = setInterval(() => {
    try {
      rssMaxMB = Math.max(rssMaxMB, memory(server.pid).rssMB);
    } catch {
      // exited
    }
  }, 25);
  let result: T;
  try {
    result = await work();
  } finally {
    clearInterval(sampler);
  }
  const ticks = cpuTicks(server.pid) - t0;
  const c1 = cores();
  const mem = memory(server.pid);
  const share = (core: number, busy: number) => {
    const total = c1[core].total - c0[core].total;
    return total > 0 ? Math.max(0, busy / total) : NaN;
  };
  const irq0 = c1[0].irq - c0[0].irq;
  const steal0 = c1[0].steal - c0[0].steal;
  const clientTicks = result!.clientCpuS * CLK_TCK;
  const quiet1 = c1[1].busy - c0[1].busy - (c1[1].irq - c0[1].irq) - (c1[1].steal - c0[1].steal) - clientTicks;
  return {
    result,
    cpuS: ticks / CLK_TCK,
    others: share(0, c1[0].busy - c0[0].busy - irq0 - steal0 - ticks),
    irq: share(0, irq0),
    steal: share(0, steal0),
    client: share(1, clientTicks),
    loadOthers: share(1, quiet1),
    diskMB: (storageReadBytes(server.pid) - d0) / MB,
    rssMaxMB: Math.max(rssMaxMB, mem.rssMB),
    hwmMB: mem.peakMB,
  };
}

/** Busiest core's share above which the machine counts as busy with others' work (tests of other sessions). */
const BUSY = 0.15;
/** Longest wait for a quiet machine before a measurement, ms. */
const CALM_WAIT_MS = 30_000;
let waitedMs = 0;

/**
 * Waits (up to CALM_WAIT_MS) until both cores are quiet for 300 ms: between measurements the benchmark's
 * own processes are idle, so what keeps a core busy then is someone else's work, which would be
 * measured along.
 */
async function calm(): Promise<void> {
  const started = performance.now();
  for (;;) {
    const a = cores();
    await sleep(300);
    const b = cores();
    const busy = [0, 1].map((i) => (b[i].busy - a[i].busy - (b[i].steal - a[i].steal)) / Math.max(1, b[i].total - a[i].total));
    if (Math.max(...busy) < BUSY || performance.now() - started > CALM_WAIT_MS) break;
  }
  waitedMs += performance.now() - started - 300;
}

/**
 * `measureOnce` on a calm machine, again once when others took more than NOISY of core 0 or LOAD_NOISY
 * of core 1, or the server read more than 10 MB from storage; the quieter kept.
 */
async function quiet<T extends { others: number; loadOthers: number; diskMB: number }>(measureOnce: () => Promise<T>): Promise<T & { retried?: boolean }> {
  await calm();
  const first = await measureOnce();
  if (!(first.others > NOISY || first.loadOthers > LOAD_NOISY || first.diskMB > 10)) return first;
  await calm();
  const second = await measureOnce();
  const noise = (m: T) => m.others + m.loadOthers / 2 + (m.diskMB > 10 ? 1 : 0);
  return { ...(noise(second) < noise(first) ? second : first), retried: true };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// The file

function writeFile(dir: string, bytes: number): { file: string; sha1: string; ms: number } {
  const started = performance.now();
  const file = path.join(dir, 'download.bin');
  const fd = openSync(file, 'w');
  const hash = createHash('sha1');
  const chunk = Buffer.alloc(8 << 20);
  try {
    for (let written = 0; written < bytes; ) {
      const part = chunk.subarray(0, Math.min(chunk.length, bytes - written));
      randomFillSync(part);
      hash.update(part);
      for (let off = 0; off < part.length; ) off += writeSync(fd, part, off, part.length - off);
      written += part.length;
    }
    // On disk before any measurement: no writeback of 1 GiB of dirty pages during the downloads.
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { file, sha1: hash.digest('hex'), ms: performance.now() - started };
}

// ---------------------------------------------------------------------------------------------
// Download

interface Transfer {
  status: number;
  bytes: number;
  seconds: number;
  contentLength: string;
}

/** `parallel` downloads at once by one curl process on the load core, bodies to /dev/null. */
async function curlDownloads(url: string, parallel: number): Promise<{ transfers: Transfer[]; clientCpuS: number }> {
  const args = ['-sS', '--no-progress-meter', '-w', '%{http_code} %{size_download} %{time_total} %header{content-length}\\n'];
  if (parallel > 1) args.push('--parallel', '--parallel-immediate', '--parallel-max', String(parallel));
  for (let i = 0; i < parallel; i++) args.push('-o', '/dev/null');
  for (let i = 0; i < parallel; i++) args.push(url);
  const ran = await onLoadCore('curl', args);
  if (ran.code !== 0) throw new Error(`curl failed (${ran.code}): ${ran.stderr}`);
  const transfers = ran.stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [status, bytes, seconds, contentLength = ''] = line.trim().split(' ');
      return { status: Number(status), bytes: Number(bytes), seconds: Number(seconds), contentLength };
    });
  return { transfers, clientCpuS: ran.clientCpuS };
}

interface DownloadBatch {
  parallel: number;
  transfers: Transfer[];
  mbPerS: number;
  cpuSPerGiB: number;
  others: number;
  irq: number;
  steal: number;
  client: number;
  loadOthers: number;
  diskMB: number;
  rssMaxMB: number;
  hwmMB: number;
  retried?: boolean;
}

async function downloadBatch(server: ServerProcess, parallel: number, size: number): Promise<DownloadBatch> {
  const w = await watched(server, () => curlDownloads(`${server.url}/file`, parallel));
  const { transfers } = w.result;
  const bad = transfers.filter((t) => t.status !== 200 || t.bytes !== size || t.contentLength !== String(size));
  if (transfers.length !== parallel || bad.length) throw new Error(`download: ${JSON.stringify(transfers)} (expected ${parallel} × 200, ${size} bytes, Content-Length ${size})`);
  const seconds = Math.max(...transfers.map((t) => t.seconds));
  const bytes = transfers.reduce((n, t) => n + t.bytes, 0);
  return { parallel, transfers, mbPerS: bytes / seconds / MB, cpuSPerGiB: w.cpuS / (bytes / GiB), others: w.others, irq: w.irq, steal: w.steal, client: w.client, loadOthers: w.loadOthers, diskMB: w.diskMB, rssMaxMB: w.rssMaxMB, hwmMB: w.hwmMB };
}

interface DownloadRun {
  round: number;
  variant: string;
  rssBeforeMB: number;
  check: string[];
  /** c=1: downloads one at a time, alternated with the other variants' (total bytes / total time). */
  single: { mbPerS: number; cpuSPerGiB: number; downloads: DownloadBatch[]; peakMB: number; rssMaxMB: number };
  /** c=N: batches of N downloads at once, alternated with the other variants' (median of the batches). */
  parallel?: { mbPerS: number; cpuSPerGiB: number; batches: DownloadBatch[]; peakMB: number; rssMaxMB: number };
}

/** The order of the i-th turn: rotated every turn and every round, so that no variant always goes first. */
const rotate = <T>(list: T[], by: number): T[] => list.map((_, i) => list[(i + by) % list.length]);

/**
 * One round of downloads: a fresh process of every variant (all on core 0, only one downloaded from at
 * a time), their RSS, a checked warm-up download each, then the measured downloads alternated between
 * the variants: the host's CPU steal comes in bursts, and alternating puts the variants' downloads of
 * one round under the same conditions.
 */
async function downloadRound(variants: Variant[], round: number, o: Options, file: { file: string; sha1: string; size: number }, logDir: string): Promise<DownloadRun[]> {
  const servers: Array<{ variant: Variant; server: ServerProcess; log: string }> = [];
  try {
    for (const variant of variants) {
      const log = path.join(logDir, `download-${variant.id}-${round}.log`);
      servers.push({ variant, log, server: await startServer(variant.server, { env: { BENCH_FILE: file.file, BENCH_LOG: log, ...variant.env } }) });
    }
    await sleep(300);
    const runs = servers.map(({ variant, server }): DownloadRun => ({
      round,
      variant: variant.id,
      rssBeforeMB: memory(server.pid).rssMB,
      check: [],
      single: { mbPerS: NaN, cpuSPerGiB: NaN, downloads: [], peakMB: NaN, rssMaxMB: NaN },
    }));
    // The first download warms up and checks the body, byte for byte (sha1 on the client's core).
    for (const [i, { server }] of servers.entries()) {
      const sum = await run('taskset', ['-c', LOAD_CORE, 'sh', '-c', `curl -sS --fail ${server.url}/file | sha1sum`]);
      if (sum.code !== 0 || !sum.stdout.startsWith(file.sha1)) runs[i].check.push(`body sha1 ${sum.stdout.trim() || sum.stderr.trim()}, file ${file.sha1}`);
    }
    const order = (turn: number) => rotate([...servers.keys()], turn + round);
    for (let turn = 0; turn < o.downloads; turn++) {
      for (const i of order(turn)) runs[i].single.downloads.push(await quiet(() => downloadBatch(servers[i].server, 1, file.size)));
    }
    for (const [i, r] of runs.entries()) {
      const seconds = r.single.downloads.reduce((n, d) => n + d.transfers[0].seconds, 0);
      Object.assign(r.single, {
        mbPerS: (r.single.downloads.length * file.size) / seconds / MB,
        cpuSPerGiB: median(r.single.downloads.map((d) => d.cpuSPerGiB)),
        peakMB: memory(servers[i].server.pid).peakMB,
        rssMaxMB: Math.max(...r.single.downloads.map((d) => d.rssMaxMB)),
      });
    }
    if (o.parallel > 1) {
      const batches: DownloadBatch[][] = servers.map(() => []);
      for (let turn = 0; turn < o.parallelBatches; turn++) {
        for (const i of order(turn)) batches[i].push(await quiet(() => downloadBatch(servers[i].server, o.parallel, file.size)));
      }
      for (const [i, r] of runs.entries()) {
        r.parallel = {
          mbPerS: median(batches[i].map((b) => b.mbPerS)),
          cpuSPerGiB: median(batches[i].map((b) => b.cpuSPerGiB)),
          batches: batches[i],
          peakMB: memory(servers[i].server.pid).peakMB,
          rssMaxMB: Math.max(...batches[i].map((b) => b.rssMaxMB)),
        };
      }
    }
    for (const [i, { server, log, variant }] of servers.entries()) {
      await server.stop();
      runs[i].check.push(...logProblems(log, variant));
    }
    return runs;
  } finally {
    for (const { server, log } of servers) {
      await server.stop();
      rmSync(log, { force: true });
    }
  }
}

/** specbind's log lines: one `request` line per response, none at warn or above. */
function logProblems(file: string, variant: Variant): string[] {
  if (!variant.server.startsWith('specbind')) return [];
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return ['no log file'];
  }
  const lines = text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const bad = lines.filter((l) => l.level >= 40 || (l.msg === 'request' && l.stream !== undefined && l.stream !== 'complete'));
  const problems = bad.slice(0, 3).map((l) => `log: ${JSON.stringify(l).slice(0, 300)}`);
  if (!lines.some((l) => l.msg === 'request')) problems.push('log: no request line');
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Server-sent events

let clientScript: string | undefined;
function sseClient(): string {
  if (!clientScript) {
    transpileInto(path.join(ROOT, 'bench', 'clients'), buildDir());
    clientScript = path.join(buildDir(), 'bench', 'clients', 'sse.js');
  }
  return clientScript;
}

const lastEvent = (count: number) => JSON.stringify({ n: count - 1, at: 'text' });

interface SseResult {
  events: number;
  bytes: number;
  ms: number;
  problems: string[];
  clientCpuS: number;
}

async function sseStream(server: ServerProcess, count: number, connections = 1): Promise<SseResult> {
  const ran = await onLoadCore(process.execPath, [sseClient(), String(server.port), `/events?count=${count}`, String(connections), String(count), lastEvent(count)]);
  const line = ran.stdout.split('\n').find((l) => l.startsWith('SSE_JSON '));
  if (ran.code !== 0 || !line) throw new Error(`SSE client failed (${ran.code}): ${ran.stderr || ran.stdout}`);
  return { ...JSON.parse(line.slice('SSE_JSON '.length)), clientCpuS: ran.clientCpuS };
}

interface SseMeasured {
  events: number;
  ms: number;
  eventsPerS: number;
  cpuUsPerEvent: number;
  others: number;
  irq: number;
  steal: number;
  client: number;
  loadOthers: number;
  diskMB: number;
  rssMaxMB: number;
  hwmMB: number;
  retried?: boolean;
}

async function measuredStream(server: ServerProcess, count: number): Promise<SseMeasured> {
  const w = await watched(server, () => sseStream(server, count));
  const r = w.result;
  if (r.problems.length) throw new Error(`SSE stream: ${r.problems.join('; ')}`);
  return { events: r.events, ms: r.ms, eventsPerS: r.events / (r.ms / 1000), cpuUsPerEvent: (w.cpuS * 1e6) / r.events, others: w.others, irq: w.irq, steal: w.steal, client: w.client, loadOthers: w.loadOthers, diskMB: w.diskMB, rssMaxMB: w.rssMaxMB, hwmMB: w.hwmMB };
}

/** The variant sends exactly the events the generator gives, framed as SSE, and refuses a count the document forbids. */
async function checkSse(server: ServerProcess): Promise<string[]> {
  const problems: string[] = [];
  const res = await fetch(`${server.url}/events?count=3`, { headers: { accept: 'text/event-stream' } });
  const text = await res.text();
  const expected = [0, 1, 2].map((n) => `data: ${JSON.stringify({ n, at: 'text' })}\n\n`).join('');
  if (res.status !== 200 || !/^text\/event-stream/.test(res.headers.get('content-type') ?? '') || text !== expected) problems.push(`GET /events?count=3: ${res.status} ${res.headers.get('content-type')} ${JSON.stringify(text.slice(0, 200))}`);
  const bad = await fetch(`${server.url}/events?count=0`);
  await bad.text();
  if (bad.status !== 400) problems.push(`GET /events?count=0: ${bad.status}, expected 400`);
  return problems;
}

interface SseRun {
  round: number;
  variant: string;
  rssBeforeMB: number;
  check: string[];
  /** Total events / total time of the round's measured streams. */
  eventsPerS: number;
  cpuUsPerEvent: number;
  peakMB: number;
  rssMaxMB: number;
  streams: SseMeasured[];
}

/** One round of event streams: a fresh process of every variant, checked and warmed up, then the measured streams alternated between them. */
async function sseRound(variants: Variant[], round: number, o: Options, file: string, logDir: string): Promise<SseRun[]> {
  const servers: Array<{ variant: Variant; server: ServerProcess; log: string }> = [];
  try {
    for (const variant of variants) {
      const log = path.join(logDir, `sse-${variant.id}-${round}.log`);
      servers.push({ variant, log, server: await startServer(variant.server, { env: { BENCH_FILE: file, BENCH_LOG: log, ...variant.env } }) });
    }
    await sleep(300);
    const runs: SseRun[] = [];
    for (const { variant, server } of servers) {
      runs.push({ round, variant: variant.id, rssBeforeMB: memory(server.pid).rssMB, check: await checkSse(server), eventsPerS: NaN, cpuUsPerEvent: NaN, peakMB: NaN, rssMaxMB: NaN, streams: [] });
    }
    // Warm-up (JIT): a fifth of a measured stream each, not counted.
    for (const { server } of servers) await sseStream(server, Math.max(1000, Math.round(o.events / 5)));
    for (let turn = 0; turn < o.streams; turn++) {
      for (const i of rotate([...servers.keys()], turn + round)) runs[i].streams.push(await quiet(() => measuredStream(servers[i].server, o.events)));
    }
    for (const [i, { server, log, variant }] of servers.entries()) {
      const r = runs[i];
      const events = r.streams.reduce((n, s) => n + s.events, 0);
      const ms = r.streams.reduce((n, s) => n + s.ms, 0);
      Object.assign(r, { eventsPerS: events / (ms / 1000), cpuUsPerEvent: median(r.streams.map((s) => s.cpuUsPerEvent)), peakMB: memory(server.pid).peakMB, rssMaxMB: Math.max(...r.streams.map((s) => s.rssMaxMB)) });
      await server.stop();
      r.check.push(...logProblems(log, variant));
    }
    return runs;
  } finally {
    for (const { server, log } of servers) {
      await server.stop();
      rmSync(log, { force: true });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Summaries

/**
 * This variant against raw: in every round, the ratio of each of its measurements to raw's measurement
 * of the same turn (they ran back to back), the round's ratio their median; the figure is the median
 * over rounds.
 */
function ratios<R extends { round: number; variant: string }>(runs: R[], variant: string, samples: (r: R) => number[] | undefined, baseline = 'raw'): { median: number; perRound: number[] } {
  const perRound = runs
    .filter((r) => r.variant === variant)
    .map((r) => {
      const raw = runs.find((x) => x.variant === baseline && x.round === r.round);
      const a = samples(r);
      const b = raw ? samples(raw) : undefined;
      if (!a || !b) return NaN;
      return median(a.map((x, i) => x / b[i]));
    });
  return { median: median(perRound), perRound };
}

function downloadRows(runs: DownloadRun[], variants: Variant[]) {
  return variants.map((v) => {
    const mine = runs.filter((r) => r.variant === v.id);
    const par = mine.filter((r) => r.parallel);
    return {
      variant: v.id,
      label: v.label,
      single: {
        mbPerS: median(mine.map((r) => r.single.mbPerS)),
        ratio: ratios(runs, v.id, (r) => r.single.downloads.map((d) => d.mbPerS)),
        cpuSPerGiB: median(mine.map((r) => r.single.cpuSPerGiB)),
        cpuRatio: ratios(runs, v.id, (r) => r.single.downloads.map((d) => d.cpuSPerGiB)),
        peakMB: median(mine.map((r) => r.single.peakMB)),
        peakMaxMB: Math.max(...mine.map((r) => r.single.peakMB)),
        client: median(mine.flatMap((r) => r.single.downloads.map((d) => d.client))),
      },
      parallel: par.length
        ? {
            mbPerS: median(par.map((r) => r.parallel!.mbPerS)),
            ratio: ratios(runs, v.id, (r) => r.parallel?.batches.map((b) => b.mbPerS)),
            cpuSPerGiB: median(par.map((r) => r.parallel!.cpuSPerGiB)),
            cpuRatio: ratios(runs, v.id, (r) => r.parallel?.batches.map((b) => b.cpuSPerGiB)),
            rssMaxMB: median(par.map((r) => r.parallel!.rssMaxMB)),
            rssMaxMaxMB: Math.max(...par.map((r) => r.parallel!.rssMaxMB)),
            peakMB: median(par.map((r) => r.parallel!.peakMB)),
            client: median(par.flatMap((r) => r.parallel!.batches.map((b) => b.client))),
          }
        : undefined,
      rssBeforeMB: median(mine.map((r) => r.rssBeforeMB)),
      noise: noiseOf(mine.flatMap((r) => [...r.single.downloads, ...(r.parallel?.batches ?? [])])),
      diskMB: mine.reduce((n, r) => n + [...r.single.downloads, ...(r.parallel?.batches ?? [])].reduce((m, d) => m + d.diskMB, 0), 0),
      retried: mine.reduce((n, r) => n + [...r.single.downloads, ...(r.parallel?.batches ?? [])].filter((d) => d.retried).length, 0),
      checks: [...new Set(mine.flatMap((r) => r.check))],
    };
  });
}

type Noise = Pick<Watched<unknown & { clientCpuS: number }>, 'others' | 'irq' | 'steal' | 'client' | 'loadOthers'>;

/** Medians of what else happened on the cores during a variant's measurements. */
function noiseOf(list: Noise[]): Noise {
  return {
    others: median(list.map((m) => m.others)),
    irq: median(list.map((m) => m.irq)),
    steal: median(list.map((m) => m.steal)),
    client: median(list.map((m) => m.client)),
    loadOthers: median(list.map((m) => m.loadOthers)),
  };
}

const pct = (x: number) => (Number.isFinite(x) ? `${Math.round(100 * x)}%` : '—');

/** One line: the medians of others' shares and the client's. */
function noiseLine(n: Noise): string {
  return `core 0: others ${pct(n.others)}, interrupts ${pct(n.irq)}, steal ${pct(n.steal)}; core 1: client ${pct(n.client)}, others ${pct(n.loadOthers)}`;
}

const perRound = (r: { perRound: number[] }) => r.perRound.map((x) => (Number.isFinite(x) ? x.toFixed(2) : '—')).join(' ');

function downloadTable(rows: ReturnType<typeof downloadRows>, parallel: number): string {
  const heads = ['variant', 'RSS before MB', 'c=1 MB/s', '×raw', 'per round', 'CPU s/GiB', 'CPU ×raw', 'peak RSS MB (VmHWM)'];
  if (parallel > 1) heads.push(`c=${parallel} MB/s`, '×raw', 'per round', 'CPU s/GiB', 'CPU ×raw', `max RSS MB during c=${parallel}`);
  return table(
    heads,
    rows.map((r) => {
      const cells = [r.label, fmt.mb(r.rssBeforeMB), fmt.int(r.single.mbPerS), fmt.ratio(r.single.ratio.median), perRound(r.single.ratio), r.single.cpuSPerGiB.toFixed(2), fmt.ratio(r.single.cpuRatio.median), `${fmt.mb(r.single.peakMB)} (max ${fmt.mb(r.single.peakMaxMB)})`];
      if (parallel > 1) {
        const p = r.parallel;
        cells.push(p ? fmt.int(p.mbPerS) : '—', p ? fmt.ratio(p.ratio.median) : '—', p ? perRound(p.ratio) : '—', p ? p.cpuSPerGiB.toFixed(2) : '—', p ? fmt.ratio(p.cpuRatio.median) : '—', p ? `${fmt.mb(p.rssMaxMB)} (max ${fmt.mb(p.rssMaxMaxMB)})` : '—');
      }
      return cells;
    }),
  );
}

function sseRows(runs: SseRun[], variants: Variant[]) {
  return variants.map((v) => {
    const mine = runs.filter((r) => r.variant === v.id);
    return {
      variant: v.id,
      label: v.label,
      eventsPerS: median(mine.map((r) => r.eventsPerS)),
      ratio: ratios(runs, v.id, (r) => r.streams.map((x) => x.eventsPerS)),
      cpuUsPerEvent: median(mine.map((r) => r.cpuUsPerEvent)),
      cpuRatio: ratios(runs, v.id, (r) => r.streams.map((x) => x.cpuUsPerEvent)),
      rssBeforeMB: median(mine.map((r) => r.rssBeforeMB)),
      peakMB: median(mine.map((r) => r.peakMB)),
      peakMaxMB: Math.max(...mine.map((r) => r.peakMB)),
      client: median(mine.flatMap((r) => r.streams.map((s) => s.client))),
      noise: noiseOf(mine.flatMap((r) => r.streams)),
      retried: mine.reduce((n, r) => n + r.streams.filter((s) => s.retried).length, 0),
      checks: [...new Set(mine.flatMap((r) => r.check))],
    };
  });
}

function sseTable(rows: ReturnType<typeof sseRows>): string {
  return table(
    ['variant', 'events/s', '×raw', 'per round', 'CPU µs/event', 'CPU ×raw', 'RSS before MB', 'peak RSS MB (VmHWM)'],
    rows.map((r) => [r.label, fmt.int(r.eventsPerS), fmt.ratio(r.ratio.median), perRound(r.ratio), r.cpuUsPerEvent.toFixed(2), fmt.ratio(r.cpuRatio.median), fmt.mb(r.rssBeforeMB), `${fmt.mb(r.peakMB)} (max ${fmt.mb(r.peakMaxMB)})`]),
  );
}

/**
 * Reads the results file and writes it back with `section` ("full" or "quick") updated: the parts
 * measured now (download, sse) replace theirs, a part not measured now (--only) keeps its last figures.
 * Each part carries its own date, machine and options.
 */
function save(file: string, section: string, parts: Record<string, unknown>): void {
  let previous: Record<string, any> = {};
  try {
    previous = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    previous = {};
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ ...previous, [section]: { ...(previous[section] ?? {}), ...parts } }, null, 2)}\n`);
}

// ---------------------------------------------------------------------------------------------
// Profiles

const PROFILES = path.join(ROOT, 'bench', 'profiles');

async function profiled(variant: Variant, kind: 'download' | 'sse', o: Options, file: { file: string; size: number }, top: number): Promise<ProfileSummary & { variant: string; kind: string; rate: number }> {
  mkdirSync(PROFILES, { recursive: true });
  const tmp = path.join(PROFILES, `streams-${kind}-${variant.id}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  const server = await startServer(variant.server, { env: { BENCH_FILE: file.file, ...variant.env }, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', tmp, '--cpu-prof-interval', '200'] });
  let from = 0;
  let to = 0;
  let units = 0;
  let rate = 0;
  try {
    if (kind === 'download') {
      await downloadBatch(server, 1, file.size);
      from = Number(process.hrtime.bigint() / 1000n);
      const b = await downloadBatch(server, 1, file.size);
      to = Number(process.hrtime.bigint() / 1000n);
      rate = b.mbPerS;
    } else {
      await sseStream(server, Math.round(o.events / 5));
      from = Number(process.hrtime.bigint() / 1000n);
      const s = await measuredStream(server, o.events);
      to = Number(process.hrtime.bigint() / 1000n);
      units = s.events;
      rate = s.eventsPerS;
    }
  } finally {
    await server.stop();
  }
  const main = readdirSync(tmp).find((f) => f.includes(`.${server.pid}.0.`)) ?? readdirSync(tmp).find((f) => f.endsWith('.cpuprofile'));
  if (!main) throw new Error(`no profile in ${tmp}`);
  const name = path.join(PROFILES, `streams-${kind}-${variant.id}.cpuprofile`);
  renameSync(path.join(tmp, main), name);
  rmSync(tmp, { recursive: true, force: true });
  return { ...summarise(name, { window: [from, to], requests: units || undefined, top }), variant: variant.id, kind, rate };
}

// ---------------------------------------------------------------------------------------------

interface Options {
  quick: boolean;
  rounds: number;
  fileMB: number;
  downloads: number;
  parallel: number;
  parallelBatches: number;
  events: number;
  streams: number;
  only?: 'download' | 'sse';
}

async function main() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      'file-mb': { type: 'string' },
      downloads: { type: 'string' },
      parallel: { type: 'string', default: '4' },
      'parallel-batches': { type: 'string' },
      events: { type: 'string' },
      streams: { type: 'string' },
      only: { type: 'string' },
      out: { type: 'string' },
      profile: { type: 'boolean', default: false },
      top: { type: 'string', default: '25' },
    },
  });
  const quick = values.quick!;
  const o: Options = {
    quick,
    rounds: Number(values.rounds ?? (quick ? 2 : 5)),
    fileMB: Number(values['file-mb'] ?? (quick ? 256 : 1024)),
    downloads: Number(values.downloads ?? (quick ? 2 : 3)),
    parallel: Number(values.parallel),
    parallelBatches: Number(values['parallel-batches'] ?? (quick ? 1 : 2)),
    events: Number(values.events ?? (quick ? 200_000 : 1_000_000)),
    streams: Number(values.streams ?? (quick ? 2 : 3)),
    only: values.only as Options['only'],
  };
  if (o.only && o.only !== 'download' && o.only !== 'sse') throw new Error('--only download|sse');
  const out = values.out ? path.resolve(values.out) : STREAMS_RESULTS;
  const log = (s: string) => console.log(s);
  const started = Date.now();
  const info = machine();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'specbind-streams-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', cleanup);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

  const size = Math.round(o.fileMB * 2 ** 20);
  const needFile = o.only !== 'sse';
  const written = needFile ? writeFile(dir, size) : { file: path.join(dir, 'none'), sha1: '', ms: 0 };
  const file = { ...written, size };
  log(`specbind streams bench: ${info.cpus} cores (${info.cpuModel}), Node ${info.node}, load average ${(info.loadAverageAtStart as number[]).join(' ')}`);
  if (needFile) log(`file: ${fmt.int(size)} bytes of random data (${o.fileMB} MiB), written and synced in ${fmt.int(written.ms)} ms, in ${dir}`);
  log(`servers on core 0 (compiled), curl and the SSE client on core 1; ${o.rounds} round(s), variants interleaved`);

  if (values.profile) {
    if (o.only !== 'sse')
      for (const v of DOWNLOAD_VARIANTS) {
        const s = await profiled(v, 'download', o, file, Number(values.top));
        log(`\n== download, ${v.id}: ${fmt.int(s.rate)} MB/s under the profiler`);
        printSummary(s);
      }
    if (o.only !== 'download')
      for (const v of SSE_VARIANTS) {
        const s = await profiled(v, 'sse', o, file, Number(values.top));
        log(`\n== server-sent events, ${v.id}: ${fmt.int(s.rate)} events/s under the profiler (µs/req below: per event)`);
        printSummary(s);
      }
    return;
  }

  const downloads: DownloadRun[] = [];
  const sses: SseRun[] = [];
  for (let round = 0; round < o.rounds; round++) {
    if (o.only !== 'sse') {
      const runs = await downloadRound(DOWNLOAD_VARIANTS, round, o, file, dir);
      downloads.push(...runs);
      for (const r of runs) {
        const p = r.parallel;
        const all = [...r.single.downloads, ...(p?.batches ?? [])];
        log(
          `  round ${round + 1}/${o.rounds} download ${r.variant.padEnd(13)} RSS ${fmt.mb(r.rssBeforeMB)} MB; c=1 ${fmt.int(r.single.mbPerS).padStart(5)} MB/s ${r.single.cpuSPerGiB.toFixed(2)} CPU s/GiB` +
            ` (${r.single.downloads.map((d) => fmt.int(d.mbPerS)).join(', ')}), peak ${fmt.mb(r.single.peakMB)} MB` +
            (p ? `; c=${o.parallel} ${fmt.int(p.mbPerS).padStart(5)} MB/s ${p.cpuSPerGiB.toFixed(2)} CPU s/GiB, max RSS ${fmt.mb(p.rssMaxMB)} MB` : '') +
            ` (${noiseLine(noiseOf(all))}${all.some((d) => d.retried) ? '; re-measured' : ''}${all.some((d) => d.diskMB > 1) ? `; ${fmt.int(all.reduce((n, d) => n + d.diskMB, 0))} MB read from storage` : ''})` +
            (r.check.length ? ` ! ${r.check.join('; ')}` : ''),
        );
      }
    }
    if (o.only !== 'download') {
      const runs = await sseRound(SSE_VARIANTS, round, o, file.file, dir);
      sses.push(...runs);
      for (const r of runs) {
        log(
          `  round ${round + 1}/${o.rounds} events   ${r.variant.padEnd(13)} RSS ${fmt.mb(r.rssBeforeMB)} MB; ${fmt.int(r.eventsPerS).padStart(7)} events/s ${r.cpuUsPerEvent.toFixed(2)} CPU µs/event` +
            ` (${r.streams.map((s) => fmt.int(s.eventsPerS)).join(', ')}), peak ${fmt.mb(r.peakMB)} MB` +
            ` (${noiseLine(noiseOf(r.streams))}${r.streams.some((d) => d.retried) ? '; re-measured' : ''})` +
            (r.check.length ? ` ! ${r.check.join('; ')}` : ''),
        );
      }
    }
  }

  const result: Record<string, any> = {};
  const about = { date: new Date(started).toISOString(), machine: info, options: { ...o, fileBytes: size } };
  if (downloads.length) {
    const rows = downloadRows(downloads, DOWNLOAD_VARIANTS);
    result.download = { ...about, rows, runs: downloads };
    const parallelText = o.parallel > 1 ? `; c=${o.parallel}: ${o.parallelBatches} batch(es) of ${o.parallel} at once` : '';
    log(`\nDownload of a ${o.fileMB} MiB file into /dev/null (curl; MB = 10^6 bytes; c=1: ${o.downloads} downloads a round, one at a time${parallelText})`);
    log(downloadTable(rows, o.parallel));
    const sb = rows.find((r) => r.variant === 'specbind')!;
    log(`specbind/raw c=1 ${fmt.ratio(sb.single.ratio.median)}${sb.parallel ? `, c=${o.parallel} ${fmt.ratio(sb.parallel.ratio.median)}` : ''} (goal ≥ 0.90: ${sb.single.ratio.median >= 0.9 && (!sb.parallel || sb.parallel.ratio.median >= 0.9) ? 'met' : 'NOT met'})`);
    for (const r of rows) {
      log(`  ${r.variant}: ${noiseLine(r.noise)} (medians; curl used ${pct(r.single.client)} of core 1 at c=1${r.parallel ? `, ${pct(r.parallel.client)} at c=${o.parallel}` : ''}); ${r.retried} measured twice; ${fmt.int(r.diskMB)} MB read from storage in the kept measurements`);
      if (r.checks.length) log(`  ! ${r.variant}: ${r.checks.join('; ')}`);
    }
  }
  if (sses.length) {
    const rows = sseRows(sses, SSE_VARIANTS);
    result.sse = { ...about, rows, runs: sses };
    log(`\nServer-sent events: ${fmt.int(o.events)} events a stream, ${o.streams} measured streams a round (one connection), as fast as the client reads`);
    log(sseTable(rows));
    const sb = rows.find((r) => r.variant === 'specbind')!;
    const off = rows.find((r) => r.variant === 'specbind-off')!;
    // What checking costs, from the same turns: strict against off, back to back.
    const checkRate = ratios(sses, 'specbind', (r) => r.streams.map((x) => x.eventsPerS), 'specbind-off');
    const checkCpu = ratios(sses, 'specbind', (r) => r.streams.map((x) => x.cpuUsPerEvent), 'specbind-off');
    result.sse.strictAgainstOff = { eventsPerS: checkRate, cpuUsPerEvent: checkCpu };
    log(`specbind/raw ${fmt.ratio(sb.ratio.median)} (goal ≥ 0.80: ${sb.ratio.median >= 0.8 ? 'met' : 'NOT met'}); with responseValidation 'off' ${fmt.ratio(off.ratio.median)}`);
    log(
      `checking every event (strict against off, back to back): events/s ${fmt.ratio(checkRate.median)} (per round ${perRound(checkRate)}), CPU per event ${fmt.ratio(checkCpu.median)} (per round ${perRound(checkCpu)}); ` +
        `${(sb.cpuUsPerEvent - off.cpuUsPerEvent).toFixed(2)} µs by the difference of the medians`,
    );
    for (const r of rows) {
      log(`  ${r.variant}: ${noiseLine(r.noise)} (medians); ${r.retried} measured twice`);
      if (r.checks.length) log(`  ! ${r.variant}: ${r.checks.join('; ')}`);
    }
  }
  const durationS = Math.round((Date.now() - started) / 1000);
  const waitedForCalmS = Math.round(waitedMs / 1000);
  for (const part of [result.download, result.sse]) if (part) Object.assign(part, { durationS, waitedForCalmS });
  log(`\nwaited ${waitedForCalmS} s in all for a quiet machine before measurements (others' work on the cores: at most ${CALM_WAIT_MS / 1000} s a measurement)`);
  save(out, quick ? 'quick' : 'full', result);
  log(`\nwrote ${path.relative(process.cwd(), out) || out} (section "${quick ? 'quick' : 'full'}": ${Object.keys(result).join(', ')}) in ${durationS} s; removed ${dir}`);
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
