// The createServer options the bundled API needs besides spec and handlers:
//   createServer({ spec: 'openapi/api.yaml', handlers: 'handlers', ...config })
// and its lifecycle around the store (`npm start` passes this module to `specbind serve --config`):
//   ready()   → /readyz: true while the store answers a ping within READY_TIMEOUT_MS (default 2000)
//   start()   opens the store now: connects, runs the migrations, seeds a new database
//   onClose() closes the store (the PostgreSQL pool, or the PGlite files): call it on shutdown
import cluster from 'node:cluster';
import { createStore } from './create-store';
import { Person } from './models';
import { check } from './security';
import { closeStore, getStore, setDefaultStore } from './store';
import type { SqlStoreOptions } from './sql-store';
import type { CorsOptions } from '../../src';

// Until a test or an embedder calls setStore, the handlers' store is the database the environment
// names (create-store.ts): PostgreSQL with DATABASE_URL, else embedded PostgreSQL in ./data. Made on
// first use, so importing this module (`specbind types`, the tests) touches no database.
setDefaultStore(() => createStore(process.env, { onOpen: report }));

/**
 * The readiness probe: the store answers a query, in time. A database that stops answering (frozen,
 * partitioned) would otherwise leave /readyz without an answer until the query timeout, or forever.
 */
export async function ready(): Promise<boolean> {
  const ms = Number(process.env.READY_TIMEOUT_MS) > 0 ? Number(process.env.READY_TIMEOUT_MS) : 2000;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false)));
  try {
    return await Promise.race([getStore().ping().then(() => true), late]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Opens the store (the first query does: connect, migrate, seed); rejects when it cannot. */
export async function start(): Promise<void> {
  await getStore().ping();
}

/** Closes the store; after it every call answers 503 noDatabase and ready() is false. */
export async function onClose(): Promise<void> {
  await closeStore();
}

export default {
  // One check, two places for the key: the X-API-Key header, and for the build log (a browser's
  // EventSource, which cannot send headers) the api_key cookie.
  security: { apiKey: check, apiKeyCookie: check },
  models: { Person },
  cors: corsFrom(process.env.CORS_ORIGINS),
  ready,
  onClose,
};

/**
 * CORS_ORIGINS: the origins (comma-separated; `*` for any) whose browser pages may call the API with
 * their X-API-Key. Unset or empty, CORS is off. A value that is no origin stops the start, naming it.
 */
export function corsFrom(value: string | undefined): CorsOptions | undefined {
  const origins = (value ?? '').split(',').map((origin) => origin.trim()).filter(Boolean);
  return origins.length ? { origins } : undefined;
}

// `specbind serve` (what `npm start` runs) loads this module before it builds the server: open the
// database now, so the migrations run at startup and a wrong DATABASE_URL is in the log before the
// first request. When opening fails the server still starts: /readyz answers 503 and every request
// tries again. A supervisor forking several workers opens nothing (each worker does).
if (servedByCli()) start().catch(() => {}); // reported by report()

function servedByCli(): boolean {
  if (process.argv[2] !== 'serve') return false;
  if (!cluster.isPrimary) return true;
  const args = process.argv.slice(3);
  const i = args.findIndex((a) => a === '--workers' || a.startsWith('--workers='));
  const workers = i < 0 ? process.env.SPECBIND_WORKERS : args[i].includes('=') ? args[i].split('=')[1] : args[i + 1];
  return !(Number(workers) > 1);
}

let failing = false;

/** One line when the database opens, and one when it cannot (not one per retrying request). */
function report(event: Parameters<NonNullable<SqlStoreOptions['onOpen']>>[0]): void {
  if (event.error) {
    if (!failing) console.error(`specbind: the store is not available, answering 503 noDatabase until it is (${event.error.message})`);
    failing = true;
    return;
  }
  failing = false;
  const migrations = event.applied.length ? `applied migration(s) ${event.applied.join(', ')}` : 'schema up to date';
  console.error(`specbind: store: ${event.database}; ${migrations}`);
}
