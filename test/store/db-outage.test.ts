// The database goes away mid-traffic (issue 8): `specbind serve` runs the bundled API on a real
// PostgreSQL cluster (DATABASE_URL) under continuous traffic; the cluster is really stopped
// (`pg_ctl stop`, fast: sessions terminated; immediate: a crash, WAL replayed at the next start), then
// started again on the same port and data directory; or it stops answering without closing anything
// (every PostgreSQL process SIGSTOPped: a frozen host, a partition dropping packets), then resumes.
// Requests that need
// the database answer 503 problem+json while it is gone and /readyz turns false; requests that do not
// keep answering 200; the process neither crashes nor restarts; once the cluster is back the same
// process answers 2xx and /readyz true, and every write acknowledged before (or during) the run is there.
//
// The cluster is this file's own (initdb into a temp dir, a free port): stopping the one
// ci-postgres.sh starts for the whole store suite would break the suites running beside this one.
// Runs where that script ran (it exports TEST_PG_BIN, the directory of initdb and pg_ctl), or with
// TEST_DATABASE_URL set and PostgreSQL's binaries under /usr/lib/postgresql/*/bin; by hand:
//   source test/store/ci-postgres.sh && start_ci_postgres && npx jest test/store/db-outage
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, until } from '../helpers/processes';

const ROOT = path.join(__dirname, '../..');
const API_KEY = 'outage-test-key';
// The document's NoDatabase response (a problem; NODE_ENV=production keeps a 5xx's detail out of it).
const NO_DATABASE = /noDatabase$/;

function pgBin(): string | undefined {
  if (process.env.TEST_PG_BIN) return process.env.TEST_PG_BIN;
  if (!(process.env.TEST_DATABASE_URL || process.env.DATABASE_URL)) return undefined;
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(path.join(base, v, 'bin', 'pg_ctl'))) : [];
  versions.sort((a, b) => Number(a) - Number(b));
  return versions.length ? path.join(base, versions[versions.length - 1], 'bin') : undefined;
}

const BIN = pgBin();

if (process.env.CI === 'true' && !BIN) {
  test('CI runs the database outage test', () => {
    throw new Error('CI=true but TEST_PG_BIN is not set: .ci/run sources test/store/ci-postgres.sh, whose start_ci_postgres exports it');
  });
}

