// fastify adapter: a plugin that serves the document's operations inside a fastify app
// (`app.register(server.fastify, { prefix: '/api' })`). fastify routes everything under the plugin's
// prefix to the core, which routes by the document (404, 405 with Allow, and /docs, /openapi.json,
// /healthz under the prefix too); the app's own routes beside it keep theirs. fastify's body parsers
// are switched off inside the plugin only: the core reads the body itself. Translates only; fastify is
// not a dependency (the app is the caller's).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NodeExchange, type CoreHandler } from './node';

/** The part of a fastify instance the plugin uses (fastify's own types need not be installed). */
interface FastifyLike {
  prefix: string;
  removeAllContentTypeParsers(): void;
  addContentTypeParser(type: string, parser: (request: unknown, payload: unknown, done: (error: Error | null, body?: unknown) => void) => void): void;
  all(path: string, handler: (request: { raw: IncomingMessage }, reply: { raw: ServerResponse; hijack(): void }) => void): void;
}

export type FastifyPlugin = (app: FastifyLike, options: unknown, done: (error?: Error) => void) => void;

export function fastifyPlugin(core: CoreHandler): FastifyPlugin {
  return (app, _options, done) => {
    // The body stays unread for the core (a parser that consumes nothing): JSON, forms, multipart and
    // streamed uploads are read and validated as the document says, within specbind's limits.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, parsed) => parsed(null, undefined));
    const prefix = app.prefix;
    const serve = (request: { raw: IncomingMessage }, reply: { raw: ServerResponse; hijack(): void }) => {
      // The core writes the response itself: fastify steps aside for this request.
      reply.hijack();
      const url = request.raw.url ?? '/';
      const local = prefix && url.startsWith(prefix) ? url.slice(prefix.length) || '/' : url;
      const exchange = new NodeExchange(request.raw, reply.raw, local.startsWith('/') ? local : `/${local}`);
      core(exchange, exchange);
    };
    app.all('/', serve);
    app.all('/*', serve);
    done();
  };
}
