// The bundled API (openapi/api.yaml + handlers/) end to end, through the real server: the
// shelf_bind example, Binder's build → registry → deploy lifecycle, every named error condition,
// the API key, and request validation.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { createServer } from '../src';
import config from '../handlers/_app/config';
import { exampleContents } from '../handlers/_app/seed';
import { MemoryStore, setStore, StoreError, type Store } from '../handlers/_app/store';

const SPEC = path.join(__dirname, '../openapi/api.yaml');
const KEY = 'test-key';
const REPO = 'https://github.com/Binder-Project/Example-Requirements#main';
const IMAGE = 'binder-project-example-requirements-main';

let baseUrl: string;
let closeServer: (() => Promise<void>) | undefined;
const savedEnv = { API_KEYS: process.env.API_KEYS, NODE_ENV: process.env.NODE_ENV };

beforeAll(async () => {
  process.env.API_KEYS = KEY;
  const server = await createServer({
    spec: SPEC,
    handlers: path.join(__dirname, '../handlers'),
    ...config,
    // Request logs only on demand (LOG_LEVEL=info npx jest ...): they drown the test report.
    logger: { level: process.env.LOG_LEVEL ?? 'silent' },
  });
  const { url, close } = await server.listen(0, '127.0.0.1');
  baseUrl = url;
  closeServer = close;
});

afterAll(async () => {
  await closeServer?.();
  restoreEnv();
});

beforeEach(() => setStore(new MemoryStore()));

function restoreEnv() {
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

interface CallOptions {
  body?: unknown;
  /** An API key to send; `true` sends the valid one. */
  key?: string | true;
  raw?: string;
  /** An HTML form (application/x-www-form-urlencoded) or multipart/form-data body; fetch sets the Content-Type. */
  form?: URLSearchParams | FormData;
}

async function call(method: string, target: string, options: CallOptions = {}) {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  if (options.key) headers['x-api-key'] = options.key === true ? KEY : options.key;
  let body: string | URLSearchParams | FormData | undefined = options.raw;
  if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (options.form !== undefined) body = options.form;
  const res = await fetch(new URL(target, baseUrl), { method, headers, body });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  // Streamed answers (text/event-stream, application/jsonl) are read as text: test/bundled-streams.test.ts.
  const json = text && /^application\/(?:[\w.+-]+\+)?json\b/.test(type) ? JSON.parse(text) : undefined;
  return { status: res.status, headers: res.headers, type, text, json };
}

type Reply = Awaited<ReturnType<typeof call>>;

function expectProblem(reply: Reply, status: number) {
  expect(reply.status).toBe(status);
  expect(reply.type).toMatch(/^application\/problem\+json/);
  expect(reply.json).toMatchObject({ status, title: expect.any(String), type: expect.any(String) });
  return reply.json as { type: string; detail?: string; errors?: Array<{ in: string; name?: string; pointer?: string; message: string }> };
}

/** A multipart/form-data body with one file part (and text fields). */
function upload(file: { content: string | Buffer; filename?: string; type?: string } | undefined, fields: Record<string, string> = {}): FormData {
  const form = new FormData();
  if (file) form.append('file', new Blob([file.content], { type: file.type ?? 'application/octet-stream' }), file.filename ?? 'secret.txt');
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  return form;
}

const sha256 = (content: string | Buffer) => createHash('sha256').update(content).digest('hex');

describe("shelf_bind's example", () => {
  test('PUT /account/1234?name=fred answers exactly as shelf_bind did', async () => {
    const reply = await call('PUT', '/account/1234?name=fred');
    expect(reply.status).toBe(200);
    expect(reply.type).toMatch(/^application\/json/);
    expect(reply.text).toBe('{"accountId":"1234","person":{"name":"fred"}}');
  });

  test('a person binds from the path, the query and a JSON body', async () => {
    expect((await call('GET', '/person/fred')).json).toEqual({ name: 'fred' });
    expect((await call('GET', '/person?name=fred')).json).toEqual({ name: 'fred' });
    const posted = await call('POST', '/person', { body: { name: 'fred' } });
    expect(posted.status).toBe(200);
    expect(posted.json).toEqual({ name: 'fred' });
  });

  test('bad input is a 400 problem naming the violation', async () => {
    const missing = expectProblem(await call('GET', '/person'), 400);
    expect(missing.errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'query', name: 'name' })]));

    const wrongType = expectProblem(await call('POST', '/person', { body: { name: 5 } }), 400);
    expect(wrongType.errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'body' })]));

    expectProblem(await call('POST', '/person', { body: { name: 'fred', age: 3 } }), 400);
    expectProblem(await call('POST', '/person', { raw: '{"name":' }), 400);
    expectProblem(await call('PUT', '/account/12%2034?name=fred'), 400);
  });

  test('a person binds from an HTML form body (application/x-www-form-urlencoded) as from JSON', async () => {
    const posted = await call('POST', '/person', { form: new URLSearchParams({ name: 'fred' }) });
    expect(posted.status).toBe(200);
    expect(posted.text).toBe('{"name":"fred"}');
    // Percent-encoding and `+` for a space, as browsers send them.
    expect((await call('POST', '/person', { form: new URLSearchParams({ name: 'Fred Flintstone & co' }) })).json).toEqual({ name: 'Fred Flintstone & co' });
  });

  test('a bad form body is a 400 problem naming the field by pointer', async () => {
    const empty = expectProblem(await call('POST', '/person', { form: new URLSearchParams({ name: '' }) }), 400);
    expect(empty.errors).toEqual([expect.objectContaining({ in: 'body', pointer: '/name' })]);
    const extra = expectProblem(await call('POST', '/person', { form: new URLSearchParams({ name: 'fred', age: '3' }) }), 400);
    expect(extra.errors).toEqual([expect.objectContaining({ in: 'body', pointer: '/age', message: 'is not a declared property' })]);
    const missing = expectProblem(await call('POST', '/person', { form: new URLSearchParams({ nick: 'fred' }) }), 400);
    expect(missing.errors).toEqual(expect.arrayContaining([{ in: 'body', pointer: '/name', message: 'is required' }]));
    // An empty form: the body (or its `name`) is required.
    expect(expectProblem(await call('POST', '/person', { form: new URLSearchParams() }), 400).errors).toEqual([
      expect.objectContaining({ in: 'body', pointer: expect.stringMatching(/^(\/name)?$/), message: 'is required' }),
    ]);
  });
});

