// The request path end to end on a fixture document: routing, binding, replies, response validation.
import * as net from 'node:net';
import * as path from 'node:path';
import { HttpError, type Handler } from '../../src';
import { start, type Started } from '../helpers/server';

const SPEC = path.join(__dirname, '../fixtures/core/openapi.yaml');

function makeHandlers(calls: string[]): Record<string, Handler> {
  const items = new Map<number, { id: number; name: string; price?: number; secret?: string }>();
  return {
    listItems: (input) => {
      calls.push('listItems');
      return { items: [...items.values()], input };
    },
    createItem: (input, ctx) => {
      calls.push('createItem');
      const body = input.body as { name: string; price?: number; secret?: string };
      if ([...items.values()].some((i) => i.name === body.name)) return ctx.reply.alreadyExists();
      const item = { id: items.size + 1, ...body };
      items.set(item.id, item);
      const { secret, ...visible } = item;
      return ctx.reply.created(body.name === 'leaky' ? item : visible, { headers: { Location: `/api/v1/items/${item.id}` } });
    },
    getItem: (input) => {
      calls.push('getItem');
      const item = items.get(input.itemId as number);
      if (!item) throw new HttpError('noSuchItem', `item ${input.itemId} does not exist`);
      const { secret, ...visible } = item;
      return visible;
    },
    deleteItem: (input) => {
      if (!items.delete(input.itemId as number)) throw new HttpError(404, 'nothing to delete');
      return undefined;
    },
    patchItem: (input, ctx) => {
      const item = items.get(input.itemId as number);
      if (!item) return ctx.reply.cannotPatch(undefined);
      Object.assign(item, input.body);
      return { id: item.id, name: item.name };
    },
    pickOne: (input, ctx) => {
      switch (input.which) {
        case 'ok':
          return ctx.reply.ok({ picked: 'ok' });
        case 'accepted':
          return ctx.reply.accepted({ queued: true });
        case 'plain':
          return { picked: 'plain' };
        case 'teapot':
          throw new HttpError(418, 'short and stout');
        case 'undeclared-type':
          return ctx.reply.ok({ picked: 'x' }, { contentType: 'text/csv' });
        case 'wrong-error-body':
          throw new HttpError('badRequest', 'custom error schema, but a problem body was sent');
        default:
          return ctx.reply.badRequest({ code: 'bogus', message: 'bogus choice' });
      }
    },
    getNotes: () => ['first', 'second'],
    boom: () => {
      throw new Error('database password is hunter2');
    },
  };
}

