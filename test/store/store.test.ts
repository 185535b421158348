/**
 * @jest-environment ./test/store/pglite-environment.js
 */
// One suite, every store: MemoryStore, PGlite (embedded PostgreSQL, in memory) and real PostgreSQL
// (TEST_DATABASE_URL or DATABASE_URL; .ci/run starts a cluster and sets it). The SQL stores must keep
// MemoryStore's record shapes, orders and lifecycle exactly; concurrent starts of one build must let
// exactly one through, over HTTP too.
import { migrate } from '../../handlers/_app/sql-store';
import { chooseStore, createStore } from '../../handlers/_app/create-store';
import { isUnavailableError } from '../../handlers/_app/databases';
import { MIGRATIONS } from '../../handlers/_app/migrations';
import { exampleContents } from '../../handlers/_app/seed';
import { setStore, StoreError, type ApplicationRecord, type BuildRecord, type Store, type TemplateRecord } from '../../handlers/_app/store';
import type { Started } from '../helpers/server';
import { backends, keyed, PG_URL, startApi, type Backend } from './backends';

// CI must not pass while silently skipping PostgreSQL.
if (process.env.CI === 'true' && !PG_URL) {
  test('CI runs the PostgreSQL store suite', () => {
    throw new Error('CI=true but neither TEST_DATABASE_URL nor DATABASE_URL is set: .ci/run starts PostgreSQL for test/store (test/store/ci-postgres.sh)');
  });
}

// toEqual, plus the same keys: an optional field is absent, never present as undefined. (Not
// toStrictEqual: records from MemoryStore's structuredClone and from PGlite come from another realm
// under this environment, and toStrictEqual compares constructors.)
expect.extend({
  toBeExactly(received: unknown, expected: unknown) {
    const paths = (v: unknown): string[] => (v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => [k, ...paths(x).map((p) => `${k}.${p}`)]).sort() : []);
    const pass = this.equals(received, expected) && this.equals(paths(received), paths(expected));
    return { pass, message: () => `expected ${this.utils.printReceived(received)} ${pass ? 'not ' : ''}to have exactly the keys and values of ${this.utils.printExpected(expected)}` };
  },
});
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      toBeExactly(expected: unknown): R;
    }
  }
}

const T0 = '2024-05-01T10:00:00.000Z';
const T1 = '2024-05-01T10:05:00.123Z';

function build(name: string, fields: Partial<BuildRecord> = {}): BuildRecord {
  return { name, displayName: `owner/${name}`, repository: `https://github.com/owner/${name}`, startTime: T0, phase: 'fetching', status: 'running', ...fields };
}

function template(name: string, fields: Partial<TemplateRecord> = {}): TemplateRecord {
  return { name, imageName: name, imageSource: `binder/${name}`, port: 8888, timeCreated: T0, timeModified: T1, ...fields };
}

function application(id: string, templateName: string, fields: Partial<ApplicationRecord> = {}): ApplicationRecord {
  return { id, templateName, location: `/user/${id}`, status: 'pending', cullTimeout: 3600, deployTime: null, ...fields };
}

let api: Started;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});