describe('build', () => {
  test('a build moves one phase per status read, then registers its template', async () => {
    const started = await call('POST', '/builds', { key: true, body: { repository: REPO } });
    expect(started.status).toBe(202);
    expect(started.headers.get('location')).toBe(`/builds/${IMAGE}`);
    expect(started.json).toEqual({
      name: IMAGE,
      'display-name': 'Binder-Project/Example-Requirements#main',
      repository: REPO,
      'start-time': expect.any(String),
      phase: 'fetching',
      status: 'running',
    });

    const seen = [];
    for (let i = 0; i < 4; i++) {
      const { status, json } = await call('GET', `/builds/${IMAGE}`);
      expect(status).toBe(200);
      seen.push(`${json.phase}/${json.status}`);
    }
    expect(seen).toEqual(['building/running', 'registering/running', 'finished/completed', 'finished/completed']);

    const template = await call('GET', `/templates/${IMAGE}`, { key: true });
    expect(template.status).toBe(200);
    expect(template.json).toMatchObject({ name: IMAGE, 'image-name': IMAGE, port: 8888 });
  });

  test('alreadyBuilding while running (409) unless forced; a finished build starts again', async () => {
    expect((await call('POST', '/builds', { key: true, body: { repository: REPO } })).status).toBe(202);
    const conflict = expectProblem(await call('POST', '/builds', { key: true, body: { repository: REPO } }), 409);
    expect(conflict.detail).toContain(IMAGE);

    const forced = await call('POST', '/builds', { key: true, body: { repository: REPO, force: true } });
    expect(forced.status).toBe(202);

    for (let i = 0; i < 3; i++) await call('GET', `/builds/${IMAGE}`);
    const again = await call('POST', '/builds', { key: true, body: { repository: REPO } });
    expect(again.status).toBe(202);
    expect(again.json.phase).toBe('fetching');
  });

  test('noBuildInfo (404) for an unknown image; a malformed name is a 400', async () => {
    const problem = expectProblem(await call('GET', '/builds/no-such-image'), 404);
    expect(problem.detail).toContain('no-such-image');
    expectProblem(await call('GET', '/builds/Not_An_Image'), 400);
  });

  test('badRepoSource (422) for a repository not on GitHub; bad bodies are 400', async () => {
    expectProblem(await call('POST', '/builds', { key: true, body: { repository: 'https://gitlab.com/owner/repo' } }), 422);
    expectProblem(await call('POST', '/builds', { key: true, body: { repository: 'https://github.com/owner-only' } }), 422);
    expectProblem(await call('POST', '/builds', { key: true, body: { repository: 'not a url' } }), 400);
    expectProblem(await call('POST', '/builds', { key: true, body: { repository: REPO, extra: 1 } }), 400);
    expectProblem(await call('POST', '/builds', { key: true, body: {} }), 400);
  });

  test('statusAll filters by several phases (?phase=a&phase=b) and does not advance builds', async () => {
    const repos = ['https://github.com/a/one', 'https://github.com/b/two', 'https://github.com/c/three'];
    for (const repository of repos) await call('POST', '/builds', { key: true, body: { repository } });
    await call('GET', '/builds/a-one'); // building
    for (let i = 0; i < 3; i++) await call('GET', '/builds/b-two'); // finished

    const all = await call('GET', '/builds', { key: true });
    expect(all.status).toBe(200);
    expect(all.json.map((b: { name: string; phase: string }) => `${b.name}:${b.phase}`)).toEqual([
      'a-one:building',
      'b-two:finished',
      'c-three:fetching',
    ]);

    const some = await call('GET', '/builds?phase=building&phase=finished', { key: true });
    expect(some.json.map((b: { name: string }) => b.name)).toEqual(['a-one', 'b-two']);
    const one = await call('GET', '/builds?phase=fetching', { key: true });
    expect(one.json.map((b: { name: string }) => b.name)).toEqual(['c-three']);

    expectProblem(await call('GET', '/builds?phase=bogus', { key: true }), 400);
  });

  test('statusAll narrows by a deepObject filter: filter[status], filter[since], filter[limit] (coerced, default 100)', async () => {
    const repos = ['https://github.com/a/one', 'https://github.com/b/two', 'https://github.com/c/three'];
    for (const repository of repos) await call('POST', '/builds', { key: true, body: { repository } });
    for (let i = 0; i < 3; i++) await call('GET', '/builds/b-two'); // finished, completed
    const names = async (query: string) => {
      const reply = await call('GET', `/builds${query}`, { key: true });
      expect(reply.status).toBe(200);
      return reply.json.map((b: { name: string }) => b.name);
    };

    expect(await names('?filter[status]=completed')).toEqual(['b-two']);
    expect(await names('?filter[status]=running')).toEqual(['a-one', 'c-three']);
    expect(await names('?filter[limit]=2')).toEqual(['a-one', 'b-two']); // "2" arrives as the integer 2
    expect(await names('?filter[status]=running&filter[limit]=1')).toEqual(['a-one']);
    expect(await names('?filter[since]=2000-01-01T00:00:00Z')).toEqual(['a-one', 'b-two', 'c-three']);
    expect(await names('?filter[since]=2999-01-01T00:00:00Z')).toEqual([]);
    // Brackets percent-encoded, as URLSearchParams writes them; combined with the array query.
    const query = new URLSearchParams([['phase', 'fetching'], ['phase', 'finished'], ['filter[status]', 'running']]);
    expect(query.toString()).toContain('filter%5Bstatus%5D=running');
    expect(await names(`?${query}`)).toEqual(['a-one', 'c-three']);
    expect(await names('?filter[status]=failed')).toEqual([]);
  });

  test('a bad filter member is a 400 problem naming the parameter and the member', async () => {
    const notInteger = expectProblem(await call('GET', '/builds?filter[limit]=ten', { key: true }), 400);
    expect(notInteger.errors).toEqual([{ in: 'query', name: 'filter', pointer: '/limit', message: 'must be integer' }]);
    const tooSmall = expectProblem(await call('GET', '/builds?filter[limit]=0', { key: true }), 400);
    expect(tooSmall.errors).toEqual([expect.objectContaining({ in: 'query', name: 'filter', pointer: '/limit' })]);
    const several = expectProblem(await call('GET', '/builds?filter[since]=yesterday&filter[colour]=red&filter[status]=baking', { key: true }), 400);
    expect(several.errors?.map((e) => `${e.name} ${e.pointer}`).sort()).toEqual(['filter /colour', 'filter /since', 'filter /status']);
  });
});

