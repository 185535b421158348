// The stack test's load, failures and checks (docker/stack-test.sh starts the stack, then runs this with
// tsx). A paced mix of reads and writes to the bundled API goes through nginx the whole time; the
// failures are acted out with `stack-test.sh ctl ...`; every write answered 2xx is looked for in
// PostgreSQL itself. Prints a report; exits 1 when a check fails.
//
//   STACK_URL      nginx, e.g. http://127.0.0.1:8080      STACK_API_KEY  one of the replicas' API_KEYS
//   STACK_CTL      docker/stack-test.sh (its `ctl` actions: kill, stop, start, http, identity,
//                  connect, pg-stop, pg-start, sql, nginx-log, nginx-errors, log)
//   STACK_RATE     requests/s through nginx (default 40: under nginx.conf's 50 r/s per client, which
//                  this test keeps as it is; the load all comes from one address)
//   STACK_ROLL_PAUSE_MS  the rolling restart's pause between one replica's /readyz 200 and the next one's
//                  SIGTERM (default 1500). nginx keeps a replica it saw fail twice out for fail_timeout
//                  (10 s): pausing less than that can leave it no live upstream; the report counts the 502s.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (docker/stack-test.sh sets it)`);
  return value;
}
const BASE = required('STACK_URL');
const KEY = required('STACK_API_KEY');
const CTL = required('STACK_CTL');
const RATE = Number(process.env.STACK_RATE ?? 40);
const ROLL_PAUSE_MS = Number(process.env.STACK_ROLL_PAUSE_MS ?? 1500);
const CLIENTS = 4; // concurrent clients; each sends one request every CLIENTS / RATE s, never two at once
const REPLICAS = [1, 2, 3];
const RUN = `st${randomBytes(3).toString('hex')}`; // prefixes this run's request ids and template names

// ---- the stack ------------------------------------------------------------------------------------------

async function ctl(...args: string[]): Promise<string> {
  const { stdout } = await execFileP('bash', [CTL, 'ctl', ...args], { maxBuffer: 256 << 20, timeout: 90_000 });
  return stdout;
}

/** GET `path` from replica `n` directly (not through nginx): status 0 when it does not answer. */
async function fromReplica(n: number, path: string): Promise<{ status: number; body: string }> {
  try {
    const out = await ctl('http', String(n), path);
    const nl = out.indexOf('\n');
    return { status: Number(out.slice(0, nl)) || 0, body: out.slice(nl + 1) };
  } catch (error) {
    return { status: 0, body: (error as Error).message };
  }
}

