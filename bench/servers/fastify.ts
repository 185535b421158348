// fastify with route schemas (the petstore's, written out): Ajv request validation, fast-json-stringify responses.
import Fastify from 'fastify';
import { answer, HOST, loadDocument, PORT, ready } from './common';

async function main() {
  const schemas = loadDocument().components.schemas;
  const app = Fastify({ logger: false });
  app.get('/pets/:petId', {
    schema: {
      params: { type: 'object', required: ['petId'], properties: { petId: { type: 'integer', minimum: 1 } } },
      response: { 200: schemas.Pet },
    },
    handler: async (req) => answer('getPet', req.params as Record<string, unknown>).body,
  });
  app.post('/pets', {
    schema: { body: schemas.NewPet, response: { 201: schemas.Pet } },
    handler: async (req, reply) => {
      reply.code(201);
      return answer('createPet', {}, req.body).body;
    },
  });
  await app.listen({ port: PORT, host: HOST });
  ready(app.server);
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
