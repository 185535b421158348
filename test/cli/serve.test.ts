// `specbind serve`: option precedence (flags > environment > config file), and --workers over a real port.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort, workerPids } from '../helpers/processes';
import { resolveServeOptions } from '../../src/cli/serve';

const ROOT = path.join(__dirname, '../..');

describe('serve options', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('takes flags over environment variables over the config file over defaults', () => {
    const config = { spec: 'from-config.yaml', port: 4000, host: '0.0.0.0', responseValidation: 'off' as const, logLevel: 'debug' };
    process.env.PORT = '5000';
    process.env.SPECBIND_SPEC = 'from-env.yaml';
    process.env.RESPONSE_VALIDATION = 'warn';
    delete process.env.HOST;
    delete process.env.LOG_LEVEL;
    const resolved = resolveServeOptions({ port: '6000' }, config);
    expect(resolved.port).toBe(6000);
    expect(resolved.options.spec).toBe('from-env.yaml');
    expect(resolved.host).toBe('0.0.0.0');
    expect(resolved.options.responseValidation).toBe('warn');
    expect(resolved.options.logger).toEqual({ level: 'debug' });
    expect(resolveServeOptions({}, {}).options.spec).toBe('from-env.yaml');
    delete process.env.SPECBIND_SPEC;
    expect(resolveServeOptions({}, {}).options.spec).toBe('openapi/api.yaml');
  });

  it('refuses a bad port, worker count or validation mode with a clear message', () => {
    expect(() => resolveServeOptions({ port: 'eighty' }, {})).toThrow('the port must be a number');
    expect(() => resolveServeOptions({ workers: '0' }, {})).toThrow('--workers must be a whole number');
    expect(() => resolveServeOptions({ 'response-validation': 'loose' }, {})).toThrow('RESPONSE_VALIDATION must be strict, warn or off');
    expect(() => resolveServeOptions({ compile: 'sometimes' }, {})).toThrow('--compile must be lazy or eager');
  });

  it('takes the compile mode from --compile, then SPECBIND_COMPILE, then the config file', () => {
    expect(resolveServeOptions({ compile: 'eager' }, { compile: 'lazy' }).options.compile).toBe('eager');
    expect(resolveServeOptions({}, { compile: 'eager' }).options.compile).toBe('eager');
    expect(resolveServeOptions({}, {}).options.compile).toBeUndefined(); // createServer's default: lazy
  });
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, extra?: () => string, ms = 45_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${extra ? `: ${extra()}` : ""}`);
}

describe('serve --workers', () => {
  let primary: ChildProcess | undefined;
  afterEach(() => {
    if (primary && primary.exitCode === null) primary.kill('SIGKILL');
  });

  it('runs N processes on one port and replaces a worker that dies, while the others keep answering', async () => {
    const port = await freePort();
    primary = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--workers', '2', '--port', String(port), '--spec', 'test/fixtures/startup/openapi.yaml', '--handlers', 'test/fixtures/startup/handlers'], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    primary.stderr!.on('data', (chunk) => (stderr += chunk));
    const url = `http://127.0.0.1:${port}/pets`;
    const pids = await waitFor('two workers answering', async () => {
      const ok = await fetch(url, { signal: AbortSignal.timeout(3000) }).then(async (r) => (await r.text(), r.ok), () => false);
      const children = workerPids(primary!.pid!);
      return ok && children.length === 2 ? children : undefined;
    }, () => `${stderr} children=${workerPids(primary!.pid!)}`);
    process.kill(pids[0], 'SIGKILL');
    // The surviving worker answers while the replacement starts.
    // A connection the primary hands to the worker at the moment it dies is lost (node:cluster); a
    // client's timeout and retry covers that window, so each request gets one retry.
    const get = () => fetch(url, { headers: { connection: 'close' }, signal: AbortSignal.timeout(3000) }).then(async (r) => (await r.text(), r.status));
    for (let i = 0; i < 5; i++) expect(await get().catch(get)).toBe(200);
    const replaced = await waitFor('a replacement worker', () => {
      const children = workerPids(primary!.pid!);
      return children.length === 2 && !children.includes(pids[0]) ? children : undefined;
    });
    expect(replaced).toContain(pids[1]);
    expect(stderr).toContain(`worker ${pids[0]} died`);
    primary.kill('SIGTERM');
    const code = await new Promise((resolve) => {
      primary!.once('exit', resolve);
      setTimeout(() => resolve('still running 30 s after SIGTERM'), 30_000).unref();
    });
    expect(code).toBe(0);
  }, 120_000);
});

const PETSTORE = path.join(ROOT, '../shared/specs/oai-learn/v3.0/petstore-expanded.yaml');

describe('serve: the start line and the route table', () => {
  (existsSync(PETSTORE) ? it : it.skip)('show the base path the document serves under (petstore-expanded: /v2), and GET there answers', async () => {
    const port = await freePort();
    const spec = PETSTORE;
    const none = mkdtempSync(path.join(tmpdir(), 'specbind-no-handlers-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--spec', spec, '--handlers', none, '--mock', '--port', String(port)], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (chunk) => (out += chunk));
    child.stderr!.on('data', (chunk) => (out += chunk));
    try {
      const serving = await waitFor('the start line', () => out.split('\n').find((line) => line.includes('specbind serving')), () => out);
      expect(JSON.parse(serving).msg).toBe(`specbind serving 4 operations at http://127.0.0.1:${port}/v2 (docs at http://127.0.0.1:${port}/docs)`);
      const routes = out.split('\n').filter((line) => line.includes('"msg":"route"')).map((line) => `${JSON.parse(line).method} ${JSON.parse(line).path}`);
      expect(routes).toEqual(['GET /v2/pets', 'POST /v2/pets', 'GET /v2/pets/{id}', 'DELETE /v2/pets/{id}']);
      expect((await fetch(`http://127.0.0.1:${port}/v2/pets`)).status).toBe(200);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
