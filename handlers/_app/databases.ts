// The two databases the SQL store runs on, behind one small interface: PostgreSQL through `pg` (a
// connection pool) and PGlite (PostgreSQL compiled to WebAssembly, in this process, its files in a
// folder). Both speak the same SQL; only connecting, transactions and closing differ. Each driver is
// loaded when first used, so importing this module costs nothing.
import { randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { Pool, PoolClient } from 'pg';

export interface Sql {
  /** One statement, `$1`-style parameters; the rows. */
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  /** Several statements without parameters (migrations). */
  exec(text: string): Promise<void>;
}

export interface Database extends Sql {
  readonly kind: 'postgres' | 'pglite';
  /** Where the data is, for logs: never a password. */
  readonly description: string;
  /** The schema the tables live in when not `public` (it is first on the search_path; migrate creates it). */
  readonly schema?: string;
  /** False once this handle can no longer answer at all (a closed PGlite): the store opens another. */
  readonly alive: boolean;
  /** Runs `work` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A schema to keep the tables in instead of `public` (tests give each store its own). */
export interface SchemaOption {
  schema?: string;
}

export function checkSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`schema names are lower-case identifiers (got "${schema}")`);
  return schema;
}

// ---- PostgreSQL through pg ---------------------------------------------------------------------

export interface PostgresOptions extends SchemaOption {
  /** Pool size (default 10; env PGPOOL_MAX through createStore). */
  max?: number;
  /** How long a query waits for a connection before the store reports the database unavailable. */
  connectTimeoutMs?: number;
  /**
   * How long one statement may go unanswered before the store reports the database unavailable and
   * drops the connection (default 10000). A database that stops answering without closing anything (a
   * frozen host, a partition that drops packets) would otherwise hold each query, its pool connection
   * and its HTTP request until TCP gives up, minutes later.
   */
  queryTimeoutMs?: number;
}

/** A pool for `url`; it connects on the first query, so a database that is down fails there, not here. */
export async function connectPostgres(url: string, options: PostgresOptions = {}): Promise<Database> {
  const { Pool } = await import('pg');
  const pool: Pool = new Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    // Client side: the query fails with "Query read timeout" and the pool discards its connection.
    query_timeout: options.queryTimeoutMs ?? 10_000,
    keepAlive: true,
    idleTimeoutMillis: 30_000,
    // Every connection starts with the schema first on its search_path (identifiers only: no quoting needed).
    ...(options.schema ? { options: `-c search_path=${checkSchemaName(options.schema)}` } : {}),
  });
  // An idle connection that dies (the server restarted, a proxy dropped it) is reported here; the pool
  // has already discarded it and the next query opens a new one. Without a listener it would crash the process.
  pool.on('error', () => {});
  let ended = false;
  const sqlOn = (client: Pool | PoolClient): Sql => ({
    query: async <Row>(text: string, params?: unknown[]) => (await client.query(text, params)).rows as Row[],
    exec: async (text) => void (await client.query(text)),
  });
  return {
    kind: 'postgres',
    description: `PostgreSQL at ${redact(url)}${options.schema ? ` (schema ${options.schema})` : ''}`,
    schema: options.schema,
    get alive() {
      return !ended;
    },
    ...sqlOn(pool),
    async transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await work(sqlOn(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // A connection that cannot even roll back is not given back to the pool.
        await client.query('ROLLBACK').catch((e: Error) => (broken = e));
        throw error;
      } finally {
        client.release(broken);
      }
    },
    async close() {
      if (ended) return;
      ended = true;
      await pool.end();
    },
  };
}

/** `postgres://user:secret@host:5432/db?x` → `postgres://user@host:5432/db`. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return '(a DATABASE_URL that is not a URL)';
  }
}

// ---- PGlite: embedded PostgreSQL ---------------------------------------------------------------

export interface PgliteOptions extends SchemaOption {
  /**
   * The PGlite class to use (default: the installed package). Tests under Jest pass one loaded
   * outside Jest's sandbox (test/store/pglite-environment.js), whose vm cannot run the dynamic
   * import() PGlite's WebAssembly loader makes; its values then come from another realm, which is
   * why the store parses JSON columns and dates itself and never tests errors with instanceof.
   */
  PGlite?: typeof PGlite;
}

/**
 * Opens (creating on first use) the PGlite database in `dataDir`, or one in memory for `memory://`.
 * A new folder takes a few seconds (initdb); an existing one well under a second.
 */
