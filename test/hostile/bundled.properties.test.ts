// Property-based hostile input against the bundled API (openapi/api.yaml + handlers/, in-memory store,
// API key): valid requests answer what they asked, one broken field is a 400 naming it, garbage
// never gets a 5xx or a hang, and Object.prototype stays clean.
import * as path from 'node:path';
import fc from 'fast-check';
import { createServer } from '../../src';
import config from '../../handlers/_app/config';
import { MemoryStore, setStore } from '../../handlers/_app/store';
import { anyText, garbageRequest, pollutingJson, runs, show } from './arbitraries';
import { expectSound, prototypeState, send, type RawAnswer, type RequestSpec } from './harness';

const KEY = 'hostile-key';
const API_KEY: [string, string] = ['X-API-Key', KEY];
const JSON_TYPE: [string, string] = ['Content-Type', 'application/json'];
const FORM_TYPE: [string, string] = ['Content-Type', 'application/x-www-form-urlencoded'];
const enc = encodeURIComponent;

let port: number;
let close: (() => Promise<void>) | undefined;
const savedKeys = process.env.API_KEYS;
const prototypeBefore = prototypeState();

beforeAll(async () => {
  process.env.API_KEYS = KEY;
  setStore(new MemoryStore());
  const server = await createServer({ spec: path.join(__dirname, '../../openapi/api.yaml'), handlers: path.join(__dirname, '../../handlers'), ...config, logger: { level: 'silent' } });
  const listening = await server.listen(0, '127.0.0.1');
  port = listening.port;
  close = listening.close;
});

afterAll(async () => {
  await close?.();
  if (savedKeys === undefined) delete process.env.API_KEYS;
  else process.env.API_KEYS = savedKeys;
});

afterEach(() => {
  expect(prototypeState()).toBe(prototypeBefore);
  expect(({} as any).polluted).toBeUndefined();
});

async function sound(spec: RequestSpec): Promise<RawAnswer> {
  const answer = await send(port, spec);
  expectSound(answer, show(spec));
  return answer;
}

/** shelf_bind's person, bound from a query, a path, a JSON body, a form body, and beside an account id. */
const personName = anyText(1, 100);
const accountId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const formEncode = (text: string) => enc(text).replace(/%20/g, '+');

