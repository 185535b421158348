// One conformance suite for every adapter (hono's habit, STYLE principle 2): the same document, the
// same handlers, the same requests and the same expected answers over HTTP, whichever adapter carries
// them. An adapter that fails a case fails the suite. Runtimes other than this Node (Bun, Deno) run the
// bundled API through their own servers in test/runtimes/.
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { createServer, type CreateServerOptions, type Handler, streamBody } from '../../src';
import { parseSse } from '../helpers/sse';

const SPEC = path.join(__dirname, '../fixtures/conformance/openapi.yaml');

const handlers: Record<string, Handler> = {
  getPet: (input, ctx) => (input.petId === 404 ? ctx.reply.noPet() : { petId: input.petId, verbose: input.verbose, xTrace: input.xTrace ?? null, session: input.session ?? null }),
  addPet: (input, ctx) => ctx.reply.created(input.body, { headers: { Location: `/pets/${input.body.id}` } }),
  broken: () => ({ id: 'not a number' }),
  secret: (_input, ctx) => ({ principal: ctx.principal }),
  file: () => Readable.from([Buffer.from('bytes, '), Buffer.from('streamed')]),
  events: () => [{ data: { n: 1 } }, { event: 'last', data: { n: 2 } }],
  upload: (input) => ({ filename: input.body.file.filename, text: input.body.file.content.toString(), note: input.body.note }),
  artifact: streamBody(async (input) => {
    let size = 0;
    for await (const chunk of input.body as AsyncIterable<Buffer>) size += chunk.length;
    return { size };
  }),
  forever: (_input, ctx) =>
    (async function* () {
      try {
        for (let n = 0; ; n++) {
          yield { data: { n } };
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      } finally {
        closedSources.push(ctx.requestId);
      }
    })(),
};

/** Request ids of the `forever` streams whose source was closed (the client went away). */
const closedSources: string[] = [];

const options: CreateServerOptions = {
  spec: SPEC,
  handlers,
  security: { key: ({ credential }) => credential === 'k' && { holder: 'k' } },
  bodyLimit: 1000,
  logger: { level: 'silent' },
};

interface Target {
  url: string;
  close(): Promise<void>;
}

function listening(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

function closing(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * A Fetch runtime's server, played by node:http: each request becomes a web Request (its signal aborted
 * when the client goes away), the web Response is written back. It carries `server.fetch` under this
 * Node; test/runtimes/ runs it under Bun.serve and Deno.serve.
 */
async function fetchBridge(fetchHandler: (request: Request) => Response | Promise<Response>, prefix = ''): Promise<Target> {
  const bridge = createHttpServer(async (req, res) => {
    const aborter = new AbortController();
    res.on('close', () => res.writableFinished || aborter.abort());
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    const withBody = req.method !== 'GET' && req.method !== 'HEAD';
    const request = new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers, body: withBody ? (Readable.toWeb(req) as ReadableStream) : undefined, signal: aborter.signal, duplex: 'half' } as RequestInit);
    const response = await fetchHandler(request);
    res.writeHead(response.status, [...response.headers].flat());
    if (response.body) Readable.fromWeb(response.body as import('node:stream/web').ReadableStream).on('error', () => res.destroy()).pipe(res);
    else res.end();
  });
  return { url: (await listening(bridge)) + prefix, close: () => closing(bridge) };
}

const ADAPTERS: Array<[string, () => Promise<Target>]> = [
  [
    'node:http (server.listen)',
    async () => {
      const server = await createServer(options);
      const { url, close } = await server.listen(0, '127.0.0.1');
      return { url, close };
    },
  ],
  [
    'node:http (server.handler)',
    async () => {
      const server = await createServer(options);
      const http = createHttpServer(server.handler);
      return { url: await listening(http), close: () => closing(http) };
    },
  ],
  [
    'Express 5 (server.app)',
    async () => {
      const server = await createServer(options);
      const outer = express();
      outer.use(server.app);
      const http = createHttpServer(outer);
      return { url: await listening(http), close: () => closing(http) };
    },
  ],
  ['Fetch (server.fetch)', async () => fetchBridge((await createServer(options)).fetch)],
  [
    "Hono (app.mount('/api', server.fetch))",
    async () => {
      const server = await createServer(options);
      const app = new Hono();
      app.get('/own', (c) => c.text('hono'));
      app.mount('/api', server.fetch);
      return fetchBridge(app.fetch, '/api');
    },
  ],
  [
    'fastify (app.register(server.fastify))',
    async () => {
      const server = await createServer(options);
      const app = Fastify();
      await app.register(server.fastify);
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      return { url, close: () => app.close() };
    },
  ],
];