describe('registry', () => {
  const template = {
    name: 'my-template',
    'image-source': 'binder/my-template',
    command: ['start-notebook.sh'],
    limits: { memory: '2Gi', cpu: '1' },
    'image-pull-secret': 'pull-token',
  };

  test('register answers 201 when new and 200 when replaced; the secret never comes back', async () => {
    const created = await call('POST', '/templates', { key: true, body: template });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/templates/my-template');
    expect(created.json).toEqual({
      name: 'my-template',
      'image-name': 'my-template',
      'image-source': 'binder/my-template',
      port: 8888,
      command: ['start-notebook.sh'],
      limits: { memory: '2Gi', cpu: '1' },
      'time-created': expect.any(String),
      'time-modified': expect.any(String),
    });

    const replaced = await call('POST', '/templates', { key: true, body: { ...template, port: 9999 } });
    expect(replaced.status).toBe(200);
    expect(replaced.json.port).toBe(9999);
    expect(replaced.json['time-created']).toBe(created.json['time-created']);
    expect(replaced.text).not.toContain('pull-token');

    const fetched = await call('GET', '/templates/my-template', { key: true });
    expect(fetched.json).toEqual(replaced.json);
  });

  test('fetchAll lists templates by name', async () => {
    await call('POST', '/templates', { key: true, body: { ...template, name: 'zeta' } });
    await call('POST', '/templates', { key: true, body: { ...template, name: 'alpha' } });
    const all = await call('GET', '/templates', { key: true });
    expect(all.status).toBe(200);
    expect(all.json.map((t: { name: string }) => t.name)).toEqual(['alpha', 'zeta']);
    expect(all.text).not.toContain('pull-token');
  });

  test('doesNotExist (404) for an unknown template; an invalid template is a 400', async () => {
    expectProblem(await call('GET', '/templates/nope', { key: true }), 404);
    expectProblem(await call('POST', '/templates', { key: true, body: { name: 'no-source' } }), 400);
    expectProblem(await call('POST', '/templates', { key: true, body: { ...template, port: 70000 } }), 400);
    // time-created is readOnly: the server sets it, a client must not.
    expectProblem(await call('POST', '/templates', { key: true, body: { ...template, 'time-created': '2016-03-01T12:00:00Z' } }), 400);
  });
});

