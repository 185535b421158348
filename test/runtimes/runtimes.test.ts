// The bundled API under Bun and under Deno, checked over HTTP from here: a GET with parameters, a POST
// and a PUT binding domain objects, a validation error, a 401, Swagger UI's page and document, and a
// build's log as server-sent events. Bun runs specbind from its TypeScript sources, with Bun.serve and
// server.fetch and with Bun's node:http and server.listen; Deno runs the compiled CommonJS build with
// Deno.serve and server.fetch. Both load the document from a path and the handlers from a directory.
// The runtimes come from the npm registry (the `bun` and `deno` packages), cached outside the repo.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runtimes } from '../helpers/runtimes';
import { parseSse } from '../helpers/sse';

const ROOT = path.join(__dirname, '../..');
const BUILD = path.join(ROOT, 'node_modules/.cache/specbind-runtimes-build');
const KEY = 'runtime-test-key';

interface Running {
  url: string;
  runtime: string;
  process: ChildProcess;
  output: () => string;
}

/** Starts a server script and waits for its {"port"} line, then for /readyz (the embedded database is up). */
async function startServer(command: string, args: string[], env: Record<string, string>): Promise<Running> {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, PGLITE_DATA_DIR: 'memory://', API_KEYS: KEY, BUILD_LOG_STEP_MS: '20', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const deadline = Date.now() + 60_000;
  let started: { port: number; runtime: string } | undefined;
  while (!started) {
    if (child.exitCode !== null) throw new Error(`${command} exited (${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) throw new Error(`${command} did not start within 60 s:\n${output}`);
    const line = output.split('\n').find((l) => l.startsWith('{"port"'));
    if (line) started = JSON.parse(line);
    else await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const url = `http://127.0.0.1:${started.port}`;
  for (;;) {
    const ready = await fetch(`${url}/readyz`).then((r) => r.status, () => 0);
    if (ready === 200) break;
    if (Date.now() > deadline) throw new Error(`${command} not ready within 60 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { url, runtime: started.runtime, process: child, output: () => output };
}

const VARIANTS: Array<[string, () => Promise<Running>]> = [
  ['Bun: Bun.serve with server.fetch', () => startServer(runtimes().bun, ['test/runtimes/bun-server.ts'], { MODE: 'fetch' })],
  ['Bun: node:http with server.listen', () => startServer(runtimes().bun, ['test/runtimes/bun-server.ts'], { MODE: 'listen' })],
  ['Deno: Deno.serve with server.fetch', () => startServer(runtimes().deno, ['run', '--allow-all', 'test/runtimes/deno-server.mjs'], { SPECBIND_BUILD: BUILD, SPECBIND_ROOT: ROOT })],
];

beforeAll(() => {
  runtimes();
  // Deno runs the compiled build (specbind's sources use CommonJS require; Deno loads CommonJS through
  // createRequire). Inside node_modules, so that the build's own require()s find the dependencies.
  rmSync(BUILD, { recursive: true, force: true });
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--outDir', BUILD], { cwd: ROOT, stdio: 'inherit' });
  if (!existsSync(path.join(BUILD, 'node_modules'))) symlinkSync(path.join(ROOT, 'node_modules'), path.join(BUILD, 'node_modules'));
}, 180_000);

describe.each(VARIANTS)('%s', (_name, start) => {
  let server: Running;
  const key = { 'x-api-key': KEY };
  beforeAll(async () => {
    server = await start();
  }, 90_000);
  afterAll(() => {
    server?.process.kill('SIGKILL');
  });
  const call = (route: string, init: RequestInit = {}) => fetch(server.url + route, init);

  it('answers a GET with parameters (an array and a deepObject) from the embedded store', async () => {
    const answer = await call('/builds?phase=building&phase=finished&filter[status]=running', { headers: key });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as Array<{ name: string }>).map((b) => b.name)).toEqual(['binder-project-example-dockerfile']);
  });

  it('binds domain objects: a Person from a JSON body, an Account from the path and a Person from the query', async () => {
    const person = await call('/person', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'fred' }) });
    expect(person.status).toBe(200);
    expect(await person.json()).toEqual({ name: 'fred' });
    expect(await (await call('/account/1234?name=fred', { method: 'PUT' })).text()).toBe('{"accountId":"1234","person":{"name":"fred"}}');
  });

  it('answers a validation error with a 400 problem, and a missing key with a 401', async () => {
    const invalid = await call('/builds/Not-Lower-Case', { headers: key });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('content-type')).toBe('application/problem+json');
    expect((await call('/builds')).status).toBe(401);
  });

  it("serves Swagger UI's page, its assets and the document", async () => {
    const page = await call('/docs');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger-ui');
    expect((await call('/docs/swagger-ui-bundle.js')).status).toBe(200);
    expect(((await (await call('/openapi.json')).json()) as { info: { title: string } }).info.title).toMatch(/Binder/);
  });

  it("streams a build's log as server-sent events, to the build's end", async () => {
    const started = await call('/builds', { method: 'POST', headers: { ...key, 'content-type': 'application/json' }, body: JSON.stringify({ repository: 'https://github.com/binder-project/example-runtimes' }) });
    expect(started.status).toBe(202);
    const log = await call('/builds/binder-project-example-runtimes/log', { headers: key });
    expect(log.headers.get('content-type')).toBe('text/event-stream');
    const events = parseSse(await log.text());
    expect(events.map((e) => JSON.parse(e.data).phase)).toEqual(['fetching', 'building', 'registering', 'finished']);
    expect(JSON.parse(events[3].data).status).toBe('completed');
  });

  it('runs where it says', () => {
    expect(server.runtime).toMatch(/^(bun|deno) \d/);
  });
});

/**
 * What test/fixtures/module-formats answers under a runtime that runs TypeScript itself: every module
 * kind loads and its handler answers, ES modules after their top-level await. (Which format the
 * fixture's handlers report is Node's business: Bun defines `require` inside ES modules too.)
 */
function loadedEverywhere(paths: string[]): Record<string, unknown> {
  return Object.fromEntries(paths.map((p) => [p, { status: 200, body: /mjs|mts/.test(p) ? { format: expect.any(String), awaited: true } : { format: expect.any(String) } }]));
}

describe('handler modules of every kind (.mjs, .js, .cjs, .ts, .mts, .cts) from a directory', () => {
  const FORMATS = path.join(ROOT, 'test/fixtures/module-formats');
  const ALL = ['/mjs', '/js', '/cjs', '/ts', '/mts', '/cts'];

  it('load under Bun, in a "type": "module" package and in a CommonJS one', () => {
    const out = execFileSync(runtimes().bun, ['test/handlers/serve-module-formats.ts', path.join(FORMATS, 'openapi.yaml'), path.join(FORMATS, 'module'), path.join(FORMATS, 'commonjs')], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(out)).toEqual({ module: loadedEverywhere(ALL), commonjs: loadedEverywhere(ALL) });
  }, 70_000);

  it('load under Deno; a .cts handler must be written as CommonJS (`exports.x =`): Deno does not turn `export` into CommonJS, and says so at startup', () => {
    // The fixture with its .cts handlers rewritten as CommonJS, which Deno loads; the original as a control.
    const copy = mkdtempSync(path.join(tmpdir(), 'specbind-deno-formats-'));
    try {
      cpSync(FORMATS, copy, { recursive: true });
      for (const dir of ['module', 'commonjs']) writeFileSync(path.join(copy, dir, 'via-cts.cts'), "exports.viaCts = () => ({ format: 'commonjs' });\n");
      const dirs = [path.join(copy, 'module'), path.join(copy, 'commonjs'), path.join(FORMATS, 'module')];
      const out = execFileSync(runtimes().deno, ['run', '--allow-all', 'test/runtimes/deno-formats.mjs', path.join(FORMATS, 'openapi.yaml'), ...dirs], {
        cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, SPECBIND_BUILD: BUILD },
      });
      const answers = JSON.parse(out.trim().split('\n').pop()!);
      expect(answers[dirs[0]]).toEqual(loadedEverywhere(ALL));
      expect(answers[dirs[1]]).toEqual(loadedEverywhere(ALL));
      expect(answers[dirs[2]]).toEqual({ startupError: expect.stringMatching(/Cannot load handler module .*via-cts\.cts: .*export/), problems: [] });
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 70_000);
});