/** A throwaway cluster: initdb as the `postgres` user when run as root (PostgreSQL refuses root), trust on 127.0.0.1. */
class Cluster {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'specbind-outage-'));
  readonly data = path.join(this.dir, 'data');
  port = 0;
  constructor(private readonly bin: string) {}

  private run(tool: string, args: string[], timeoutMs = 60_000): void {
    const command = path.join(this.bin, tool);
    const [file, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
    execFileSync(file, argv, { stdio: ['ignore', 'ignore', 'pipe'], timeout: timeoutMs });
  }

  async init(): Promise<void> {
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(this.dir, uid, gid);
    }
    this.run('initdb', ['-D', this.data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
    this.port = await freePort();
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Starts (or restarts) on the same port and data directory; returns when it accepts connections. */
  start(): void {
    this.run('pg_ctl', ['-D', this.data, '-l', path.join(this.dir, 'server.log'), '-w', '-t', '30', '-o', `-p ${this.port} -h 127.0.0.1 -k ${this.dir}`, 'start'], 40_000);
  }

  /** Fast shutdown: open sessions are terminated (as a database restart or failover does to its clients). */
  stop(mode: 'fast' | 'immediate' = 'fast'): void {
    this.run('pg_ctl', ['-D', this.data, '-m', mode, '-w', '-t', '30', 'stop'], 40_000);
  }

  private frozen: number[] = [];
  /** Every process of the cluster stopped (SIGSTOP): connections stay open, nothing answers, connects hang. */
  freeze(): void {
    const postmaster = Number(readFileSync(path.join(this.data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)], { encoding: 'utf8' }).split('\n').map(Number).filter(Boolean);
    this.frozen = [postmaster, ...children];
    for (const pid of this.frozen) process.kill(pid, 'SIGSTOP');
  }

  thaw(): void {
    for (const pid of this.frozen.splice(0)) process.kill(pid, 'SIGCONT');
  }

  log(): string {
    try {
      return readFileSync(path.join(this.dir, 'server.log'), 'utf8').slice(-3000);
    } catch {
      return '';
    }
  }

  destroy(): void {
    this.thaw();
    try {
      this.stop('immediate');
    } catch {
      // not running
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

interface Served {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** `specbind serve` with the bundled API's config, as `npm start` runs it (through tsx here). */
async function serve(databaseUrl: string): Promise<Served> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--spec', 'openapi/api.yaml', '--handlers', 'handlers', '--config', 'handlers/_app/config.ts', '--port', String(port)], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, API_KEYS: API_KEY, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', PG_CONNECT_TIMEOUT_MS: '1000', PG_QUERY_TIMEOUT_MS: '1000', READY_TIMEOUT_MS: '1000', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  await until('the server to be ready', async () => {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}): ${output}`);
    return (await get(url, '/readyz').catch(() => undefined))?.status === 200 || undefined;
  }, 45_000, () => output);
  return { child, url, output: () => output };
}

interface Reply {
  status: number;
  type: string;
  json: any;
}

async function request(base: string, method: string, target: string, body?: unknown): Promise<Reply> {
  const headers: Record<string, string> = { 'x-api-key': API_KEY, accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + target, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', json };
}
const get = (base: string, target: string) => request(base, 'GET', target);

/** One response of the traffic: when it was sent and answered (ms since the traffic began), what it was. */
interface Exchange {
  kind: string;
  needsDb: boolean;
  sent: number;
  answered: number;
  status: number; // 0: no HTTP answer (the error is in `error`)
  type?: string;
  problem?: string; // the problem's `type`
  error?: string;
  wrote?: string; // a template name, for writes
}

const KINDS = [
  { kind: 'POST /templates (write)', needsDb: true },
  { kind: 'GET /templates/{name}', needsDb: true },
  { kind: 'GET /health', needsDb: true },
  { kind: 'GET /builds', needsDb: true },
  { kind: 'GET /person/fred (no database)', needsDb: false },
  { kind: 'GET /healthz', needsDb: false },
] as const;

/** `concurrency` clients, each sending the kinds in turn, back to back, until stopped. */
function traffic(base: string, concurrency: number, prefix: string) {
  const log: Exchange[] = [];
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  let running = true;
  let seq = 0;
  const client = async (c: number) => {
    for (let i = c; running; i++) {
      const { kind, needsDb } = KINDS[i % KINDS.length];
      const n = ++seq;
      const exchange: Exchange = { kind, needsDb, sent: now(), answered: 0, status: 0 };
      try {
        let reply: Reply;
        if (kind.startsWith('POST')) {
          exchange.wrote = `${prefix}during-${n}`;
          reply = await request(base, 'POST', '/templates', { name: exchange.wrote, 'image-source': 'binder/outage' });
        } else if (kind === 'GET /templates/{name}') reply = await get(base, `/templates/${prefix}before-${n % 5}`);
        else if (kind === 'GET /health') reply = await get(base, '/health');
        else if (kind === 'GET /builds') reply = await get(base, '/builds');
        else if (kind.startsWith('GET /person')) reply = await get(base, '/person/fred');
        else reply = await get(base, '/healthz');
        Object.assign(exchange, { status: reply.status, type: reply.type, problem: reply.json?.type });
      } catch (error) {
        exchange.error = String((error as Error).cause ?? error);
      }
      exchange.answered = now();
      log.push(exchange);
    }
  };
  const clients = Array.from({ length: concurrency }, (_, c) => client(c));
  return {
    log,
    now,
    async stop() {
      running = false;
      await Promise.all(clients);
    },
  };
}

const withCluster = BIN ? describe : describe.skip;

withCluster('the database goes away mid-traffic (a real PostgreSQL cluster, stopped and started again)', () => {
  let cluster: Cluster;
  let server: Served | undefined;
  beforeAll(async () => {
    cluster = new Cluster(BIN!);
    await cluster.init();
    cluster.start();
  }, 90_000);
  afterEach(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await new Promise((r) => server!.child.once('exit', r));
    }
  });
  afterAll(() => cluster?.destroy());

  test.each([
    ['fast', 'pg_ctl stop -m fast: sessions terminated, as a restart or failover does'],
    ['immediate', 'pg_ctl stop -m immediate: a crash, no shutdown checkpoint, WAL replayed at the next start'],
    ['freeze', 'every PostgreSQL process SIGSTOPped: nothing refused, nothing answered (PG_QUERY_TIMEOUT_MS, PG_CONNECT_TIMEOUT_MS and READY_TIMEOUT_MS 1 s)'],
  ] as const)('%s (%s): 503 problem+json and /readyz false while it is down, the same process recovers when it is back, nothing acknowledged is lost', async (mode, how) => {
    const prefix = `${mode}-`;
    const goAway = () => (mode === 'freeze' ? cluster.freeze() : cluster.stop(mode));
    const comeBack = () => (mode === 'freeze' ? cluster.thaw() : cluster.start());
    // A frozen database answers each request after a 1 s timeout: fewer answers in the same time.
    const minimum = mode === 'freeze' ? 12 : 40;
    server = await serve(cluster.url);
    const { url } = server;
    const pid = server.child.pid;
    for (let i = 0; i < 5; i++) expect((await request(url, 'POST', '/templates', { name: `${prefix}before-${i}`, 'image-source': 'binder/before' })).status).toBe(201);

    const load = traffic(url, 4, prefix);
    const readiness: Array<{ t: number; status: number }> = [];
    let probing = true;
    const prober = (async () => {
      while (probing) {
        const status = await get(url, '/readyz').then((r) => r.status, () => 0);
        readiness.push({ t: load.now(), status });
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const dbAnswers = (from: number, status: (s: number) => boolean) => load.log.filter((e) => e.needsDb && e.sent >= from && status(e.status)).length;
    // Each phase lasts at least `ms` and holds at least `count` answers from operations that need the database.
    const phase = (what: string, from: number, ms: number, count = 40, status: (s: number) => boolean = () => true) =>
      until(what, async () => (load.now() - from >= ms && dbAnswers(from, status) >= count) || undefined, 15_000 + ms);
    const timeline: Record<string, number> = {};
    try {
      await phase('traffic with the database up', 0, 1000, 40, (s) => s >= 200 && s < 300);

      timeline.stopRequested = load.now();
      goAway();
      timeline.stopped = load.now();
      timeline.first503 = await until('a 503 from an operation that needs the database', async () => load.log.find((e) => e.needsDb && e.status === 503)?.answered, 15_000, () => JSON.stringify(load.log.slice(-10)));
      timeline.readyzFalse = await until('/readyz 503', async () => readiness.find((r) => r.t >= timeline.stopRequested && r.status === 503)?.t, 15_000);
      // Some traffic sent while the database is known to be down.
      await phase('traffic during the outage', timeline.stopped, 2000, minimum);

      timeline.restartRequested = load.now();
      comeBack();
      timeline.restarted = load.now();
      timeline.readyzTrue = await until('/readyz 200 again', async () => readiness.find((r) => r.t >= timeline.restarted && r.status === 200)?.t, 30_000, () => server!.output());
      timeline.first2xxWrite = await until('a write answered 201 again', async () => load.log.find((e) => e.wrote && e.sent >= timeline.restarted && e.status === 201)?.answered, 30_000, () => JSON.stringify(load.log.slice(-10)));
      timeline.recovered = Math.max(timeline.readyzTrue, timeline.first2xxWrite);
      await phase('traffic after the recovery', timeline.recovered, 1000);
    } finally {
      probing = false;
      await load.stop();
      await prober;
    }

    const log = load.log;
    const describe = (e: Exchange) => `${e.kind} sent at ${Math.round(e.sent)} ms: ${e.status || e.error} ${e.type ?? ''} ${e.problem ?? ''}`;
    // No crash, no restart: the same process, and every request got an HTTP answer.
    expect(server.child.exitCode).toBeNull();
    expect(server.child.pid).toBe(pid);
    expect(log.filter((e) => e.status === 0).map(describe)).toEqual([]);
    // Nothing 5xx but 503, and every 503 is the declared noDatabase problem.
    expect(log.filter((e) => e.status >= 500 && e.status !== 503).map(describe)).toEqual([]);
    expect(log.filter((e) => e.status === 503 && !(e.type!.startsWith('application/problem+json') && NO_DATABASE.test(e.problem ?? ''))).map(describe)).toEqual([]);
    // Only operations that need the database noticed; and no other status than 2xx or 503.
    expect(log.filter((e) => !e.needsDb && e.status !== 200).map(describe)).toEqual([]);
    expect(log.filter((e) => !(e.status >= 200 && e.status < 300) && e.status !== 503).map(describe)).toEqual([]);
    // Before the stop: all 2xx. Sent once the cluster was down and answered before it was started
    // again: all 503. Sent after the recovery: all 2xx.
    expect(log.filter((e) => e.answered < timeline.stopRequested && e.status !== 200 && e.status !== 201).map(describe)).toEqual([]);
    const during = log.filter((e) => e.needsDb && e.sent >= timeline.stopped && e.answered <= timeline.restartRequested);
    expect(during.length).toBeGreaterThanOrEqual(minimum);
    expect(during.filter((e) => e.status !== 503).map(describe)).toEqual([]);
    const after = log.filter((e) => e.sent >= timeline.recovered);
    expect(after.length).toBeGreaterThanOrEqual(40);
    expect(after.filter((e) => e.status !== 200 && e.status !== 201).map(describe)).toEqual([]);
    expect(readiness.filter((r) => r.t < timeline.stopRequested || r.t > timeline.readyzTrue).filter((r) => r.status !== 200)).toEqual([]);

    // Nothing written is lost: the templates written before, and every write acknowledged with a 201.
    const listed = await get(url, '/templates');
    expect(listed.status).toBe(200);
    const names = new Set<string>(listed.json.map((t: { name: string }) => t.name));
    const acknowledged = log.filter((e) => e.wrote && e.status === 201).map((e) => e.wrote!);
    expect(acknowledged.length).toBeGreaterThan(10);
    expect([...Array.from({ length: 5 }, (_, i) => `${prefix}before-${i}`), ...acknowledged].filter((name) => !names.has(name))).toEqual([]);
    expect((await get(url, `/templates/${prefix}before-0`)).json).toMatchObject({ name: `${prefix}before-0`, 'image-source': 'binder/before' });

    const ms = (x: number) => Math.round(x);
    const counts = (list: Exchange[]) => Object.entries(list.reduce<Record<string, number>>((acc, e) => ((acc[e.status] = (acc[e.status] ?? 0) + 1), acc), {})).map(([s, n]) => `${s}×${n}`).join(' ');
    console.log(
      [
        `database outage (${how}) timeline (ms since the traffic began; 4 clients, ${log.length} requests: ${counts(log)}):`,
        `  ${mode === 'freeze' ? 'SIGSTOP' : `pg_ctl stop -m ${mode}`} ${ms(timeline.stopRequested)} → ${ms(timeline.stopped)} (${ms(timeline.stopped - timeline.stopRequested)} ms)`,
        `  first 503 at ${ms(timeline.first503)} (${ms(timeline.first503 - timeline.stopRequested)} ms after the stop began); /readyz 503 at ${ms(timeline.readyzFalse)} (+${ms(timeline.readyzFalse - timeline.stopRequested)} ms)`,
        `  during the outage: ${during.length} requests needing the database, ${counts(during)}`,
        `  ${mode === 'freeze' ? 'SIGCONT' : 'pg_ctl start'} ${ms(timeline.restartRequested)} → ${ms(timeline.restarted)} (${ms(timeline.restarted - timeline.restartRequested)} ms)`,
        `  /readyz 200 at ${ms(timeline.readyzTrue)} (+${ms(timeline.readyzTrue - timeline.restarted)} ms after the cluster accepted connections); first 201 write at ${ms(timeline.first2xxWrite)} (+${ms(timeline.first2xxWrite - timeline.restarted)} ms)`,
        `  after the recovery: ${after.length} requests, ${counts(after)}; ${acknowledged.length} acknowledged writes, all present`,
      ].join('\n'),
    );

    // And the process still shuts down cleanly.
    server.child.kill('SIGTERM');
    const code = await new Promise((resolve) => {
      server!.child.once('exit', (c, s) => resolve(c ?? s));
      setTimeout(() => resolve('still running 15 s after SIGTERM'), 15_000).unref();
    });
    expect(code).toBe(0);
  }, 50_000);
});
