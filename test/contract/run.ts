// `npm run test:contract`: dredd 14 against the bundled API (openapi/api.yaml + handlers/), served by
// specbind on an ephemeral port with a fresh, empty store; hooks in test/contract/hooks.js.
//
// The server runs in this process, created exactly as `npm start` creates it (same document, handler
// directory and config module), so the hooks can reach the store's test seam (fault-store.ts). dredd
// runs here too, through its JavaScript API: no dredd.yml is read, every option is set below.
// dredd is given openapi/api.yaml through dredd-view.ts (see there: its parser rejects dashed
// parameter names; the requests it sends are unchanged).
//
// Exit status: dredd's (1 on any failing or erroring transaction), and also 1 when an operation has no
// passing transaction or a documented response produced no dredd transaction at all.
// Environment: DREDD_LOGLEVEL (error; `warning` shows dredd's parser warnings), LOG_LEVEL (server
// logs, silent), CONTRACT_TIMEOUT_MS (180000), BUILD_LOG_STEP_MS (20: the build log's step).
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { createServer } from '../../src';
import { loadSpec } from '../../src/document/load';
import { collectOperations } from '../../src/document/operations';
import { SchemaCompiler } from '../../src/validation/compiler';
import config from '../../handlers/_app/config';
import { setStore } from '../../handlers/_app/store';
import { setContext, type ContractContext, type PlannedTransaction } from './context';
import { dreddView } from './dredd-view';
import { FaultInjectingStore, type Fault } from './fault-store';

// dredd 14's logger (winston 2) reads a property of a module it is still loading; Node 20 warns about
// it on every run. Only that warning is dropped.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: any[]) => {
  if (String((warning as Error)?.message ?? warning).includes("'padLevels'")) return;
  emitWarning(warning as any, ...rest);
}) as typeof process.emitWarning;
// dredd ships no types.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const Dredd = require('dredd');

const ROOT = path.resolve(__dirname, '../..');
const SPEC = path.join(ROOT, 'openapi/api.yaml');
const HANDLERS = path.join(ROOT, 'handlers');
const HOOKS = path.join(__dirname, 'hooks.js');

interface Outcome {
  status: 'pass' | 'fail' | 'skip' | 'error';
  message?: string;
}

async function waitForHealth(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
      last = `status ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url}/healthz did not answer 2xx within ${timeoutMs} ms (${last})`);
}

function runDredd(options: Record<string, unknown>): Promise<{ error?: Error; stats: any }> {
  return new Promise((resolve) => {
    new Dredd(options).run((error: Error | null, stats: any) => resolve({ error: error ?? undefined, stats }));
  });
}

