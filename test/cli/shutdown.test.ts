// Graceful shutdown: SIGTERM under load lets every accepted request finish, refuses new connections,
// calls onClose and exits 0; the drain is bounded; /readyz says 503 meanwhile.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import * as path from 'node:path';
import { createServer } from '../../src';
import { ACCEPT_GRACE_MS } from '../../src/observability/lifecycle';

const ROOT = path.join(__dirname, '../..');
const FIXTURE = 'test/fixtures/shutdown';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** A `specbind serve` child process whose JSON log lines are collected as they arrive. */
class Cli {
  readonly lines: any[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private waiters: Array<() => void> = [];

  constructor(readonly port: number, env: Record<string, string> = {}, args: string[] = []) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--spec', `${FIXTURE}/openapi.yaml`, '--handlers', `${FIXTURE}/handlers`, '--config', `${FIXTURE}/config.ts`, '--port', String(port), ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', LOG_FORMAT: 'json', NODE_ENV: 'test', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffered = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        try {
          this.lines.push(JSON.parse(line));
        } catch {
          this.lines.push({ text: line });
        }
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves once `count` log lines match, or fails after `ms`. */
  async waitFor(what: string, match: (line: any) => boolean, count = 1, ms = 20_000): Promise<any[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.lines.filter(match);
      if (found.length >= count) return found;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`waited for ${count} × ${what}; stdout:\n${this.lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr:\n${this.stderr}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

/** One GET on its own connection (no keep-alive agent), so every request is a separate accepted connection. */
function get(port: number, pathname: string): Promise<{ status: number; headers: Record<string, any>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: pathname, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resolves with the connection error code (ECONNREFUSED), or 'connected'. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? String(error)));
  });
}

describe('specbind serve: SIGTERM', () => {
  let cli: Cli | undefined;
  afterEach(() => cli?.kill('SIGKILL'));

  it('finishes every accepted request, refuses new connections, calls onClose, exits 0', async () => {
    const port = await freePort();
    cli = new Cli(port);
    await cli.waitFor('the serving line', (l) => typeof l.msg === 'string' && l.msg.startsWith('specbind serving'));

    const BURST = 24;
    const inFlight = Array.from({ length: BURST }, (_, n) => get(port, `/slow?n=${n}`));
    // Every handler has started (each takes ~300 ms): all of them are in flight when SIGTERM lands.
    await cli.waitFor('handlers started', (l) => l.msg === 'slow started', BURST, 10_000);
    const signalled = Date.now();
    cli.kill('SIGTERM');
    await cli.waitFor('the shutdown line', (l) => typeof l.msg === 'string' && l.msg.startsWith('shutting down'));
    // The line is logged once the listener is closed.
    expect(await tryConnect(port)).toBe('ECONNREFUSED');

    const answers = await Promise.all(inFlight);
    expect(answers.map((a) => a.status)).toEqual(Array(BURST).fill(200));
    expect(answers.map((a) => JSON.parse(a.body).n)).toEqual(Array.from({ length: BURST }, (_, n) => n));
    // Answered during the drain: the connection closes behind the response.
    expect(answers.every((a) => a.headers.connection === 'close')).toBe(true);

    expect(await cli.exited).toEqual({ code: 0, signal: null });
    const elapsed = Date.now() - signalled;
    expect(elapsed).toBeLessThan(5000);

    // Order in the log: every request line, then onClose, then "shut down".
    const index = (match: (l: any) => boolean) => cli!.lines.findIndex(match);
    const requestLines = cli.lines.filter((l) => l.msg === 'request' && l.operationId === 'slow');
    expect(requestLines).toHaveLength(BURST);
    expect(requestLines.every((l) => l.status === 200)).toBe(true);
    const lastRequest = cli.lines.lastIndexOf(requestLines[requestLines.length - 1]);
    const onClose = index((l) => l.msg === 'onClose called');
    expect(onClose).toBeGreaterThan(lastRequest);
    expect(index((l) => l.msg === 'shut down')).toBeGreaterThan(onClose);
    expect(cli.stderr).toBe('');
  });

  it('bounds the drain by SPECBIND_SHUTDOWN_TIMEOUT: a stuck request is cut, onClose still runs, exit 0', async () => {
    const port = await freePort();
    cli = new Cli(port, { SPECBIND_SHUTDOWN_TIMEOUT: '400' });
    await cli.waitFor('the serving line', (l) => typeof l.msg === 'string' && l.msg.startsWith('specbind serving'));
    const stuck = get(port, '/stuck').then(
      (answer) => `answered ${answer.status}`,
      (error: NodeJS.ErrnoException) => error.code ?? error.message,
    );
    const quick = get(port, '/slow?n=1');
    await cli.waitFor('stuck started', (l) => l.msg === 'stuck started');
    await cli.waitFor('slow started', (l) => l.msg === 'slow started');
    const signalled = Date.now();
    cli.kill('SIGTERM');
    expect((await quick).status).toBe(200);
    expect(await stuck).toBe('ECONNRESET');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    const elapsed = Date.now() - signalled;
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(3000);
    expect(cli.lines.some((l) => l.msg?.startsWith('shutdown timeout'))).toBe(true);
    expect(cli.lines.some((l) => l.msg === 'onClose called')).toBe(true);
  });

  it('with --workers 2, every worker drains its in-flight requests and the supervisor exits 0', async () => {
    const port = await freePort();
    cli = new Cli(port, {}, ['--workers', '2']);
    await cli.waitFor('two workers serving', (l) => typeof l.msg === 'string' && l.msg.startsWith('specbind serving'), 2);
    const BURST = 12;
    const inFlight = Array.from({ length: BURST }, (_, n) => get(port, `/slow?n=${n}`));
    await cli.waitFor('handlers started', (l) => l.msg === 'slow started', BURST, 10_000);
    cli.kill('SIGTERM');
    const answers = await Promise.all(inFlight);
    expect(answers.map((a) => a.status)).toEqual(Array(BURST).fill(200));
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.lines.filter((l) => l.msg === 'onClose called')).toHaveLength(2);
  });
});

describe('close() in process', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const spec = path.join(ROOT, FIXTURE, 'openapi.yaml');

  it('reports not ready while draining, answers in-flight requests with Connection: close, then calls onClose once', async () => {
    const events: string[] = [];
    const server = await createServer({
      spec,
      logger: { level: 'silent' },
      handlers: {
        slow: async () => {
          events.push('handler started');
          await sleep(300);
          events.push('handler done');
          return { n: 0, ms: 300 };
        },
        stuck: () => ({}),
      },
      onClose: () => {
        events.push('onClose');
      },
    });
    const listening = await server.listen(0, '127.0.0.1');
    // A second, plain node server on the same specbind handler: a probe that stays open.
    const probe: Server = createHttpServer(server.handler);
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const probePort = (probe.address() as { port: number }).port;
    try {
      expect((await get(probePort, '/readyz')).status).toBe(200);
      const inFlight = get(listening.port, '/slow');
      while (!events.includes('handler started')) await sleep(10);
      const closed = listening.close().then(() => events.push('close resolved'));
      const ready = await get(probePort, '/readyz');
      expect(ready.status).toBe(503);
      expect(JSON.parse(ready.body)).toEqual({ status: 'not ready' });
      expect((await get(probePort, '/healthz')).status).toBe(200);
      // The listener closes a moment after close() (connections already in the accept queue are taken first).
      await sleep(ACCEPT_GRACE_MS + 30);
      expect(await tryConnect(listening.port)).toBe('ECONNREFUSED');
      const answer = await inFlight;
      expect(answer.status).toBe(200);
      expect(answer.headers.connection).toBe('close');
      await closed;
      await server.close(); // idempotent: the same shutdown, onClose not called again
      expect(events).toEqual(['handler started', 'handler done', 'onClose', 'close resolved']);
    } finally {
      probe.close();
    }
  });

  it('rejects close() when onClose throws, and works for a server that never listened', async () => {
    const server = await createServer({
      spec,
      logger: { level: 'silent' },
      handlers: { slow: () => ({ n: 0, ms: 0 }), stuck: () => ({}) },
      onClose: () => {
        throw new Error('pool would not close');
      },
    });
    await expect(server.close()).rejects.toThrow('pool would not close');
  });
});
