// The per-request JavaScript alone: specbind's compiled node handler and the raw variant's logic called
// in a loop with fake request and response objects (no sockets, no node:http), medians of ns per
// request. Low-noise A/B for changes to the pipeline's own code; bench/run.ts measures what users get.
//   npx tsx bench/inprocess.ts [--post] [--log] [--requests 1000000] [--rounds 9] [--cpu-prof-dir DIR] [--allocations]
// --log: specbind's logger at its defaults (the access line at info; the driver's stdout is /dev/null).
// --allocations: then bytes allocated per request, by function (V8's sampling heap profiler).
import { execFileSync } from 'node:child_process';
import { openSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { buildDir } from './lib/build';
import { ROOT } from './lib/proc';

const { values } = parseArgs({ options: { post: { type: 'boolean', default: false }, log: { type: 'boolean', default: false }, allocations: { type: 'boolean', default: false }, requests: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '9' }, 'cpu-prof-dir': { type: 'string' } } });
const dir = buildDir();
const driver = path.join(dir, 'inprocess-driver.js');
// Plain JavaScript, run from the compiled tree (as the benchmark servers are).
writeFileSync(
  driver,
  `
const { createServer } = require('./src');
const { handlers } = require('./bench/servers/specbind');
const { answer, isNewPet, parsePetId } = require('./bench/servers/common');
const POST = ${values.post}, N = ${Number(values.requests)}, ROUNDS = ${Number(values.rounds)}, ALLOCATIONS = ${values.allocations};
const body = Buffer.from(JSON.stringify({ name: 'Rex', tag: 'dog' }));
let written = 0;
const res = { headersSent: false, req: null, writeHead(status) { written += status; }, end(b) { written += b.length; } };
function getRequest(i) {
  return { url: '/pets/' + ((i & 1023) + 1), method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, rawHeaders: ['Host', '127.0.0.1'], headers: { host: '127.0.0.1' }, complete: true, socket: {} };
}
// A body that arrives in one chunk right after the handler subscribes, as on a keep-alive connection.
class PostRequest {
  constructor() {
    this.url = '/pets'; this.method = 'POST'; this.httpVersionMajor = 1; this.httpVersionMinor = 1; this.complete = true; this.socket = {}; this.readableEnded = false; this.listeners = {};
    this.rawHeaders = ['Host', '127.0.0.1', 'Content-Type', 'application/json', 'Content-Length', String(body.length)];
    this.headers = { host: '127.0.0.1', 'content-type': 'application/json', 'content-length': String(body.length) };
  }
  on(event, listener) { (this.listeners[event] ??= []).push(listener); return this; }
  off() { return this; }
  arrive() { for (const l of this.listeners.data ?? []) l(body); for (const l of this.listeners.end ?? []) l(); }
}
function raw(req, res) {
  const url = req.url, q = url.indexOf('?'), path = q === -1 ? url : url.slice(0, q);
  if (req.method === 'GET' && path.startsWith('/pets/') && path.indexOf('/', 6) === -1) {
    const a = answer('getPet', { petId: parsePetId(path.slice(6)) });
    return send(res, a.status, a.body);
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (!isNewPet(value)) throw new Error('invalid');
    const a = answer('createPet', {}, value);
    send(res, a.status, a.body);
  });
}
function send(res, status, value) {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
(async () => {
  const server = await createServer({ spec: 'bench/petstore.yaml', handlers: handlers(), logger: ${values.log ? '{}' : "{ level: 'warn' }"} });
  const variants = [['specbind', server.handler], ['raw', raw]];
  const ns = { specbind: [], raw: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, handle] of variants) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < N; i++) {
        const req = POST ? new PostRequest() : getRequest(i);
        res.req = req;
        handle(req, res);
        if (POST) req.arrive();
      }
      ns[name].push(Number(process.hrtime.bigint() - started) / N);
    }
  }
  // The first two rounds warm up.
  const median = (a) => a.slice(2).sort((x, y) => x - y)[Math.floor((a.length - 2) / 2)];
  const s = median(ns.specbind), r = median(ns.raw);
  console.error((POST ? 'POST' : 'GET') + ${values.log ? "' (access log on)'" : "''"} + ': specbind ' + s.toFixed(0) + ' ns/request, raw ' + r.toFixed(0) + ' ns/request, difference ' + (s - r).toFixed(0) + ' ns (' + ROUNDS + ' rounds of ' + N + ', medians; ' + written + ')');
  if (ALLOCATIONS) for (const [name, handle] of variants) await allocations(name, handle);
})();

// Bytes allocated per request and by which function (V8's sampling heap profiler, one sample per
// 64 bytes on average, counting what the scavenger collected too): garbage the GC must then sweep.
// Functions inlined by the optimizer are counted in their caller.
async function allocations(name, handle) {
  const session = new (require('node:inspector').Session)();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  const n = 200000;
  await post('HeapProfiler.startSampling', { samplingInterval: 64, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  for (let i = 0; i < n; i++) {
    const req = POST ? new PostRequest() : getRequest(i);
    res.req = req;
    handle(req, res);
    if (POST) req.arrive();
  }
  const { profile } = await post('HeapProfiler.stopSampling');
  session.disconnect();
  const bytes = new Map();
  const visit = (node) => {
    const f = node.callFrame;
    const where = (f.functionName || '(anonymous)') + ' ' + (f.url ? f.url.split('/').slice(-2).join('/') + ':' + (f.lineNumber + 1) : '');
    if (node.selfSize) bytes.set(where, (bytes.get(where) ?? 0) + node.selfSize);
    node.children.forEach(visit);
  };
  visit(profile.head);
  const total = [...bytes.values()].reduce((a, b) => a + b, 0);
  console.error(name + ': ~' + (total / n).toFixed(0) + ' bytes allocated per request (the fake request objects of the driver included)');
  for (const [where, size] of [...bytes].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.error('  ' + (size / n).toFixed(0).padStart(6) + '  ' + where);
}
`,
);
const profile = values['cpu-prof-dir'] ? ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', path.resolve(values['cpu-prof-dir'])] : [];
// Results on stderr; stdout (the log, with --log) to /dev/null.
execFileSync(process.execPath, [...profile, driver], { cwd: ROOT, env: { ...process.env, BENCH_ROOT: ROOT, NODE_PATH: path.join(ROOT, 'node_modules') }, stdio: ['ignore', openSync('/dev/null', 'w'), 'inherit'] });
