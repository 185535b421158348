// PostgreSQL through pg: an unreachable database is 503 noDatabase (always run: it needs no server),
// and, against a real cluster (TEST_DATABASE_URL / DATABASE_URL; .ci/run starts one): a network
// outage and recovery, a start race between two pools (two processes), replicas migrating together.
import { createServer as createNetServer, type Server, type Socket, connect } from 'node:net';
import { createStore } from '../../handlers/_app/create-store';
import { connectPostgres } from '../../handlers/_app/databases';
import { MIGRATIONS } from '../../handlers/_app/migrations';
import { SqlStore } from '../../handlers/_app/sql-store';
import { setStore, type BuildRecord } from '../../handlers/_app/store';
import type { Started } from '../helpers/server';
import { dropSchemas, keyed, PG_URL, schemaName, startApi } from './backends';

let api: Started;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});

async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('an unreachable database: 503 noDatabase everywhere, /readyz 503', async () => {
  const store = createStore({ DATABASE_URL: `postgres://specbind@127.0.0.1:${await closedPort()}/binder` });
  setStore(store);
  try {
    for (const [method, target, body] of [
      ['GET', '/builds/x'],
      ['POST', '/builds', { repository: 'https://github.com/o/r' }],
      ['GET', '/templates'],
      ['POST', '/applications/tpl'],
      ['GET', '/health'],
    ] as const) {
      const reply = await api.request(method, target, { body, headers: keyed });
      expect(`${method} ${target} ${reply.status}`).toBe(`${method} ${target} 503`);
      expect(reply.json).toMatchObject({ detail: 'Binder database not yet initialized' });
    }
    expect((await api.request('GET', '/readyz')).status).toBe(503);
    await expect(store.ping()).rejects.toMatchObject({ unavailable: true, message: expect.stringMatching(/ECONNREFUSED/) });
  } finally {
    await store.close();
  }
});

/** A TCP proxy in front of PostgreSQL: stop() is the database vanishing from the network, start() its return. */
class Outage {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    const server = createNetServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
    this.server = undefined;
  }
}

const withPostgres = PG_URL ? describe : describe.skip; // store.test.ts fails CI when PG_URL is missing

withPostgres('a real PostgreSQL', () => {
  const url = new URL(PG_URL ?? 'postgres://unset');
  const schemas: string[] = [];
  const fresh = () => {
    const schema = schemaName();
    schemas.push(schema);
    return schema;
  };
  afterAll(async () => {
    await dropSchemas(PG_URL!, schemas);
  });

  test('an outage: 503 noDatabase and /readyz 503 while the network is gone, recovery when it returns, nothing lost', async () => {
    const proxy = new Outage({ host: url.hostname, port: Number(url.port || 5432) });
    await proxy.start();
    const proxied = new URL(url);
    proxied.host = `127.0.0.1:${proxy.port}`;
    const schema = fresh();
    const store = new SqlStore(() => connectPostgres(proxied.toString(), { schema, connectTimeoutMs: 2000 }));
    setStore(store);
    try {
      expect((await api.request('POST', '/templates', { body: { name: 'through-outage', 'image-source': 'binder/x' }, headers: keyed })).status).toBe(201);

      await proxy.stop();
      const failed = await api.request('GET', '/templates/through-outage', { headers: keyed });
      expect(failed.status).toBe(503);
      expect(failed.json).toMatchObject({ detail: 'Binder database not yet initialized' });
      expect((await api.request('POST', '/builds', { body: { repository: 'https://github.com/o/r' }, headers: keyed })).status).toBe(503);
      expect((await api.request('GET', '/readyz')).status).toBe(503);

      await proxy.start(); // the same port
      expect((await api.request('GET', '/readyz')).status).toBe(200);
      const back = await api.request('GET', '/templates/through-outage', { headers: keyed });
      expect(back.status).toBe(200);
      expect(back.json).toMatchObject({ name: 'through-outage' });
    } finally {
      await store.close();
      await proxy.stop();
    }
  });

  test('two pools (two processes) racing to start one build: exactly one wins', async () => {
    const schema = fresh();
    const a = new SqlStore(() => connectPostgres(PG_URL!, { schema }));
    const b = new SqlStore(() => connectPostgres(PG_URL!, { schema }));
    try {
      await Promise.all([a.start(), b.start()]);
      for (let round = 0; round < 5; round++) {
        const build: BuildRecord = { name: `race-${round}`, displayName: 'o/r', repository: 'https://github.com/o/r', startTime: new Date().toISOString(), phase: 'fetching', status: 'running' };
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).startBuild(build)));
        expect(results.filter(Boolean)).toHaveLength(1);
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('replicas starting together on a new database: each migration applied once, every replica ready', async () => {
    const schema = fresh();
    const applied: number[][] = [];
    const replicas = Array.from({ length: 4 }, () => new SqlStore(() => connectPostgres(PG_URL!, { schema }), { onOpen: (e) => e.applied && applied.push(e.applied) }));
    try {
      await Promise.all(replicas.map((r) => r.ping()));
      expect(applied.flat().sort()).toEqual(MIGRATIONS.map((m) => m.version));
      const db = await connectPostgres(PG_URL!, { schema });
      expect(await db.query(`SELECT count(*)::int AS n FROM specbind_migrations`)).toEqual([{ n: MIGRATIONS.length }]);
      await db.close();
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
    }
  });
});