export async function openPglite(dataDir: string, options: PgliteOptions = {}): Promise<Database> {
  const PGliteClass = options.PGlite ?? (await import('@electric-sql/pglite')).PGlite;
  const inMemory = dataDir.startsWith('memory://');
  const where = inMemory ? dataDir : path.resolve(dataDir);
  const unlock = inMemory ? () => {} : lockFolder(where);
  try {
    const db = await PGliteClass.create(where);
    return pgliteDatabase(db, { ...options, owned: true, onClose: unlock, description: `embedded PostgreSQL (PGlite) in ${inMemory ? 'memory' : where}` });
  } catch (error) {
    unlock();
    throw error;
  }
}

/**
 * One process per folder: PGlite has no lock of its own, and two processes writing one folder lose
 * data. `specbind.lock` in the folder holds the owner's pid; a lock whose process is gone (killed) or
 * is this process (a container's pid 1 again after a restart) is taken over. Returns the release.
 */
export function lockFolder(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'specbind.lock');
  // This holder's own token: a release never removes a lock taken later (by this process, reopening).
  const token = `${process.pid} ${randomUUID()}\n`;
  const release = () => {
    try {
      if (readFileSync(file, 'utf8') === token) unlinkSync(file);
    } catch {
      // already gone
    }
  };
  // Written aside, then linked into place: the lock never exists without its pid (link fails if it exists).
  const mine = `${file}.${process.pid}`;
  writeFileSync(mine, token);
  try {
    for (;;) {
      try {
        linkSync(mine, file);
        return release;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      let owner: number;
      try {
        owner = Number(readFileSync(file, 'utf8').split(' ')[0]);
      } catch {
        continue; // released meanwhile
      }
      if (owner !== process.pid && isRunning(owner)) {
        throw new Error(`${dir} is in use by process ${owner}: the embedded database serves one process (stop that one, or set DATABASE_URL; if ${owner} is not specbind, delete ${file})`);
      }
      rmSync(file, { force: true }); // its process is gone
    }
  } finally {
    rmSync(mine, { force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A Database over a PGlite instance. `owned: false` leaves the instance open on close (tests share one
 * instance between stores, each in its own schema, one store at a time: the search_path is per session).
 */
export async function pgliteDatabase(db: PGlite, options: SchemaOption & { owned?: boolean; description?: string; onClose?: () => void } = {}): Promise<Database> {
  if (options.schema) await db.exec(`SET search_path TO ${checkSchemaName(options.schema)}`);
  let released = false;
  type Queryable = Pick<PGlite, 'query' | 'exec'>;
  const sqlOn = (target: Queryable): Sql => ({
    query: async <Row>(text: string, params?: unknown[]) => (await target.query<Row>(text, params)).rows,
    exec: async (text) => void (await target.exec(text)),
  });
  return {
    kind: 'pglite',
    description: options.description ?? 'embedded PostgreSQL (PGlite)',
    schema: options.schema,
    get alive() {
      return !released && !db.closed;
    },
    ...sqlOn(db),
    transaction: (work) => db.transaction((tx) => work(sqlOn(tx))),
    async close() {
      if (released) return;
      released = true;
      try {
        if (options.owned !== false && !db.closed) await db.close();
      } finally {
        options.onClose?.();
      }
    },
  };
}

// ---- What failed: the database, or one query -----------------------------------------------------

const NODE_CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'ECONNABORTED']);
const CONNECTION_MESSAGES = /connection terminated|timeout exceeded when trying to connect|connection timeout|query read timeout|cannot use a pool after calling end|client has encountered a connection error|client was closed|pglite is closed|not queryable/i;

/**
 * True when `error` says the database cannot be reached or cannot serve at all, rather than that one
 * statement failed: network errors, pg's connection errors (and its query timeout: this API's
 * statements are small, so one left unanswered for seconds means the database is not serving), and the SQLSTATE classes for connection
 * exceptions (08), a server shutting down or starting (57P01–57P05), too many connections or no disk
 * (53), failed authentication (28) and a database that does not exist (3D000).
 */
export function isUnavailableError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  // Duck-typed, not instanceof: errors may come from another realm (see loadPglite).
  const { code, message, errors } = error as { code?: unknown; message?: unknown; errors?: unknown };
  if (Array.isArray(errors) && errors.some(isUnavailableError)) return true; // AggregateError (a host with several addresses)
  if (typeof code === 'string') {
    if (NODE_CONNECTION_CODES.has(code)) return true;
    if (/^(08|53|28)[0-9A-Z]{3}$/.test(code) || /^57P0[1-5]$/.test(code) || code === '3D000') return true;
  }
  return typeof message === 'string' && CONNECTION_MESSAGES.test(message);
}