describe.each(ADAPTERS)('%s', (_name, start) => {
  let target: Target;
  beforeAll(async () => {
    target = await start();
  });
  afterAll(() => target.close());
  const call = (route: string, init: RequestInit = {}) => fetch(target.url + route, init);

  it('binds every parameter location, coerced, defaults applied', async () => {
    const answer = await call('/pets/7?verbose=true', { headers: { 'x-trace': 't-1', cookie: 'session=s-1' } });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ petId: 7, verbose: true, xTrace: 't-1', session: 's-1' });
    expect(await (await call('/pets/8')).json()).toEqual({ petId: 8, verbose: false, xTrace: null, session: null });
  });

  it('answers 400 with every violation, 404 for an unknown path, 405 with Allow, 406 for an Accept nothing satisfies', async () => {
    const invalid = await call('/pets/seven?verbose=maybe');
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('content-type')).toBe('application/problem+json');
    expect(((await invalid.json()) as { errors: Array<{ name: string }> }).errors.map((e) => e.name).sort()).toEqual(['petId', 'verbose']);
    expect((await call('/nowhere')).status).toBe(404);
    const method = await call('/pets/7', { method: 'DELETE' });
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('GET, HEAD');
    expect((await call('/pets/7', { headers: { accept: 'text/csv' } })).status).toBe(406);
  });

  it('reads a JSON body: 201 with its declared header; malformed 400, undeclared type 415, over the limit 413', async () => {
    const json = { 'content-type': 'application/json' };
    const created = await call('/pets', { method: 'POST', headers: json, body: JSON.stringify({ id: 3, name: 'Rex' }) });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/pets/3');
    expect(await created.json()).toEqual({ id: 3, name: 'Rex' });
    expect((await call('/pets', { method: 'POST', headers: json, body: '{"id":' })).status).toBe(400);
    expect((await call('/pets', { method: 'POST', headers: json, body: JSON.stringify({ id: 3, name: '' }) })).status).toBe(400);
    expect((await call('/pets', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'Rex' })).status).toBe(415);
    expect((await call('/pets', { method: 'POST', headers: json, body: JSON.stringify({ id: 3, name: 'x'.repeat(2000) }) })).status).toBe(413);
  });

  it('sends named replies, holds responses to the document (strict: a 500 naming the operation), echoes the request id', async () => {
    const named = await call('/pets/404');
    expect(named.status).toBe(404);
    expect(named.headers.get('content-type')).toBe('application/problem+json');
    const broken = await call('/broken');
    expect(broken.status).toBe(500);
    expect(((await broken.json()) as { detail: string }).detail).toMatch(/broken.*body \/id must be integer/);
    const echoed = await call('/pets/7', { headers: { 'x-request-id': 'conformance-1' } });
    expect(echoed.headers.get('x-request-id')).toBe('conformance-1');
    expect((await call('/pets/7')).headers.get('x-request-id')).toMatch(/^[0-9a-z]{8,12}$/);
  });

  it('checks security before the handler: 401 without a credential, the principal with one', async () => {
    expect((await call('/secret')).status).toBe(401);
    expect(await (await call('/secret', { headers: { 'x-key': 'k' } })).json()).toEqual({ principal: { holder: 'k' } });
  });

  it('streams bytes and server-sent events; HEAD answers headers only', async () => {
    const file = await call('/file');
    expect(file.headers.get('content-type')).toBe('application/octet-stream');
    expect(await file.text()).toBe('bytes, streamed');
    const events = await call('/events');
    expect(events.headers.get('content-type')).toBe('text/event-stream');
    expect(events.headers.get('cache-control')).toBe('no-cache');
    expect(parseSse(await events.text())).toEqual([{ data: '{"n":1}' }, { event: 'last', data: '{"n":2}' }]);
    const head = await call('/pets/7', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('reads multipart bodies, and a streamed upload past bodyLimit', async () => {
    const form = new FormData();
    form.append('file', new Blob(['file text'], { type: 'text/plain' }), 'a.txt');
    form.append('note', 'hello');
    expect(await (await call('/upload', { method: 'POST', body: form })).json()).toEqual({ filename: 'a.txt', text: 'file text', note: 'hello' });
    const big = Buffer.alloc(200_000, 1);
    const upload = await call('/artifact', { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: big });
    expect(await upload.json()).toEqual({ size: big.length });
  });

  it("closes a stream's source when the client goes away", async () => {
    const id = `gone-${Math.random().toString(36).slice(2)}`;
    const controller = new AbortController();
    const answer = await call('/forever', { headers: { 'x-request-id': id }, signal: controller.signal });
    await answer.body!.getReader().read();
    controller.abort();
    for (let i = 0; i < 100 && !closedSources.includes(id); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closedSources).toContain(id);
  });

  it('serves the document and its health endpoints', async () => {
    expect(((await (await call('/openapi.json')).json()) as { info: { title: string } }).info.title).toBe('adapter conformance');
    expect((await call('/healthz')).status).toBe(200);
  });
});

describe('fastify: mounted under a prefix beside the app\'s own routes', () => {
  it('serves the document under the prefix, leaves the app\'s routes and body parsing alone', async () => {
    const server = await createServer(options);
    const app = Fastify();
    app.post('/own', async (request) => ({ parsedByFastify: request.body }));
    await app.register(server.fastify, { prefix: '/api' });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect(await (await fetch(`${url}/api/pets/7`)).json()).toEqual({ petId: 7, verbose: false, xTrace: null, session: null });
      const created = await fetch(`${url}/api/pets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 1, name: 'Rex' }) });
      expect(created.status).toBe(201);
      expect((await fetch(`${url}/api/pets/7`, { method: 'DELETE' })).headers.get('allow')).toBe('GET, HEAD');
      expect(((await (await fetch(`${url}/api/openapi.json`)).json()) as { info: { title: string } }).info.title).toBe('adapter conformance');
      expect(await (await fetch(`${url}/own`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' })).json()).toEqual({ parsedByFastify: { a: 1 } });
      expect((await fetch(`${url}/pets/7`)).status).toBe(404);
    } finally {
      await app.close();
    }
  });
});

describe("Hono: app.mount('/api', server.fetch) beside the app's own routes", () => {
  it('serves the document under the mount path, and leaves the app\'s routes to Hono', async () => {
    const server = await createServer(options);
    const app = new Hono();
    app.post('/own', async (c) => c.json({ parsedByHono: await c.req.json() }));
    app.mount('/api', server.fetch);
    const target = await fetchBridge(app.fetch);
    try {
      expect(await (await fetch(`${target.url}/api/pets/7`)).json()).toEqual({ petId: 7, verbose: false, xTrace: null, session: null });
      expect((await fetch(`${target.url}/api/pets/7`, { method: 'DELETE' })).headers.get('allow')).toBe('GET, HEAD');
      expect(((await (await fetch(`${target.url}/api/openapi.json`)).json()) as { info: { title: string } }).info.title).toBe('adapter conformance');
      expect(await (await fetch(`${target.url}/own`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' })).json()).toEqual({ parsedByHono: { a: 1 } });
      // Outside the mount path Hono answers, not specbind.
      expect((await fetch(`${target.url}/pets/7`)).status).toBe(404);
    } finally {
      await target.close();
    }
  });
});