describe('registry: a pull secret uploaded as a file (multipart/form-data)', () => {
  const SECRET = '{"auths":{"registry.example.org":{"auth":"YmluZGVyOnMzY3IzdA=="}}}';
  const target = '/templates/my-template/pull-secret';
  let store: MemoryStore;

  beforeEach(async () => {
    store = new MemoryStore();
    setStore(store);
    await call('POST', '/templates', { key: true, body: { name: 'my-template', 'image-source': 'binder/my-template' } });
  });

  test('the file is stored as the writeOnly image-pull-secret; the answer describes it and never contains it', async () => {
    const before = (await call('GET', '/templates/my-template', { key: true })).json;
    const reply = await call('PUT', target, { key: true, form: upload({ content: SECRET, filename: '.dockerconfigjson', type: 'application/json' }) });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({
      'template-name': 'my-template',
      filename: '.dockerconfigjson',
      'media-type': 'application/json',
      size: Buffer.byteLength(SECRET),
      sha256: sha256(SECRET),
      'time-modified': expect.any(String),
    });
    expect(reply.text).not.toContain('YmluZGVy');
    expect(reply.json['time-modified'] >= before['time-modified']).toBe(true);
    expect((await store.getTemplate('my-template'))?.imagePullSecret).toBe(SECRET);

    const fetched = await call('GET', '/templates/my-template', { key: true });
    expect(fetched.json['time-modified']).toBe(reply.json['time-modified']);
    expect(fetched.text).not.toContain('YmluZGVy');

    // A second upload replaces the first.
    const again = await call('PUT', target, { key: true, form: upload({ content: 'token-2', type: 'text/plain' }) });
    expect(again.json).toMatchObject({ filename: 'secret.txt', 'media-type': 'text/plain', size: 7, sha256: sha256('token-2') });
    expect((await store.getTemplate('my-template'))?.imagePullSecret).toBe('token-2');
  });

  test('the sha256 text field is checked against the bytes received: badSecretFile (422) when they differ', async () => {
    expect((await call('PUT', target, { key: true, form: upload({ content: SECRET }, { sha256: sha256(SECRET) }) })).status).toBe(200);
    const mismatch = expectProblem(await call('PUT', target, { key: true, form: upload({ content: SECRET }, { sha256: sha256('other') }) }), 422);
    expect(mismatch.type).toBe('urn:specbind:problem:badSecretFile');
    expect(mismatch.detail).toContain(sha256(SECRET));
  });

  test('bad multipart input is a 400 problem naming the part by pointer', async () => {
    const badDigest = expectProblem(await call('PUT', target, { key: true, form: upload({ content: SECRET }, { sha256: 'not-hex' }) }), 400);
    expect(badDigest.errors).toEqual([expect.objectContaining({ in: 'body', pointer: '/sha256' })]);
    const noFile = expectProblem(await call('PUT', target, { key: true, form: upload(undefined, { sha256: sha256(SECRET) }) }), 400);
    expect(noFile.errors).toEqual([{ in: 'body', pointer: '/file', message: 'is required' }]);
    const extra = expectProblem(await call('PUT', target, { key: true, form: upload({ content: SECRET }, { note: 'x' }) }), 400);
    expect(extra.errors).toEqual([expect.objectContaining({ in: 'body', pointer: '/note' })]);
    // A text field named `file` (no filename) is not a file.
    const field = new FormData();
    field.append('file', SECRET);
    const notAFile = expectProblem(await call('PUT', target, { key: true, form: field }), 400);
    expect(notAFile.errors).toEqual([expect.objectContaining({ in: 'body', pointer: '/file' })]);
    expect((await store.getTemplate('my-template'))?.imagePullSecret).toBeUndefined();
  });

  test('payloadTooLarge (413) over the operation’s 8 KiB, and over the server’s 1 MiB body limit', async () => {
    expect((await call('PUT', target, { key: true, form: upload({ content: 'x'.repeat(8192) }) })).status).toBe(200);
    const over = expectProblem(await call('PUT', target, { key: true, form: upload({ content: 'x'.repeat(8193) }) }), 413);
    expect(over).toMatchObject({ type: 'urn:specbind:problem:payloadTooLarge', detail: expect.stringContaining('8192') });
    const huge = expectProblem(await call('PUT', target, { key: true, form: upload({ content: Buffer.alloc(1024 * 1024 + 1, 'x') }) }), 413);
    expect(huge.type).toBe('urn:specbind:problem:payloadTooLarge');
    expect((await store.getTemplate('my-template'))?.imagePullSecret).toBe('x'.repeat(8192));
  });

  test('badSecretFile (422) for an empty file or one that is not UTF-8 text', async () => {
    expect(expectProblem(await call('PUT', target, { key: true, form: upload({ content: '' }) }), 422).detail).toBe('The file is empty');
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
    expect(expectProblem(await call('PUT', target, { key: true, form: upload({ content: binary }) }), 422).detail).toBe('The file is not UTF-8 text');
    expect(expectProblem(await call('PUT', target, { key: true, form: upload({ content: 'to\0ken' }) }), 422).detail).toBe('The file is not UTF-8 text');
  });

  test('doesNotExist (404) for an unknown template; a JSON body is 415; no key is 401', async () => {
    expectProblem(await call('PUT', '/templates/nope/pull-secret', { key: true, form: upload({ content: SECRET }) }), 404);
    expectProblem(await call('PUT', '/templates/Not%20A%20Name/pull-secret', { key: true, form: upload({ content: SECRET }) }), 400);
    expectProblem(await call('PUT', target, { key: true, body: { file: SECRET } }), 415);
    expectProblem(await call('PUT', target, { form: upload({ content: SECRET }) }), 401);
  });
});