describe('the runtime core on a real server', () => {
  let api: Started;
  const calls: string[] = [];

  beforeAll(async () => {
    api = await start({ spec: SPEC, handlers: makeHandlers(calls), missingHandlers: 'notImplemented' });
  });
  afterAll(() => api.close());

  describe('routing', () => {
    it('serves under the base path taken from servers[0].url', async () => {
      expect((await api.request('GET', '/api/v1/items')).status).toBe(200);
      const outside = await api.request('GET', '/items');
      expect(outside.status).toBe(404);
      expect(outside.headers.get('content-type')).toBe('application/problem+json');
      expect(outside.json).toMatchObject({ status: 404, title: 'Not Found', instance: '/items' });
    });

    it('answers 405 with Allow for a known path and an undeclared method', async () => {
      const answer = await api.request('PUT', '/api/v1/items/1');
      expect(answer.status).toBe(405);
      expect(answer.headers.get('allow')).toBe('DELETE, GET, HEAD, PATCH');
      expect(answer.json.status).toBe(405);
    });

    it('answers 501 naming the operation when it has no handler and notImplemented is allowed', async () => {
      const answer = await api.request('GET', '/api/v1/unhandled');
      expect(answer.status).toBe(501);
      expect(answer.json.detail).toContain('notWrittenYet');
    });

    it('serves HEAD for GET operations without a body', async () => {
      const answer = await api.request('HEAD', '/api/v1/items');
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('application/json');
      expect(answer.text).toBe('');
    });

    it('echoes X-Request-Id, or makes one', async () => {
      expect((await api.request('GET', '/api/v1/items', { headers: { 'X-Request-Id': 'abc-123' } })).headers.get('x-request-id')).toBe('abc-123');
      const made = [0, 1, 2].map(() => api.request('GET', '/api/v1/items'));
      const ids = (await Promise.all(made)).map((answer) => answer.headers.get('x-request-id'));
      for (const id of ids) expect(id).toMatch(/^[0-9a-z]{8,12}$/);
      expect(new Set(ids).size).toBe(3);
    });
  });

  describe('parameters', () => {
    it('binds camelCased names coerced to their schema types, with defaults', async () => {
      const answer = await api.request('GET', '/api/v1/items?tag=a&tag=b&ids=1,2,3&ratio=1e3&active=false', {
        headers: { 'X-Trace-Id': 't-1', cookie: 'other=1; session-token=s3cr3t' },
      });
      expect(answer.status).toBe(200);
      expect(answer.json.input).toEqual({ limit: 10, tag: ['a', 'b'], ids: [1, 2, 3], ratio: 1000, active: false, xTraceId: 't-1', sessionToken: 's3cr3t' });
    });

    it('rejects every bad parameter in one 400 problem, and the handler never runs', async () => {
      calls.length = 0;
      const answer = await api.request('GET', '/api/v1/items?limit=0.5&ids=1,x&active=yes&ratio=');
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      const names = answer.json.errors.map((e: any) => `${e.in}:${e.name}`);
      expect(names).toEqual(expect.arrayContaining(['query:limit', 'query:ids', 'query:active', 'query:ratio']));
      expect(answer.json.errors.find((e: any) => e.name === 'ids').pointer).toBe('/1');
      expect(calls).toEqual([]);
    });

    it('rejects a path parameter of the wrong type, and decodes percent-encoding once', async () => {
      const answer = await api.request('GET', '/api/v1/items/abc');
      expect(answer.status).toBe(400);
      expect(answer.json.errors[0]).toMatchObject({ in: 'path', name: 'item-id' });
      expect((await api.request('GET', '/api/v1/items/%31')).status).toBe(404); // "1" decoded: valid, but absent
    });

    it('answers a bad percent-encoding with 400, never 500', async () => {
      const answer = await api.request('GET', '/api/v1/items?tag=%E0%A4%A');
      expect(answer.status).toBe(400);
      expect(answer.json.errors[0]).toMatchObject({ in: 'query', name: 'tag', message: 'is not valid percent-encoding' });
    });
  });

  describe('bodies', () => {
    it('validates a JSON body and lists every violation by JSON pointer', async () => {
      const answer = await api.request('POST', '/api/v1/items', { body: { name: '', price: -1, colour: 'red' } });
      expect(answer.status).toBe(400);
      const pointers = answer.json.errors.map((e: any) => e.pointer).sort();
      expect(pointers).toEqual(['/colour', '/name', '/price']);
      expect(answer.json.errors.every((e: any) => e.in === 'body')).toBe(true);
    });

    it('reads a JSON body that arrives in several pieces', async () => {
      const { port } = new URL(api.url);
      const socket = net.connect(Number(port), '127.0.0.1');
      try {
        let received = '';
        socket.on('data', (chunk) => (received += chunk));
        const body = JSON.stringify({ name: 'kettle in pieces', price: 12 });
        socket.write(`POST /api/v1/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`);
        // Three writes far enough apart that the server reads three chunks.
        for (const piece of [body.slice(0, 5), body.slice(5, 12), body.slice(12)]) {
          await new Promise((resolve) => setTimeout(resolve, 30));
          socket.write(piece);
        }
        await new Promise((resolve) => socket.on('close', resolve));
        expect(received).toMatch(/^HTTP\/1\.1 201/);
        expect(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4))).toMatchObject({ name: 'kettle in pieces', price: 12 });
      } finally {
        socket.destroy();
      }
    });

    it('requires a required body', async () => {
      const answer = await api.request('POST', '/api/v1/items');
      expect(answer.status).toBe(400);
      expect(answer.json.errors).toEqual([{ in: 'body', pointer: '', message: 'is required' }]);
    });

    it('answers malformed JSON with 400', async () => {
      const answer = await api.request('POST', '/api/v1/items', { raw: '{"name": "a",', headers: { 'content-type': 'application/json' } });
      expect(answer.status).toBe(400);
      expect(answer.json.title).toBe('Malformed request body');
    });

    it('answers an undeclared content type with 415', async () => {
      const answer = await api.request('POST', '/api/v1/items', { raw: 'name=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(answer.status).toBe(415);
      expect(answer.json.detail).toContain('application/json');
    });

    it('answers a body over the limit with 413', async () => {
      const small = await start({ spec: SPEC, handlers: makeHandlers([]), missingHandlers: 'notImplemented', bodyLimit: 64 });
      try {
        const answer = await small.request('POST', '/api/v1/items', { body: { name: 'x'.repeat(100) } });
        expect(answer.status).toBe(413);
        expect(answer.headers.get('content-type')).toBe('application/problem+json');
      } finally {
        await small.close();
      }
    });

    it('stops reading a body that passes the limit: the 413 closes the connection', async () => {
      const small = await start({ spec: SPEC, handlers: makeHandlers([]), missingHandlers: 'notImplemented', bodyLimit: 1024 });
      const { port } = new URL(small.url);
      const socket = net.connect(Number(port), '127.0.0.1');
      try {
        const answer = await new Promise<string>((resolve, reject) => {
          let received = '';
          socket.on('data', (chunk) => (received += chunk));
          socket.on('close', () => resolve(received));
          socket.on('error', reject);
          // A chunked body that would never end: 4 KiB now, and nothing more.
          socket.write('POST /api/v1/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
          socket.write(`1000\r\n${'x'.repeat(4096)}\r\n`);
        });
        expect(answer).toMatch(/^HTTP\/1\.1 413/);
        expect(answer.toLowerCase()).toContain('connection: close');
      } finally {
        socket.destroy();
        await small.close();
      }
    });

    it('lingers after a 413: a client that sends its whole upload at once gets no write error and reads the answer', async () => {
      // A server that closed right after its answer would have the kernel reset the connection at the
      // bytes still arriving: the client's write fails (EPIPE), and clients busy writing then never
      // read the 413 (node's http client among them). The server reads on until the client closes.
      const small = await start({ spec: SPEC, handlers: makeHandlers([]), missingHandlers: 'notImplemented', bodyLimit: 1024 });
      const { port } = new URL(small.url);
      const socket = net.connect(Number(port), '127.0.0.1');
      const size = 4 * 1024 * 1024;
      try {
        let received = '';
        socket.on('data', (chunk) => (received += chunk));
        const closed = new Promise((resolve) => socket.on('close', resolve));
        const socketError = new Promise<string>((resolve) => socket.on('error', (error) => resolve(error.message)));
        socket.write(`POST /api/v1/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`);
        const written = new Promise<string>((resolve) => socket.write(Buffer.alloc(size, 'x'), (error) => resolve(error ? error.message : 'written')));
        const started = Date.now();
        expect(await Promise.race([written, socketError])).toBe('written');
        await closed;
        expect(received).toMatch(/^HTTP\/1\.1 413/);
        expect(received.toLowerCase()).toContain('connection: close');
        // Closed when the client was done, not at the end of the lingering time.
        expect(Date.now() - started).toBeLessThan(1_500);
      } finally {
        socket.destroy();
        await small.close();
      }
    });

    it('lingers for a bounded time: a client that trickles on and never finishes is cut off after about 2 s', async () => {
      const small = await start({ spec: SPEC, handlers: makeHandlers([]), missingHandlers: 'notImplemented', bodyLimit: 1024 });
      const { port } = new URL(small.url);
      // allowHalfOpen: our side stays open after the server's FIN, as a careless client's would.
      const socket = net.connect({ port: Number(port), host: '127.0.0.1', allowHalfOpen: true });
      try {
        let received = '';
        socket.on('data', (chunk) => (received += chunk));
        const cutOff = new Promise<string>((resolve) => {
          socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
          socket.on('close', () => resolve('closed'));
        });
        socket.write(`POST /api/v1/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${1024 * 1024}\r\n\r\n`);
        socket.write('x'.repeat(4096));
        while (!received.includes('\r\n\r\n')) await new Promise((resolve) => setTimeout(resolve, 10));
        const answered = Date.now();
        // A few bytes every 100 ms: once the server has closed, the kernel resets the next write.
        const trickle = setInterval(() => socket.writable && socket.write('x'), 100);
        const outcome = await cutOff;
        clearInterval(trickle);
        expect(received).toMatch(/^HTTP\/1\.1 413/);
        expect(outcome).toMatch(/ECONNRESET|EPIPE|closed/);
        const lingered = Date.now() - answered;
        expect(lingered).toBeGreaterThan(1_500);
        expect(lingered).toBeLessThan(5_000);
      } finally {
        socket.destroy();
        await small.close();
      }
    });

    it('accepts a +json media type the operation declares', async () => {
      await api.request('POST', '/api/v1/items', { body: { name: 'patchable' } });
      const list = await api.request('GET', '/api/v1/items');
      const id = list.json.items.find((i: any) => i.name === 'patchable').id;
      const answer = await api.request('PATCH', `/api/v1/items/${id}`, { raw: '{"name":"patched"}', headers: { 'content-type': 'application/merge-patch+json' } });
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ id, name: 'patched' });
    });

    it('rejects a readOnly property sent in a request', async () => {
      const answer = await api.request('POST', '/api/v1/items', { body: { name: 'ro', id: 5 } });
      expect(answer.status).toBe(400);
      expect(answer.json.errors[0].pointer).toBe('/id');
    });
  });

  describe('replies', () => {
    it('sends a named reply with its declared status, headers and content type', async () => {
      const answer = await api.request('POST', '/api/v1/items', { body: { name: 'lamp', price: 3.5, secret: 'k' } });
      expect(answer.status).toBe(201);
      expect(answer.headers.get('content-type')).toBe('application/json');
      expect(answer.headers.get('location')).toMatch(/^\/api\/v1\/items\/\d+$/);
      expect(answer.json).toMatchObject({ name: 'lamp', price: 3.5 });
      expect(answer.json.secret).toBeUndefined();
    });

    it('reaches a $ref component response by its name, with a problem body', async () => {
      const answer = await api.request('POST', '/api/v1/items', { body: { name: 'lamp' } });
      expect(answer.status).toBe(409);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      expect(answer.json).toMatchObject({ status: 409, instance: '/api/v1/items' });
    });

    it('turns HttpError(name) into the named declared response', async () => {
      const answer = await api.request('GET', '/api/v1/items/999');
      expect(answer.status).toBe(404);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      // The named condition is the problem type, so a client can tell it from a router 404.
      expect(answer.json).toMatchObject({ type: 'urn:specbind:problem:noSuchItem', title: 'Not Found', status: 404, detail: 'item 999 does not exist' });
    });

    it('reaches an x-name response', async () => {
      const answer = await api.request('PATCH', '/api/v1/items/4242', { body: { name: 'z' }, headers: { 'content-type': 'application/merge-patch+json' } });
      expect(answer.status).toBe(422);
      expect(answer.json.status).toBe(422);
    });

    it('sends 204 with no body for undefined', async () => {
      const created = await api.request('POST', '/api/v1/items', { body: { name: 'doomed' } });
      const answer = await api.request('DELETE', `/api/v1/items/${created.json.id}`);
      expect(answer.status).toBe(204);
      expect(answer.text).toBe('');
    });

    it('requires a choice among several 2xx responses', async () => {
      expect((await api.request('GET', '/api/v1/choices?which=ok')).json).toEqual({ picked: 'ok' });
      const accepted = await api.request('GET', '/api/v1/choices?which=accepted');
      expect(accepted.status).toBe(202);
      const plain = await api.request('GET', '/api/v1/choices?which=plain');
      expect(plain.status).toBe(500);
      expect(plain.json.detail).toContain('several 2xx');
    });

    it('sends a declared custom error body that matches its schema', async () => {
      const answer = await api.request('GET', '/api/v1/choices?which=bogus');
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toBe('application/json');
      expect(answer.json).toEqual({ code: 'bogus', message: 'bogus choice' });
    });

    it('negotiates among declared media types by Accept, and answers 406 when none fits', async () => {
      const text = await api.request('GET', '/api/v1/notes', { headers: { accept: 'application/json' } });
      expect(text.headers.get('content-type')).toBe('application/json');
      expect(text.json).toEqual(['first', 'second']);
      const refused = await api.request('GET', '/api/v1/notes', { headers: { accept: 'image/png' } });
      expect(refused.status).toBe(406);
    });

    it('accepts an Accept that only a declared error response satisfies (dredd asks so for error cases)', async () => {
      const answer = await api.request('GET', '/api/v1/items/999', { headers: { accept: 'application/problem+json' } });
      expect(answer.status).toBe(404);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
    });
  });

  describe('response validation (strict by default)', () => {
    it('replaces a response carrying a writeOnly property with a 500 naming it', async () => {
      const answer = await api.request('POST', '/api/v1/items', { body: { name: 'leaky', secret: 's' } });
      expect(answer.status).toBe(500);
      expect(answer.json.title).toBe('Response failed contract validation');
      expect(answer.json.detail).toContain('createItem');
      expect(answer.json.detail).toContain('/secret');
    });

    it('replaces an undeclared status and an undeclared content type with a 500', async () => {
      for (const which of ['teapot', 'undeclared-type']) {
        const answer = await api.request('GET', `/api/v1/choices?which=${which}`);
        expect(answer.status).toBe(500);
        expect(answer.json.detail).toContain('pickOne');
      }
    });

    it('an HttpError thrown without a body is sent in the shape the document declares for its status', async () => {
      const answer = await api.request('GET', '/api/v1/choices?which=wrong-error-body');
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toBe('application/json');
      expect(answer.json).toEqual({ code: '400', message: 'custom error schema, but a problem body was sent' });
    });

    it('answers a throwing handler with 500 and the request id, and keeps serving', async () => {
      const answer = await api.request('GET', '/api/v1/boom', { headers: { 'x-request-id': 'boom-1' } });
      expect(answer.status).toBe(500);
      expect(answer.headers.get('x-request-id')).toBe('boom-1');
      expect(answer.text).not.toContain('at '); // no stack trace
      expect((await api.request('GET', '/api/v1/items')).status).toBe(200);
    });

    it('answers a handler that never settles with 504 and the request id, a late rejection with 500, and keeps serving', async () => {
      const slow = await start({
        spec: SPEC,
        missingHandlers: 'notImplemented',
        handlerTimeout: 200,
        handlers: {
          ...makeHandlers([]),
          boom: () => new Promise(() => {}),
          getNotes: () => new Promise((_, reject) => setTimeout(() => reject(new Error('late failure')), 50)),
        },
      });
      try {
        const hung = await slow.request('GET', '/api/v1/boom', { headers: { 'x-request-id': 'hung-1' } });
        expect(hung.status).toBe(504);
        expect(hung.headers.get('x-request-id')).toBe('hung-1');
        expect(hung.json).toMatchObject({ title: 'Handler Timeout', status: 504, detail: 'boom did not answer within 200 ms' });
        expect((await slow.request('GET', '/api/v1/notes')).status).toBe(500);
        expect((await slow.request('GET', '/api/v1/items')).status).toBe(200);
      } finally {
        await slow.close();
      }
    });

    it('answers a value that cannot be serialised with 500 saying so (not that the handler threw), and keeps serving', async () => {
      const circular: Record<string, unknown> = { id: 1 };
      circular.self = circular;
      let calls = 0;
      // First a value with a cycle, then a promise of one with a BigInt.
      const getNotes = () => (calls++ === 0 ? circular : Promise.resolve({ big: 10n }));
      const odd = await start({ spec: SPEC, missingHandlers: 'notImplemented', handlers: { ...makeHandlers([]), getNotes } });
      try {
        for (const url of ['/api/v1/notes', '/api/v1/notes']) {
          const answer = await odd.request('GET', url);
          expect(answer.status).toBe(500);
          // A cycle fails JSON.stringify; a BigInt is named before anything is written.
          expect(answer.json.detail).toMatch(/the response cannot be serialised|a BigInt at member "big" for application\/json, which JSON cannot carry/);
          expect(answer.json.detail).not.toMatch(/threw/);
        }
        expect((await odd.request('GET', '/api/v1/items')).status).toBe(200);
      } finally {
        await odd.close();
      }
    });

    it('sends the response anyway under warn, and skips the check under off', async () => {
      for (const mode of ['warn', 'off'] as const) {
        const lenient = await start({ spec: SPEC, handlers: makeHandlers([]), missingHandlers: 'notImplemented', responseValidation: mode });
        try {
          const answer = await lenient.request('GET', '/api/v1/choices?which=wrong-error-body');
          expect(answer.status).toBe(400);
        } finally {
          await lenient.close();
        }
      }
    });
  });

  describe('in production', () => {
    const saved = process.env.NODE_ENV;
    let prod: Started;
    beforeAll(async () => {
      process.env.NODE_ENV = 'production';
      prod = await start({ spec: SPEC, handlers: makeHandlers([]), missingHandlers: 'notImplemented' });
    });
    afterAll(async () => {
      process.env.NODE_ENV = saved;
      await prod.close();
    });

    it('keeps internal messages out of 500 bodies', async () => {
      const thrown = await prod.request('GET', '/api/v1/boom');
      expect(thrown.status).toBe(500);
      expect(thrown.text).not.toContain('hunter2');
      expect(thrown.json.detail).toBeUndefined();
      const contract = await prod.request('GET', '/api/v1/choices?which=plain');
      expect(contract.status).toBe(500);
      expect(contract.json.detail).toBeUndefined();
    });
  });
});

describe('named conditions', () => {
  it('give the problem type even when the component is named like its status', async () => {
    const spec = {
      openapi: '3.0.3',
      info: { title: 'conditions', version: '1' },
      paths: { '/x': { get: { operationId: 'getX', responses: { '200': { description: 'ok' }, '404': { $ref: '#/components/responses/NotFound' } } } } },
      components: { responses: { NotFound: { description: 'nothing', content: { 'application/problem+json': { schema: { type: 'object' } } } } } },
    };
    const api = await start({ spec, handlers: { getX: () => { throw new HttpError('notFound', 'no x'); } } });
    try {
      expect((await api.request('GET', '/x')).json).toMatchObject({ type: 'urn:specbind:problem:notFound', status: 404 });
    } finally {
      await api.close();
    }
  });
});
