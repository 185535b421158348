// The package as a user gets it (issue 18): `npm run build && npm pack`, the tarball installed into two
// throwaway projects, one CommonJS and one ES module ("type": "module"). In each, a TypeScript file that
// imports specbind is type-checked by tsc under `moduleResolution: nodenext` and again under `bundler`,
// then compiled and run with node: it serves a one-operation document and answers one request. The
// installed CLI serves handlers of every module kind (.mjs, .js, .cjs, .ts, .mts, .cts), and a script in
// the ES module project does the same through createServer({ handlers }).
//
// One tarball and one `npm install` per run (the ES module project shares the CommonJS project's
// node_modules through a symlink); about 45-60 s, most of it `npm run build` and `npm install`
// (--prefer-offline: specbind's dependencies are in npm's cache after `npm ci`).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort, until } from '../helpers/processes';
import { runtimes } from '../helpers/runtimes';
import { EXPECTED_FORMATS } from '../fixtures/module-formats/expected';

const ROOT = path.join(__dirname, '../..');
const FIXTURE = path.join(ROOT, 'test/fixtures/module-formats');
/** The public API's fixed names (DESIGN.md), which both entries must give. */
const FIXED = ['createServer', 'bind', 'HttpError', 'streamBody'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** npm's settings for the `npm test` that started Jest, minus those naming this repository's package. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^npm_(package_|lifecycle_|command$|config_local_prefix$)/.test(name)) delete env[name];
  }
  return env;
}