describe('deploy', () => {
  beforeEach(async () => {
    await call('POST', '/templates', { key: true, body: { name: 'tpl', 'image-source': 'binder/tpl' } });
  });

  test('a deployment moves pending → deploying → deployed, one step per read', async () => {
    const created = await call('POST', '/applications/tpl?cull-timeout=120');
    expect(created.status).toBe(201);
    const { id } = created.json;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(created.headers.get('location')).toBe(`/applications/tpl/${id}`);
    expect(created.json).toEqual({
      id,
      'template-name': 'tpl',
      location: `/user/${id}`,
      status: 'pending',
      'cull-timeout': 120,
      'deploy-time': null,
    });

    const first = await call('GET', `/applications/tpl/${id}`);
    expect(first.json).toMatchObject({ status: 'deploying', 'deploy-time': null });
    const second = await call('GET', `/applications/tpl/${id}`);
    expect(second.json).toMatchObject({ status: 'deployed', 'deploy-time': expect.any(String) });
    const third = await call('GET', `/applications/tpl/${id}`);
    expect(third.json).toEqual(second.json);
  });

  test('cull-timeout defaults to 3600 and is validated as an integer', async () => {
    expect((await call('POST', '/applications/tpl')).json['cull-timeout']).toBe(3600);
    expectProblem(await call('POST', '/applications/tpl?cull-timeout=soon'), 400);
    expectProblem(await call('POST', '/applications/tpl?cull-timeout=10'), 400);
  });

  test('registryError (404) when the template is not registered', async () => {
    const problem = expectProblem(await call('POST', '/applications/unknown'), 404);
    expect(problem.detail).toContain('unknown');
  });

  test('noRecord (404) unless both template and id match; a malformed id is a 400', async () => {
    const { id } = (await call('POST', '/applications/tpl')).json;
    await call('POST', '/templates', { key: true, body: { name: 'other', 'image-source': 'binder/other' } });
    expectProblem(await call('GET', `/applications/other/${id}`), 404);
    expectProblem(await call('GET', `/applications/tpl/${'0'.repeat(32)}`), 404);
    expectProblem(await call('GET', '/applications/tpl/xyz'), 400);
  });

  test("statusAll lists a template's deployments, filtered by several states", async () => {
    const a = (await call('POST', '/applications/tpl')).json.id;
    const b = (await call('POST', '/applications/tpl')).json.id;
    await call('GET', `/applications/tpl/${b}`); // deploying
    const all = await call('GET', '/applications/tpl', { key: true });
    expect(all.status).toBe(200);
    expect(all.json.map((x: { id: string }) => x.id)).toEqual([a, b]);
    const some = await call('GET', '/applications/tpl?status=deploying&status=deployed', { key: true });
    expect(some.json.map((x: { id: string }) => x.id)).toEqual([b]);
    expect((await call('GET', '/applications/none', { key: true })).json).toEqual([]);
  });
});

