// specbind on each runtime it runs on (issue 19), each against that runtime's own raw server doing the
// same work: the standalone server on the machine's Node and on Node 24 (the npm registry's build,
// scripts/node-version.sh) against raw node:http; the Fetch adapter under Bun (Bun.serve) and Deno
// (Deno.serve) against a raw fetch handler (servers/runtimes/fetch-servers.mjs). specbind runs its
// defaults, the access log included. Per round and runtime the two alternate (order reversed every
// round); ratios are medians of per-round ratios, as in run.ts.
//   npx tsx bench/runtimes.ts [--rounds 3] [--seconds 4] [--runtimes node,node24,bun,deno] [--nolog] [--save]
// --nolog adds specbind with the access log off (LOG_LEVEL=warn) to each round: what the line costs on
// that runtime. --save writes the section "runtimes" into bench/results.json.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { runtimes as fetchRuntimes } from '../test/helpers/runtimes';
import { measure } from './lib/measure';
import { ROOT, startServer, type StartOptions } from './lib/proc';
import { fmt, machine, median, table } from './lib/report';
import { GET_PATH, POST_BODY, POST_PATH, RESULTS, saveResults } from './run';

interface Side {
  name: string;
  options: StartOptions;
}

interface Runtime {
  id: string;
  label: string;
  version: string;
  raw: Side;
  specbind: Side;
  /** specbind with the access log off (--nolog). */
  nolog: Side;
}

function runtimesToRun(ids: string[]): Runtime[] {
  const out: Runtime[] = [];
  const version = (command: string, args: string[]) => execFileSync(command, args, { encoding: 'utf8' }).trim().split('\n')[0];
  for (const id of ids) {
    if (id === 'node' || id === 'node24') {
      const node = id === 'node' ? process.execPath : path.join(execFileSync('bash', [path.join(ROOT, 'scripts/node-version.sh'), '24'], { encoding: 'utf8' }).trim(), 'node');
      const runtime = { command: node };
      out.push({ id, label: `Node ${version(node, ['--version'])}: standalone`, version: version(node, ['--version']), raw: { name: 'raw', options: { runtime } }, specbind: { name: 'specbind', options: { runtime } }, nolog: { name: 'specbind', options: { runtime, env: { LOG_LEVEL: 'warn' } } } });
    } else if (id === 'bun' || id === 'deno') {
      const binary = fetchRuntimes()[id];
      const runtime = id === 'bun' ? { command: binary } : { command: binary, args: ['run', '--allow-all'] };
      const side = (variant: string): Side => ({ name: 'runtimes/fetch-servers.mjs', options: { runtime, scriptArgs: [variant] } });
      out.push({ id, label: id === 'bun' ? 'Bun: Bun.serve + server.fetch' : 'Deno: Deno.serve + server.fetch', version: version(binary, ['--version']), raw: side('raw'), specbind: side('specbind'), nolog: side('specbind-nolog') });
    } else throw new Error(`unknown runtime ${id}: node, node24, bun or deno`);
  }
  return out;
}

type Op = 'get' | 'post';
interface Sample {
  rps: number;
  cpu: number;
}

async function measureSide(side: Side, seconds: number): Promise<Record<Op, Sample>> {
  const server = await startServer(side.name, { ...side.options, env: { LOG_LEVEL: undefined, LOG_SYNC: undefined, ...side.options.env } });
  try {
    await measure(server, GET_PATH, { method: 'GET', seconds: 1 });
    await measure(server, POST_PATH, { method: 'POST', body: POST_BODY, seconds: 1 });
    const out = {} as Record<Op, Sample>;
    for (const op of ['get', 'post'] as const) {
      const m = await measure(server, op === 'get' ? GET_PATH : POST_PATH, { method: op === 'get' ? 'GET' : 'POST', body: op === 'post' ? POST_BODY : undefined, seconds });
      if (m.errors) throw new Error(`${side.name} ${side.options.scriptArgs?.join(' ') ?? ''}: ${m.errors} error answers on ${op}`);
      out[op] = { rps: m.rps, cpu: m.cpuUsPerReq };
    }
    return out;
  } finally {
    await server.stop();
  }
}