function run(command: string, args: string[], cwd: string, timeout = 120_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: childEnv(), timeout, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

async function ok(command: string, args: string[], cwd: string, timeout?: number): Promise<string> {
  const result = await run(command, args, cwd, timeout);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}


/** Every entry package.json "exports" offers (`specbind`, and subpaths such as `specbind/fetch`). */
function entryPoints(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  return Object.keys(pkg.exports).filter((key) => key !== './package.json').map((key) => (key === '.' ? 'specbind' : `specbind/${key.slice(2)}`));
}

// Each entry's namespace, for server.ts to print the names it gives.
const ENTRIES_TS = () => `${entryPoints().map((entry, i) => `import * as entry${i} from '${entry}';`).join('\n')}
export const entries: Record<string, object> = { ${entryPoints().map((entry, i) => `'${entry}': entry${i}`).join(', ')} };
`;

// The file both projects type-check, compile and run. In the CommonJS project tsc turns its imports into
// require('specbind') (the "require" entries); in the ES module project they stay imports ("import").
const SERVER_TS = `import { createServer, bind, HttpError, streamBody, type CreateServerOptions, type Handler, type HandlerContext } from 'specbind';
import * as specbind from 'specbind';
import { entries } from './entries.js';

const hello: Handler = (_input: unknown, ctx: HandlerContext) => ({ operationId: ctx.operation.operationId });
const options: CreateServerOptions = {
  spec: {
    openapi: '3.0.3',
    info: { title: 'packaging', version: '1.0.0' },
    paths: { '/hello': { get: { operationId: 'hello', responses: { '200': { description: 'hi', content: { 'application/json': { schema: { type: 'object', required: ['operationId'], properties: { operationId: { type: 'string' } } } } } } } } } },
  },
  handlers: { hello },
  logger: { level: 'silent' },
  docs: false,
};
const notFound: HttpError = new HttpError(404, 'nothing here');
const used: unknown[] = [bind, streamBody];

async function main(): Promise<void> {
  const server = await createServer(options);
  const { url, close } = await server.listen(0, '127.0.0.1');
  try {
    const response = await fetch(url + '/hello');
    console.log(JSON.stringify({
      status: response.status,
      body: await response.json(),
      names: Object.fromEntries(Object.entries(entries).map(([entry, values]) => [entry, Object.keys(values).filter((name) => name !== 'default').sort()])),
      sameHttpError: notFound instanceof specbind.HttpError && used.length === 2,
    }));
  } finally {
    await close();
  }
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
`;

// createServer({ handlers: dir }) from the ES module project, for each handlers directory given.
const FORMATS_MJS = `import { createServer } from 'specbind';
const [spec, ...dirs] = process.argv.slice(2);
const answers = {};
for (const dir of dirs) {
  const server = await createServer({ spec, handlers: dir, logger: { level: 'silent' }, docs: false });
  const { url, close } = await server.listen(0, '127.0.0.1');
  answers[dir.split('/').pop()] = {};
  for (const p of ['/mjs', '/js', '/cjs', '/ts', '/mts', '/cts']) {
    const response = await fetch(url + p);
    answers[dir.split('/').pop()][p] = { status: response.status, body: await response.json() };
  }
  await close();
}
console.log(JSON.stringify(answers));
`;

// The ES module entry under Bun and Deno: the installed package imported by name, a server made and asked.
const RUNTIME_ENTRY_JS = `import { createServer, HttpError } from 'specbind';
const server = await createServer({
  spec: { openapi: '3.0.3', info: { title: 'entry', version: '1' }, paths: { '/hello': { get: { operationId: 'hello', responses: { '200': { description: 'hi', content: { 'application/json': { schema: { type: 'object' } } } } } } } } },
  handlers: { hello: () => ({ runtime: typeof Deno !== 'undefined' ? 'deno' : typeof Bun !== 'undefined' ? 'bun' : 'node', httpError: typeof HttpError }) },
  logger: { level: 'silent' },
  docs: false,
});
const answer = await server.fetch(new Request('http://localhost/hello'));
console.log(JSON.stringify({ status: answer.status, body: await answer.json() }));
await server.close();
if (typeof Deno !== 'undefined') Deno.exit(0);
`;

function tsconfig(compilerOptions: Record<string, unknown>): string {
  return JSON.stringify({ compilerOptions: { target: 'es2022', strict: true, types: ['node'], ...compilerOptions }, files: ['server.ts'] }, null, 2);
}

/**
 * tsc in `dir` with `project`: its errors in the project's own files and in specbind's declarations
 * (under skipLibCheck: false, other packages' declarations are theirs).
 */
async function typeErrors(dir: string, project: string): Promise<string[]> {
  const result = await run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', project, '--pretty', 'false'], dir);
  return result.stdout.split('\n').filter((line) => /error TS\d+/.test(line) && (!line.includes('node_modules/') || line.includes('node_modules/specbind/')));
}

describe('the packed package, installed', () => {
  let work = '';
  let tarball = '';
  let files: string[] = [];
  let cjs = '';
  let esm = '';
  const servers: ChildProcess[] = [];

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'specbind-packaging-'));
    await ok('npm', ['run', 'build', '--silent'], ROOT, 180_000);
    const packed = JSON.parse(await ok('npm', ['pack', '--json', '--silent', '--pack-destination', work], ROOT));
    tarball = path.join(work, packed[0].filename);
    files = packed[0].files.map((file: { path: string }) => file.path);

    cjs = path.join(work, 'app-cjs');
    esm = path.join(work, 'app-esm');
    mkdirSync(cjs);
    mkdirSync(esm);
    writeFileSync(path.join(cjs, 'package.json'), JSON.stringify({ name: 'app-cjs', private: true, type: 'commonjs' }));
    writeFileSync(path.join(esm, 'package.json'), JSON.stringify({ name: 'app-esm', private: true, type: 'module' }));
    await ok('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], cjs, 180_000);
    // tsc is this repository's, and so are node's types unless a dependency brought some (linked in:
    // installing them costs seconds).
    if (!existsSync(path.join(cjs, 'node_modules/@types/node'))) {
      mkdirSync(path.join(cjs, 'node_modules/@types'), { recursive: true });
      symlinkSync(path.join(ROOT, 'node_modules/@types/node'), path.join(cjs, 'node_modules/@types/node'), 'dir');
    }
    symlinkSync(path.join(cjs, 'node_modules'), path.join(esm, 'node_modules'), 'dir');

    for (const dir of [cjs, esm]) {
      writeFileSync(path.join(dir, 'server.ts'), SERVER_TS);
      writeFileSync(path.join(dir, 'entries.ts'), ENTRIES_TS());
      // Node's view. In the CommonJS project every declaration is checked: specbind's must hold under
      // strict settings without skipLibCheck (a type it names from a package that is not one of its
      // dependencies fails here). The ES module project's index.d.mts only re-exports the same files.
      writeFileSync(path.join(dir, 'tsconfig.json'), tsconfig({ module: 'nodenext', moduleResolution: 'nodenext', skipLibCheck: dir === esm, outDir: 'out' }));
      // A bundler's view ("import" conditions; `preserve` keeps require() possible), as most projects set it.
      writeFileSync(path.join(dir, 'tsconfig.bundler.json'), tsconfig({ module: dir === esm ? 'esnext' : 'preserve', moduleResolution: 'bundler', skipLibCheck: true, noEmit: true }));
    }
    cpSync(FIXTURE, path.join(esm, 'formats'), { recursive: true, filter: (source) => !source.endsWith('expected.ts') });
    writeFileSync(path.join(esm, 'formats.js'), FORMATS_MJS);
    writeFileSync(path.join(esm, 'runtime-entry.js'), RUNTIME_ENTRY_JS);
  }, 360_000);

  afterAll(() => {
    for (const server of servers) server.kill('SIGKILL');
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('holds every file package.json names, and no sources or tests', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const targets = new Set<string>([pkg.main, pkg.types, ...Object.values<string>(pkg.bin)]);
    const walk = (value: unknown): void => {
      if (typeof value === 'string') targets.add(value.replace(/^\.\//, ''));
      else if (value && typeof value === 'object') Object.values(value).forEach(walk);
    };
    walk(pkg.exports);
    for (const target of targets) expect({ target, packed: files.includes(target) }).toEqual({ target, packed: true });
    expect(files.filter((file) => /^(src|test)\//.test(file) || /(?<!\.d)\.ts$/.test(file))).toEqual([]);
  });

  const names: Record<string, Record<string, string[]>> = {};

  it.each([
    ['CommonJS', () => cjs],
    ['ES module', () => esm],
  ])('%s project: tsc accepts it under nodenext and bundler resolution; node runs it and it answers', async (kind, dir) => {
    const [nodenext, bundler] = await Promise.all([typeErrors(dir(), 'tsconfig.json'), typeErrors(dir(), 'tsconfig.bundler.json')]);
    // tsc wrote out/server.js whatever it found.
    const answer = JSON.parse(await ok(process.execPath, ['out/server.js'], dir()));
    names[kind] = answer.names;
    expect({ nodenext, bundler }).toEqual({ nodenext: [], bundler: [] });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ operationId: 'hello' });
    expect(answer.sameHttpError).toBe(true);
    expect(answer.names.specbind).toEqual(expect.arrayContaining(FIXED));
  }, 90_000);

  it('gives import the same names as require, for every entry', async () => {
    const script = `const entries = ${JSON.stringify(entryPoints())};
console.log(JSON.stringify(Object.fromEntries(entries.map((entry) => [entry, Object.keys(require(entry)).sort()]))));`;
    const required = JSON.parse(await ok(process.execPath, ['-e', script], cjs));
    expect(required.specbind).toEqual(expect.arrayContaining(FIXED));
    expect(names['CommonJS']).toEqual(required);
    // A value export added to src/index.ts and not to src/index.mts shows here.
    expect(names['ES module']).toEqual(required);
  }, 30_000);

  it('createServer({ handlers: dir }) from an ES module loads handlers of every module kind', async () => {
    const answers = JSON.parse(await ok(process.execPath, ['formats.js', 'formats/openapi.yaml', 'formats/module', 'formats/commonjs'], esm));
    expect(answers).toEqual(EXPECTED_FORMATS);
  }, 60_000);

  it.each([
    ['Bun', () => [runtimes().bun, 'runtime-entry.js']],
    ['Deno', () => [runtimes().deno, 'run', '--allow-all', 'runtime-entry.js']],
  ])("%s imports the installed package by name (its ES module entry) and serves with it", async (name, command) => {
    const [binary, ...args] = command();
    const answer = JSON.parse((await ok(binary, args, esm, 60_000)).trim().split('\n').pop()!);
    expect(answer).toEqual({ status: 200, body: { runtime: name.toLowerCase(), httpError: 'function' } });
  }, 90_000);

  it('the installed CLI serves them (specbind serve) and finds them all (specbind check)', async () => {
    const bin = path.join(esm, 'node_modules/.bin/specbind');
    const check = await run(bin, ['check', '--spec', 'formats/openapi.yaml', '--handlers', 'formats/module'], esm);
    expect({ code: check.code, out: check.stdout + check.stderr }).toEqual({ code: 0, out: expect.stringContaining('0 error(s)') });

    const port = await freePort();
    let output = '';
    const server = spawn(bin, ['serve', '--spec', 'formats/openapi.yaml', '--handlers', 'formats/module', '--port', String(port)], { cwd: esm, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    servers.push(server);
    server.stdout!.on('data', (chunk) => (output += chunk));
    server.stderr!.on('data', (chunk) => (output += chunk));
    const base = `http://127.0.0.1:${port}`;
    await until('specbind serve to answer /healthz', async () => ((await fetch(`${base}/healthz`).catch(() => undefined))?.ok ? true : undefined), 30_000, () => output);
    const answers: Record<string, unknown> = {};
    for (const p of Object.keys(EXPECTED_FORMATS.module)) {
      const response = await fetch(base + p);
      answers[p] = { status: response.status, body: await response.json() };
    }
    expect(answers).toEqual(EXPECTED_FORMATS.module);
    server.kill('SIGTERM');
  }, 60_000);
});
