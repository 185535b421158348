// `specbind verify` against real servers on 127.0.0.1: the bundled API passes; a deliberately wrong
// node:http server fails with each failure named; the same seed sends the same requests and gives the
// same report; the command line prints the table and `N passed, M failed` and exits non-zero on failures.
import { execFile } from 'node:child_process';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { createServer } from '../../src';
import { formatReport, verify, type VerifyReport } from '../../src/verify/verify';
import config from '../../handlers/_app/config';
import { MemoryStore, setStore } from '../../handlers/_app/store';
import { exampleContents } from '../../handlers/_app/seed';

// The bundled API's key check reads API_KEYS on each call; set it so the dev-key warning stays quiet.
process.env.API_KEYS ??= 'dev-key';
const ROOT = path.join(__dirname, '../..');
const API = path.join(ROOT, 'openapi/api.yaml');
const WRONG = path.join(__dirname, '../fixtures/verify-wrong/api.yaml');

/** What each check sent: method, target, headers and body (for reproducibility). */
function requests(report: VerifyReport): string[] {
  return report.operations.flatMap((op) => op.checks.map((c) => JSON.stringify([c.kind, c.label, c.method, c.target, c.request.headers, c.request.body?.toString('base64')])));
}

function failures(report: VerifyReport, operationId: string, kind: 'positive' | 'negative'): string[] {
  const op = report.operations.find((o) => o.operationId === operationId);
  if (!op) throw new Error(`no operation ${operationId} in the report`);
  return op.checks.filter((c) => c.kind === kind && c.outcome === 'fail').flatMap((c) => c.reasons);
}

/** The wrong server: each route breaks the document in its own way. */
function wrongHandler(hung: Set<ServerResponse>) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const json = (status: number, body: unknown, type = 'application/json') => {
        res.writeHead(status, { 'content-type': type });
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      };
      const route = `${req.method} ${url.pathname}`;
      if (route === 'GET /ok') {
        // Correct: 400 for a bad or missing limit, else the declared body.
        const limit = Number(url.searchParams.get('limit'));
        if (!Number.isInteger(limit) || limit < 1 || limit > 10) return json(400, '');
        return json(200, { ok: true });
      }
      if (route === 'GET /items') return json(202, []); // an undeclared status
      if (route === 'POST /items') {
        // A 500 for anything it cannot parse, a 201 with the declared body otherwise.
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (typeof body?.name !== 'string') throw new Error('bad');
          return json(201, { id: 1, name: body.name });
        } catch {
          return json(500, { error: 'boom' });
        }
      }
      if (/^GET \/items\/[^/]+$/.test(route)) return json(200, { id: 'not-a-number', name: 'x' }); // a wrong type
      if (route === 'GET /slow') {
        hung.add(res); // never answers
        return;
      }
      if (route === 'GET /text') return json(200, '<p>hello</p>', 'text/html'); // an undeclared content type
      json(404, { error: 'not found' });
    });
  };
}

