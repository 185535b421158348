// CPU profiles of the per-request path: each variant (default: specbind standalone and raw node:http)
// on the GET and on the POST, under `node --cpu-prof` (pinned to core 0, 10 connections of wrk on
// core 1, warm-up first). Only the samples of the measured wrk run are summarised: self time by
// category and by function, µs per request, and specbind's functions by inclusive time.
// .cpuprofile files go to bench/profiles/ (git-ignored; open them in Chrome DevTools or speedscope).
//   npx tsx bench/profile.ts [--variants specbind,raw,fastify-glue] [--seconds 5] [--interval 200] [--top 20] [--save]
// --save writes the summaries into bench/results.json (section "profile").
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { printSummary, summarise, type ProfileSummary } from './lib/cpuprofile';
import { CLK_TCK, cpuTicks, ROOT, startServer } from './lib/proc';
import { machine, table } from './lib/report';
import { wrk } from './lib/wrk';
import { GET_PATH, POST_BODY, POST_PATH, RESULTS, saveResults } from './run';

const DIR = path.join(ROOT, 'bench', 'profiles');

async function profileOne(variant: string, op: 'get' | 'post', seconds: number, interval: number, top: number) {
  const name = `${variant}-${op}.cpuprofile`;
  // One folder per run: tsx's loader thread writes a profile too; the main thread's is the one named *.<pid>.0.*.
  const tmp = path.join(DIR, `${variant}-${op}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  rmSync(path.join(DIR, name), { force: true });
  const server = await startServer(variant, { env: { LOG_LEVEL: 'warn' }, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', tmp, '--cpu-prof-interval', String(interval)] });
  const load = op === 'get' ? { method: 'GET' as const, path: GET_PATH } : { method: 'POST' as const, path: POST_PATH, body: POST_BODY };
  try {
    await wrk(server.url + load.path, { ...load, seconds: 2 });
    const ticks0 = cpuTicks(server.pid);
    const from = Number(process.hrtime.bigint() / 1000n);
    const result = await wrk(server.url + load.path, { ...load, seconds });
    const to = Number(process.hrtime.bigint() / 1000n);
    const cpuUs = (cpuTicks(server.pid) - ticks0) * (1e6 / CLK_TCK);
    await server.stop();
    const main = readdirSync(tmp).find((f) => f.includes(`.${server.pid}.0.`));
    if (!main) throw new Error(`no main-thread profile in ${tmp}: ${readdirSync(tmp).join(', ')}`);
    renameSync(path.join(tmp, main), path.join(DIR, name));
    rmSync(tmp, { recursive: true, force: true });
    const summary = summarise(path.join(DIR, name), { window: [from, to], requests: result.requests, top });
    return { variant, op, rps: result.rps, requests: result.requests, cpuUsPerReq: cpuUs / result.requests, summary };
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
  const { values } = parseArgs({ options: { variants: { type: 'string', default: 'specbind,raw' }, seconds: { type: 'string', default: '5' }, interval: { type: 'string', default: '200' }, top: { type: 'string', default: '20' }, save: { type: 'boolean', default: false } } });
  mkdirSync(DIR, { recursive: true });
  const results = [];
  for (const variant of values.variants!.split(',')) {
    for (const op of ['get', 'post'] as const) {
      const r = await profileOne(variant, op, Number(values.seconds), Number(values.interval), Number(values.top));
      console.log(`\n== ${variant} ${op.toUpperCase()}: ${Math.round(r.rps)} req/s under the profiler, ${r.cpuUsPerReq.toFixed(1)} µs server CPU per request`);
      printSummary(r.summary);
      results.push(r);
    }
  }
  console.log(`\n${comparison(results)}`);
  if (values.save) saveResults(RESULTS, { profile: { date: new Date().toISOString(), machine: machine(), seconds: Number(values.seconds), intervalUs: Number(values.interval), results } });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
