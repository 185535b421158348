// Regressions found by mocking Stripe's document (bench/mock-coverage.ts): the parameter and form
// shapes Stripe's API uses, each in a minimal document.
import { start, type Started } from '../helpers/server';

const document = {
  openapi: '3.0.0',
  info: { title: 'stripe shapes', version: '1' },
  paths: {
    '/charges': {
      get: {
        operationId: 'listCharges',
        parameters: [
          { name: 'created', in: 'query', style: 'deepObject', explode: true, schema: { anyOf: [{ type: 'object', properties: { gt: { type: 'integer' }, lte: { type: 'integer' } } }, { type: 'integer' }] } },
          { name: 'expand', in: 'query', style: 'deepObject', explode: true, schema: { type: 'array', items: { type: 'string' } } },
        ],
        responses: { '200': { description: 'echo', content: { 'application/json': { schema: {} } } } },
      },
      post: {
        operationId: 'createCharge',
        requestBody: {
          content: {
            'application/x-www-form-urlencoded': {
              schema: {
                type: 'object',
                properties: {
                  shipping: { type: 'object', required: ['address'], properties: { address: { type: 'object', properties: { line1: { type: 'string' }, lines: { type: 'array', items: { type: 'string' } } } } } },
                  when: { anyOf: [{ type: 'string', enum: ['now'] }, { type: 'integer' }] },
                  code: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
                  expand: { type: 'array', items: { type: 'string' } },
                },
              },
              encoding: { shipping: { style: 'deepObject', explode: true }, expand: { style: 'deepObject', explode: true } },
            },
          },
        },
        responses: { '200': { description: 'echo', content: { 'application/json': { schema: {} } } } },
      },
    },
  },
};

describe('Stripe-shaped parameters and forms', () => {
  let api: Started;
  beforeAll(async () => {
    const echo = (input: unknown) => ({ input });
    api = await start({ spec: document, handlers: { listCharges: echo, createCharge: echo } });
  });
  afterAll(() => api.close());

  it('coerces the members of a deepObject whose schema also allows a scalar, and accepts the scalar', async () => {
    expect((await api.request('GET', '/charges?created[gt]=5&created[lte]=9')).json.input.created).toEqual({ gt: 5, lte: 9 });
    expect((await api.request('GET', '/charges?created=7')).json.input.created).toBe(7);
  });

  it('reads deepObject arrays written as name[] or name[0]', async () => {
    expect((await api.request('GET', '/charges?expand[]=a&expand[]=b')).json.input.expand).toEqual(['a', 'b']);
    expect((await api.request('GET', '/charges?expand[1]=b&expand[0]=a')).json.input.expand).toEqual(['a', 'b']);
  });

  const form = (body: string) => api.request('POST', '/charges', { raw: body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });

  it('nests form fields at any depth, arrays included', async () => {
    const answer = await form('shipping[address][line1]=1+Main+St&shipping[address][lines][]=a&shipping[address][lines][]=b&expand[0]=x');
    expect(answer.status).toBe(200);
    expect(answer.json.input.body).toEqual({ shipping: { address: { line1: '1 Main St', lines: ['a', 'b'] } }, expand: ['x'] });
  });

  it('reads a form value spelled as a number as the number where the schema also allows a string', async () => {
    expect((await form('when=5&code=007')).json.input.body).toEqual({ when: 5, code: '007' });
    expect((await form('when=now')).json.input.body).toEqual({ when: 'now' });
  });

  it('takes an empty form as an object without fields', async () => {
    const answer = await form('');
    expect(answer.status).toBe(200);
    expect(answer.json.input.body).toEqual({});
  });
});
