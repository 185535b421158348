// CPU profiles of the per-request path: each variant (default: specbind standalone and raw node:http)
// on the GET and on the POST, under `node --cpu-prof` (pinned to core 0, 10 connections of wrk on
// core 1, warm-up first). Only the samples of the measured wrk run are summarised: self time by
// category and by function, µs per request, and specbind's functions by inclusive time.
// .cpuprofile files go to bench/profiles/ (git-ignored; open them in Chrome DevTools or speedscope).
//   npx tsx bench/profile.ts [--variants specbind,raw,fastify-glue] [--seconds 5] [--interval 200] [--top 20] [--save]
// Servers run their defaults (specbind's access log at info); PROFILE_LOG_LEVEL=warn sets their LOG_LEVEL.
//   npx tsx bench/profile.ts --scale 3000 [--variants specbind,fastify-glue]   GET of the first operation of a synthetic document
//   npx tsx bench/profile.ts --large stripe,github [--mode lazy|eager]          startup, then the first request to a never-called operation
// --save writes the summaries into bench/results.json (sections "profile", "profileScale<N>", "profileLarge").
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { printSummary, summarise, type ProfileSummary } from './lib/cpuprofile';
import { CLK_TCK, cpuTicks, ROOT, startServer } from './lib/proc';
import { machine, table } from './lib/report';
import { wrk } from './lib/wrk';
import { GET_PATH, POST_BODY, POST_PATH, RESULTS, saveResults } from './run';

const DIR = path.join(ROOT, 'bench', 'profiles');

/** Moves the main thread's profile out of a run's folder to bench/profiles/<name>. */
function keepMainProfile(tmp: string, pid: number, name: string): string {
  const main = readdirSync(tmp).find((f) => f.includes(`.${pid}.0.`));
  if (!main) throw new Error(`no main-thread profile in ${tmp}: ${readdirSync(tmp).join(', ')}`);
  renameSync(path.join(tmp, main), path.join(DIR, name));
  rmSync(tmp, { recursive: true, force: true });
  return path.join(DIR, name);
}