describe.each(backends().map((b) => [b.name, b] as const))('%s store', (_name, backend: Backend) => {
  let store: Store;
  beforeAll(async () => {
    await backend.setup?.();
  }, 180_000); // a new PGlite runs initdb: seconds, more on a busy machine
  beforeEach(async () => {
    store = await backend.fresh();
  });
  afterEach(async () => {
    await store.close();
  });
  afterAll(async () => {
    await backend.teardown();
  });

  describe('records', () => {
    test('builds come back exactly as saved, optional fields absent or present', async () => {
      const plain = build('plain');
      const failed = build('failed', { phase: 'building', status: 'failed', error: 'exit code 2', startTime: T1 });
      await store.saveBuild(plain);
      await store.saveBuild(failed);
      expect(await store.getBuild('plain')).toBeExactly(plain);
      expect(await store.getBuild('failed')).toBeExactly(failed);
      expect(await store.getBuild('missing')).toBeUndefined();
      // A save replaces the whole record, including dropping an error.
      await store.saveBuild(build('failed', { phase: 'finished', status: 'completed' }));
      expect(await store.getBuild('failed')).toBeExactly(build('failed', { phase: 'finished', status: 'completed' }));
    });

    test('templates keep every optional field, nested values and the writeOnly secret', async () => {
      const full = template('full', {
        command: ['jupyter', 'notebook', '--ip=0.0.0.0'],
        limits: { memory: '2G', cpu: '1.5' },
        services: [{ name: 'postgres', version: '15', params: { password: 'x', nested: { deep: [1, 'two', null, true] } } }],
        imagePullSecret: 'registry-secret',
      });
      const bare = template('bare', { port: 1 });
      await store.saveTemplate(full);
      await store.saveTemplate(bare);
      expect(await store.getTemplate('full')).toBeExactly(full);
      expect(await store.getTemplate('bare')).toBeExactly(bare);
      expect(await store.getTemplate('missing')).toBeUndefined();
      await store.saveTemplate(template('full', { imageSource: 'binder/other' }));
      expect(await store.getTemplate('full')).toBeExactly(template('full', { imageSource: 'binder/other' }));
    });

    test('applications: found only with their own template, deployTime null or a time', async () => {
      const app = application('a'.repeat(32), 'tpl');
      await store.saveApplication(app);
      expect(await store.getApplication('tpl', app.id)).toBeExactly(app);
      expect(await store.getApplication('other', app.id)).toBeUndefined();
      const deployed = { ...app, status: 'deployed' as const, deployTime: T1 };
      await store.saveApplication(deployed);
      expect(await store.getApplication('tpl', app.id)).toBeExactly(deployed);
    });

    test('records are copies: changing one changes nothing stored', async () => {
      const t = template('copy', { command: ['a'] });
      await store.saveTemplate(t);
      t.command!.push('b');
      const read = (await store.getTemplate('copy'))!;
      expect(read.command).toEqual(['a']);
      read.command!.push('c');
      expect((await store.getTemplate('copy'))!.command).toEqual(['a']);
    });
  });

  describe('lists', () => {
    test('builds by name (code-point order), filtered by phase', async () => {
      for (const name of ['b-two', 'a.one', 'B-upper', 'a-one', 'c_three']) await store.saveBuild(build(name, { phase: name === 'c_three' ? 'building' : 'fetching' }));
      expect((await store.listBuilds()).map((b) => b.name)).toEqual(['B-upper', 'a-one', 'a.one', 'b-two', 'c_three']);
      expect((await store.listBuilds({ phases: ['building'] })).map((b) => b.name)).toEqual(['c_three']);
      expect((await store.listBuilds({ phases: ['building', 'fetching'] })).length).toBe(5);
      expect(await store.listBuilds({ phases: ['finished'] })).toEqual([]);
      expect((await store.listBuilds({ phases: [] })).length).toBe(5);
      expect((await store.listBuilds())[0]).toBeExactly(build('B-upper'));
    });

    test('templates by name', async () => {
      for (const name of ['zeta', 'alpha', 'mid']) await store.saveTemplate(template(name));
      expect(await store.listTemplates()).toBeExactly([template('alpha'), template('mid'), template('zeta')]);
    });

    test('applications of one template in creation order, a re-save keeping its place, filtered by status', async () => {
      const ids = ['f'.repeat(32), '0'.repeat(32), '9'.repeat(32)];
      for (const id of ids) await store.saveApplication(application(id, 'tpl'));
      await store.saveApplication(application('e'.repeat(32), 'other'));
      await store.saveApplication(application(ids[0], 'tpl', { status: 'deploying' }));
      const listed = await store.listApplications({ templateName: 'tpl' });
      expect(listed.map((a) => a.id)).toEqual(ids);
      expect(listed[0]).toBeExactly(application(ids[0], 'tpl', { status: 'deploying' }));
      expect((await store.listApplications({ templateName: 'tpl', statuses: ['deploying'] })).map((a) => a.id)).toEqual([ids[0]]);
      expect((await store.listApplications({ templateName: 'tpl', statuses: ['pending', 'deploying'] })).length).toBe(3);
      expect(await store.listApplications({ templateName: 'none' })).toEqual([]);
    });
  });

  describe('starting a build', () => {
    test('only when none is running, unless forced', async () => {
      expect(await store.startBuild(build('img'))).toBe(true);
      expect(await store.startBuild(build('img', { startTime: T1 }))).toBe(false);
      expect((await store.getBuild('img'))!.startTime).toBe(T0);
      expect(await store.startBuild(build('img', { startTime: T1 }), { force: true })).toBe(true);
      expect((await store.getBuild('img'))!.startTime).toBe(T1);
      await store.saveBuild(build('img', { phase: 'finished', status: 'completed' }));
      expect(await store.startBuild(build('img'))).toBe(true);
      await store.saveBuild(build('img', { phase: 'building', status: 'failed', error: 'boom' }));
      expect(await store.startBuild(build('img'))).toBe(true);
      expect(await store.getBuild('img')).toBeExactly(build('img'));
    });

    test('of 20 concurrent starts for one image, exactly one wins', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.startBuild(build('race', { displayName: `attempt ${i}` }))));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store.getBuild('race'))!.displayName).toBe(`attempt ${results.indexOf(true)}`);
    });
  });

  test('ping answers; a closed store is unavailable (503 noDatabase)', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
    await expect(store.ping()).rejects.toMatchObject({ name: 'StoreError', unavailable: true });
    await expect(store.getBuild('x')).rejects.toMatchObject({ unavailable: true });
    await expect(store.startBuild(build('x'))).rejects.toBeInstanceOf(StoreError);
  });

  describe('the bundled API over HTTP on this store', () => {
    beforeEach(() => setStore(store));

    test('two concurrent POST /builds for one repository: one 202, one 409 alreadyBuilding', async () => {
      for (let round = 0; round < 3; round++) {
        const body = { repository: `https://github.com/owner/race-${round}` };
        const replies = await Promise.all([api.request('POST', '/builds', { body, headers: keyed }), api.request('POST', '/builds', { body, headers: keyed })]);
        expect(replies.map((r) => r.status).sort()).toEqual([202, 409]);
        expect(replies.find((r) => r.status === 409)!.json).toMatchObject({ status: 409 });
      }
      // Eight at once, then eight forced: still one winner, then all through.
      const body = { repository: 'https://github.com/owner/crowd' };
      const crowd = await Promise.all(Array.from({ length: 8 }, () => api.request('POST', '/builds', { body, headers: keyed })));
      expect(crowd.filter((r) => r.status === 202)).toHaveLength(1);
      expect(crowd.filter((r) => r.status === 409)).toHaveLength(7);
      const forced = await Promise.all(Array.from({ length: 8 }, () => api.request('POST', '/builds', { body: { ...body, force: true }, headers: keyed })));
      expect(forced.map((r) => r.status)).toEqual(Array(8).fill(202));
    });

    test("Binder's lifecycle: build → template registered → deployment, each poll one step", async () => {
      const started = await api.request('POST', '/builds', { body: { repository: 'https://github.com/Owner/Repo#dev' }, headers: keyed });
      expect(started.status).toBe(202);
      const phases = [];
      for (let i = 0; i < 4; i++) phases.push((await api.request('GET', '/builds/owner-repo-dev')).json.phase);
      expect(phases).toEqual(['building', 'registering', 'finished', 'finished']);
      expect((await api.request('GET', '/builds/owner-repo-dev')).json.status).toBe('completed');
      const registered = await api.request('GET', '/templates/owner-repo-dev', { headers: keyed });
      expect(registered.json).toMatchObject({ name: 'owner-repo-dev', 'image-source': 'binder/owner-repo-dev', port: 8888 });

      const created = await api.request('POST', '/applications/owner-repo-dev?cull-timeout=120');
      expect(created.status).toBe(201);
      const id = created.json.id;
      const path = `/applications/owner-repo-dev/${id}`;
      expect((await api.request('GET', path)).json.status).toBe('deploying');
      const deployed = (await api.request('GET', path)).json;
      expect(deployed).toMatchObject({ status: 'deployed', 'cull-timeout': 120, 'deploy-time': expect.stringMatching(/Z$/) });
      expect((await api.request('GET', `/applications/owner-repo-dev?status=deployed`, { headers: keyed })).json).toEqual([deployed]);
      // What the API wrote is what the store holds.
      expect(await store.getApplication('owner-repo-dev', id)).toMatchObject({ status: 'deployed', cullTimeout: 120 });
    });

    test('/readyz follows the store', async () => {
      expect((await api.request('GET', '/readyz')).status).toBe(200);
      await store.close();
      expect((await api.request('GET', '/readyz')).status).toBe(503);
      expect((await api.request('GET', '/builds/x')).json).toMatchObject({ status: 503, detail: 'Binder database not yet initialized' });
    });
  });

  if (backend.database) {
    describe('SQL', () => {
      test('migrations are idempotent: the second run applies nothing and keeps the data', async () => {
        const schema = `m_${process.pid}_${Date.now().toString(36)}`;
        const db = await backend.database!(schema);
        try {
          expect(await migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
          await db.query(`INSERT INTO templates (name, image_name, image_source, port, time_created, time_modified) VALUES ('kept', 'i', 's', 1, now(), now())`);
          expect(await migrate(db)).toEqual([]);
          expect(await migrate(db)).toEqual([]);
          expect(await db.query(`SELECT version, name FROM specbind_migrations ORDER BY version`)).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
          expect(await db.query(`SELECT name FROM templates`)).toEqual([{ name: 'kept' }]);
          // A store opening the migrated schema (a restart) migrates nothing and sees the data.
          const again = backend.storeOn!(schema);
          expect((await again.listTemplates()).map((t) => t.name)).toEqual(['kept']);
          await again.close();
        } finally {
          await db.close();
        }
      });

      test('a new database is seeded with the examples once; an existing one never again', async () => {
        const schema = `s_${process.pid}_${Date.now().toString(36)}`;
        const db = await backend.database!(schema);
        try {
          expect(await migrate(db, { seed: exampleContents() })).toEqual([1]);
          await db.query(`DELETE FROM builds`);
          expect(await migrate(db, { seed: exampleContents() })).toEqual([]);
          expect(await db.query(`SELECT count(*)::int AS n FROM builds`)).toEqual([{ n: 0 }]);
          expect(await db.query(`SELECT count(*)::int AS n FROM applications`)).toEqual([{ n: 1 }]);
        } finally {
          await db.close();
        }
      });

      test('a failing query is a StoreError that is not `unavailable` (500, not 503)', async () => {
        const error = await store.saveBuild(build('bad', { phase: 'compiling' as never })).catch((e) => e);
        expect(error).toBeInstanceOf(StoreError);
        expect(error.unavailable).toBe(false);
        expect(error.message).toMatch(/check constraint/);
        // The store is still fine afterwards.
        await expect(store.ping()).resolves.toBeUndefined();
      });
    });
  }
});