describe('the bundled API', () => {
  it('binds a person from a query, a path, a JSON body, a form body, and with an account, whatever the name', async () => {
    await fc.assert(
      fc.asyncProperty(personName, accountId, fc.constantFrom('query', 'path', 'json', 'form', 'account'), async (name, id, via) => {
        const spec: RequestSpec =
          via === 'query'
            ? { method: 'GET', target: `/person?name=${enc(name)}` }
            : via === 'path'
              ? { method: 'GET', target: `/person/${enc(name)}` }
              : via === 'json'
                ? { method: 'POST', target: '/person', headers: [JSON_TYPE], body: JSON.stringify({ name }) }
                : via === 'form'
                  ? { method: 'POST', target: '/person', headers: [FORM_TYPE], body: `name=${formEncode(name)}` }
                  : { method: 'PUT', target: `/account/${id}?name=${enc(name)}` };
        const answer = await sound(spec);
        if (answer.status !== 200) throw new Error(`${answer.status} for ${show(spec)}: ${answer.body}`);
        expect(via === 'account' ? answer.json : { accountId: id, person: answer.json }).toEqual({ accountId: id, person: { name } });
      }),
      runs(200),
    );
  });

  const phase = fc.constantFrom('fetching', 'building', 'registering', 'finished');
  const validFilter = fc.record({ status: fc.constantFrom('running', 'completed', 'failed'), since: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()), limit: fc.integer({ min: 1, max: 100 }) }, { requiredKeys: [] });
  const listing = (phases: string[], filter: Record<string, unknown>) => {
    const query = [...phases.map((p) => `phase=${p}`), ...Object.entries(filter).map(([k, v]) => `filter[${k}]=${enc(String(v))}`)].join('&');
    return `/builds${query ? `?${query}` : ''}`;
  };

  it('lists builds for any valid filter, and answers one broken filter member 400 naming the parameter', async () => {
    const broken = fc.constantFrom<[string, string, string]>(
      ['filter', 'limit', '0'],
      ['filter', 'limit', '101'],
      ['filter', 'limit', 'ten'],
      ['filter', 'status', 'sleeping'],
      ['filter', 'since', 'yesterday'],
      ['filter', 'owner', 'me'],
      ['filter', '__proto__', 'x'],
      ['filter', 'constructor][prototype', 'x'],
      ['phase', '', 'nope'],
      ['phase', '', '__proto__'],
    );
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(phase, { maxLength: 4 }), validFilter, fc.option(broken, { nil: undefined }), async (phases, filter, mutation) => {
        let target = listing(phases, filter);
        if (mutation) target += `${target.includes('?') ? '&' : '?'}${mutation[0] === 'phase' ? `phase=${mutation[2]}` : `filter[${mutation[1]}]=${mutation[2]}`}`;
        const spec: RequestSpec = { method: 'GET', target, headers: [API_KEY] };
        const answer = await sound(spec);
        if (!mutation) {
          if (answer.status !== 200 || !Array.isArray(answer.json)) throw new Error(`${answer.status} for ${show(spec)}: ${answer.body}`);
          return;
        }
        if (answer.status !== 400) throw new Error(`expected 400 for ${show(spec)}, got ${answer.status} ${answer.body}`);
        for (const error of answer.json.errors) expect(error).toMatchObject({ in: 'query', name: mutation[0] });
      }),
      runs(200),
    );
  });

  it('answers a build or template body with one broken field 400, pointing into that field', async () => {
    const repository = fc.tuple(fc.stringMatching(/^[a-z0-9-]{1,12}$/), fc.stringMatching(/^[a-z0-9-]{1,12}$/)).map(([o, r]) => `https://github.com/${o}/${r}`);
    const mutations: Array<[string, string, (body: any) => void]> = [
      ['/builds', '/repository', (b) => delete b.repository],
      ['/builds', '/repository', (b) => (b.repository = 'not a uri')],
      ['/builds', '/repository', (b) => (b.repository = `https://github.com/${'a'.repeat(500)}`)],
      ['/builds', '/force', (b) => (b.force = 'yes')],
      ['/builds', '/__proto__', (b) => Object.defineProperty(b, '__proto__', { value: { polluted: 1 }, enumerable: true })],
      ['/templates', '/name', (b) => (b.name = 'Upper Case')],
      ['/templates', '/port', (b) => (b.port = 70000)],
      ['/templates', '/image-source', (b) => (b['image-source'] = '')],
      ['/templates', '/time-created', (b) => (b['time-created'] = new Date(0).toISOString())],
      ['/templates', '/constructor', (b) => (b['constructor'] = { prototype: { polluted: 1 } })],
    ];
    await fc.assert(
      fc.asyncProperty(repository, fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,30}$/), fc.constantFrom(...mutations), async (repo, name, [target, pointer, mutate]) => {
        const body: any = target === '/builds' ? { repository: repo, force: true } : { name, 'image-source': `binder/${name}`, port: 8888 };
        mutate(body);
        const spec: RequestSpec = { method: 'POST', target, headers: [API_KEY, JSON_TYPE], body: JSON.stringify(body) };
        const answer = await sound(spec);
        if (answer.status !== 400) throw new Error(`expected 400 for ${show(spec)}, got ${answer.status} ${answer.body}`);
        for (const error of answer.json.errors) {
          if (error.in !== 'body' || !(error.pointer === pointer || error.pointer.startsWith(`${pointer}/`))) throw new Error(`the 400 points at ${error.pointer}, not ${pointer}: ${show(spec)}`);
        }
      }),
      runs(150),
    );
  });

  it('never answers garbage with a 5xx, a hang or a 4xx that is not a problem', async () => {
    const paths: Array<[string, string]> = [
      ['POST', '/builds'],
      ['GET', '/builds'],
      ['GET', '/builds/{image-name}'],
      ['GET', '/templates'],
      ['POST', '/templates'],
      ['GET', '/templates/{template-name}'],
      ['PUT', '/templates/{template-name}/pull-secret'],
      ['POST', '/applications/{template-name}'],
      ['GET', '/applications/{template-name}'],
      ['GET', '/applications/{template-name}/{id}'],
      ['GET', '/health'],
      ['PUT', '/account/{accountId}'],
      ['GET', '/person'],
      ['POST', '/person'],
      ['GET', '/person/{name}'],
      ['GET', '/openapi.json'],
      ['GET', '/healthz'],
      ['GET', '/readyz'],
      ['GET', '/docs/{x}'],
    ];
    await fc.assert(
      fc.asyncProperty(garbageRequest({ paths, credentials: [API_KEY] }), async (spec) => {
        await sound(spec);
      }),
      runs(400),
    );
  });

  it('takes JSON and form bodies with prototype keys at any depth without pollution', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/person', '/builds', '/templates'), pollutingJson, fc.boolean(), async (target, junk, asForm) => {
        const body = asForm ? `name=fred&${flatten(junk, '')}` : JSON.stringify(junk) ?? 'null';
        await sound({ method: 'POST', target, headers: [API_KEY, asForm ? FORM_TYPE : JSON_TYPE], body });
      }),
      runs(200),
    );
  });
});

/** A JSON value as bracketed form keys: { a: { __proto__: { x: 1 } } } → `a[__proto__][x]=1`. */
function flatten(value: unknown, prefix: string): string {
  if (value && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.keys(value).map((k) => [k, (value as Record<string, unknown>)[k]] as const);
    return entries.map(([k, v]) => flatten(v, prefix ? `${prefix}[${k}]` : k)).filter(Boolean).join('&');
  }
  return prefix ? `${prefix}=${enc(String(value))}` : '';
}
