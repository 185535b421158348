// The first requests of a process (issue 19), as a user sees them: specbind serving Stripe's, Discord's
// and GitHub's documents in each `missingHandlers` mode (bench/servers/specbind-large.ts), then, on
// fresh connections, one request to each of three never-called operations (the last three GETs whose
// required parameters are all in the path, credentials as their security asks) and a second request
// to the first. Each process is new; medians of --repeat processes (default 3). Targets: the first
// request ≤ 50 ms, the first to each other operation ≤ 15 ms.
// In `fail` mode (the default: a handler for every operation) the probed operations' handlers answer
// a valid body, as correct handlers do: the body a mock server of the same document answered them,
// fetched by another process beforehand. `fail-invalid` is the error path: each handler answers `{}`,
// which response validation refuses with a 500 that names what is wrong (Ajv compiles the schema for it).
//   npx tsx bench/first-request.ts [--docs stripe,discord,github] [--modes mock,notImplemented,fail,fail-invalid] [--repeat 3]
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DOCUMENTS, timedRequest } from './large';
import { startServer } from './lib/proc';
import { fmt, median, table } from './lib/report';

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: 'stripe,discord,github' },
    modes: { type: 'string', default: 'mock,notImplemented,fail,fail-invalid' },
    repeat: { type: 'string', default: '3' },
  },
});

type Probe = { method: string; path: string; headers: Record<string, string>; operationId: string };

async function main() {
  const rows: string[][] = [];
  for (const id of values.docs!.split(',')) {
    const doc = DOCUMENTS.find((d) => d.id === id);
    if (!doc) throw new Error(`unknown document ${id}`);
    for (const mode of values.modes!.split(',')) {
      const runs: Array<{ ms: number[]; status: number[]; ops: string[] }> = [];
      const bodies = mode === 'fail' ? await validBodies(doc.file) : undefined;
      for (let i = 0; i < Number(values.repeat); i++) {
        const server = await startServer('specbind-large', { env: { BENCH_SPEC: doc.file, BENCH_MODE: mode === 'fail-invalid' ? 'fail' : mode, BENCH_BODIES: bodies, LOG_LEVEL: 'error' } });
        try {
          // A pause after READY, as between a deployment's start and its first user.
          await new Promise((resolve) => setTimeout(resolve, 200));
          const probes: Probe[] = server.info.probes;
          const sequence = [...probes, probes[0]];
          const run = { ms: [] as number[], status: [] as number[], ops: probes.map((p) => p.operationId) };
          for (const probe of sequence) {
            const { ms, status } = await timedRequest(server.url, probe);
            run.ms.push(ms);
            run.status.push(status);
          }
          runs.push(run);
        } finally {
          await server.stop();
        }
      }
      const at = (k: number) => median(runs.map((r) => r.ms[k]));
      const status = runs[0].status.join('/');
      rows.push([id, mode, fmt.ms(at(0), 1), fmt.ms(at(1), 1), fmt.ms(at(2), 1), fmt.ms(at(3), 1), status, runs[0].ops.join(', ')]);
      console.log(`${id} ${mode}: first ${runs.map((r) => r.ms[0].toFixed(1)).join(' ')} ms; others ${runs.map((r) => `${r.ms[1].toFixed(1)}/${r.ms[2].toFixed(1)}`).join(' ')} ms; again ${runs.map((r) => r.ms[3].toFixed(1)).join(' ')} ms (${status})`);
    }
  }
  console.log();
  console.log(table(['document', 'mode', '1st op (ms)', '2nd op', '3rd op', '1st op again', 'statuses', 'operations'], rows));
}

/** A file of the probed operations' bodies as a mock server of the document answers them (valid: it checked them). */
async function validBodies(file: string): Promise<string> {
  const server = await startServer('specbind-large', { env: { BENCH_SPEC: file, BENCH_MODE: 'mock', LOG_LEVEL: 'error' } });
  const bodies: Record<string, unknown> = {};
  try {
    for (const probe of server.info.probes as Probe[]) {
      const response = await fetch(server.url + probe.path, { method: probe.method, headers: probe.headers });
      if (response.ok && /json/.test(response.headers.get('content-type') ?? '')) bodies[probe.operationId] = await response.json();
      else await response.arrayBuffer();
    }
  } finally {
    await server.stop();
  }
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'specbind-bodies-')), 'bodies.json');
  writeFileSync(out, JSON.stringify(bodies));
  return out;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
