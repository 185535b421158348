// The stores the shared suite (store.test.ts) runs against: MemoryStore, PGlite (in memory) and real
// PostgreSQL when TEST_DATABASE_URL (or DATABASE_URL) is set. SQL backends give every fresh store a
// schema of its own, so tests, files and parallel runs never see each other's rows.
import { request as httpRequest } from 'node:http';
import * as path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { Client } from 'pg';
import config from '../../handlers/_app/config';
import { connectPostgres, pgliteDatabase, type Database } from '../../handlers/_app/databases';
import { SqlStore } from '../../handlers/_app/sql-store';
import { MemoryStore, type Store } from '../../handlers/_app/store';
import { start, type Started } from '../helpers/server';

/** The PostgreSQL the suite uses, if any (.ci/run starts one and sets TEST_DATABASE_URL). */
export const PG_URL = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;

export interface Backend {
  name: 'memory' | 'pglite' | 'postgres';
  /** A new, empty store. */
  fresh(): Promise<Store>;
  /** SQL backends: a new connection to a schema (a second process, or the same one restarted). */
  database?(schema: string): Promise<Database>;
  /** SQL backends: a store on `schema`, migrated on first use, as a server would make it. */
  storeOn?(schema: string): SqlStore;
  /** Slow one-off work (a PGlite's initdb), in a beforeAll with a generous timeout. */
  setup?(): Promise<void>;
  teardown(): Promise<void>;
}

/**
 * The PGlite class, loaded outside Jest's sandbox by test/store/pglite-environment.js (a test file
 * that uses PGlite names that environment in its docblock).
 */
export function PGliteClass(): typeof PGlite {
  const loaded = (globalThis as { PGliteOutsideJest?: typeof PGlite }).PGliteOutsideJest;
  if (!loaded) throw new Error('PGlite tests run in test/store/pglite-environment.js: add `@jest-environment ./test/store/pglite-environment.js` to the docblock');
  return loaded;
}

let counter = 0;
/** A schema name unique to this process and call. */
export function schemaName(): string {
  return `t_${process.pid}_${Date.now().toString(36)}_${++counter}`;
}

export function memoryBackend(): Backend {
  return { name: 'memory', fresh: async () => new MemoryStore(), teardown: async () => {} };
}

/** One PGlite for the whole file (a new one costs seconds), a schema per store, one store in use at a time. */
export function pgliteBackend(): Backend {
  let instance: Promise<PGlite> | undefined;
  const stores: SqlStore[] = [];
  const shared = () => (instance ??= PGliteClass().create('memory://'));
  const backend: Backend = {
    name: 'pglite',
    database: async (schema) => pgliteDatabase(await shared(), { schema, owned: false }),
    storeOn: (schema) => {
      const store = new SqlStore(() => backend.database!(schema));
      stores.push(store);
      return store;
    },
    fresh: async () => backend.storeOn!(schemaName()),
    setup: async () => void (await shared()),
    teardown: async () => {
      for (const store of stores.splice(0)) await store.close();
      if (instance) await (await instance).close();
    },
  };
  return backend;
}

export function postgresBackend(url: string): Backend {
  const stores: SqlStore[] = [];
  const schemas = new Set<string>();
  const backend: Backend = {
    name: 'postgres',
    database: async (schema) => {
      schemas.add(schema);
      return connectPostgres(url, { schema });
    },
    storeOn: (schema) => {
      const store = new SqlStore(() => backend.database!(schema));
      stores.push(store);
      return store;
    },
    fresh: async () => backend.storeOn!(schemaName()),
    teardown: async () => {
      for (const store of stores.splice(0)) await store.close();
      await dropSchemas(url, [...schemas]);
    },
  };
  return backend;
}

export async function dropSchemas(url: string, schemas: string[]): Promise<void> {
  if (!schemas.length) return;
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

export function backends(): Backend[] {
  return [memoryBackend(), pgliteBackend(), ...(PG_URL ? [postgresBackend(PG_URL)] : [])];
}

// ---- the bundled API over HTTP ----

export const API_KEY = 'store-test-key';
const ROOT = path.join(__dirname, '../..');

/**
 * The bundled API (openapi/api.yaml + handlers/ + handlers/_app/config) on an ephemeral port. Its
 * `request` opens a connection per call: a kept-alive one can be closed by the server while a slow
 * test (a PGlite starting) leaves it idle, and the next request would fail with ECONNRESET.
 */
export async function startApi(): Promise<Started> {
  process.env.API_KEYS = API_KEY;
  const started = await start({ spec: path.join(ROOT, 'openapi/api.yaml'), handlers: path.join(ROOT, 'handlers'), ...config });
  return { ...started, request: (method, target, init = {}) => call(started.url, method, target, init) };
}

export function call(base: string, method: string, target: string, init: { body?: unknown; headers?: Record<string, string> } = {}): ReturnType<Started['request']> {
  const body = init.body === undefined ? undefined : JSON.stringify(init.body);
  const headers: Record<string, string> = { ...init.headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) };
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(target, base), { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: any;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        const answerHeaders = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) answerHeaders.set(k, Array.isArray(v) ? v.join(', ') : v);
        resolve({ status: res.statusCode ?? 0, headers: answerHeaders, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const keyed = { 'x-api-key': API_KEY, accept: 'application/json, application/problem+json' };
