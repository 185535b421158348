// The benchmark under Bun and Deno (issue 19): one script for both runtimes and both variants.
//   bun fetch-servers.mjs raw|specbind|specbind-nolog          Bun.serve
//   deno run -A fetch-servers.mjs raw|specbind|specbind-nolog  Deno.serve
// `raw` is a fetch handler doing by hand what bench/servers/raw.ts does (routing, the petId and NewPet
// checks, JSON answers); `specbind` is createServer at its defaults (the access log at info included)
// with its Fetch adapter, `server.fetch`. Both load the transpiled CommonJS build this file was copied
// into (bench/lib/build.ts), so the same code runs under Node, Bun and Deno. READY as in common.ts.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const common = require('../common.js');
const variant = (globalThis.Deno ? Deno.args : process.argv.slice(2))[0];

function json(status, value) {
  return new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } });
}

async function raw(request) {
  const url = request.url;
  const start = url.indexOf('/', url.indexOf('//') + 2);
  const q = url.indexOf('?', start);
  const path = q === -1 ? url.slice(start) : url.slice(start, q);
  if (path.startsWith('/pets/') && path.indexOf('/', 6) === -1) {
    if (request.method !== 'GET') return json(405, { message: 'method not allowed' });
    const petId = common.parsePetId(path.slice(6));
    if (petId === undefined) return json(400, { message: 'petId must be an integer ≥ 1' });
    const a = common.answer('getPet', { petId });
    return json(a.status, a.body);
  }
  if (path === '/pets') {
    if (request.method !== 'POST') return json(405, { message: 'method not allowed' });
    if (!/^application\/json\b/i.test(request.headers.get('content-type') ?? '')) return json(415, { message: 'send application/json' });
    const text = await request.text();
    if (text.length > 1 << 20) return json(413, { message: 'too large' });
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      return json(400, { message: 'malformed JSON' });
    }
    if (!common.isNewPet(body)) return json(400, { message: 'invalid pet' });
    const a = common.answer('createPet', {}, body);
    return json(a.status, a.body);
  }
  return json(404, { message: 'not found' });
}

async function handler() {
  if (variant === 'raw') return raw;
  if (variant !== 'specbind' && variant !== 'specbind-nolog') throw new Error(`unknown variant ${variant}: raw, specbind or specbind-nolog`);
  const { createServer } = require('../../../src/index.js');
  const { handlers } = require('../specbind.js');
  // specbind-nolog: LOG_LEVEL=warn, no access line (what the line costs on this runtime).
  const server = await createServer({ spec: common.SPEC_FILE, handlers: handlers(), ...(variant === 'specbind-nolog' ? { logger: { level: 'warn' } } : {}) });
  return server.fetch;
}

function ready(port) {
  process.stdout.write(`BENCH_READY ${JSON.stringify({ port, pid: process.pid, readyMs: performance.now(), runtime: globalThis.Bun ? `bun ${Bun.version}` : `deno ${Deno.version.deno}` })}\n`);
}

const fetch = await handler();
if (globalThis.Bun) {
  const server = Bun.serve({ port: common.PORT, hostname: common.HOST, fetch });
  ready(server.port);
} else {
  Deno.serve({ port: common.PORT, hostname: common.HOST, onListen: ({ port }) => ready(port) }, fetch);
}
