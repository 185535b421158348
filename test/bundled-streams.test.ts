/**
 * @jest-environment ./test/store/pglite-environment.js
 */
// The bundled API's streamed operations over HTTP, on every store (MemoryStore, PGlite, and
// PostgreSQL when TEST_DATABASE_URL is set): a build's log as server-sent events
// (GET /builds/{image-name}/log: the stream drives the build, ids, Last-Event-ID, 204 after the
// final event, the client leaving, shutdown, a failing database) and the registry's JSON Lines
// export (GET /export/templates: framing, headers, paging through the store).
import { request as httpRequest } from 'node:http';
import * as path from 'node:path';
import { createServer } from '../src';
import config from '../handlers/_app/config';
import { setStore, StoreError, type BuildRecord, type Store, type TemplateRecord } from '../handlers/_app/store';
import type { Started } from './helpers/server';
import { API_KEY, backends, startApi, type Backend } from './store/backends';
import { parseSse } from './helpers/sse';

const STEP_MS = 40;
const REPO = 'https://github.com/binder-project/example-requirements';
const IMAGE = 'binder-project-example-requirements';
const keyed = { 'x-api-key': API_KEY };
const savedStep = process.env.BUILD_LOG_STEP_MS;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type SseEvent = Partial<Record<'event' | 'id' | 'retry' | 'data', string>>;


const dataOf = (events: SseEvent[]) => events.map((e) => JSON.parse(e.data!));
const idsFor = (startTime: string, positions: number[]) => positions.map((n) => `${Date.parse(startTime)}-${n}`);

/** A stream read as it arrives: `next(n)` waits for n more events; `close()` goes away mid-stream. */
function openLog(base: string, image: string, headers: Record<string, string> = keyed) {
  const controller = new AbortController();
  const events: SseEvent[] = [];
  let buffer = '';
  let ended = false;
  let failure: unknown;
  const waiting: Array<() => void> = [];
  const wake = () => waiting.splice(0).forEach((resolve) => resolve());
  const response = fetch(`${base}/builds/${image}/log`, { headers, signal: controller.signal });
  const done = (async () => {
    const res = await response;
    const reader = res.body!.getReader();
    try {
      for (;;) {
        const { done: finished, value } = await reader.read();
        if (finished) break;
        buffer += Buffer.from(value).toString('utf8');
        const cut = buffer.lastIndexOf('\n\n');
        if (cut !== -1) {
          events.push(...parseSse(buffer.slice(0, cut + 2)));
          buffer = buffer.slice(cut + 2);
          wake();
        }
      }
    } catch (error) {
      failure = error;
    } finally {
      ended = true;
      wake();
    }
  })();
  return {
    response,
    events,
    /** Resolves once `count` events have arrived in all (rejects if the stream ends first). */
    async until(count: number, ms = 5000): Promise<SseEvent[]> {
      const deadline = Date.now() + ms;
      while (events.length < count) {
        if (ended) throw new Error(`the stream ended after ${events.length} events (${String(failure ?? 'cleanly')})`);
        if (Date.now() > deadline) throw new Error(`only ${events.length} of ${count} events within ${ms} ms`);
        await Promise.race([new Promise<void>((resolve) => waiting.push(resolve)), sleep(50)]);
      }
      return events.slice(0, count);
    },
    /** Resolves when the stream has ended: cleanly (undefined) or not (the error). */
    async ended(): Promise<unknown> {
      await done;
      return failure;
    },
    close: () => controller.abort(),
  };
}

/** Templates in the store's shape (registered directly: the export is what is under test). */
function template(name: string, fields: Partial<TemplateRecord> = {}): TemplateRecord {
  return { name, imageName: name, imageSource: `binder/${name}`, port: 8888, timeCreated: '2024-05-01T10:00:00.000Z', timeModified: '2024-05-01T10:00:00.000Z', ...fields };
}

beforeAll(() => {
  process.env.BUILD_LOG_STEP_MS = String(STEP_MS);
});
afterAll(() => {
  if (savedStep === undefined) delete process.env.BUILD_LOG_STEP_MS;
  else process.env.BUILD_LOG_STEP_MS = savedStep;
});

