// Large documents in lazy mode (DEFER_AT_OPERATIONS or more operations): startup walks only what
// routes each operation; parameters, body and responses are read on its first request. Served like any
// other operation; a broken one answers 500 naming its problem, and eager mode still refuses to start.
import { createServer, StartupError, type Handler } from '../../src';
import { DEFER_AT_OPERATIONS } from '../../src/server';
import { inspectOperations } from '../../src/document/operations';
import { start } from '../helpers/server';

/** `count` operations `GET /items{i}/{id}` (`getItem{i}`), each answering `{ id, i }`; `broken` spoils two of them. */
function document(count: number, broken: boolean) {
  const paths: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    paths[`/items${i}/{id}`] = {
      get: {
        operationId: `getItem${i}`,
        parameters: [{ $ref: '#/components/parameters/id' }, { name: 'verbose', in: 'query', schema: { type: 'boolean' } }],
        responses: { '200': { $ref: '#/components/responses/item' }, '404': { description: 'not found' } },
      },
    };
  }
  if (broken) {
    // A parameter $ref that points at nothing, and two parameters that bind to the same input key.
    (paths['/items0/{id}'] as any).get.parameters.push({ $ref: '#/components/parameters/missing' });
    (paths['/items1/{id}'] as any).get.parameters.push({ name: 'image-name', in: 'query', schema: { type: 'string' } }, { name: 'imageName', in: 'query', schema: { type: 'string' } });
  }
  return {
    openapi: '3.0.3',
    info: { title: 'large', version: '1' },
    paths,
    components: {
      parameters: { id: { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } } },
      responses: {
        item: {
          description: 'the item',
          content: { 'application/json': { schema: { type: 'object', required: ['id', 'i'], properties: { id: { type: 'integer' }, i: { type: 'integer' }, verbose: { type: 'boolean' } }, additionalProperties: false } } },
        },
      },
    },
  };
}

function handlers(count: number, seen: unknown[] = []): Record<string, Handler> {
  const out: Record<string, Handler> = {};
  for (let i = 0; i < count; i++) {
    out[`getItem${i}`] = (input) => {
      seen.push(input);
      return { id: input.id as number, i, ...(input.verbose !== undefined ? { verbose: input.verbose } : {}) };
    };
  }
  return out;
}

