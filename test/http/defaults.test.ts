// A default its own schema rejects would reach the handler past validation (`input.age === "error"` for
// an integer): a startup error naming the operation and the pointer, and a `specbind check` error.
import { createServer, type CreateServerOptions } from '../../src';
import { check } from '../../src/check/check';
import { start } from '../helpers/server';

function document(parameterSchema: object, bodySchema?: object) {
  return {
    openapi: '3.0.3',
    info: { title: 'defaults', version: '1' },
    components: { schemas: { Settings: { type: 'object', properties: { level: { type: 'integer', minimum: 1, default: 0 } } } } },
    paths: {
      '/a': {
        post: {
          operationId: 'a',
          parameters: [{ name: 'age', in: 'query', schema: parameterSchema }],
          ...(bodySchema ? { requestBody: { content: { 'application/json': { schema: bodySchema } } } } : {}),
          responses: { '200': { description: 'echo', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
    },
  };
}

const serve = (spec: object, options: Partial<CreateServerOptions> = {}) => createServer({ spec, handlers: { a: (input: any) => input }, logger: { level: 'silent' }, ...options });

describe('defaults are held to their own schema', () => {
  it('a parameter default of the wrong type is a startup error naming the operation and the pointer', async () => {
    await expect(serve(document({ type: 'integer', default: 'error' }))).rejects.toThrow(/POST \/a \(a\).*#\/paths\/~1a\/post\/parameters\/0\/schema\/default: the default "error" is not valid against its own schema \(must be integer\)/s);
  });

  it('a default nested in the body (through a $ref) and a body default are refused too, in eager and lazy mode', async () => {
    for (const compile of ['lazy', 'eager'] as const) {
      await expect(serve(document({ type: 'integer' }, { $ref: '#/components/schemas/Settings' }), { compile })).rejects.toThrow(/#\/components\/schemas\/Settings\/properties\/level\/default: the default 0 is not valid against its own schema \(must be >= 1\)/);
      await expect(serve(document({ type: 'integer' }, { type: 'object', required: ['x'], default: {} }), { compile })).rejects.toThrow(/requestBody\/content\/application~1json\/schema\/default: the default \{\} is not valid against its own schema \(\/x is required\)/);
    }
  });

  it('valid defaults reach the handler, typed', async () => {
    const spec = document({ type: 'integer', default: 7 });
    const api = await start({ spec, handlers: { a: (input: any) => ({ age: input.age, type: typeof input.age }) } });
    try {
      expect((await api.request('POST', '/a')).json).toEqual({ age: 7, type: 'number' });
    } finally {
      await api.close();
    }
  });

  it('specbind check reports it as an error', async () => {
    const findings = await check({ spec: document({ type: 'integer', default: 'error' }) });
    expect(findings.filter((f) => f.code === 'invalid-default').map((f) => [f.severity, f.operation, f.pointer])).toEqual([['error', 'POST /a (a)', '/paths/~1a/post/parameters/0/schema/default']]);
  });
});

describe('an optional body left out', () => {
  const spec = {
    openapi: '3.0.3',
    info: { title: 'body defaults', version: '1' },
    components: { schemas: { Paging: { type: 'object', properties: { size: { type: 'integer', default: 20 }, order: { type: 'string', default: 'asc' } }, default: { size: 50 } } } },
    paths: {
      '/json': {
        post: {
          operationId: 'json',
          requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Paging' } } } },
          responses: { '200': { description: 'echo', content: { 'application/json': { schema: {} } } } },
        },
      },
      '/form': {
        post: {
          operationId: 'form',
          requestBody: { content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties: { q: { type: 'string', default: 'all' }, n: { type: 'integer' } } } } } },
          responses: { '200': { description: 'echo', content: { 'application/json': { schema: {} } } } },
        },
      },
      '/none': {
        post: {
          operationId: 'none',
          requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { n: { type: 'integer' } } } } } },
          responses: { '200': { description: 'echo', content: { 'application/json': { schema: {} } } } },
        },
      },
      '/needs': {
        post: {
          operationId: 'needs',
          requestBody: { content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', required: ['id'], properties: { id: { type: 'string' }, q: { type: 'string', default: 'all' } } } } } },
          responses: { '200': { description: 'echo', content: { 'application/json': { schema: {} } } } },
        },
      },
    },
  };
  const echo = (input: any) => ({ body: input.body === undefined ? '(none)' : input.body });
  let api: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => (api = await start({ spec, handlers: { json: echo, form: echo, none: echo, needs: echo } })));
  afterAll(() => api.close());

  it("JSON: the schema's default, with nested defaults filled", async () => {
    expect((await api.request('POST', '/json')).json).toEqual({ body: { size: 50, order: 'asc' } });
    expect((await api.request('POST', '/json', { body: { size: 5 } })).json).toEqual({ body: { size: 5, order: 'asc' } });
  });

  it("a form: its members' defaults", async () => {
    expect((await api.request('POST', '/form')).json).toEqual({ body: { q: 'all' } });
  });

  it('no default, or one that leaves a required member out: no body', async () => {
    expect((await api.request('POST', '/none')).json).toEqual({ body: '(none)' });
    expect((await api.request('POST', '/needs')).json).toEqual({ body: '(none)' });
  });
});