describe('specbind verify', () => {
  let bundledUrl = '';
  let closeBundled: () => Promise<void>;
  let wrong: Server;
  let wrongUrl = '';
  const hung = new Set<ServerResponse>();

  beforeAll(async () => {
    // The embedded store with the document's example records (no database in a test process).
    setStore(new MemoryStore(exampleContents()));
    const server = await createServer({ spec: API, handlers: path.join(ROOT, 'handlers'), ...config, logger: { level: 'silent' } });
    const listening = await server.listen(0, '127.0.0.1');
    bundledUrl = listening.url;
    closeBundled = listening.close;
    wrong = createHttpServer(wrongHandler(hung));
    await new Promise<void>((resolve) => wrong.listen(0, '127.0.0.1', resolve));
    wrongUrl = `http://127.0.0.1:${(wrong.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const res of hung) res.destroy();
    await closeBundled();
    await new Promise<void>((resolve) => {
      wrong.close(() => resolve());
      wrong.closeAllConnections();
    });
  });

  it('passes against the bundled API (with its API key), every operation checked', async () => {
    const report = await verify({ baseUrl: bundledUrl, spec: API, headers: { 'X-API-Key': 'dev-key' } });
    const text = formatReport(report);
    expect(report.failed === 0 ? 'no failures' : text).toBe('no failures');
    expect(report.skipped).toBe(0);
    expect(report.operations.length).toBeGreaterThanOrEqual(14);
    for (const op of report.operations) expect(`${op.operationId} ${op.positive.pass}`).toBe(`${op.operationId} 3`);
    // Negative requests ran too: wrong types, missing parameters and properties, malformed JSON, 415, 413, 401.
    const labels = new Set(report.operations.flatMap((op) => op.checks.filter((c) => c.kind === 'negative').map((c) => c.label.replace(/:.*/, ''))));
    expect([...labels].sort()).toEqual(expect.arrayContaining(['malformed JSON', 'missing required', 'no credentials', 'oversized body (2048 KiB)', 'undeclared content type', 'wrong type']));
    expect(text.trimEnd().split('\n').pop()).toBe(`${report.passed} passed, 0 failed`);
  });

  it('without credentials, secured operations are skipped (401), never failed', async () => {
    const report = await verify({ baseUrl: bundledUrl, spec: API, max: 1, negative: false });
    expect(report.failed).toBe(0);
    const skipped = report.operations.filter((op) => op.positive.skip > 0).map((op) => op.operationId);
    expect(skipped).toEqual(expect.arrayContaining(['startBuild', 'getAllBuilds', 'getHealth']));
    expect(skipped).not.toContain('createPerson');
    expect(formatReport(report)).toContain('answered 401/403 without credentials');
  });

  it('with credentials that are refused, a 401 is a failure', async () => {
    const report = await verify({ baseUrl: bundledUrl, spec: API, max: 1, negative: false, headers: { 'X-API-Key': 'wrong-key' }, operations: ['getHealth'] });
    expect(failures(report, 'getHealth', 'positive').join('\n')).toContain('401: the credentials given were refused');
  });

  it('fails against a wrong server, naming each failure', async () => {
    const report = await verify({ baseUrl: wrongUrl, spec: WRONG, timeoutMs: 400, seed: 3 });
    expect(failures(report, 'getOk', 'positive')).toEqual([]);
    expect(failures(report, 'getOk', 'negative')).toEqual([]);
    expect(failures(report, 'getItem', 'positive').join('\n')).toContain('body /id must be integer');
    expect(failures(report, 'listItems', 'positive').join('\n')).toContain('status 202 is not declared');
    expect(failures(report, 'createItem', 'positive')).toEqual([]);
    const createItem = failures(report, 'createItem', 'negative').join('\n');
    expect(createItem).toContain('expected a 4xx, got 500 (a server error)');
    const labels = report.operations.find((o) => o.operationId === 'createItem')!.checks.filter((c) => c.outcome === 'fail').map((c) => c.label);
    expect(labels).toEqual(expect.arrayContaining(['malformed JSON', 'missing required: body property name', 'wrong type: body property name']));
    expect(failures(report, 'getSlow', 'positive').join('\n')).toContain('hang: no answer within 400 ms');
    expect(failures(report, 'getText', 'positive').join('\n')).toContain('Content-Type text/html is not declared for 200');
    const text = formatReport(report);
    expect(text).toMatch(/getItem\s+GET\s+\/items\/\{id\}\s+FAIL 0\/3/);
    expect(text.trimEnd().split('\n').pop()).toBe(`${report.passed} passed, ${report.failed} failed`);
    expect(report.failed).toBeGreaterThan(0);
  });

  it('is reproducible: the same seed sends the same requests and reports the same; another seed differs', async () => {
    const options = { baseUrl: wrongUrl, spec: WRONG, timeoutMs: 400, operations: ['getOk', 'createItem', 'getItem', 'listItems'] };
    const first = await verify({ ...options, seed: 42 });
    const second = await verify({ ...options, seed: 42 });
    const other = await verify({ ...options, seed: 43 });
    expect(requests(second)).toEqual(requests(first));
    expect(formatReport(second)).toBe(formatReport(first));
    expect(requests(other)).not.toEqual(requests(first));
  });

  it('the command line prints the table and exits 1 on failures, 0 when all pass', async () => {
    const cli = path.join(ROOT, 'src/cli.ts');
    const tsx = require.resolve('tsx/cli');
    // Asynchronously: the servers it speaks to run in this process.
    const run = (args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [tsx, cli, 'verify', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }));
      });
    const failing = await run([wrongUrl, '--spec', WRONG, '--timeout', '400', '--operations', 'getItem,getOk']);
    expect(failing.status).toBe(1);
    expect(failing.stdout).toMatch(/operation\s+method\s+path\s+positive\s+negative/);
    expect(failing.stdout.trimEnd().split('\n').pop()).toMatch(/^\d+ passed, [1-9]\d* failed$/);
    const passing = await run([bundledUrl, '--spec', API, '--header', 'X-API-Key: dev-key', '--max', '1', '--seed', '5']);
    expect(passing.stderr).toMatch(/operations in/);
    // On failure, show the table: which operation failed and why.
    if (passing.status !== 0) throw new Error(`verify exited ${passing.status}:\n${passing.stdout}\n${passing.stderr}`);
    expect(passing.stdout.trimEnd().split('\n').pop()).toMatch(/^\d+ passed, 0 failed$/);
  }, 120_000);
});