describe('a large document in lazy mode', () => {
  const count = DEFER_AT_OPERATIONS;

  it('binds, validates and answers a deferred operation like any other, on its first request and after', async () => {
    const seen: any[] = [];
    const server = await start({ spec: document(count, false), handlers: handlers(count, seen) });
    try {
      const last = count - 1;
      const first = await server.request('GET', `/items${last}/7?verbose=true`);
      expect(first.status).toBe(200);
      expect(first.json).toEqual({ id: 7, i: last, verbose: true });
      // Coerced to the spec's types before the handler ran.
      expect(seen[0]).toMatchObject({ id: 7, verbose: true });
      const again = await server.request('GET', `/items${last}/8`);
      expect(again.json).toEqual({ id: 8, i: last });
      // Request validation: a path parameter below its minimum, a query parameter of the wrong type.
      const invalid = await server.request('GET', `/items${last}/0?verbose=maybe`);
      expect(invalid.status).toBe(400);
      expect(invalid.headers.get('content-type')).toBe('application/problem+json');
      expect(invalid.json.errors.map((e: any) => `${e.in} ${e.name}`).sort()).toEqual(['path id', 'query verbose']);
      // Never requested before: 404 routing and 405 still come from the heads alone.
      expect((await server.request('GET', '/nowhere')).status).toBe(404);
      expect((await server.request('DELETE', '/items3/1')).status).toBe(405);
      // Accept is held against the responses read on first use.
      expect((await server.request('GET', '/items4/1', { headers: { accept: 'text/csv' } })).status).toBe(406);
    } finally {
      await server.close();
    }
  });

  it("refuses a bad parameter on an operation's first requests with the same problem as eager mode (the walk accepts, Ajv explains)", async () => {
    const lazy = await start({ spec: document(count, false), handlers: handlers(count) });
    const eager = await start({ spec: document(count, false), handlers: handlers(count), compile: 'eager' });
    try {
      for (const [i, query] of [[5, '/0?verbose=maybe'], [6, '/-3'], [6, '/1.5'], [6, '/9'], [7, '/x?verbose=true']] as const) {
        const [fromLazy, fromEager] = await Promise.all([lazy.request('GET', `/items${i}${query}`), eager.request('GET', `/items${i}${query}`)]);
        expect(fromLazy.status).toBe(fromEager.status);
        expect({ detail: fromLazy.json?.detail, errors: fromLazy.json?.errors }).toEqual({ detail: fromEager.json?.detail, errors: fromEager.json?.errors });
      }
    } finally {
      await Promise.all([lazy.close(), eager.close()]);
    }
  });

  it('checks responses of a deferred operation against the document', async () => {
    const wrong = handlers(count);
    wrong.getItem2 = () => ({ id: 'seven', i: 2 });
    const server = await start({ spec: document(count, false), handlers: wrong });
    try {
      const answer = await server.request('GET', '/items2/7');
      expect(answer.status).toBe(500);
      expect(answer.json.detail).toContain('/id must be integer');
    } finally {
      await server.close();
    }
  });

  it('starts with a broken operation, which answers 500 naming its problem every time; the others are served', async () => {
    const server = await start({ spec: document(count, true), handlers: handlers(count) });
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const refused = await server.request('GET', '/items0/1');
        expect(refused.status).toBe(500);
        expect(refused.headers.get('content-type')).toBe('application/problem+json');
        expect(refused.json.detail).toContain('getItem0 cannot be served');
        expect(refused.json.detail).toContain('$ref "#/components/parameters/missing" points at nothing');
        expect(refused.headers.get('x-request-id')).toBeTruthy();
      }
      const clash = await server.request('GET', '/items1/1');
      expect(clash.status).toBe(500);
      expect(clash.json.detail).toContain('both bind to input.imageName');
      expect((await server.request('GET', '/items2/1')).json).toEqual({ id: 1, i: 2 });
    } finally {
      await server.close();
    }
  });

  it('eager mode still refuses to start on the same document, listing both problems', async () => {
    const attempt = createServer({ spec: document(count, true), handlers: handlers(count), compile: 'eager', logger: { level: 'silent' } });
    await expect(attempt).rejects.toThrow(StartupError);
    const error = (await attempt.catch((e) => e)) as StartupError;
    expect(error.message).toContain('points at nothing');
    expect(error.message).toContain('both bind to input.imageName');
  });

  it('a smaller document is prepared whole at startup: the same problems stop it in lazy mode too', async () => {
    const attempt = createServer({ spec: document(count - 1, true), handlers: handlers(count - 1), logger: { level: 'silent' } });
    await expect(attempt).rejects.toThrow(/points at nothing/);
  });

  it('still refuses at startup what routing needs: a duplicated operationId, a missing handler', async () => {
    const duplicated = document(count, false);
    (duplicated.paths['/items1/{id}'] as any).get.operationId = 'getItem0';
    await expect(createServer({ spec: duplicated, handlers: handlers(count), logger: { level: 'silent' } })).rejects.toThrow(/operationId "getItem0" is also used/);
    const some = handlers(count);
    delete some.getItem7;
    await expect(createServer({ spec: document(count, false), handlers: some, logger: { level: 'silent' } })).rejects.toThrow(/getItem7[\s\S]*has no handler|has no handler[\s\S]*getItem7/);
  });

  it('specbind check finds the broken operations beforehand (the same walk, whole)', () => {
    const { problems } = inspectOperations(document(count, true) as any);
    expect(problems.map((p) => p.operationId ?? p.pointer)).toEqual(expect.arrayContaining(['getItem1']));
    expect(problems.map((p) => p.message).join('\n')).toContain('points at nothing');
  });
});