async function profileOne(variant: string, op: 'get' | 'post', seconds: number, interval: number, top: number, scale?: { operations: number; file: string }) {
  const label = scale ? `${variant}-scale${scale.operations}` : variant;
  const name = `${label}-${op}.cpuprofile`;
  // One folder per run: tsx's loader thread writes a profile too; the main thread's is the one named *.<pid>.0.*.
  const tmp = path.join(DIR, `${label}-${op}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  rmSync(path.join(DIR, name), { force: true });
  const server = await startServer(variant, { env: { LOG_LEVEL: process.env.PROFILE_LOG_LEVEL, ...(scale ? { BENCH_SPEC: scale.file } : {}) }, timeoutMs: 120_000, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', tmp, '--cpu-prof-interval', String(interval)] });
  const load = scale ? { method: 'GET' as const, path: '/r0/items/7' } : op === 'get' ? { method: 'GET' as const, path: GET_PATH } : { method: 'POST' as const, path: POST_PATH, body: POST_BODY };
  try {
    await wrk(server.url + load.path, { ...load, seconds: 2 });
    const ticks0 = cpuTicks(server.pid);
    const from = Number(process.hrtime.bigint() / 1000n);
    const result = await wrk(server.url + load.path, { ...load, seconds });
    const to = Number(process.hrtime.bigint() / 1000n);
    const cpuUs = (cpuTicks(server.pid) - ticks0) * (1e6 / CLK_TCK);
    await server.stop();
    const summary = summarise(keepMainProfile(tmp, server.pid, name), { window: [from, to], requests: result.requests, top });
    return { variant: label, op, rps: result.rps, requests: result.requests, cpuUsPerReq: cpuUs / result.requests, summary };
  } finally {
    await server.stop();
  }
}

/** A large document under specbind-large: where startup goes (spawn → READY) and where the first request to a never-called operation goes. */
async function profileLarge(doc: string, mode: string, interval: number, top: number) {
  const { DOCUMENTS } = await import('./large');
  const entry = DOCUMENTS.find((d) => d.id === doc);
  if (!entry) throw new Error(`--large: one of ${DOCUMENTS.map((d) => d.id).join(', ')}`);
  const name = `large-${doc}-${mode}.cpuprofile`;
  const tmp = path.join(DIR, `large-${doc}-${mode}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  const server = await startServer('specbind-large', {
    env: { BENCH_SPEC: entry.file, BENCH_COMPILE: mode, LOG_LEVEL: 'error' },
    timeoutMs: 300_000,
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', tmp, '--cpu-prof-interval', String(interval)],
  });
  const ready = Number(process.hrtime.bigint() / 1000n);
  try {
    const probe = server.info.probe;
    const from = Number(process.hrtime.bigint() / 1000n);
    const res = await fetch(server.url + probe.path, { headers: probe.headers });
    await res.text();
    const to = Number(process.hrtime.bigint() / 1000n);
    await server.stop();
    const file = keepMainProfile(tmp, server.pid, name);
    const startup = summarise(file, { window: [0, ready], top });
    const first = summarise(file, { window: [from, to], top });
    console.log(`\n== ${doc} (${mode}): startup, process start → listening (${Math.round(server.info.readyMs)} ms)`);
    printSummary(startup);
    console.log(`\n== ${doc} (${mode}): first request to ${probe.operationId} (${res.status}, ${Math.round((to - from) / 1000)} ms)`);
    printSummary(first);
    return { document: doc, mode, readyMs: server.info.readyMs, firstRequestMs: (to - from) / 1000, startup, first };
  } finally {
    await server.stop();
  }
}

/** µs per request by category, one column per profile. */
function comparison(results: Array<{ variant: string; op: string; summary: ProfileSummary; cpuUsPerReq: number }>): string {
  const names = [...new Set(results.flatMap((r) => r.summary.categories.map((c) => c.name)))];
  const value = (r: (typeof results)[number], name: string) => r.summary.categories.find((c) => c.name === name)?.usPerRequest ?? 0;
  names.sort((a, b) => Math.max(...results.map((r) => value(r, b))) - Math.max(...results.map((r) => value(r, a))));
  const rows = names.filter((n) => results.some((r) => value(r, n) >= 0.2)).map((n) => [n, ...results.map((r) => value(r, n).toFixed(1))]);
  rows.push(['(all sampled, µs/req)', ...results.map((r) => (r.summary.activeUsPerRequest ?? 0).toFixed(1))]);
  rows.push(['(server CPU from /proc, µs/req)', ...results.map((r) => r.cpuUsPerReq.toFixed(1))]);
  return table(['self time µs/request by category', ...results.map((r) => `${r.variant} ${r.op.toUpperCase()}`)], rows);
}

async function main() {
  const { values } = parseArgs({
    options: {
      variants: { type: 'string', default: 'specbind,raw' },
      seconds: { type: 'string', default: '5' },
      interval: { type: 'string', default: '200' },
      top: { type: 'string', default: '20' },
      save: { type: 'boolean', default: false },
      scale: { type: 'string' },
      large: { type: 'string' },
      mode: { type: 'string', default: 'lazy' },
    },
  });
  mkdirSync(DIR, { recursive: true });
  if (values.large) {
    const large = [];
    for (const doc of values.large.split(',')) large.push(await profileLarge(doc, values.mode!, Number(values.interval), Number(values.top)));
    if (values.save) saveResults(RESULTS, { profileLarge: { date: new Date().toISOString(), intervalUs: Number(values.interval), results: large } });
    return;
  }
  const scale = values.scale ? { operations: Number(values.scale), file: (await import('./scale')).writeSynthetic(Number(values.scale)) } : undefined;
  const results = [];
  for (const variant of values.variants!.split(',')) {
    for (const op of scale ? (['get'] as const) : (['get', 'post'] as const)) {
      const r = await profileOne(variant, op, Number(values.seconds), Number(values.interval), Number(values.top), scale);
      console.log(`\n== ${variant} ${op.toUpperCase()}: ${Math.round(r.rps)} req/s under the profiler, ${r.cpuUsPerReq.toFixed(1)} µs server CPU per request`);
      printSummary(r.summary);
      results.push(r);
    }
  }
  console.log(`\n${comparison(results)}`);
  if (values.save) saveResults(RESULTS, { [scale ? `profileScale${scale.operations}` : 'profile']: { date: new Date().toISOString(), machine: machine(), seconds: Number(values.seconds), intervalUs: Number(values.interval), results } });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