describe.each(backends().map((b) => [b.name, b] as const))('%s store', (_name, backend: Backend) => {
  let api: Started;
  let store: Store;

  beforeAll(async () => {
    await backend.setup?.();
    api = await startApi();
  }, 180_000);
  beforeEach(async () => {
    store = await backend.fresh();
    setStore(store);
  });
  afterEach(async () => {
    await store.close();
  });
  afterAll(async () => {
    await api?.close();
    await backend.teardown();
  });

  async function startBuild(repository = REPO, force = true): Promise<{ name: string; 'start-time': string }> {
    const answer = await api.request('POST', '/builds', { body: { repository, force }, headers: keyed });
    expect(answer.status).toBe(202);
    return answer.json;
  }

  describe('GET /builds/{image-name}/log (text/event-stream)', () => {
    test('a running build: every phase once, in order, with increasing ids; the stream moves the build and ends after its final event', async () => {
      const build = await startBuild();
      const started = Date.now();
      const log = openLog(api.url, IMAGE);
      const res = await log.response;
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await log.ended()).toBeUndefined(); // a clean end, after the final event
      // Nobody polled: the stream moved the build, one phase a step.
      expect(Date.now() - started).toBeGreaterThanOrEqual(3 * STEP_MS - 5);
      const { events } = log;
      expect(events.map((e) => e.event)).toEqual(['phase', 'phase', 'phase', 'phase']);
      expect(events.map((e) => e.id)).toEqual(idsFor(build['start-time'], [0, 1, 2, 3]));
      expect(events.map((e) => e.retry)).toEqual(['1000', undefined, undefined, undefined]);
      const data = dataOf(events);
      expect(data.map((d) => `${d.phase}:${d.status}`)).toEqual(['fetching:running', 'building:running', 'registering:running', 'finished:completed']);
      for (const d of data) expect(d).toMatchObject({ name: IMAGE, 'start-time': build['start-time'], time: expect.any(String) });
      expect(data[0].time).toBe(build['start-time']);
      const times = data.map((d) => Date.parse(d.time));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      // The move that reached `finished` registered the template, as a poll's would.
      expect(await store.getBuild(IMAGE)).toMatchObject({ phase: 'finished', status: 'completed' });
      expect((await api.request('GET', `/templates/${IMAGE}`, { headers: keyed })).status).toBe(200);
    });

    test('a finished build replays its phases (only the start has a known time) and ends at once', async () => {
      const build = await startBuild();
      for (let i = 0; i < 3; i++) await api.request('GET', `/builds/${IMAGE}`);
      const started = Date.now();
      const res = await fetch(`${api.url}/builds/${IMAGE}/log`, { headers: keyed });
      const events = parseSse(await res.text());
      expect(Date.now() - started).toBeLessThan(STEP_MS * 5);
      expect(events.map((e) => e.id)).toEqual(idsFor(build['start-time'], [0, 1, 2, 3]));
      const data = dataOf(events);
      expect(data.map((d) => d.phase)).toEqual(['fetching', 'building', 'registering', 'finished']);
      expect(data.map((d) => d.time)).toEqual([build['start-time'], undefined, undefined, undefined]);
      expect(data[3].status).toBe('completed');
    });

    test('polls, and a second stream, at the same time: each stream still sees every phase once, in order, and the build never goes back', async () => {
      await startBuild();
      const a = openLog(api.url, IMAGE);
      const b = openLog(api.url, IMAGE);
      const phases: string[] = [];
      const order = ['fetching', 'building', 'registering', 'finished'];
      for (let i = 0; i < 6; i++) {
        phases.push((await api.request('GET', `/builds/${IMAGE}`)).json.phase);
        await sleep(STEP_MS / 3);
      }
      await Promise.all([a.ended(), b.ended()]);
      for (const log of [a, b]) {
        const seen = dataOf(log.events).map((d) => d.phase);
        expect(seen).toEqual(order);
        expect(new Set(log.events.map((e) => e.id)).size).toBe(4);
      }
      const indexes = phases.map((p) => order.indexOf(p));
      expect([...indexes].sort()).toEqual(indexes);
    });

    test('a reconnect with Last-Event-ID resumes after that event, without repeats; after the final one it is 204', async () => {
      const build = await startBuild();
      const first = openLog(api.url, IMAGE);
      const got = await first.until(2);
      first.close();
      expect(dataOf(got).map((d) => d.phase)).toEqual(['fetching', 'building']);
      const again = openLog(api.url, IMAGE, { ...keyed, 'last-event-id': got[1].id! });
      expect(await again.ended()).toBeUndefined();
      expect(again.events.map((e) => e.id)).toEqual(idsFor(build['start-time'], [2, 3]));
      expect(again.events[0].retry).toBe('1000');
      expect(dataOf(again.events).map((d) => `${d.phase}:${d.status}`)).toEqual(['registering:running', 'finished:completed']);

      const last = await fetch(`${api.url}/builds/${IMAGE}/log`, { headers: { ...keyed, 'last-event-id': again.events[1].id! } });
      expect(last.status).toBe(204);
      expect(await last.text()).toBe('');
    });

    test('an id of an earlier build of the image, or one never sent, replays the current build from its start', async () => {
      const old = await startBuild();
      for (let i = 0; i < 3; i++) await api.request('GET', `/builds/${IMAGE}`);
      const oldFinal = idsFor(old['start-time'], [3])[0];
      await sleep(5); // a new start time
      const current = await startBuild();
      for (const lastEventId of [oldFinal, 'garbage', `${Date.parse(current['start-time'])}-9`]) {
        const log = openLog(api.url, IMAGE, { ...keyed, 'last-event-id': lastEventId });
        const events = await log.until(1);
        log.close();
        expect([lastEventId, events[0].id]).toEqual([lastEventId, idsFor(current['start-time'], [0])[0]]);
      }
    });

    test('a build started again while its log is open: the log goes on with the new build, from its start', async () => {
      const first = await startBuild();
      const log = openLog(api.url, IMAGE);
      await log.until(1);
      await sleep(5);
      const second = await startBuild();
      expect(await log.ended()).toBeUndefined();
      const ids = log.events.map((e) => e.id!);
      // Ids increase throughout; the second build's phases all come, from the start.
      expect(ids[0]).toBe(idsFor(first['start-time'], [0])[0]);
      expect(ids.slice(-4)).toEqual(idsFor(second['start-time'], [0, 1, 2, 3]));
    });

    test('a failed build: its phases, then one final `failed` event with the error; 204 after it', async () => {
      const startTime = '2024-05-01T10:00:00.000Z';
      const failed: BuildRecord = { name: 'broken', displayName: 'o/broken', repository: 'https://github.com/o/broken', startTime, phase: 'building', status: 'failed', error: 'exit code 2' };
      await store.saveBuild(failed);
      const events = parseSse(await (await fetch(`${api.url}/builds/broken/log`, { headers: keyed })).text());
      expect(events.map((e) => e.id)).toEqual(idsFor(startTime, [0, 1, 2]));
      expect(dataOf(events).map((d) => [d.phase, d.status, d.error])).toEqual([
        ['fetching', 'running', undefined],
        ['building', 'running', undefined],
        ['building', 'failed', 'exit code 2'],
      ]);
      expect((await fetch(`${api.url}/builds/broken/log`, { headers: { ...keyed, 'last-event-id': events[2].id! } })).status).toBe(204);
      const resumed = parseSse(await (await fetch(`${api.url}/builds/broken/log`, { headers: { ...keyed, 'last-event-id': events[1].id! } })).text());
      expect(resumed.map((e) => e.id)).toEqual([events[2].id]);
    });

    test('a client that goes away stops the stream at once: the build moves no further', async () => {
      await startBuild();
      const log = openLog(api.url, IMAGE);
      await log.until(2);
      log.close();
      await sleep(20);
      const left = (await store.getBuild(IMAGE))!.phase;
      await sleep(STEP_MS * 4);
      expect((await store.getBuild(IMAGE))!.phase).toBe(left);
      expect(left).not.toBe('finished');
    });

    test('errors are decided before the stream: 404 noBuildInfo, 400 for a malformed name, 401 without a key', async () => {
      const unknown = await api.request('GET', '/builds/no-such-image/log', { headers: keyed });
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get('content-type')).toBe('application/problem+json');
      expect(unknown.json).toMatchObject({ type: 'urn:specbind:problem:noBuildInfo', status: 404, detail: 'No build information for image "no-such-image"' });
      expect((await api.request('GET', '/builds/Not-Lower-Case/log', { headers: keyed })).status).toBe(400);
      await startBuild();
      const refused: Array<Record<string, string>> = [{}, { 'x-api-key': 'wrong' }, { cookie: 'api_key=wrong' }, { cookie: `other=${API_KEY}` }];
      for (const headers of refused) {
        const answer = await api.request('GET', `/builds/${IMAGE}/log`, { headers });
        expect([headers, answer.status, answer.json?.type]).toEqual([headers, 401, 'urn:specbind:problem:unauthorized']);
      }
    });

    test('the key in the api_key cookie (what a browser EventSource sends) opens the log, and no other operation', async () => {
      await startBuild();
      const res = await fetch(`${api.url}/builds/${IMAGE}/log`, { headers: { cookie: `theme=dark; api_key=${encodeURIComponent(API_KEY)}` } });
      expect(res.status).toBe(200);
      expect(parseSse(await res.text())).toHaveLength(4);
      expect((await api.request('GET', '/health', { headers: { cookie: `api_key=${API_KEY}` } })).status).toBe(401);
    });

    test('a database that fails before the stream is 503 noDatabase / 500 badQuery; once it is open, an error event ends it and the connection is cut', async () => {
      await startBuild();
      const real = store;
      let reads = 0;
      let fail: 'none' | 'now' | 'later' = 'now';
      // Proxied: every method of the real store, getBuild failing when told to.
      setStore(
        new Proxy(real, {
          get(target, name, receiver) {
            const value = Reflect.get(target, name, receiver);
            if (name !== 'getBuild') return typeof value === 'function' ? value.bind(target) : value;
            return async (image: string) => {
              reads++;
              if (fail === 'now' || (fail === 'later' && reads > 1)) throw new StoreError('simulated', { unavailable: fail === 'now' });
              return real.getBuild(image);
            };
          },
        }),
      );
      expect((await api.request('GET', `/builds/${IMAGE}/log`, { headers: keyed })).json).toMatchObject({ status: 503, type: 'urn:specbind:problem:noDatabase' });
      fail = 'later';
      reads = 0;
      const log = openLog(api.url, IMAGE);
      expect((await log.response).status).toBe(200);
      expect(await log.ended()).toBeTruthy(); // not a clean end: no final chunk
      expect(log.events.map((e) => e.event)).toEqual(['phase', 'error']);
      expect(JSON.parse(log.events[1].data!)).toMatchObject({ status: 500 });
      fail = 'none';
    });
  });

  describe('GET /export/templates (application/jsonl)', () => {
    test('one template a line, by name, as a download; the write-only secret never included', async () => {
      for (const name of ['zeta', 'alpha', 'mid']) await store.saveTemplate(template(name, { imagePullSecret: 's3cr3t', command: ['run', name] }));
      const res = await fetch(`${api.url}/export/templates`, { headers: keyed });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/jsonl');
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="templates.jsonl"');
      expect(res.headers.get('transfer-encoding')).toBe('chunked');
      const text = await res.text();
      expect(text.endsWith('\n')).toBe(true);
      expect(text).not.toContain('s3cr3t');
      const lines = text.split('\n').slice(0, -1).map((line) => JSON.parse(line));
      expect(lines.map((t) => t.name)).toEqual(['alpha', 'mid', 'zeta']);
      expect(lines[0]).toEqual({
        name: 'alpha',
        'image-name': 'alpha',
        'image-source': 'binder/alpha',
        port: 8888,
        command: ['run', 'alpha'],
        'time-created': '2024-05-01T10:00:00.000Z',
        'time-modified': '2024-05-01T10:00:00.000Z',
      });
      const empty = await store.listTemplates({ after: 'zeta' });
      expect(empty).toEqual([]);
    });

    test('pages through the store: 250 templates, each once, in code-point order', async () => {
      const names = Array.from({ length: 250 }, (_, i) => `t-${String(i).padStart(3, '0')}`).concat(['0-first', 'a.dot', 'a-dash']);
      for (const name of names) await store.saveTemplate(template(name));
      const pages: string[][] = [];
      const spy = new Proxy(store, {
        get(target, name, receiver) {
          const value = Reflect.get(target, name, receiver);
          if (name !== 'listTemplates') return typeof value === 'function' ? value.bind(target) : value;
          return async (...args: Parameters<Store['listTemplates']>) => {
            const page = await target.listTemplates(...args);
            pages.push(page.map((t) => t.name));
            return page;
          };
        },
      });
      setStore(spy);
      const text = await (await fetch(`${api.url}/export/templates`, { headers: keyed })).text();
      const exported = text.trim().split('\n').map((line) => JSON.parse(line).name);
      expect(exported).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      expect(pages.map((p) => p.length)).toEqual([100, 100, 53]);
    });

    test('401 without the key; 503 when the database is down; a failure on a later page cuts the body off', async () => {
      expect((await api.request('GET', '/export/templates')).status).toBe(401);
      for (let i = 0; i < 150; i++) await store.saveTemplate(template(`t${String(i).padStart(3, '0')}`));
      let calls = 0;
      setStore(
        new Proxy(store, {
          get(target, name, receiver) {
            const value = Reflect.get(target, name, receiver);
            if (name !== 'listTemplates') return typeof value === 'function' ? value.bind(target) : value;
            return async (...args: Parameters<Store['listTemplates']>) => {
              if (++calls !== 1) throw new StoreError('simulated');
              return target.listTemplates(...args);
            };
          },
        }),
      );
      const res = await fetch(`${api.url}/export/templates`, { headers: keyed });
      expect(res.status).toBe(200);
      await expect(res.text()).rejects.toThrow(); // incomplete: no final chunk
      calls = 1;
      expect((await api.request('GET', '/export/templates', { headers: keyed })).json).toMatchObject({ status: 500, type: 'urn:specbind:problem:badDatabase' });
    });
  });

  describe('the store methods the streams rely on', () => {
    test('advanceBuild is a compare-and-set: of two moves from one state, one wins; a stale one cannot move the build back', async () => {
      const build: BuildRecord = { name: 'cas', displayName: 'o/cas', repository: 'https://github.com/o/cas', startTime: '2024-05-01T10:00:00.000Z', phase: 'fetching', status: 'running' };
      await store.saveBuild(build);
      const building = { ...build, phase: 'building' as const };
      const results = await Promise.all([store.advanceBuild(build, building), store.advanceBuild(build, building)]);
      expect(results.sort()).toEqual([false, true]);
      expect(await store.advanceBuild(building, { ...building, phase: 'registering' })).toBe(true);
      expect(await store.advanceBuild(build, building)).toBe(false); // stale: the build is registering now
      expect(await store.advanceBuild({ ...building, phase: 'registering', startTime: '2024-05-01T10:00:00.001Z' }, { ...building, phase: 'finished' })).toBe(false); // another build of the image
      expect(await store.getBuild('cas')).toEqual({ ...build, phase: 'registering' });
    });

    test('listTemplates pages by name: after, limit', async () => {
      for (const name of ['b', 'a', 'd', 'c']) await store.saveTemplate(template(name));
      const names = async (page?: Parameters<Store['listTemplates']>[0]) => (await store.listTemplates(page)).map((t) => t.name);
      expect(await names()).toEqual(['a', 'b', 'c', 'd']);
      expect(await names({ limit: 2 })).toEqual(['a', 'b']);
      expect(await names({ after: 'b', limit: 1 })).toEqual(['c']);
      expect(await names({ after: 'b' })).toEqual(['c', 'd']);
      expect(await names({ after: 'd', limit: 5 })).toEqual([]);
    });
  });
});

