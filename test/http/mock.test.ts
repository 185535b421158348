// Mock mode on real servers (127.0.0.1): examples served as written, samples generated where there are
// none and held to the same strict response validator, Prefer/Accept honoured, and `specbind verify`
// against `specbind mock` of the OAI example documents passing every positive and negative request.
import { execFile, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { readFileSync } from 'node:fs';
import { Sampler } from '../../src/mock/sample';
import { seeded } from '../../src/mock/random';
import { stringMatching } from '../../src/mock/regex';
import { loadSpec } from '../../src/document/load';
import { SchemaCompiler } from '../../src/validation/compiler';
import { verify, formatReport } from '../../src/verify/verify';
import { SPECS, start, type Started } from '../helpers/server';

const ROOT = path.join(__dirname, '../..');
const API = path.join(ROOT, 'openapi/api.yaml');
const FIXTURES = path.join(__dirname, '../fixtures/mock-samples');
const OAI = path.resolve(SPECS, 'oai-examples');
const mock = (spec: string) => start({ spec, missingHandlers: 'mock' });

describe('specbind mock: examples', () => {
  let server: Started;
  const document: any = yaml.load(readFileSync(API, 'utf8'));
  beforeAll(async () => (server = await mock(API)));
  afterAll(() => server.close());

  it('serves the document example of the first 2xx response, with its declared content type and required headers', async () => {
    const answer = await server.request('POST', '/builds', { body: { repository: 'https://github.com/a/b' }, headers: { 'x-api-key': 'any' } });
    expect(answer.status).toBe(202);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.json).toEqual(document.paths['/builds'].post.responses['202'].content['application/json'].example);
    expect(answer.headers.get('location')).toBe('/builds/binder-project-example-requirements');
  });

  it('checks requests like a real server, and security by presence only', async () => {
    expect((await server.request('POST', '/builds', { body: { repository: 'https://github.com/a/b' } })).status).toBe(401);
    expect((await server.request('POST', '/builds', { body: { nope: 1 }, headers: { 'x-api-key': 'any' } })).status).toBe(400);
  });

  it('answers the response a Prefer header names', async () => {
    const answer = await server.request('GET', '/builds/nothing', { headers: { prefer: 'code=404' } });
    expect(answer.status).toBe(404);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(answer.json.status).toBe(404);
  });
});