/** Requests to the API's operations that replica `n`'s /metrics counts (probes and /metrics are "(none)"). */
async function apiRequests(n: number): Promise<number> {
  const { status, body } = await fromReplica(n, '/metrics');
  if (status !== 200) return -1;
  let total = 0;
  for (const line of body.split('\n')) {
    if (!line.startsWith('specbind_http_request_duration_seconds_count{')) continue;
    if (line.includes('operationId="(none)"')) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

const identity = (n: number) => ctl('identity', String(n)).then((s) => s.trim());
const restartsOf = (id: string) => Number(/restarts=(\d+)/.exec(id)?.[1] ?? -1);

/** ms until `test` holds (polled every 250 ms), or -1 (said) when it does not within `timeoutMs`. */
async function waitFor(what: string, timeoutMs: number, test: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await test()) return Date.now() - started;
    await sleep(250);
  }
  console.log(`  ${what}: not within ${timeoutMs / 1000} s`);
  return -1;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- the load -------------------------------------------------------------------------------------------

type Op = 'registerTemplate' | 'createApplication' | 'fetchTemplate' | 'getHealth' | 'findPerson';
const WRITES: ReadonlySet<Op> = new Set(['registerTemplate', 'createApplication']);
const USES_DATABASE: ReadonlySet<Op> = new Set(['registerTemplate', 'createApplication', 'fetchTemplate', 'getHealth']);
// 30 % template writes, 10 % deployments, 30 % template reads, 20 % /health (reads the store), 10 % no database.
const MIX: Op[] = ['registerTemplate', 'fetchTemplate', 'getHealth', 'registerTemplate', 'fetchTemplate',
  'findPerson', 'createApplication', 'fetchTemplate', 'getHealth', 'registerTemplate'];

interface Outcome {
  phase: string;
  op: Op;
  requestId: string;
  sentAt: number;
  doneAt: number;
  /** 0: no HTTP answer (the reason says what the client saw). */
  status: number;
  problem: boolean;
  reason: string;
}

const outcomes: Outcome[] = [];
/** Writes answered 2xx, by key (template name, deployment id) → the phase they were acknowledged in. */
const acked = { templates: new Map<string, string>(), applications: new Map<string, string>() };
/** Template writes that failed: their outcome is unknown to the client, so they are looked for too. */
const unackedTemplates = new Map<string, string>();
let phase = 'warm-up';
let running = true;
let seq = 0;

function pick<T>(items: T[]): T {
  return items[Math.floor(Math.random() * items.length)];
}

async function send(op: Op): Promise<void> {
  const n = ++seq;
  const requestId = `${RUN}-${n}`;
  const headers: Record<string, string> = { 'X-API-Key': KEY, 'X-Request-Id': requestId };
  const ackedTemplates = [...acked.templates.keys()].slice(-200);
  if ((op === 'fetchTemplate' || op === 'createApplication') && ackedTemplates.length === 0) op = 'registerTemplate';
  let method = 'GET';
  let path: string;
  let body: string | undefined;
  let templateName = '';
  switch (op) {
    case 'registerTemplate':
      method = 'POST';
      path = '/templates';
      templateName = `${RUN}-t${n}`;
      body = JSON.stringify({ name: templateName, 'image-source': `stack-test/${templateName}`, port: 8888 });
      headers['Content-Type'] = 'application/json';
      break;
    case 'createApplication':
      method = 'POST';
      path = `/applications/${pick(ackedTemplates)}?cull-timeout=600`;
      break;
    case 'fetchTemplate':
      path = `/templates/${pick(ackedTemplates)}`;
      break;
    case 'getHealth':
      path = '/health';
      break;
    case 'findPerson':
      path = '/person?name=fred';
      break;
  }
  const outcome: Outcome = { phase, op, requestId, sentAt: Date.now(), doneAt: 0, status: 0, problem: false, reason: '' };
  try {
    const res = await fetch(BASE + path, { method, headers, body, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    outcome.status = res.status;
    outcome.problem = (res.headers.get('content-type') ?? '').startsWith('application/problem+json');
    if (res.ok && op === 'registerTemplate') acked.templates.set(templateName, outcome.phase);
    if (res.ok && op === 'createApplication') acked.applications.set((JSON.parse(text) as { id: string }).id, outcome.phase);
    if (!res.ok) outcome.reason = describe(res.status, outcome.problem, text);
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    outcome.reason = `no answer: ${e.cause?.code ?? e.cause?.message ?? e.name + ' ' + e.message}`;
  }
  if (op === 'registerTemplate' && !(outcome.status >= 200 && outcome.status < 300)) unackedTemplates.set(templateName, outcome.phase);
  outcome.doneAt = Date.now();
  outcomes.push(outcome);
}

/** A failed answer in a few words: the problem's type and detail, or the title of nginx's HTML page. */
function describe(status: number, problem: boolean, text: string): string {
  if (problem) {
    try {
      const p = JSON.parse(text) as { type?: string; detail?: string };
      return `${p.type ?? ''}: ${p.detail ?? ''}`;
    } catch {
      return 'unparsable problem+json';
    }
  }
  const title = /<title>([^<]*)<\/title>/i.exec(text)?.[1];
  return title ? `nginx: ${title}` : `${status}: ${text.slice(0, 80)}`;
}

async function client(i: number): Promise<void> {
  const interval = (CLIENTS * 1000) / RATE;
  let next = Date.now() + (i * interval) / CLIENTS;
  let k = i;
  while (running) {
    const wait = next - Date.now();
    if (wait > 0) await sleep(wait);
    if (!running) break;
    await send(MIX[k++ % MIX.length]);
    next = Math.max(next + interval, Date.now()); // late: go on at the pace, never catch up in a burst
  }
}

// ---- checks and the report --------------------------------------------------------------------------------

const checks: { name: string; ok: boolean; detail: string }[] = [];
function check(name: string, ok: boolean, detail = ''): void {
  checks.push({ name, ok, detail });
  console.log(`  ${ok ? 'ok  ' : 'FAIL'}  ${name}${detail ? `: ${detail}` : ''}`);
}
/** A measured fact that is reported, not required (the report says why those requests failed). */
function note(name: string, detail: string): void {
  console.log(`  note  ${name}: ${detail}`);
}
const ok2xx = (o: Outcome) => o.status >= 200 && o.status < 300;
const inPhase = (p: string) => outcomes.filter((o) => o.phase === p);

/** Every acknowledged write, looked for in PostgreSQL: "found/acked", and the ones missing. */
async function ackedInDatabase(only?: (phaseOfWrite: string) => boolean): Promise<{ acked: number; found: number; missing: string[] }> {
  // The writes acknowledged so far, taken before the query: the load goes on meanwhile.
  const templates = [...acked.templates];
  const applications = [...acked.applications];
  const names = new Set((await ctl('sql', `SELECT name FROM templates WHERE name LIKE '${RUN}-%'`)).split('\n').filter(Boolean));
  const ids = new Set((await ctl('sql', `SELECT id FROM applications WHERE template_name LIKE '${RUN}-%'`)).split('\n').filter(Boolean));
  const missing: string[] = [];
  let count = 0;
  for (const [name, p] of templates) if (!only || only(p)) { count++; if (!names.has(name)) missing.push(`template ${name}`); }
  for (const [id, p] of applications) if (!only || only(p)) { count++; if (!ids.has(id)) missing.push(`deployment ${id}`); }
  return { acked: count, found: count - missing.length, missing };
}

async function main(): Promise<void> {
  console.log(`driver: run ${RUN}, ${CLIENTS} clients, ${RATE} requests/s through ${BASE}`);
  const baseline = await Promise.all(REPLICAS.map(apiRequests));
  const loads = Array.from({ length: CLIENTS }, (_, i) => client(i));
  const phases: string[] = [];
  const begin = (name: string) => {
    phase = name;
    phases.push(name);
    console.log(`\n== ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  };
  const t0 = Date.now();

  // 1. Every replica serves: nginx spreads the load over all three.
  begin('1 all serve');
  await sleep(8000);
  const served = await Promise.all(REPLICAS.map(apiRequests));
  const deltas = served.map((c, i) => c - baseline[i]);
  check('each replica\'s /metrics counts API requests', deltas.every((d) => d > 0), `replica 1/2/3: ${deltas.join(' / ')} requests`);

  // 2. kill -9 of replica 1 under load.
  begin('2 kill -9 replica 1');
  const before = await identity(1);
  const ackedBeforeKill = acked.templates.size + acked.applications.size;
  const killedAt = Date.now();
  await ctl('kill', '1');
  const back = await waitFor('replica 1 restarted and ready', 60_000, async () =>
    restartsOf(await identity(1)) > restartsOf(before) && (await fromReplica(1, '/readyz')).status === 200);
  const after = await identity(1);
  check('Docker\'s restart policy brings replica 1 back, ready', back >= 0,
    back >= 0 ? `ready ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill (${before.replace(/^\S+ /, '')} -> ${after.replace(/^\S+ /, '')})` : after);
  // nginx takes a replica that failed max_fails times out for fail_timeout (10 s in nginx.conf), whether
  // or not it is back: how long until nginx sends it requests again is part of the report.
  const rejoined = await waitFor('replica 1 gets requests from nginx', 20_000, async () => (await apiRequests(1)) > 0);
  check('the restarted replica takes requests from nginx again', rejoined >= 0, `its /metrics counts API requests ${(rejoined / 1000).toFixed(1)} s after it was ready`);
  await sleep(2000);
  const killReads = inPhase(phase).filter((o) => !WRITES.has(o.op));
  check('idempotent requests kept succeeding (nginx retried them on another replica)', killReads.every(ok2xx),
    `${killReads.filter(ok2xx).length}/${killReads.length} GETs 2xx`);
  const killDb = await ackedInDatabase((p) => p === '1 all serve' || p === phase);
  check('every write acknowledged before and during the kill is in PostgreSQL', killDb.missing.length === 0,
    `${killDb.found}/${killDb.acked} found (${ackedBeforeKill} acknowledged before the kill)${killDb.missing.length ? `; missing ${killDb.missing.slice(0, 5).join(', ')}` : ''}`);

  // 3. Rolling restart: one replica at a time, SIGTERM, wait for the exit, start, wait for /readyz.
  begin('3 rolling restart');
  console.log(`  (${ROLL_PAUSE_MS / 1000} s between one replica ready and the next one's SIGTERM)`);
  for (const n of REPLICAS) {
    const [code, ms] = (await ctl('stop', String(n))).trim().split(' ').map(Number);
    await ctl('start', String(n));
    const ready = await waitFor(`replica ${n} ready after its restart`, 60_000, async () => (await fromReplica(n, '/readyz')).status === 200);
    check(`replica ${n}: SIGTERM, exit ${code} after ${(ms / 1000).toFixed(1)} s, started, /readyz 200 after ${(ready / 1000).toFixed(1)} s`,
      code === 0 && ms < 20_000 && ready >= 0);
    await sleep(ROLL_PAUSE_MS);
  }
  const rejoinedAll = await waitFor('every replica gets requests from nginx', 20_000, async () => (await Promise.all(REPLICAS.map(apiRequests))).every((c) => c > 0));
  const rolled = await Promise.all(REPLICAS.map(apiRequests));
  check('each restarted replica takes requests from nginx again', rejoinedAll >= 0, `replica 1/2/3: ${rolled.join(' / ')} API requests since their restart`);
  const roll = inPhase(phase);
  const rollReads = roll.filter((o) => !WRITES.has(o.op));
  const rollWrites = roll.filter((o) => WRITES.has(o.op));
  note('requests answered 2xx during the rolling restart', `${rollReads.filter(ok2xx).length}/${rollReads.length} GETs, ` +
    `${rollWrites.filter(ok2xx).length}/${rollWrites.length} writes (failures and their reasons in the report)`);
  const rollDb = await ackedInDatabase();
  check('no acknowledged write lost', rollDb.missing.length === 0, `${rollDb.found}/${rollDb.acked} found`);

  // 4. PostgreSQL stopped for 10 s, then started again; the replicas are left alone.
  begin('4 postgres stopped');
  const identities = await Promise.all(REPLICAS.map(identity));
  await ctl('pg-stop');
  const downFrom = Date.now();
  const readyzSeen: number[][] = REPLICAS.map(() => []);
  // What a replica sees when it connects (name lookup, then TCP), for the report: it decides how fast a 503 comes.
  const seen = ctl('connect', '1', 'postgres', '5432').then((s) => s.trim(), (e: Error) => e.message);
  const probes: Promise<void>[] = [];
  while (Date.now() - downFrom < 10_000) {
    // The load's clients wait on slow 503s now: one request a second that needs no database, besides.
    probes.push(send('findPerson'));
    const statuses = await Promise.all(REPLICAS.map((n) => fromReplica(n, '/readyz').then((r) => r.status)));
    statuses.forEach((s, i) => readyzSeen[i].push(s));
    await sleep(1000);
  }
  const downUntil = Date.now();
  await Promise.all(probes);
  begin('5 postgres started again');
  await ctl('pg-start');
  const startedAt = Date.now();
  const [recovered] = await Promise.all([
    waitFor('every replica ready again', 60_000, async () =>
      (await Promise.all(REPLICAS.map((n) => fromReplica(n, '/readyz')))).every((r) => r.status === 200)),
    seen.then((what) => console.log(`  replica 1 connecting to postgres:5432 while it was stopped: ${what}`)),
  ]);
  await sleep(3000);
  const down = outcomes.filter((o) => o.sentAt >= downFrom && o.doneAt <= downUntil);
  const downDb = down.filter((o) => USES_DATABASE.has(o.op));
  const downBad = downDb.filter((o) => !(o.status === 503 && o.problem));
  check('while it is down, requests that need the database answer 503 problem+json', downDb.length > 0 && downBad.length === 0,
    `${downDb.length - downBad.length}/${downDb.length}, answered in ${times(downDb)} ms (p50 / max)${downBad.length ? `; others: ${summarize(downBad)}` : ''}`);
  const downOther = down.filter((o) => !USES_DATABASE.has(o.op));
  check('while it is down, requests that do not need it still answer 2xx', downOther.length > 0 && downOther.every(ok2xx), `${downOther.filter(ok2xx).length}/${downOther.length}`);
  check('/readyz answers 503 on every replica while it is down', readyzSeen.every((seen) => seen.every((s) => s === 503)),
    readyzSeen.map((seen, i) => `replica ${i + 1}: ${seen.join(',')}`).join('; ') + ' (polled each second)');
  const recoveredAfter = outcomes.filter((o) => o.sentAt >= startedAt + recovered && USES_DATABASE.has(o.op));
  check('recovery without restarting the replicas', recovered >= 0 && recoveredAfter.length > 0 && recoveredAfter.every(ok2xx) &&
    (await Promise.all(REPLICAS.map(identity))).every((id, i) => id === identities[i]),
    `every /readyz 200 ${(recovered / 1000).toFixed(1)} s after PostgreSQL was started; then ${recoveredAfter.filter(ok2xx).length}/${recoveredAfter.length} database requests 2xx; same containers, no restarts`);

  // 6. A quiet end: stop the load, let the last requests finish, count everything.
  begin('6 steady');
  await sleep(4000);
  running = false;
  await Promise.all(loads);
  const finalDb = await ackedInDatabase();
  check('every acknowledged write of the run is in PostgreSQL', finalDb.missing.length === 0,
    `${finalDb.found}/${finalDb.acked} (templates ${acked.templates.size}, deployments ${acked.applications.size})${finalDb.missing.length ? `; missing ${finalDb.missing.slice(0, 5).join(', ')}` : ''}`);
  const names = new Set((await ctl('sql', `SELECT name FROM templates WHERE name LIKE '${RUN}-%'`)).split('\n').filter(Boolean));
  const unknownFound = [...unackedTemplates.keys()].filter((name) => names.has(name)).length;

  await report(phases, unknownFound, t0);
  const failed = checks.filter((c) => !c.ok);
  console.log(failed.length ? `\ndriver: ${failed.length} check(s) FAILED` : `\ndriver: all ${checks.length} checks passed`);
  process.exitCode = failed.length ? 1 : 0;
}

/** "p50 / max" of the requests' times, in ms. */
function times(list: Outcome[]): string {
  if (!list.length) return '-';
  const ms = list.map((o) => o.doneAt - o.sentAt).sort((a, b) => a - b);
  return `${ms[Math.floor((ms.length - 1) / 2)]} / ${ms[ms.length - 1]}`;
}

/** Counts of the distinct texts, most frequent first: "3 x text; 1 x other". */
function tally(texts: string[], limit = 8): string {
  const counts = new Map<string, number>();
  for (const t of texts) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([t, n]) => `${n} x ${t}`).join('\n    ');
}

function summarize(list: Outcome[]): string {
  const counts = new Map<string, number>();
  for (const o of list) {
    const key = `${o.op} ${o.status || ''} ${o.reason || ''}`.replace(/\s+/g, ' ').trim();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${n} x ${k}`).join('; ');
}

/** Requests per phase, every failed one with its status, reason and what nginx did with it. */
async function report(phases: string[], unknownFound: number, t0: number): Promise<void> {
  const nginx = new Map<string, { upstream: string; upstreamStatus: string; status: number }>();
  for (const line of (await ctl('nginx-log').catch(() => '')).split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { requestId: string; upstream: string; upstreamStatus: string; status: number };
      nginx.set(entry.requestId, entry);
    } catch {
      // not an access-log line
    }
  }
  const ours = [...nginx.entries()].filter(([id]) => id.startsWith(`${RUN}-`));
  const retried = ours.filter(([, e]) => e.upstream.includes(','));
  console.log(`\n== report (${((Date.now() - t0) / 1000).toFixed(0)} s of load)`);
  console.log('phase                        requests   2xx  writes 2xx  failed (503 problem+json)  ms p50 / max');
  const row = (label: string, list: Outcome[]) => {
    const writes = list.filter((o) => WRITES.has(o.op));
    const failed = list.filter((o) => !ok2xx(o));
    console.log(`${label.padEnd(28)} ${String(list.length).padStart(8)} ${String(list.filter(ok2xx).length).padStart(5)} ` +
      `${`${writes.filter(ok2xx).length}/${writes.length}`.padStart(11)}  ${`${failed.length} (${failed.filter((o) => o.status === 503 && o.problem).length})`.padEnd(25)} ${times(list)}`);
  };
  for (const p of phases) row(p, inPhase(p));
  row('total', outcomes);
  console.log(`nginx retried ${retried.length} of this run's requests on another replica (its log's upstream lists two or more)`);
  for (const [id, e] of retried.slice(0, 10)) console.log(`  ${id}: upstream ${e.upstream} -> ${e.upstreamStatus}, answered ${e.status}`);
  const failures = outcomes.filter((o) => !ok2xx(o) && !(o.status === 503 && o.problem && o.phase.includes('postgres')));
  console.log(`\nfailed requests outside the database outage: ${failures.length}`);
  // Grouped by what happened: phase, kind of request, status, reason and nginx's attempts (addresses elided).
  const groups = new Map<string, Outcome[]>();
  for (const o of failures) {
    const e = nginx.get(o.requestId);
    const attempts = e ? ` (nginx tried: ${e.upstream.replace(/\d+\.\d+\.\d+\.\d+:\d+/g, '<replica>')} -> ${e.upstreamStatus})` : ' (not in nginx\'s log)';
    const key = `[${o.phase}] ${WRITES.has(o.op) ? 'write' : 'GET'} ${o.status || 'no answer'} ${o.reason}${attempts}`;
    groups.set(key, [...(groups.get(key) ?? []), o]);
  }
  for (const [key, list] of groups) {
    const span = ((list[list.length - 1].doneAt - list[0].sentAt) / 1000).toFixed(1);
    console.log(`  ${list.length} x ${key}, within ${span} s (${list[0].requestId} .. ${list[list.length - 1].requestId})`);
  }
  const outage = outcomes.filter((o) => !ok2xx(o) && o.phase.includes('postgres'));
  console.log(`failed requests in the outage phases: ${outage.length}: ${summarize(outage) || 'none'}`);

  // Why, as the servers saw it: nginx's error log, and the replicas' own "store failed" lines.
  const nginxErrors = (await ctl('nginx-errors').catch(() => '')).split('\n').map((line) =>
    /^\S+ \S+ \[(\w+)\] \d+#\d+: (?:\*\d+ )?(.*?)(?:, client: .*)?$/.exec(line)).filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `[${m[1]}] ${m[2].replace(/\d+\.\d+\.\d+\.\d+:\d+/g, '<replica>')}`);
  console.log(`nginx's error log: ${nginxErrors.length} line(s)${nginxErrors.length ? `\n    ${tally(nginxErrors)}` : ''}`);
  const storeFailures: string[] = [];
  for (const n of REPLICAS) {
    for (const line of (await ctl('log', String(n)).catch(() => '')).split('\n')) {
      if (!line.includes('"store failed"')) continue;
      try {
        const entry = JSON.parse(line) as { err?: { message?: string } };
        storeFailures.push((entry.err?.message ?? '?').slice(0, 140));
      } catch {
        // not a JSON line
      }
    }
  }
  console.log(`the replicas' "store failed" log lines: ${storeFailures.length}${storeFailures.length ? `\n    ${tally(storeFailures)}` : ''}`);
  console.log(`writes acknowledged: ${acked.templates.size} templates + ${acked.applications.size} deployments; ` +
    `template writes not acknowledged: ${unackedTemplates.size}, of which ${unknownFound} were stored anyway (the client cannot tell)`);
}

main().catch((error) => {
  console.error(`driver: ${(error as Error).stack ?? error}`);
  running = false;
  process.exitCode = 2;
});
