// What one access line costs to write, alone: the byte writer (src/log/access-bytes.ts) and the string
// line it falls back to (src/log/access.ts) encoded into the batch, on the benchmark's GET line, one
// millisecond's time shared by ~50 lines as at 50k req/s. ns a line, the median of the rounds, the
// loop's own cost (the fields object, Date.now()) taken off. Compiled, as the servers run.
//   npx tsx bench/access-line.ts [--lines 2000000] [--rounds 7] [--runtime /path/to/node|bun|deno]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { buildDir } from './lib/build';

const { values } = parseArgs({ options: { lines: { type: 'string', default: '2000000' }, rounds: { type: 'string', default: '7' }, runtime: { type: 'string', default: process.execPath } } });
const dir = buildDir();
const driver = path.join(dir, 'access-line-driver.js');
writeFileSync(
  driver,
  `
const { AccessLineWriter } = require('./src/log/access-bytes');
const { accessLine } = require('./src/log/access');
const N = ${Number(values.lines)}, ROUNDS = ${Number(values.rounds)};
const BINDINGS = ',"pid":12345,"hostname":"build-host","name":"specbind"';
const writer = new AccessLineWriter(new Uint8Array(Buffer.from(BINDINGS)));
const batch = Buffer.allocUnsafeSlow(64 * 1024);
let at = 0, sink = 0;
const fields = (i) => ({ reqId: 'r' + (i & 0xffff).toString(36), operationId: 'getPet', method: 'GET', url: '/pets/' + (i & 1023), status: 200, ms: ((i % 900) + 100) / 1000, trace_id: undefined, span_id: undefined });
const ways = {
  loop: (i) => { const f = fields(i); sink += f.url.length + (Date.now() & 1); },
  bytes: (i) => {
    const f = fields(i);
    if (at + writer.bound(f) > batch.length) at = 0;
    at = writer.write(batch, at, f, Date.now());
  },
  // As the batch takes a string line: encoded into it (src/log/destination.ts).
  string: (i) => {
    const line = accessLine(BINDINGS, fields(i), Date.now());
    if (at + line.length * 3 > batch.length) at = 0;
    at += batch.utf8Write(line, at);
  },
};
const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
const runs = { loop: [], bytes: [], string: [] };
for (let r = 0; r < ROUNDS; r++) for (const [name, one] of Object.entries(ways)) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) one(i);
  runs[name].push(Number(process.hrtime.bigint() - start) / N);
}
const loop = median(runs.loop);
console.log('bytes ' + (median(runs.bytes) - loop).toFixed(0) + ' ns a line, string ' + (median(runs.string) - loop).toFixed(0) + ' ns a line (the loop alone ' + loop.toFixed(0) + ' ns; ' + ROUNDS + ' rounds of ' + N + ', medians; ' + sink % 7 + ')');
`,
);
const runtime = values.runtime!;
const args = path.basename(runtime).startsWith('deno') ? ['run', '--allow-all', driver] : [driver];
process.stdout.write(`${path.basename(runtime)} ${execFileSync(runtime, ['--version'], { encoding: 'utf8' }).trim().split('\n')[0]}: ${execFileSync(runtime, args, { cwd: dir, encoding: 'utf8' })}`);
