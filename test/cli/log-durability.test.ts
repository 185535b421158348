// The log's durability (src/log/destination.ts): lines are written in batches, at most
// FLUSH_INTERVAL_MS or one batch (64 KiB) late. Each test runs a server at the library's defaults with its stdout on
// a real file, loads it, ends the process in one of the ways processes end, and compares the request
// ids the client received with the access lines that reached the file.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FLUSH_INTERVAL_MS } from '../../src/log/destination';

jest.setTimeout(60_000);

const ROOT = path.join(__dirname, '../..');
const FIXTURE = path.join(ROOT, 'test/fixtures/log-durability/server.ts');
let dir: string;

beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), 'specbind-log-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  child: ChildProcess;
  port: number;
  logFile: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function start(name: string, env: Record<string, string> = {}): Promise<Run> {
  const logFile = path.join(dir, `${name}.log`);
  const fd = openSync(logFile, 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: '', LOG_SYNC: '', ...env }, stdio: ['ignore', fd, 'pipe'] });
  closeSync(fd);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let stderr = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /PORT (\d+)/.exec(stderr);
      if (m) resolve(Number(m[1]));
    });
    void exited.then(() => reject(new Error(`the fixture exited before listening:\n${stderr}`)));
  });
  return { child, port, logFile, exited };
}

function get(port: number, urlPath: string, agent?: Agent): Promise<{ status: number; requestId: string; at: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: urlPath, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, requestId: String(res.headers['x-request-id']), at: performance.now() }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** `connections` keep-alive connections asking /hello until `stop()` (each pausing `pauseMs` between requests); every answer received, with when. */
function load(port: number, connections = 16, pauseMs = 0) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const received: Array<{ requestId: string; at: number }> = [];
  let running = true;
  const loops = Array.from({ length: connections }, async () => {
    while (running) {
      try {
        const answer = await get(port, '/hello', agent);
        if (answer.status === 200) received.push(answer);
        if (pauseMs) await sleep(pauseMs);
      } catch {
        return; // the server is gone
      }
    }
  });
  return {
    received,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

/** The access lines in the file, by request id. */
function loggedIds(file: string): Set<string> {
  const ids = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const entry = JSON.parse(line); // every line whole: a batch is never cut inside a line
    if (entry.msg === 'request') ids.add(entry.reqId);
  }
  return ids;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Answered requests whose access line is not in the file. */
function unlogged(received: Array<{ requestId: string }>, file: string): Array<{ requestId: string }> {
  const logged = loggedIds(file);
  return received.filter((r) => !logged.has(r.requestId));
}

/** Loads the server for `ms`, then stops the load: what was answered. */
async function loadFor(run: Run, ms: number) {
  const traffic = load(run.port);
  await sleep(ms);
  await traffic.stop();
  return traffic.received;
}

describe('the log when the process ends', () => {
  it('LOG_SYNC=1: a kill -9 under load loses no line of an answered request', async () => {
    const run = await start('sync-kill', { LOG_SYNC: '1' });
    const traffic = load(run.port);
    await sleep(800);
    run.child.kill('SIGKILL');
    await run.exited;
    await traffic.stop();
    const logged = loggedIds(run.logFile);
    expect(traffic.received.length).toBeGreaterThan(200);
    expect(traffic.received.filter((r) => !logged.has(r.requestId))).toEqual([]);
  });

  it('by default, a kill -9 loses at most the lines of the last flush interval', async () => {
    const run = await start('batched-kill');
    // Light traffic: the batch never fills, so only the interval bounds how late a line is written.
    const traffic = load(run.port, 2, 20);
    await sleep(1500);
    const killedAt = performance.now();
    run.child.kill('SIGKILL');
    await run.exited;
    await traffic.stop();
    const logged = loggedIds(run.logFile);
    expect(traffic.received.length).toBeGreaterThan(100);
    const lost = traffic.received.filter((r) => !logged.has(r.requestId));
    // Lost lines were all answered shortly before the kill: the interval, plus one busy turn of the
    // event loop that can hold the timer up, plus the scheduling slack of a loaded 2-core machine.
    const earliestLost = Math.min(...lost.map((r) => r.at));
    if (lost.length) expect(killedAt - earliestLost).toBeLessThan(FLUSH_INTERVAL_MS + 250);
    expect(lost.length).toBeLessThan(traffic.received.length / 2);
    // and what was written before is all there
    const before = traffic.received.filter((r) => r.at < killedAt - FLUSH_INTERVAL_MS - 250);
    expect(before.filter((r) => !logged.has(r.requestId))).toEqual([]);
  });

  it('close() (called from the application\'s SIGTERM listener) writes every line before the process exits', async () => {
    const run = await start('close', { FIXTURE_CLOSE_ON_SIGTERM: '1' });
    const received = await loadFor(run, 500);
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(received.length).toBeGreaterThan(100);
    expect(unlogged(received, run.logFile)).toEqual([]);
  });

  it('an uncaught exception: every pending line is written before the process dies', async () => {
    const run = await start('uncaught');
    const received = await loadFor(run, 500);
    void get(run.port, '/crash').catch(() => undefined);
    expect((await run.exited).code).not.toBe(0);
    expect(received.length).toBeGreaterThan(100);
    expect(unlogged(received, run.logFile)).toEqual([]);
  });

  it('a fatal line is written at once, with the lines before it, even when SIGKILL follows straight after', async () => {
    const run = await start('fatal');
    const received = await loadFor(run, 500);
    await get(run.port, '/fatal').catch(() => undefined);
    expect((await run.exited).signal).toBe('SIGKILL');
    const text = readFileSync(run.logFile, 'utf8');
    expect(text).toContain('"msg":"about to die"');
    // specbind's own access line and pino's lines carry the same leading fields, in the same order
    const lines = text.trim().split('\n').map((line) => JSON.parse(line));
    const fatal = lines.find((line) => line.msg === 'about to die');
    const access = lines.find((line) => line.msg === 'request');
    const lead = (line: object) => Object.entries(line).slice(0, 5).filter(([key]) => key !== 'level' && key !== 'time');
    expect(Object.keys(access).slice(0, 5)).toEqual(Object.keys(fatal).slice(0, 5));
    expect(lead(access)).toEqual(lead(fatal));
    expect(unlogged(received, run.logFile)).toEqual([]);
  });
});