describe('specbind mock: generated samples satisfy the schema', () => {
  let v30: Started;
  let v31: Started;
  beforeAll(async () => {
    v30 = await mock(path.join(FIXTURES, 'api-30.yaml'));
    v31 = await mock(path.join(FIXTURES, 'api-31.yaml'));
  });
  afterAll(async () => {
    await v30.close();
    await v31.close();
  });

  it('3.0: formats, patterns, bounds, required, allOf, readOnly/writeOnly, nullable, recursion, headers', async () => {
    const answer = await v30.request('GET', '/accounts');
    expect(answer.text).not.toContain('responseValidationFailed');
    expect(answer.status).toBe(200);
    const account = answer.json;
    expect(account.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(account.email).toContain('@');
    expect(account.handle).toMatch(/^[a-z][a-z0-9_]{3,15}$/);
    expect(account.code).toMatch(/^AC[0-9a-f]{32}$/);
    expect(account.balance).toBeGreaterThan(10.5);
    expect(account.balance).toBeLessThanOrEqual(20);
    expect((account.balance * 4) % 1).toBe(0);
    expect(account.score).toBeGreaterThanOrEqual(3);
    expect(account).not.toHaveProperty('password'); // writeOnly: never in a response
    expect(account.owner).toEqual({ name: expect.stringMatching(/^..$/), since: '2024-01-01' }); // allOf merged
    expect(new Set(account.tags).size).toBe(account.tags.length);
    expect(account.tags.length).toBeGreaterThanOrEqual(2);
    expect(account.parent === null || typeof account.parent === 'object').toBe(true); // recursion ends
    expect(Number(answer.headers.get('x-rate-limit'))).toBeGreaterThanOrEqual(10);
    expect(answer.headers.get('x-trace')).toMatch(/^[a-f0-9]{8}-[0-9]{2}$/);
  });

  it('3.0: oneOf picks a branch that validates, with the discriminator value that selects it', async () => {
    const answer = await v30.request('GET', '/pets');
    expect(answer.status).toBe(200);
    expect(answer.json.length).toBeGreaterThanOrEqual(2);
    for (const pet of answer.json) expect(pet.kind === 'cat' ? pet.lives : pet.bark).toBeDefined();
  });

  it("oneOf whose first branch's sample fits both: the mock is the second branch's, which fits one (a sample made without checking branches is only kept when the whole validates)", async () => {
    const spec = {
      openapi: '3.0.3',
      info: { title: 'branches', version: '1' },
      paths: {
        '/when': {
          get: {
            operationId: 'when',
            responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object', required: ['at'], properties: { at: { oneOf: [{ type: 'string', format: 'date' }, { type: 'string', minLength: 2 }] } } } } } } },
          },
        },
      },
    };
    const server = await start({ spec, missingHandlers: 'mock' });
    try {
      const answer = await server.request('GET', '/when');
      expect(answer.status).toBe(200);
      // The first branch's '2024-01-01' is a string of two characters or more too: it fits both, so not oneOf.
      expect(answer.json.at).not.toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(answer.json.at.length).toBeGreaterThanOrEqual(2);
    } finally {
      await server.close();
    }
  });

  it('3.1: type arrays, numeric exclusive bounds, const, prefixItems, oneOf with additionalProperties: false', async () => {
    const shapes = await v31.request('GET', '/shapes');
    expect(shapes.status).toBe(200);
    expect(shapes.json[0]).toEqual({ side: 1 });
    const measure = await v31.request('GET', '/measure?unit=cm');
    expect(measure.status).toBe(200);
    expect(measure.json.value).toBeGreaterThan(0);
    expect(measure.json.value).toBeLessThan(1);
    expect(measure.json.limit).toBe(6);
    expect(measure.json.ratio).toBe(0.5);
    expect(measure.json.note.length).toBeGreaterThanOrEqual(4);
  });

  it('request direction: readOnly members left out, writeOnly ones included; seeded samples vary, reproducibly, and validate', async () => {
    const loaded = await loadSpec(path.join(FIXTURES, 'api-30.yaml'));
    const compiler = new SchemaCompiler(loaded.document, loaded.dialect);
    const pointer = '/components/schemas/Account';
    const check = (p: string, v: unknown) => compiler.validator('request', p)(structuredClone(v)) === null;
    const sampler = (seed?: number) => new Sampler(loaded.document, { direction: 'request', dialect: '3.0', random: seed === undefined ? undefined : seeded(seed), optional: seed === undefined ? 'all' : 'random', check });
    const body: any = sampler().sample({ $ref: `#${pointer}` });
    expect(body).not.toHaveProperty('id');
    expect(body).not.toHaveProperty('created');
    expect(body.password.length).toBeGreaterThanOrEqual(12);
    expect(compiler.validator('request', pointer)(structuredClone(body))).toBeNull();
    const a = sampler(9).sample({ $ref: `#${pointer}` });
    expect(sampler(9).sample({ $ref: `#${pointer}` })).toEqual(a);
    expect(JSON.stringify(sampler(10).sample({ $ref: `#${pointer}` }))).not.toBe(JSON.stringify(a));
    for (let seed = 1; seed <= 20; seed++) expect(compiler.validator('request', pointer)(structuredClone(sampler(seed).sample({ $ref: `#${pointer}` })))).toBeNull();
  });

  it('patterns: generated strings match', () => {
    for (const pattern of ['^(0|[1-9][0-9]*)$', '^[A-Z]{2}-\\d{3,5}(x[0-9]+)?$', '^\\+[1-9]\\d{1,14}$', '^(\\w+)-\\1$', '^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$']) {
      for (const random of [undefined, seeded(1), seeded(2)]) expect(stringMatching(pattern, random)).toMatch(new RegExp(pattern));
    }
    expect(stringMatching('^[a-z]+$', seeded(3), 5, 6)).toMatch(/^[a-z]{5,6}$/);
  });
});

describe('specbind verify against specbind mock', () => {
  const documents = ['v3.0/petstore.yaml', 'v3.0/petstore-expanded.yaml', 'v3.0/uspto.yaml', 'v3.0/link-example.yaml', 'v3.0/api-with-examples.yaml', 'v3.0/callback-example.yaml', 'v3.1/non-oauth-scopes.yaml', 'the bundled API'];

  it.each(documents)('%s: every positive request gets a success, every negative one a 4xx', async (rel) => {
    const file = rel === 'the bundled API' ? API : path.resolve(OAI, rel);
    const server = await mock(file);
    try {
      const report = await verify({ baseUrl: server.url, spec: file, expectSuccess: true, seed: 11 });
      expect(report.failed === 0 ? 'ok' : formatReport(report)).toBe('ok');
      expect(report.operations.every((op) => op.positive.pass > 0)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('`specbind mock` serves a document on the port it is given', async () => {
    const tsx = require.resolve('tsx/cli');
    const child: ChildProcess = execFile(process.execPath, [tsx, path.join(ROOT, 'src/cli.ts'), 'mock', '--spec', path.join(OAI, 'v3.0/petstore.yaml'), '--port', '0', '--host', '127.0.0.1'], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'info' } });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no URL in: ${out}`)), 30_000);
        child.stdout!.on('data', (chunk) => {
          out += chunk;
          const match = /specbind mock serving \d+ operations at (http:\/\/[^"\s]+)/.exec(out);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        });
      });
      const answer = await fetch(`${url}/pets?limit=2`);
      expect(answer.status).toBe(200);
      const pets = await answer.json();
      expect(Array.isArray(pets)).toBe(true);
    } finally {
      child.kill('SIGTERM');
    }
  }, 60_000);
});

describe('specbind mock: sequential media types', () => {
  it('frames a sampled item that the item schema accepts: SSE events and JSON Lines, 3.0 schema and 3.2 itemSchema', async () => {
    const v30 = await mock(path.join(__dirname, '../fixtures/streams/openapi.yaml'));
    const v32 = await mock(path.join(__dirname, '../fixtures/streams/openapi-32.yaml'));
    try {
      const events = await fetch(`${v30.url}/events`);
      expect(events.headers.get('content-type')).toBe('text/event-stream');
      expect(await events.text()).toMatch(/^data: \{"n":-?\d+\}\n\n$/);
      expect(await (await fetch(`${v30.url}/lines`, { headers: { accept: 'application/jsonl' } })).text()).toMatch(/^\{"n":-?\d+\}\n$/);
      // itemSchema's event enum and data bounds hold (strict validation would have cut the stream).
      expect(await (await fetch(`${v32.url}/events`)).text()).toMatch(/^event: (progress|done)\nid: .*\ndata: \{"percent":\d+\}\n\n$/);
    } finally {
      await v30.close();
      await v32.close();
    }
  });
});