describe('health', () => {
  test('every component is running', async () => {
    const reply = await call('GET', '/health', { key: true });
    expect(reply.status).toBe(200);
    expect(reply.json.map((c: { name: string; status: string }) => `${c.name}:${c.status}`)).toEqual([
      'build:running',
      'registry:running',
      'deploy:running',
    ]);
  });
});

describe('the API key', () => {
  const authorized: Array<{ method: string; target: string; body?: unknown }> = [
    { method: 'POST', target: '/builds', body: { repository: REPO } },
    { method: 'GET', target: '/builds' },
    { method: 'GET', target: '/templates' },
    { method: 'POST', target: '/templates', body: { name: 'x', 'image-source': 'y' } },
    { method: 'GET', target: '/templates/x' },
    { method: 'PUT', target: '/templates/x/pull-secret' },
    { method: 'GET', target: '/applications/x' },
    { method: 'GET', target: '/health' },
    { method: 'GET', target: '/builds/x/log' },
    { method: 'GET', target: '/export/templates' },
  ];

  test.each(authorized)('$method $target answers 401 without a key or with a wrong one', async ({ method, target, body }) => {
    expectProblem(await call(method, target, { body }), 401);
    expectProblem(await call(method, target, { body, key: 'wrong-key' }), 401);
  });

  test('the development key is refused once API_KEYS is set', async () => {
    expectProblem(await call('GET', '/health', { key: 'dev-key' }), 401);
  });

  test('operations Binder left open need no key', async () => {
    expect((await call('GET', '/builds/no-such-image')).status).toBe(404);
    expect((await call('POST', '/applications/none')).status).toBe(404);
  });
});