describe('choosing the store from the environment', () => {
  test('PGlite in ./data by default, PGLITE_DATA_DIR overriding it, PostgreSQL with DATABASE_URL', () => {
    expect(chooseStore({})).toEqual({ kind: 'pglite', location: './data', seed: true });
    expect(chooseStore({ PGLITE_DATA_DIR: 'memory://' })).toMatchObject({ kind: 'pglite', location: 'memory://' });
    expect(chooseStore({ PGLITE_DATA_DIR: '/var/lib/specbind', SEED_EXAMPLES: 'false' })).toEqual({ kind: 'pglite', location: '/var/lib/specbind', seed: false });
    expect(chooseStore({ DATABASE_URL: 'postgres://u:p@db:5432/binder', PGLITE_DATA_DIR: '/x' })).toEqual({ kind: 'postgres', location: 'postgres://u:p@db:5432/binder', seed: true });
    expect(chooseStore({ DATABASE_URL: '' })).toMatchObject({ kind: 'pglite' });
  });

  test('which errors mean the database is unavailable (503) rather than one query failing (500)', () => {
    const unavailable = [
      { code: 'ECONNREFUSED' }, { code: 'ETIMEDOUT' }, { code: 'ENOTFOUND' },
      { code: '08006' }, { code: '57P01' }, { code: '57P03' }, { code: '53300' }, { code: '28P01' }, { code: '3D000' },
      new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' })]),
      new Error('Connection terminated unexpectedly'), new Error('timeout exceeded when trying to connect'), new Error('Query read timeout'), new Error('PGlite is closed'),
    ];
    const oneQuery = [{ code: '23505' }, { code: '23514' }, { code: '42P01' }, { code: '22P02' }, { code: '57014' }, new Error('syntax error'), null, 'text'];
    for (const e of unavailable) expect([e, isUnavailableError(e)]).toEqual([e, true]);
    for (const e of oneQuery) expect([e, isUnavailableError(e)]).toEqual([e, false]);
  });

  test('createStore connects to nothing until used', async () => {
    // A URL nobody answers: making (and closing) the store must not try it.
    const store = createStore({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    await store.close();
    await expect(store.ping()).rejects.toMatchObject({ unavailable: true });
  });
});
