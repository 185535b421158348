// Startup errors stop the process and say what to fix; handler resolution from a directory.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { createServer, StartupError } from '../../src';
import { SPECS, start } from '../helpers/server';

const FIXTURE = path.join(__dirname, '../fixtures/startup');
const SPEC = path.join(FIXTURE, 'openapi.yaml');
const quiet = { logger: { level: 'silent' } };

describe('handlers and startup', () => {
  it('loads handlers from a directory, skipping modules that start with "_"', async () => {
    const api = await start({ spec: SPEC, handlers: path.join(FIXTURE, 'handlers') });
    try {
      expect((await api.request('GET', '/pets')).json).toEqual(['rex', 'tom']);
      expect((await api.request('GET', '/owners/o%20k')).json).toEqual({ id: 'o k' });
    } finally {
      await api.close();
    }
  });

  it('does not stay listening once closed: listen() then close() at once rejects, and the port is let go', async () => {
    const server = await createServer({ spec: SPEC, handlers: path.join(FIXTURE, 'handlers'), ...quiet });
    const listening = server.listen(0);
    await server.close();
    await expect(listening).rejects.toThrow('closed before it listened');
  });

  it('refuses to start when operations have no handler, listing method, path and operationId of each', async () => {
    const attempt = createServer({ spec: SPEC, handlers: { listPets: () => [] }, ...quiet });
    await expect(attempt).rejects.toThrow(StartupError);
    const error: StartupError = await attempt.catch((e) => e);
    expect(error.message).toContain('POST /pets (addPet): has no handler');
    expect(error.message).toContain('GET /owners/{owner-id} (getOwner): has no handler');
    expect(error.problems).toHaveLength(2);
  });

  it('refuses a handler that matches no operationId, naming its file', async () => {
    const error: StartupError = await createServer({ spec: SPEC, handlers: path.join(FIXTURE, 'bad-handlers'), ...quiet }).catch((e) => e);
    expect(error).toBeInstanceOf(StartupError);
    expect(error.message).toContain('handler "removePet" matches no operationId');
    expect(error.message).toContain('bad-handlers/pets.ts');
  });

  it('serves only the operations with the given tags; the others answer 404 and need no handler', async () => {
    const api = await start({ spec: SPEC, handlers: { getOwner: (input: any) => ({ id: input.ownerId }) }, tags: ['owners'] });
    try {
      expect((await api.request('GET', '/owners/1')).status).toBe(200);
      expect((await api.request('GET', '/pets')).status).toBe(404);
    } finally {
      await api.close();
    }
  });

  it('refuses two parameters whose camelCased names clash, naming both', async () => {
    const spec = {
      openapi: '3.0.3',
      info: { title: 'clash', version: '1' },
      paths: {
        '/x': {
          get: {
            operationId: 'clash',
            parameters: [
              { name: 'page-size', in: 'query', schema: { type: 'integer' } },
              { name: 'page_size', in: 'query', schema: { type: 'integer' } },
            ],
            responses: { '200': { description: 'ok' } },
          },
        },
      },
    };
    const error: StartupError = await createServer({ spec, handlers: { clash: () => undefined }, ...quiet }).catch((e) => e);
    expect(error).toBeInstanceOf(StartupError);
    expect(error.message).toMatch(/"page_size" \(query\) and "page-size" \(query\) both bind to input\.pageSize/);
  });

  it('in lazy mode, answers an operation whose schema cannot compile with a 500 that says so, every time', async () => {
    const api = await start({ spec: path.join(__dirname, '../fixtures/load-missing-schema/openapi.yaml'), handlers: { addPet: () => undefined }, compile: 'lazy', missingHandlers: 'notImplemented' });
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const answer = await api.request('POST', '/pets', { body: {} });
        expect(answer.status).toBe(500);
        expect(answer.json.detail).toMatch(/addPet cannot be served: [\s\S]*NewPett/);
      }
    } finally {
      await api.close();
    }
  });

  it('in lazy mode, a request refused by its security check compiles nothing of the operation: a schema that cannot compile shows only once a credential passes', async () => {
    const spec = {
      openapi: '3.0.3',
      info: { title: 'refused before compiled', version: '1' },
      components: { securitySchemes: { key: { type: 'apiKey', in: 'header', name: 'x-key' } } },
      security: [{ key: [] }],
      paths: {
        '/pets': {
          get: {
            operationId: 'listPets',
            parameters: [{ name: 'kind', in: 'query', schema: { $ref: '#/components/schemas/Missing' } }],
            responses: { '200': { description: 'ok' }, '401': { description: 'no key' } },
          },
        },
      },
    };
    const api = await start({ spec, handlers: { listPets: () => undefined }, security: { key: ({ credential }) => credential === 'k' }, compile: 'lazy' });
    try {
      expect((await api.request('GET', '/pets')).status).toBe(401);
      const refused = await api.request('GET', '/pets', { headers: { 'x-key': 'k' } });
      expect(refused.status).toBe(500);
      expect(refused.json.detail).toMatch(/listPets cannot be served: [\s\S]*Missing/);
      expect((await api.request('GET', '/pets')).status).toBe(401);
    } finally {
      await api.close();
    }
  });

  it('in lazy mode, compiles a response schema when that response is first sent: one that cannot compile refuses only that response', async () => {
    const spec = {
      openapi: '3.0.3',
      info: { title: 'broken error schema', version: '1' },
      paths: {
        '/pets': {
          get: {
            operationId: 'listPets',
            responses: {
              '200': { description: 'ok', content: { 'application/json': { schema: { type: 'array', items: { type: 'string' } } } } },
              '404': { description: 'none', content: { 'application/json': { schema: { $ref: '#/components/schemas/Missing' } } } },
            },
          },
        },
      },
    };
    let found = true;
    const handlers = { listPets: (_input: unknown, ctx: any) => (found ? ['rex'] : ctx.reply.notFound({ code: 1 })) };
    const api = await start({ spec, handlers, compile: 'lazy' });
    try {
      expect((await api.request('GET', '/pets')).json).toEqual(['rex']);
      found = false;
      const answer = await api.request('GET', '/pets');
      expect(answer.status).toBe(500);
      expect(answer.json.detail).toMatch(/cannot be checked: the schema at #\/paths\/~1pets\/get\/responses\/404\/content\/application~1json\/schema does not compile/);
    } finally {
      await api.close();
    }
    const eager: StartupError = await createServer({ spec, handlers, compile: 'eager', ...quiet }).catch((e) => e);
    expect(eager).toBeInstanceOf(StartupError);
    expect(eager.problems[0]).toMatchObject({ operationId: 'listPets', pointer: '/paths/~1pets/get/responses/404/content/application~1json/schema' });
  });

  it('refuses a security scheme that has no check', async () => {
    const error: StartupError = await createServer({
      spec: path.join(__dirname, '../fixtures/security/openapi.yaml'),
      handlers: { publicThing: () => ({}), keyedThing: () => ({}), eitherThing: () => ({}) },
      ...quiet,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(StartupError);
    expect(error.message).toContain('security scheme "apiKey" (apiKey in header "X-API-Key") has no check');
  });

  const STRIPE = path.join(SPECS, 'production/stripe-spec3.yaml');
  (existsSync(STRIPE) ? it : it.skip)("tells one line per unchecked scheme, with how many operations use it and the option to pass (Stripe's 468 operations made 936 lines)", async () => {
    const error: StartupError = await createServer({ spec: STRIPE, handlers: {}, missingHandlers: 'notImplemented', ...quiet }).catch((e) => e);
    expect(error).toBeInstanceOf(StartupError);
    expect(error.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/^security scheme "basicAuth" \(http basic\) has no check; 468 operation\(s\) require it, e\.g\. GET \/v1\/account \(GetAccount\)$/),
      expect.stringMatching(/^security scheme "bearerAuth" \(http bearer\) has no check; 468 operation\(s\) require it/),
    ]);
    expect(error.problems[0].fix).toMatch(/pass security: \{ "basicAuth": \(\{ username, password \}\) => principal \| false \} to createServer/);
    expect(error.message.split('\n')).toHaveLength(3);
  });

  (existsSync(STRIPE) ? it : it.skip)("missingHandlers: 'mock' serves it, handlers or not: an unchecked scheme asks only that a credential be present", async () => {
    let ran = 0;
    const api = await start({ spec: STRIPE, handlers: { GetAccount: () => (ran++, { id: 'acct_1', object: 'account' }) }, missingHandlers: 'mock', responseValidation: 'off' });
    try {
      expect((await api.request('GET', '/v1/account')).status).toBe(401);
      expect(ran).toBe(0);
      const account = await api.request('GET', '/v1/account', { headers: { authorization: 'Bearer anything' } });
      expect(account.json).toEqual({ id: 'acct_1', object: 'account' });
      expect(ran).toBe(1);
      expect((await api.request('GET', '/v1/balance', { headers: { authorization: 'Bearer anything' } })).status).toBe(200);
    } finally {
      await api.close();
    }
  });
});