describe('store failures become the declared conditions', () => {
  /** A store whose every call rejects, as a database that is down or failing would. */
  function failingStore(unavailable: boolean): Store {
    return new Proxy({} as Store, {
      // `then` stays undefined so the proxy is never mistaken for a promise.
      get: (_target, name) =>
        name === 'then'
          ? undefined
          : async () => {
              throw new StoreError('simulated failure', { unavailable });
            },
    });
  }

  test('noDatabase (503) when the store is unavailable', async () => {
    const closed = new MemoryStore();
    await closed.close();
    setStore(closed);
    expect(expectProblem(await call('GET', '/builds/x'), 503).detail).toBe('Binder database not yet initialized');
    expectProblem(await call('POST', '/builds', { key: true, body: { repository: REPO } }), 503);
    expectProblem(await call('GET', '/templates', { key: true }), 503);
    expectProblem(await call('POST', '/applications/tpl'), 503);
    expectProblem(await call('GET', '/health', { key: true }), 503);
    expectProblem(await call('PUT', '/templates/tpl/pull-secret', { key: true, form: upload({ content: 'token' }) }), 503);
  });

  test('badQuery (build, health) and badDatabase (registry, deploy) when a query fails', async () => {
    setStore(failingStore(false));
    const badQuery = 'Could not query the Binder database';
    const badDatabase = 'Could not read or write the Binder database';
    expect(expectProblem(await call('GET', '/builds/x'), 500).detail).toBe(badQuery);
    expect(expectProblem(await call('GET', '/builds', { key: true }), 500).detail).toBe(badQuery);
    expect(expectProblem(await call('POST', '/builds', { key: true, body: { repository: REPO } }), 500).detail).toBe(badQuery);
    expect(expectProblem(await call('GET', '/health', { key: true }), 500).detail).toBe(badQuery);
    expect(expectProblem(await call('GET', '/templates/x', { key: true }), 500).detail).toBe(badDatabase);
    expect(expectProblem(await call('GET', '/templates', { key: true }), 500).detail).toBe(badDatabase);
    expect(expectProblem(await call('POST', '/templates', { key: true, body: { name: 'x', 'image-source': 'y' } }), 500).detail).toBe(badDatabase);
    expect(expectProblem(await call('POST', '/applications/tpl'), 500).detail).toBe(badDatabase);
    expect(expectProblem(await call('GET', `/applications/tpl/${'0'.repeat(32)}`), 500).detail).toBe(badDatabase);
    expect(expectProblem(await call('GET', '/applications/tpl', { key: true }), 500).detail).toBe(badDatabase);
    expect(expectProblem(await call('PUT', '/templates/tpl/pull-secret', { key: true, form: upload({ content: 'token' }) }), 500).detail).toBe(badDatabase);
  });
});

