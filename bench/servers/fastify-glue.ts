// fastify + fastify-openapi-glue: routes and schemas from the document (request validation; responses
// are serialised by fast-json-stringify from their schemas, not validated). BENCH_FASTIFY_LOGGER=1 is
// fastify's `logger: true` (pino at info: an 'incoming request' and a 'request completed' line per
// request, written synchronously to stdout); otherwise its logger is off, fastify's default.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import { answer, HOST, loadDocument, operationIds, PORT, ready, ROOT } from './common';

async function main() {
  const started = performance.now();
  // fastify-openapi-glue is ESM only: a native import() of its entry (CommonJS output would turn
  // import() into require(); the servers may run from a copy outside the repository).
  const entry = pathToFileURL(path.join(ROOT, 'node_modules', 'fastify-openapi-glue', 'index.js')).href;
  const { default: openapiGlue } = await (new Function('s', 'return import(s)') as (s: string) => Promise<any>)(entry);
  const document = loadDocument();
  const serviceHandlers: Record<string, (req: any, reply: any) => Promise<unknown>> = {};
  for (const id of operationIds(document)) {
    serviceHandlers[id] = async (req, reply) => {
      const a = answer(id, req.params, req.body);
      reply.code(a.status);
      return a.body;
    };
  }
  const app = Fastify({ logger: process.env.BENCH_FASTIFY_LOGGER === '1' });
  await app.register(openapiGlue, { specification: document, serviceHandlers });
  await app.listen({ port: PORT, host: HOST });
  ready(app.server, { initMs: performance.now() - started });
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
