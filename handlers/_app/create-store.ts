// Which database the bundled API keeps its state in, from the environment:
//   DATABASE_URL       set: PostgreSQL through `pg` (postgres://user:password@host:5432/db)
//                      unset: embedded PostgreSQL (PGlite) in PGLITE_DATA_DIR, default ./data
//                      (relative to the working directory; `memory://` keeps nothing)
//   PGPOOL_MAX         PostgreSQL pool size per process (default 10)
//   PG_CONNECT_TIMEOUT_MS  how long a query waits for a connection before 503 noDatabase (default 5000)
//   PG_QUERY_TIMEOUT_MS    how long a statement may go unanswered before 503 noDatabase (default 10000)
//   SEED_EXAMPLES      `false` leaves a new database empty; by default a new database gets the
//                      records the document's examples name (seed.ts), so "Try it out" answers 2xx
import cluster from 'node:cluster';
import { connectPostgres, openPglite, type Database } from './databases';
import { exampleContents } from './seed';
import { SqlStore, type SqlStoreOptions } from './sql-store';

export const DEFAULT_DATA_DIR = './data';

export interface StoreChoice {
  kind: 'postgres' | 'pglite';
  /** The URL (postgres) or the folder / `memory://` (pglite). */
  location: string;
  seed: boolean;
}

/** What createStore(env) would use, without connecting to anything. */
export function chooseStore(env: NodeJS.ProcessEnv = process.env): StoreChoice {
  const seed = !/^(0|false|no|off)$/i.test(env.SEED_EXAMPLES ?? '');
  const url = env.DATABASE_URL?.trim();
  if (url) return { kind: 'postgres', location: url, seed };
  return { kind: 'pglite', location: env.PGLITE_DATA_DIR?.trim() || DEFAULT_DATA_DIR, seed };
}

/**
 * The store for this environment (chooseStore). Making it does no I/O: it connects, runs the
 * migrations and seeds a new database on start() or its first call.
 */
export function createStore(env: NodeJS.ProcessEnv = process.env, options: Pick<SqlStoreOptions, 'onOpen'> = {}): SqlStore {
  const choice = chooseStore(env);
  const connect = (): Promise<Database> => {
    if (choice.kind === 'postgres') {
      return connectPostgres(choice.location, {
        max: positive(env.PGPOOL_MAX, 10),
        connectTimeoutMs: positive(env.PG_CONNECT_TIMEOUT_MS, 5000),
        queryTimeoutMs: positive(env.PG_QUERY_TIMEOUT_MS, 10_000),
      });
    }
    // PGlite is one process's database: workers opening one folder together would corrupt it.
    if (cluster.isWorker && !choice.location.startsWith('memory://')) {
      return Promise.reject(new Error(`the embedded database (${choice.location}) serves one process; set DATABASE_URL to run several workers`));
    }
    return openPglite(choice.location);
  };
  return new SqlStore(connect, { ...options, seed: choice.seed ? exampleContents() : undefined });
}

function positive(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value && Number.isInteger(n) && n > 0 ? n : fallback;
}
