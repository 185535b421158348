/**
 * @jest-environment ./test/store/pglite-environment.js
 */
// The embedded database on real files, the way `npm start` runs it: `specbind serve` with the bundled
// config opens ./data (here a temp dir) at startup, migrating and seeding a new one; what a request
// wrote survives the process being killed; and an outage is 503 noDatabase (and /readyz 503) until
// the database is back, with nothing lost. One folder for the file: a new one costs an initdb.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { openPglite, pgliteDatabase } from '../../handlers/_app/databases';
import { EXAMPLE_IMAGE } from '../../handlers/_app/seed';
import { SqlStore } from '../../handlers/_app/sql-store';
import { setStore } from '../../handlers/_app/store';
import type { Started } from '../helpers/server';
import { API_KEY, call, keyed, PGliteClass, startApi } from './backends';

const ROOT = path.join(__dirname, '../..');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'specbind-pglite-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Served {
  child: ChildProcess;
  url: string;
  /** The store's startup line on stderr (config.ts's report). */
  storeLine: string;
  exited: Promise<unknown>;
}

/** `specbind serve` for the bundled API, as `npm start` runs it (through tsx), on the temp folder. */
async function serve(): Promise<Served> {
  const env: NodeJS.ProcessEnv = { ...process.env, PGLITE_DATA_DIR: dir, API_KEYS: API_KEY, LOG_LEVEL: 'info' };
  delete env.DATABASE_URL;
  const args = ['--import', 'tsx', 'src/cli.ts', 'serve', '--spec', 'openapi/api.yaml', '--handlers', 'handlers', '--config', 'handlers/_app/config.ts', '--port', '0'];
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const deadline = Date.now() + 90_000;
  for (;;) {
    const url = /"url":"(http:[^"]+)"/.exec(out)?.[1];
    const storeLine = /specbind: store: .*/.exec(err)?.[0];
    // Both before any request: the database is opened and migrated at startup, not on first use.
    if (url && storeLine) return { child, url, storeLine, exited };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start (exit ${child.exitCode}):\n${out}\n${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('npm start: migrates and seeds a new folder at startup, and what was written survives kill -9', async () => {
  const first = await serve();
  try {
    expect(first.storeLine).toBe(`specbind: store: embedded PostgreSQL (PGlite) in ${dir}; applied migration(s) 1`);
    expect((await call(first.url, 'GET', '/readyz')).status).toBe(200);
    expect((await call(first.url, 'GET', `/builds/${EXAMPLE_IMAGE}`)).status).toBe(200); // the seeded example
    expect((await call(first.url, 'POST', '/templates', { body: { name: 'kept', 'image-source': 'binder/kept' }, headers: keyed })).status).toBe(201);
    expect((await call(first.url, 'POST', '/builds', { body: { repository: 'https://github.com/o/r' }, headers: keyed })).status).toBe(202);
  } finally {
    first.child.kill('SIGKILL'); // no shutdown hook runs: only what was committed before the 201 counts
    await first.exited;
  }

  const second = await serve();
  try {
    expect(second.storeLine).toBe(`specbind: store: embedded PostgreSQL (PGlite) in ${dir}; schema up to date`);
    const kept = await call(second.url, 'GET', '/templates/kept', { headers: keyed });
    expect(kept.status).toBe(200);
    expect(kept.json).toMatchObject({ name: 'kept', 'image-source': 'binder/kept', port: 8888 });
    expect((await call(second.url, 'POST', '/builds', { body: { repository: 'https://github.com/o/r' }, headers: keyed })).status).toBe(409); // still running
    // PGlite is one process's database: this one may not open the folder the server has.
    await expect(openPglite(dir, { PGlite: PGliteClass() })).rejects.toThrow(`in use by process ${second.child.pid}`);
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
  }
}, 180_000); // two server starts through tsx, the first with an initdb: slow on a busy machine

describe('in this process', () => {
  let api: Started;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  test('an outage: 503 noDatabase and /readyz 503 while the database is gone, then answers again with nothing lost', async () => {
    let instance: PGlite | undefined;
    let down = false;
    const store = new SqlStore(async () => {
      if (down) throw new Error('connect ECONNREFUSED (simulated: the database is down)');
      instance = await PGliteClass().create(dir);
      return pgliteDatabase(instance);
    });
    setStore(store);
    try {
      const created = await api.request('POST', '/templates', { body: { name: 'through-outage', 'image-source': 'binder/x' }, headers: keyed });
      expect(created.status).toBe(201);
      expect((await api.request('GET', '/readyz')).status).toBe(200);

      // The database stops: queries on the closed instance fail, and reconnecting fails while it is down.
      down = true;
      await instance!.close();
      const failed = await api.request('GET', '/templates/through-outage', { headers: keyed });
      expect(failed.status).toBe(503);
      expect(failed.json).toMatchObject({ status: 503, detail: 'Binder database not yet initialized' });
      expect((await api.request('POST', '/builds', { body: { repository: 'https://github.com/o/r2' }, headers: keyed })).status).toBe(503);
      expect((await api.request('GET', '/readyz')).status).toBe(503);

      // It is back: the next request reconnects, and what was written before the outage is there.
      down = false;
      expect((await api.request('GET', '/readyz')).status).toBe(200);
      const back = await api.request('GET', '/templates/through-outage', { headers: keyed });
      expect(back.status).toBe(200);
      expect(back.json).toMatchObject({ name: 'through-outage', 'image-source': 'binder/x' });
    } finally {
      await store.close();
    }
  }, 120_000); // two PGlite starts (and an initdb when run alone)
});