describe('security requirements', () => {
  const seen: unknown[] = [];
  let api: Awaited<ReturnType<typeof start>>;
  let handlerRuns = 0;
  beforeAll(async () => {
    api = await start({
      spec: path.join(__dirname, '../fixtures/security/openapi.yaml'),
      handlers: {
        publicThing: () => ({}),
        keyedThing: (_input, ctx) => ({ principal: ctx.principal }),
        eitherThing: (_input, ctx) => {
          handlerRuns++;
          return { principal: ctx.principal };
        },
      },
      security: {
        apiKey: ({ credential }) => credential === 'good-key' && { user: 'key-user' },
        bearer: ({ credential, scopes }) => {
          seen.push(scopes);
          return credential === 'token-1' && { user: 'token-user' };
        },
        basic: ({ username, password }) => username === 'ann' && password === 'pw' && { user: 'ann' },
      },
    });
  });
  afterAll(() => api.close());

  it('lets public operations through and puts the principal on ctx', async () => {
    expect((await api.request('GET', '/public')).status).toBe(200);
    expect((await api.request('GET', '/keyed', { headers: { 'x-api-key': 'good-key' } })).json).toEqual({ principal: { user: 'key-user' } });
  });

  it('answers 401 for a missing and for a rejected credential', async () => {
    // /keyed declares its 401 without content, so the 401 carries no body, as declared.
    const missing = await api.request('GET', '/keyed');
    expect(missing.status).toBe(401);
    expect(missing.text).toBe('');
    // /either declares no 401: specbind's problem+json says what was wrong.
    const wrong = await api.request('POST', '/either', { headers: { 'x-api-key': 'bad', authorization: 'Bearer nope' }, body: {} });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('content-type')).toBe('application/problem+json');
    expect(wrong.json.detail).toContain('rejected');
  });

  it('accepts any one alternative (OR) and needs every scheme of it (AND), passing scopes', async () => {
    const bearer = await api.request('POST', '/either', { headers: { authorization: 'Bearer token-1' }, body: {} });
    expect(bearer.json).toEqual({ principal: { user: 'token-user' } });
    expect(seen).toContainEqual(['write']);
    const basicAuth = 'Basic ' + Buffer.from('ann:pw').toString('base64');
    const keyOnly = await api.request('POST', '/either', { headers: { 'x-api-key': 'good-key' }, body: {} });
    expect(keyOnly.status).toBe(401);
    const both = await api.request('POST', '/either', { headers: { 'x-api-key': 'good-key', authorization: basicAuth }, body: {} });
    expect(both.json).toEqual({ principal: { apiKey: { user: 'key-user' }, basic: { user: 'ann' } } });
  });

  it('challenges with WWW-Authenticate for http schemes, before reading the body', async () => {
    handlerRuns = 0;
    const answer = await api.request('POST', '/either', { raw: '{not json', headers: { 'content-type': 'application/json' } });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toContain('Bearer');
    expect(handlerRuns).toBe(0);
  });
});