describe('shutdown', () => {
  test('close() ends an open build log cleanly, and its loop stops at once: no read or move after it', async () => {
    process.env.API_KEYS = API_KEY;
    const store = await backends()[0].fresh();
    let calls = 0;
    // Counts what the stream asks of the store. (config's onClose closes the store at shutdown.)
    setStore(
      new Proxy(store, {
        get(target, name, receiver) {
          const value = Reflect.get(target, name, receiver);
          return typeof value === 'function' ? (...args: unknown[]) => (calls++, value.apply(target, args)) : value;
        },
      }),
    );
    const server = await createServer({ spec: path.join(__dirname, '../openapi/api.yaml'), handlers: path.join(__dirname, '../handlers'), ...config, logger: { level: 'silent' } });
    const { url, close } = await server.listen(0, '127.0.0.1');
    const slow = STEP_MS * 3;
    process.env.BUILD_LOG_STEP_MS = String(slow);
    try {
      const started = await fetch(`${url}/builds`, { method: 'POST', headers: { ...keyed, 'content-type': 'application/json' }, body: JSON.stringify({ repository: REPO }) });
      expect(started.status).toBe(202);
      const log = openLog(url, IMAGE);
      await log.until(1);
      const closing = Date.now();
      await close();
      expect(Date.now() - closing).toBeLessThan(1000);
      expect(await log.ended()).toBeUndefined(); // clean: an EventSource reconnects (elsewhere)
      const before = calls;
      await sleep(slow * 3);
      expect(calls).toBe(before);
    } finally {
      process.env.BUILD_LOG_STEP_MS = String(STEP_MS);
    }
  });
});

// A raw HTTP/1.1 look at the framing, as a proxy sees it.
test('the log is chunked, flushed event by event (no buffering header), and HEAD sends no body', async () => {
  const backend = backends()[0];
  const store = await backend.fresh();
  setStore(store);
  const api = await startApi();
  try {
    await api.request('POST', '/builds', { body: { repository: REPO }, headers: keyed });
    const head = await fetch(`${api.url}/builds/${IMAGE}/log`, { method: 'HEAD', headers: keyed });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const raw = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${api.url}/builds/${IMAGE}/log`, { headers: keyed }, (res) => {
        let text = `HTTP/1.1 ${res.statusCode}\n${Object.entries(res.headers).map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n`;
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve(text));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    expect(raw).toMatch(/^HTTP\/1\.1 200\n/);
    expect(raw).toContain('transfer-encoding: chunked');
    expect(raw).toContain('x-accel-buffering: no');
    expect(raw).toContain('\nretry: 1000\n');
  } finally {
    await api.close();
    await store.close();
  }
});
