// Response bodies written by the serializer compiled from their schema (src/replies/serializer.ts): the
// client reads the same JSON as JSON.stringify would have sent, whatever the handler returns.
import { SERIALIZE_AFTER_SENDS } from '../../src/core/prepare';
import { start, type Started } from '../helpers/server';

const thing = {
  type: 'object',
  required: ['id', 'name'],
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    note: { type: 'string', nullable: true },
    tags: { type: 'array', items: { type: 'string' } },
    owner: { type: 'object', nullable: true, properties: { login: { type: 'string' } } },
  },
};
const ok = (schema: unknown) => ({ '200': { description: 'ok', content: { 'application/json': { schema } } } });
const SPEC = {
  openapi: '3.0.3',
  info: { title: 'serializer', version: '1.0.0' },
  paths: {
    '/things/{id}': { get: { operationId: 'getThing', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }], responses: ok({ $ref: '#/components/schemas/Thing' }) } },
    '/instances': { get: { operationId: 'getInstance', responses: ok({ $ref: '#/components/schemas/Thing' }) } },
    // Untyped, so the validator lets the inherited functions through (a typed one would be refused).
    '/prototype-names': { get: { operationId: 'getPrototypeNames', responses: ok({ type: 'object', properties: { constructor: {}, toString: {}, id: { type: 'integer' } } }) } },
    '/sparse': { get: { operationId: 'getSparse', responses: ok({ type: 'array', items: { type: 'integer', nullable: true } }) } },
  },
  components: { schemas: { Thing: thing } },
};

class Thing {
  constructor(
    readonly id: number,
    private readonly secret: string,
  ) {}
  toJSON() {
    return { id: this.id, name: `thing ${this.id}` };
  }
}

const values: Record<number, unknown> = {
  1: { id: 1, name: 'plain' },
  // Members in another order than the schema's, one it does not declare, text that needs escaping.
  2: { extra: { nested: [1, null] }, tags: ['a"b', 'line\nbreak', '\ud800', '😀'], name: 'é', id: 2, owner: { login: 'x', since: 2020 } },
  3: { id: 3, name: '', note: null, owner: null, tags: [] },
};

describe('responses written from their schema', () => {
  let api: Started;
  beforeAll(async () => {
    api = await start({
      spec: SPEC,
      handlers: {
        getThing: (input) => values[input.id as number],
        getInstance: () => new Thing(7, 'hidden'),
        getPrototypeNames: () => ({ id: 1, extra: 'x' }),
        getSparse: () => [1, , 3], // eslint-disable-line no-sparse-arrays
      },
    });
  });
  afterAll(() => api.close());

  it('sends the JSON the handler returned, every time (first responses, written by JSON.stringify, and later ones, by the compiled serializer)', async () => {
    const rounds = Math.ceil(SERIALIZE_AFTER_SENDS / 3) + 1;
    for (let round = 0; round < rounds; round++) {
      for (const id of [1, 2, 3]) {
        const answer = await api.request('GET', `/things/${id}`);
        expect(answer.status).toBe(200);
        expect(answer.json).toEqual(values[id]);
      }
    }
    // The schema's properties first, then the others.
    expect((await api.request('GET', '/things/2')).text).toBe('{"id":2,"name":"é","tags":["a\\"b","line\\nbreak","\\ud800","😀"],"owner":{"login":"x","since":2020},"extra":{"nested":[1,null]}}');
  });

  it('honours toJSON', async () => {
    const answer = await api.request('GET', '/instances');
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('{"id":7,"name":"thing 7"}');
  });

  it('does not read members a value lacks from Object.prototype', async () => {
    for (let round = 0; round < 2; round++) {
      const answer = await api.request('GET', '/prototype-names');
      expect(answer.status).toBe(200);
      expect(answer.text).toBe('{"id":1,"extra":"x"}');
    }
  });

  it('writes a hole in an array as null', async () => {
    const answer = await api.request('GET', '/sparse');
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('[1,null,3]');
  });
});