async function main() {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '4' }, runtimes: { type: 'string', default: 'node,node24,bun,deno' }, nolog: { type: 'boolean', default: false }, save: { type: 'boolean', default: false } } });
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const list = runtimesToRun(values.runtimes!.split(','));
  type Which = 'raw' | 'specbind' | 'nolog';
  const sides: Which[] = values.nolog ? ['raw', 'specbind', 'nolog'] : ['raw', 'specbind'];
  const samples = new Map(list.map((r) => [r.id, [] as Array<Partial<Record<Which, Record<Op, Sample>>> & { raw: Record<Op, Sample>; specbind: Record<Op, Sample> }>]));
  for (let round = 0; round < rounds; round++) {
    for (const runtime of list) {
      const order = round % 2 ? [...sides].reverse() : sides;
      const got = {} as Record<Which, Record<Op, Sample>>;
      for (const which of order) got[which] = await measureSide(runtime[which], seconds);
      samples.get(runtime.id)!.push(got);
      const nolog = got.nolog ? `, log off ${fmt.int(got.nolog.get.rps)} req/s (${(got.nolog.get.rps / got.raw.get.rps).toFixed(2)}×)` : '';
      console.log(`  round ${round + 1}/${rounds} ${runtime.id.padEnd(6)} raw GET ${fmt.int(got.raw.get.rps)} req/s, specbind GET ${fmt.int(got.specbind.get.rps)} req/s (${(got.specbind.get.rps / got.raw.get.rps).toFixed(2)}×)${nolog}`);
    }
  }
  const rows = list.map((runtime) => {
    const runs = samples.get(runtime.id)!;
    const ratio = (op: Op, key: keyof Sample) => median(runs.map((r) => r.specbind[op][key] / r.raw[op][key]));
    const med = (which: 'raw' | 'specbind', op: Op, key: keyof Sample) => median(runs.map((r) => r[which][op][key]));
    return {
      runtime: runtime.id,
      label: runtime.label,
      version: runtime.version,
      config: 'specbind at its defaults (access log at info); raw: the same work by hand, no log',
      rawGet: med('raw', 'get', 'rps'),
      get: med('specbind', 'get', 'rps'),
      getRatio: ratio('get', 'rps'),
      getCpuRatio: ratio('get', 'cpu'),
      rawPost: med('raw', 'post', 'rps'),
      post: med('specbind', 'post', 'rps'),
      postRatio: ratio('post', 'rps'),
      postCpuRatio: ratio('post', 'cpu'),
      ...(values.nolog ? { nologGetRatio: median(runs.map((r) => r.nolog!.get.rps / r.raw.get.rps)), nologPostRatio: median(runs.map((r) => r.nolog!.post.rps / r.raw.post.rps)) } : {}),
    };
  });
  console.log(`\n${rounds} rounds of ${seconds} s, medians; ×raw against the same runtime's raw server\n`);
  console.log(
    table(
      ['runtime', 'version', 'raw GET req/s', 'specbind GET req/s', '×raw', 'CPU ×raw', 'raw POST req/s', 'specbind POST req/s', '×raw', 'CPU ×raw'],
      rows.map((r) => [r.label, r.version, fmt.int(r.rawGet), fmt.int(r.get), fmt.ratio(r.getRatio), fmt.ratio(r.getCpuRatio), fmt.int(r.rawPost), fmt.int(r.post), fmt.ratio(r.postRatio), fmt.ratio(r.postCpuRatio)]),
    ),
  );
  if (values.nolog) console.log(`\nwith the access log off (LOG_LEVEL=warn), ×raw: ${rows.map((r) => `${r.runtime} GET ${fmt.ratio(r.nologGetRatio!)} POST ${fmt.ratio(r.nologPostRatio!)}`).join('; ')}`);
  if (values.save) saveResults(RESULTS, { runtimes: { date: new Date().toISOString(), machine: machine(), rounds, seconds, rows, samples: Object.fromEntries(samples) } });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