async function main(): Promise<number> {
  const started = Date.now();
  // A key of this run's own: the hooks send it; nothing else knows it.
  const apiKey = `contract-${randomBytes(12).toString('hex')}`;
  process.env.API_KEYS = apiKey;
  // A build log moves its build one phase a step: a short step keeps its 200 (a whole build) quick.
  process.env.BUILD_LOG_STEP_MS ??= '20';

  let store = new FaultInjectingStore();
  setStore(store);

  const server = await createServer({
    spec: SPEC,
    handlers: HANDLERS,
    ...config,
    logger: { level: process.env.LOG_LEVEL ?? 'silent' },
  });
  const listening = await server.listen(0, '127.0.0.1');
  const stop = () => listening.close();
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping the server`);
    void stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    await waitForHealth(listening.url);
    console.log(`contract: specbind serving openapi/api.yaml at ${listening.url} (empty store, API key from API_KEYS)`);

    const { document, dialect } = await loadSpec(SPEC);
    const { operations } = collectOperations(document, SPEC);
    const view = dreddView(document);
    for (const change of view.changes) console.log(`contract: dredd's view of the document: ${change}`);

    const context: ContractContext = {
      baseUrl: listening.url,
      apiKey,
      document,
      operations,
      view,
      compiler: new SchemaCompiler(document, dialect),
      resetStore() {
        store = new FaultInjectingStore();
        setStore(store);
      },
      setFault(fault: Fault) {
        store.fault = fault;
      },
      plan: new Map<string, PlannedTransaction>(),
      notes: new Set<string>(),
      hooksLoaded: false,
    };
    setContext(context);

    const outcomes = new Map<string, Outcome>();
    const emitter = new EventEmitter();
    const record = (status: Outcome['status']) => (test: any) => outcomes.set(test.title, { status, message: test.message });
    emitter.on('test pass', record('pass'));
    emitter.on('test fail', record('fail'));
    emitter.on('test skip', record('skip'));
    emitter.on('test error', (error: Error, test: any) => outcomes.set(test.title, { status: 'error', message: error.message }));

    const { error, stats } = await runDredd({
      endpoint: listening.url,
      path: [],
      apiDescriptions: [{ location: 'openapi/api.yaml', content: yaml.dump(view.document, { noRefs: true, lineWidth: -1 }) }],
      hookfiles: [HOOKS],
      language: 'nodejs',
      reporter: [],
      output: [],
      header: [],
      loglevel: process.env.DREDD_LOGLEVEL ?? 'error',
      color: Boolean(process.stdout.isTTY),
      emitter,
    });

    const problems: string[] = [];
    if (error) problems.push(`dredd could not run: ${error.message}`);
    if (!context.hooksLoaded) problems.push(`dredd did not load ${path.relative(ROOT, HOOKS)} (DREDD_LOGLEVEL=warning shows why)`);
    else problems.push(...coverage(context, outcomes));

    const dreddFailed = Boolean(error) || !stats || stats.failures + stats.errors > 0;
    console.log('');
    console.log(summary(context, outcomes));
    if (stats) {
      console.log(`dredd: ${stats.passes} passing, ${stats.failures} failing, ${stats.errors} errors, ${stats.skipped} skipped, ${stats.tests} total`);
    }
    for (const problem of problems) console.log(`contract: FAIL ${problem}`);
    console.log(`contract: ${dreddFailed || problems.length ? 'FAILED' : 'passed'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return dreddFailed || problems.length ? 1 : 0;
  } finally {
    await stop();
  }
}

/** Every operation has a passing transaction; every documented response became a transaction. */
function coverage(context: ContractContext, outcomes: Map<string, Outcome>): string[] {
  const problems: string[] = [];
  const planned = [...context.plan.values()];
  for (const op of context.operations) {
    const mine = planned.filter((p) => p.operationId === op.operationId);
    if (!mine.some((p) => outcomes.get(p.id)?.status === 'pass')) {
      problems.push(`${op.operationId} (${op.method.toUpperCase()} ${op.path}) has no passing transaction`);
    }
    for (const response of op.responses) {
      if (!mine.some((p) => p.status === response.key)) {
        problems.push(`${op.operationId} response ${response.key} produced no dredd transaction (run with DREDD_LOGLEVEL=warning to see why)`);
      }
    }
  }
  return problems;
}

function summary(context: ContractContext, outcomes: Map<string, Outcome>): string {
  const lines = ['contract: per operation (status codes by result)'];
  const planned = [...context.plan.values()];
  const width = Math.max(...context.operations.map((op) => op.operationId.length));
  for (const op of context.operations) {
    const mine = planned.filter((p) => p.operationId === op.operationId);
    const by = (status: Outcome['status']) => mine.filter((p) => (outcomes.get(p.id)?.status ?? 'error') === status).map((p) => p.status).sort();
    const cells = [`passed ${by('pass').join(' ') || '-'}`];
    for (const status of ['fail', 'error', 'skip'] as const) if (by(status).length) cells.push(`${status === 'skip' ? 'skipped' : status === 'fail' ? 'FAILED' : 'ERRORED'} ${by(status).join(' ')}`);
    lines.push(`  ${op.operationId.padEnd(width)}  ${op.method.toUpperCase().padEnd(4)} ${op.path.padEnd(36)} ${cells.join('; ')}`);
  }
  if (context.notes.size) {
    lines.push(
      `contract: tolerated, a known runtime finding (test/contract/README.md): ${context.notes.size} named conditions answered ` +
        `type about:blank, not the documented urn:specbind:problem:<name>: ${[...context.notes].join(', ')}`,
    );
  }
  const skipped = planned.filter((p) => p.skipped);
  if (skipped.length) {
    lines.push('contract: skipped on purpose (see test/contract/README.md)');
    for (const p of skipped) lines.push(`  ${p.operationId} ${p.status}: ${p.skipped}`);
  }
  return lines.join('\n');
}

const watchdog = setTimeout(() => {
  console.error(`contract: no result after ${process.env.CONTRACT_TIMEOUT_MS ?? 180000} ms, giving up`);
  process.exit(1);
}, Number(process.env.CONTRACT_TIMEOUT_MS ?? 180_000));
watchdog.unref();

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error('contract: the run could not complete:', error);
    process.exit(1);
  },
);
