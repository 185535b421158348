// Trailing slashes: `/pets/` is a 404 where `/pets` is declared (the default, as the document says);
// with `ignoreTrailingSlash: true` a path that matches nothing is tried without it (or with it).
import { start } from '../helpers/server';

const spec = {
  openapi: '3.0.3',
  info: { title: 'slashes', version: '1' },
  servers: [{ url: '/v2' }],
  paths: {
    '/pets': { get: { operationId: 'listPets', responses: { '200': { description: 'pets', content: { 'application/json': { schema: { type: 'array' } } } } } } },
    '/pets/{id}': { get: { operationId: 'getPet', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }], responses: { '200': { description: 'a pet', content: { 'application/json': { schema: { type: 'object' } } } } } } },
    '/slashed/': { get: { operationId: 'slashed', responses: { '204': { description: 'declared with its slash' } } } },
  },
};
const handlers = { listPets: () => ['rex'], getPet: (input: any) => ({ id: input.id }), slashed: () => undefined };

describe('trailing slashes', () => {
  it('are part of the path by default: /pets/ is a 404 where /pets is declared', async () => {
    const api = await start({ spec, handlers });
    try {
      expect((await api.request('GET', '/v2/pets')).status).toBe(200);
      expect((await api.request('GET', '/v2/pets/')).status).toBe(404);
      expect((await api.request('GET', '/v2/slashed')).status).toBe(404);
    } finally {
      await api.close();
    }
  });

  it('ignoreTrailingSlash: true: /pets/ is /pets, /pets/7/ is /pets/7, /slashed is the declared /slashed/; HEAD too', async () => {
    const api = await start({ spec, handlers, ignoreTrailingSlash: true });
    try {
      expect((await api.request('GET', '/v2/pets/')).json).toEqual(['rex']);
      expect((await api.request('GET', '/v2/pets/7/')).json).toEqual({ id: 7 });
      expect((await api.request('GET', '/v2/pets//')).json).toEqual(['rex']);
      expect((await api.request('GET', '/v2/slashed')).status).toBe(204);
      expect((await api.request('HEAD', '/v2/pets/')).status).toBe(200);
      expect((await api.request('POST', '/v2/pets/')).status).toBe(405);
      expect((await api.request('GET', '/v2/cats/')).status).toBe(404);
    } finally {
      await api.close();
    }
  });
});
