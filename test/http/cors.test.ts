// The `cors` option over real sockets, as a browser's requests reach the server: preflights answered
// from the document (never a 405, never a handler, no API key), every answer to an allowed origin
// marked (specbind's own 400, 401, 404, 405, 413 and 500 too, and streamed ones), a disallowed origin
// and a request without Origin left alone; through the standalone server, Express, server.fetch and fastify.
import * as path from 'node:path';
import { Readable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { createServer, HttpError, StartupError, type CreateServerOptions, type SpecbindServer } from '../../src';

const SPEC = path.join(__dirname, '../fixtures/cors/openapi.yaml');
const ALLOWED = 'https://app.example.test';
const OTHER = 'https://evil.example.test';
const KEY = 'secret-key';

/** One way of serving the API: a request in, the server's Response out. */
interface Target {
  name: string;
  call(method: string, route: string, headers?: Record<string, string>, body?: string): Promise<Response>;
  close(): Promise<void>;
}

const calls: Record<string, number> = {};
const count = (operationId: string) => (calls[operationId] = (calls[operationId] ?? 0) + 1);

function options(extra: Partial<CreateServerOptions> = {}): CreateServerOptions {
  return {
    spec: SPEC,
    logger: { level: 'silent' },
    bodyLimit: 200,
    security: {
      apiKey: ({ credential }) => credential === KEY,
      bearer: ({ credential }) => credential === 'token',
    },
    handlers: {
      listPets: (_input, ctx) => (count('listPets'), ctx.reply.ok([{ id: 1, name: 'Rex' }], { headers: { 'X-Rate-Limit-Remaining': '9' } })),
      createPet: (input: any) => (count('createPet'), { id: 2, name: input.body.name }),
      petsOptions: () => (count('petsOptions'), undefined),
      myPets: () => (count('myPets'), []),
      getPet: (input: any) => {
        count('getPet');
        if (input.id !== 1) throw new HttpError(404, 'no such pet');
        return { id: 1, name: 'Rex' };
      },
      deletePet: () => (count('deletePet'), undefined),
      streamText: () => Readable.from(['a stream ', 'of text']),
      events: () => [{ data: 'one' }],
      varied: (_input, ctx) => ctx.reply.ok({ varied: true }, { headers: { Vary: 'Accept' } }),
      broken: () => {
        throw new Error('the handler broke');
      },
    },
    cors: { origins: [ALLOWED], credentials: true, maxAge: 600, exposedHeaders: ['X-Extra'] },
    ...extra,
  };
}

async function standalone(server: SpecbindServer): Promise<Target> {
  const { url, close } = await server.listen(0, '127.0.0.1');
  return { name: 'standalone node:http', call: (method, route, headers, body) => fetch(url + route, { method, headers, body }), close };
}

async function mounted(server: SpecbindServer): Promise<Target> {
  const outer = express();
  outer.use('/api', server.app);
  const listener = outer.listen(0, '127.0.0.1');
  await new Promise((resolve) => listener.once('listening', resolve));
  const base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/api`;
  return {
    name: 'Express-mounted (server.app)',
    call: (method, route, headers, body) => fetch(base + route, { method, headers, body }),
    close: () => new Promise((resolve) => listener.close(() => resolve())),
  };
}

async function fastifyTarget(server: SpecbindServer): Promise<Target> {
  const app = Fastify();
  await app.register(server.fastify, { prefix: '/api' });
  const base = `${await app.listen({ port: 0, host: '127.0.0.1' })}/api`;
  return { name: 'fastify (server.fastify)', call: (method, route, headers, body) => fetch(base + route, { method, headers, body }), close: () => app.close() };
}

async function fetchTarget(server: SpecbindServer): Promise<Target> {
  return {
    name: 'server.fetch',
    call: (method, route, headers, body) => server.fetch(new Request(`http://api.test${route}`, { method, headers, body })),
    close: async () => undefined,
  };
}

const preflight = (origin: string, method: string, requestHeaders?: string) => ({
  origin,
  'access-control-request-method': method,
  ...(requestHeaders ? { 'access-control-request-headers': requestHeaders } : {}),
});

const corsHeaders = (response: Response) =>
  [...response.headers.keys()].filter((name) => name.startsWith('access-control-') || (name === 'vary' && /origin/i.test(response.headers.get('vary')!)));

const list = (value: string | null) => (value ?? '').split(',').map((v) => v.trim().toLowerCase()).filter(Boolean).sort();

