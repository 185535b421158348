// A/B of server configurations on the benchmark's GET (and POST): each configuration a fresh process,
// configurations alternated and their order reversed every round, medians of req/s and server CPU per
// request, ratios to the first. For what one setting costs; the main comparison is bench/run.ts. Each
// round's line also says how much of the server's core other processes took and how busy the load
// core was: a run the machine disturbed shows there (or does not, and the spread is the machine's).
// Each server runs its defaults (specbind's access log at info) unless the configuration sets ENV.
//   npx tsx bench/ab.ts raw specbind specbind:BENCH_METRICS=0 [--rounds 7] [--seconds 4] [--post]
// A configuration is `<server>[:ENV=value,ENV=value]`: a file of bench/servers/ and its environment.
import { parseArgs } from 'node:util';
import { measure } from './lib/measure';
import { startServer } from './lib/proc';
import { fmt, median, table } from './lib/report';
import { GET_PATH, POST_BODY, POST_PATH } from './run';

/** One measured run: req/s, server CPU µs per request, others' share of the server's core, the load core's busy share. */
interface Run {
  rps: number;
  cpu: number;
  others: number;
  load: number;
}

interface Config {
  label: string;
  server: string;
  env: Record<string, string>;
}

function parseConfig(text: string): Config {
  const [server, settings = ''] = text.split(':');
  const env: Record<string, string> = {};
  for (const pair of settings.split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`${text}: expected ENV=value after the colon`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { label: text, server, env };
}

function describe(op: string, run: Run): string {
  return `${op} ${fmt.int(run.rps)} req/s ${run.cpu.toFixed(2)} µs (others on the server's core ${(run.others * 100).toFixed(0)} %, load core busy ${(run.load * 100).toFixed(0)} %)`;
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { rounds: { type: 'string', default: '7' }, seconds: { type: 'string', default: '4' }, warmup: { type: 'string', default: '2' }, post: { type: 'boolean', default: false } },
  });
  if (positionals.length < 2) throw new Error('give two configurations or more, e.g. raw specbind specbind:BENCH_METRICS=0');
  const configs = positionals.map(parseConfig);
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const ops = values.post ? (['get', 'post'] as const) : (['get'] as const);
  const runs = new Map(configs.map((c) => [c.label, { get: [] as Run[], post: [] as Run[] }]));
  for (let round = 0; round < rounds; round++) {
    for (const config of round % 2 ? [...configs].reverse() : configs) {
      const server = await startServer(config.server, { env: { LOG_LEVEL: undefined, LOG_SYNC: undefined, ...config.env } });
      try {
        await measure(server, GET_PATH, { method: 'GET', seconds: Number(values.warmup) });
        for (const op of ops) {
          const load = op === 'get' ? { path: GET_PATH, method: 'GET' as const } : { path: POST_PATH, method: 'POST' as const, body: POST_BODY };
          const m = await measure(server, load.path, { method: load.method, body: 'body' in load ? load.body : undefined, seconds });
          if (m.errors) throw new Error(`${config.label}: ${m.errors} error answers during the ${op} run`);
          runs.get(config.label)![op].push({ rps: m.rps, cpu: m.cpuUsPerReq, others: m.serverCoreOthers, load: m.loadCoreBusy });
        }
        console.log(`  round ${round + 1}/${rounds} ${config.label}: ${ops.map((op) => `${describe(op, runs.get(config.label)![op].at(-1)!)}`).join(', ')}`);
      } finally {
        await server.stop();
      }
    }
  }
  const base = runs.get(configs[0].label)!;
  const rows = configs.map((c) => {
    const mine = runs.get(c.label)!;
    return [
      c.label,
      ...ops.flatMap((op) => {
        const rps = median(mine[op].map((r) => r.rps));
        const cpu = median(mine[op].map((r) => r.cpu));
        return [fmt.int(rps), (rps / median(base[op].map((r) => r.rps))).toFixed(3), cpu.toFixed(2), (cpu / median(base[op].map((r) => r.cpu))).toFixed(3), mine[op].map((r) => r.cpu.toFixed(1)).join(' ')];
      }),
    ];
  });
  const heads = ops.flatMap((op) => [`${op} req/s`, '×first', 'CPU µs/req', '×first', 'CPU runs']);
  console.log(`\n${rounds} rounds of ${seconds} s, medians\n${table(['configuration', ...heads], rows)}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