describe("the document's examples", () => {
  // What dredd and Swagger UI's "Try it out" send: every operation built from its examples alone,
  // against the embedded store's example records, must answer its first declared 2xx.
  const document = yaml.load(readFileSync(SPEC, 'utf8')) as any;
  const resolve = (node: any) => (node?.$ref ? node.$ref.split('/').slice(1).reduce((n: any, k: string) => n[k], document) : node);
  const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
  const operations = Object.entries(document.paths as Record<string, any>).flatMap(([template, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ template, method: m, item, op: item[m] })),
  );

  test.each(operations.map((o) => [o.op.operationId, o] as const))('%s answers 2xx from its examples', async (_id, o) => {
    setStore(new MemoryStore(exampleContents()));
    const params = [...(o.item.parameters ?? []), ...(o.op.parameters ?? [])].map(resolve);
    let target = o.template;
    const query = new URLSearchParams();
    for (const p of params) {
      if (p.in === 'path') target = target.replace(`{${p.name}}`, encodeURIComponent(p.example));
      else if (p.in === 'query' && p.style === 'deepObject') {
        for (const [member, v] of Object.entries(p.example)) query.append(`${p.name}[${member}]`, String(v));
      } else if (p.in === 'query') for (const v of [p.example].flat()) query.append(p.name, String(v));
    }
    if ([...query].length) target += `?${query}`;
    // The first declared media type's example, sent as that media type.
    const [mediaType, media] = (Object.entries(o.op.requestBody?.content ?? {})[0] ?? []) as [string?, any?];
    const options: CallOptions = { key: o.op.security?.length ? true : undefined };
    if (mediaType === 'application/json') options.body = media.example;
    else if (mediaType === 'application/x-www-form-urlencoded') options.form = new URLSearchParams(media.example);
    else if (mediaType === 'multipart/form-data') {
      const schema = resolve(media.schema);
      options.form = new FormData();
      for (const [name, v] of Object.entries<string>(media.example)) {
        if (schema.properties[name]?.format === 'binary') options.form.append(name, new Blob([v]), name);
        else options.form.append(name, v);
      }
    } else expect(mediaType).toBeUndefined();
    const reply = await call(o.method.toUpperCase(), target, options);
    const expected = Object.keys(o.op.responses).find((code) => code.startsWith('2'));
    expect(`${reply.status} ${reply.text}`).toMatch(new RegExp(`^${expected} `));
    // A list answers something: the seeded records are what the example filters find (a newcomer's first click).
    if (resolve(o.op.responses[expected!]?.content?.['application/json']?.schema)?.type === 'array') expect(JSON.parse(reply.text).length).toBeGreaterThan(0);
  });
});

describe('the apiKey check', () => {
  // A fresh module per test: the development-key warning is once per process.
  function freshCheck(): typeof import('../handlers/_app/security') {
    let mod: typeof import('../handlers/_app/security') | undefined;
    jest.isolateModules(() => {
      mod = require('../handlers/_app/security');
    });
    return mod!;
  }
  const request = (credential: string | undefined) => ({ credential, scopes: [], scheme: 'apiKey', request: {} as any });

  afterEach(() => {
    restoreEnv();
    process.env.API_KEYS = KEY;
    jest.restoreAllMocks();
  });

  test('accepts any listed key and nothing else; the principal never holds the key', () => {
    process.env.API_KEYS = 'alpha, beta';
    const { check } = freshCheck();
    const principal = check(request('beta'));
    expect(principal).toMatchObject({ scheme: 'apiKey', key: expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(JSON.stringify(principal)).not.toContain('beta');
    expect(check(request('alpha'))).toBeTruthy();
    expect(check(request('gamma'))).toBe(false);
    expect(check(request('alph'))).toBe(false);
    expect(check(request(undefined))).toBe(false);
    expect(check(request(''))).toBe(false);
  });

  test('without API_KEYS outside production, dev-key works and the warning is shown once', () => {
    delete process.env.API_KEYS;
    process.env.NODE_ENV = 'development';
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    const { check } = freshCheck();
    expect(check(request('dev-key'))).toBeTruthy();
    expect(check(request('dev-key'))).toBeTruthy();
    expect(check(request('other'))).toBe(false);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  test('without API_KEYS in production, every key is refused', () => {
    delete process.env.API_KEYS;
    process.env.NODE_ENV = 'production';
    const { check } = freshCheck();
    expect(check(request('dev-key'))).toBe(false);
  });
});