describe.each([
  ['standalone node:http', standalone],
  ['Express-mounted (server.app)', mounted],
  ['server.fetch', fetchTarget],
  ['fastify (server.fastify)', fastifyTarget],
])('CORS through %s', (_name, make) => {
  let target: Target;

  beforeAll(async () => {
    target = await make(await createServer(options()));
  });
  afterAll(() => target.close());

  it('answers a preflight 204 with the methods and headers the path declares, before security and without a handler', async () => {
    const before = { ...calls };
    const response = await target.call('OPTIONS', '/pets', preflight(ALLOWED, 'POST', 'content-type,x-api-key,x-tenant,traceparent'));
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS, POST');
    expect(list(response.headers.get('access-control-allow-headers'))).toEqual(
      expect.arrayContaining(['content-type', 'x-api-key', 'x-tenant', 'x-trace-note', 'traceparent', 'tracestate']),
    );
    expect(response.headers.get('access-control-max-age')).toBe('600');
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('vary')).toBe('Origin');
    // The document declares OPTIONS /pets: the preflight still never reaches its handler.
    expect(calls).toEqual(before);
  });

  it('never answers a preflight 405: a method the path does not declare gets the path\'s methods, which the browser refuses', async () => {
    const response = await target.call('OPTIONS', '/pets/1', preflight(ALLOWED, 'PUT'));
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-methods')).toBe('DELETE, GET, HEAD');
    expect(response.headers.get('allow')).toBeNull();
  });

  it('answers for the path the actual request would reach: DELETE /pets/mine is /pets/{id}\'s', async () => {
    const get = await target.call('OPTIONS', '/pets/mine', preflight(ALLOWED, 'GET', 'authorization'));
    expect(get.headers.get('access-control-allow-methods')).toBe('GET, HEAD');
    expect(list(get.headers.get('access-control-allow-headers'))).toContain('authorization');
    const del = await target.call('OPTIONS', '/pets/mine', preflight(ALLOWED, 'DELETE'));
    expect(del.status).toBe(204);
    expect(del.headers.get('access-control-allow-methods')).toBe('DELETE, GET, HEAD');
  });

  it('answers a preflight from an origin not allowed 403, and one to an undeclared path 404, both without CORS headers', async () => {
    const refused = await target.call('OPTIONS', '/pets', preflight(OTHER, 'GET'));
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(((await refused.json()) as { detail: string }).detail).toContain(OTHER);
    expect(corsHeaders(refused)).toEqual([]);
    const nowhere = await target.call('OPTIONS', '/nowhere', preflight(ALLOWED, 'GET'));
    expect(nowhere.status).toBe(404);
    expect(corsHeaders(nowhere)).toEqual([]);
  });

  it('marks an allowed origin\'s answers: Allow-Origin, credentials, Vary, and the exposed headers', async () => {
    const response = await target.call('GET', '/pets', { origin: ALLOWED, 'x-api-key': KEY });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('vary')).toBe('Origin');
    expect(list(response.headers.get('access-control-expose-headers'))).toEqual(['www-authenticate', 'x-extra', 'x-rate-limit-remaining', 'x-request-id']);
    expect(response.headers.get('access-control-allow-methods')).toBeNull();
  });

  it.each([
    ['401 (no API key)', 'GET', '/pets', {}, undefined, 401],
    ['400 (invalid query)', 'GET', '/pets?limit=many', { 'x-api-key': KEY }, undefined, 400],
    ['404 (unknown path)', 'GET', '/nowhere', {}, undefined, 404],
    ['404 (declared, shaped by the document)', 'GET', '/pets/7', { 'x-api-key': KEY }, undefined, 404],
    ['405 (undeclared method)', 'PUT', '/pets', {}, undefined, 405],
    ['413 (body over the limit)', 'POST', '/pets', { 'x-api-key': KEY, 'content-type': 'application/json' }, JSON.stringify({ name: 'x'.repeat(500) }), 413],
    ['415 (undeclared content type)', 'POST', '/pets', { 'x-api-key': KEY, 'content-type': 'text/plain' }, 'Rex', 415],
    ['500 (handler throws)', 'GET', '/public/broken', {}, undefined, 500],
    ['200 (a builtin: /healthz)', 'GET', '/healthz', {}, undefined, 200],
  ])('marks specbind\'s own answers to an allowed origin: %s', async (_case, method, route, headers, body, status) => {
    const response = await target.call(method, route, { origin: ALLOWED, ...headers }, body);
    expect(response.status).toBe(status);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
    expect(response.headers.get('access-control-expose-headers')).toMatch(/X-Request-Id/);
    await response.arrayBuffer();
  });

  it('marks a streamed answer, and merges Vary with the handler\'s', async () => {
    const streamed = await target.call('GET', '/public/stream', { origin: ALLOWED });
    expect(streamed.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(await streamed.text()).toBe('a stream of text');
    const varied = await target.call('GET', '/public/varied', { origin: ALLOWED });
    expect(varied.status).toBe(200);
    expect(varied.headers.get('vary')).toBe('Accept, Origin');
    expect(varied.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  it('leaves answers to another origin, and to requests without Origin, without CORS headers', async () => {
    for (const headers of [{ origin: OTHER, 'x-api-key': KEY }, { 'x-api-key': KEY }] as Array<Record<string, string>>) {
      const ok = await target.call('GET', '/pets', headers);
      expect(ok.status).toBe(200);
      expect(corsHeaders(ok)).toEqual([]);
      expect(ok.headers.get('vary')).toBeNull();
      const varied = await target.call('GET', '/public/varied', headers);
      expect(varied.headers.get('vary')).toBe('Accept');
    }
    const unauthorized = await target.call('GET', '/pets', { origin: OTHER });
    expect(unauthorized.status).toBe(401);
    expect(corsHeaders(unauthorized)).toEqual([]);
  });

  it('routes an OPTIONS that is no preflight (no Access-Control-Request-Method) as any request', async () => {
    const before = calls.petsOptions ?? 0;
    const response = await target.call('OPTIONS', '/pets', { origin: ALLOWED });
    expect(response.status).toBe(200);
    expect(calls.petsOptions).toBe(before + 1);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    const undeclared = await target.call('OPTIONS', '/pets/1', { origin: ALLOWED });
    expect(undeclared.status).toBe(405);
  });
});

describe('the cors option', () => {
  it('is off when absent: a preflight is routed as any OPTIONS (405 here), no answer carries CORS headers', async () => {
    const target = await standalone(await createServer(options({ cors: undefined })));
    try {
      const pre = await target.call('OPTIONS', '/pets/1', preflight(ALLOWED, 'GET'));
      expect(pre.status).toBe(405);
      expect(corsHeaders(pre)).toEqual([]);
      const get = await target.call('GET', '/pets', { origin: ALLOWED, 'x-api-key': KEY });
      expect(corsHeaders(get)).toEqual([]);
    } finally {
      await target.close();
    }
  });

  it("with '*' and credentials reflects each origin, never '*'; without credentials answers '*'", async () => {
    const credentialed = await standalone(await createServer(options({ cors: { origins: '*', credentials: true } })));
    const open = await standalone(await createServer(options({ cors: { origins: ['*'] } })));
    try {
      const a = await credentialed.call('GET', '/public/varied', { origin: OTHER });
      expect(a.headers.get('access-control-allow-origin')).toBe(OTHER);
      expect(a.headers.get('access-control-allow-credentials')).toBe('true');
      expect(a.headers.get('vary')).toBe('Accept, Origin');
      const pre = await credentialed.call('OPTIONS', '/pets', preflight(OTHER, 'POST'));
      expect(pre.headers.get('access-control-allow-origin')).toBe(OTHER);
      const b = await open.call('GET', '/public/varied', { origin: OTHER });
      expect(b.headers.get('access-control-allow-origin')).toBe('*');
      expect(b.headers.get('access-control-allow-credentials')).toBeNull();
      // Origin in Vary with '*' too: the same URL without an Origin is answered without CORS headers.
      expect(b.headers.get('vary')).toBe('Accept, Origin');
    } finally {
      await credentialed.close();
      await open.close();
    }
  });

  it('decides by a function of the origin', async () => {
    const target = await standalone(await createServer(options({ cors: { origins: (origin) => origin.endsWith('.example.test') && origin.startsWith('https://app') } })));
    try {
      expect((await target.call('GET', '/healthz', { origin: ALLOWED })).headers.get('access-control-allow-origin')).toBe(ALLOWED);
      expect((await target.call('GET', '/healthz', { origin: OTHER })).headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await target.close();
    }
  });

  it('answers preflights of a deferred document (500 operations and more), read from the document', async () => {
    const paths: Record<string, unknown> = {};
    for (let i = 0; i < 520; i++) {
      paths[`/r${i}/{id}`] = {
        parameters: [{ $ref: '#/components/parameters/Id' }],
        get: { operationId: `get${i}`, parameters: [{ name: 'X-Version', in: 'header', schema: { type: 'string' } }], responses: { '200': { description: 'ok' } } },
        put: { operationId: `put${i}`, requestBody: { content: { 'application/json': { schema: { type: 'object' } } } }, responses: { '204': { description: 'done' } } },
      };
    }
    const document = {
      openapi: '3.0.3',
      info: { title: 'many', version: '1' },
      security: [{ key: [] }],
      paths,
      components: { parameters: { Id: { name: 'id', in: 'path', required: true, schema: { type: 'string' } } }, securitySchemes: { key: { type: 'apiKey', in: 'header', name: 'X-Key' } } },
    };
    const server = await createServer({ spec: document, handlers: {}, missingHandlers: 'notImplemented', security: { key: () => true }, logger: { level: 'silent' }, cors: { origins: [ALLOWED] } });
    const target = await standalone(server);
    try {
      const response = await target.call('OPTIONS', '/r517/x', preflight(ALLOWED, 'PUT'));
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-methods')).toBe('GET, HEAD, PUT');
      expect(list(response.headers.get('access-control-allow-headers'))).toEqual(expect.arrayContaining(['x-version', 'x-key', 'content-type']));
    } finally {
      await target.close();
    }
  });

  it('of the wrong type stops startup, saying what is expected', async () => {
    const attempt = createServer(options({ cors: { origins: 42 as any } }));
    await expect(attempt).rejects.toBeInstanceOf(StartupError);
    await expect(createServer(options({ cors: { origins: 42 as any } }))).rejects.toThrow(/cors.origins must be a list of origins, '\*' or a function \(got number 42\)/);
  });
});
