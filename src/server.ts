// createServer: load the document, resolve handlers, prepare every operation, and expose the core as
// a node handler, an Express app, and `listen()`.
import { createServer as createHttpServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { StartupError, type StartupProblem } from './errors';
import { loadSpec, type LoadedSpec } from './document/load';
import { collectOperations, inspectOperationHeads, type OperationHead, type OperationSpec } from './document/operations';
import { Router } from './router/router';
import { SchemaCompiler } from './validation/compiler';
import { ShapeReader } from './binding/shape';
import { HydratorCompiler } from './binding/models';
import { checkHandlers, loadHandlers, type ResolvedHandler } from './handlers/resolve';
import { mockHandler, notImplementedHandler } from './handlers/fallbacks';
import { compileOperation, deferOperation, prepareOperation, type PrepareContext, type PreparedOperation } from './core/prepare';
import { Pipeline } from './core/pipeline';
import { unshapeableAnswers } from './core/own-answers';
import { invalidDefaults } from './document/defaults';
import { uncheckedSchemeProblems } from './security/security';
import type { OutgoingResponse } from './http/response';
import { docsRoutes } from './docs/docs';
import { type CoreHandler, nodeHandler } from './adapters/node';
import { fetchHandler } from './adapters/fetch';
import { type FastifyPlugin, fastifyPlugin } from './adapters/fastify';
import { flushLogger, makeLogger } from './log';
import type { CreateServerOptions } from './core/types';
import { Metrics } from './observability/metrics';
import { RequestTracing } from './observability/tracing';
import { drain, shutdownTimeoutOf, trackSockets } from './observability/lifecycle';
import { CorsPolicy } from './http/cors';

export interface Listening {
  url: string;
  port: number;
  server: Server;
  close: () => Promise<void>;
}

/** listen()'s options. */
export interface ListenOptions {
  /** SO_REUSEPORT (Node >= 22.12 on Linux): several processes may listen on one port. */
  reusePort?: boolean;
}

export interface SpecbindServer {
  /** An Express 5 app serving the API: mount it in your own app. */
  readonly app: Express;
  /** `(req, res)` for node:http, if you run your own server. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * The Fetch API handler: `Bun.serve({ fetch: server.fetch })`, `Deno.serve(server.fetch)`, Hono's
   * `app.mount('/api', server.fetch)`, edge runtimes. Bound: pass it as it is.
   */
  readonly fetch: (request: Request) => Promise<Response>;
  /**
   * A fastify plugin serving the document's operations inside a fastify app:
   * `app.register(server.fastify, { prefix: '/api' })`.
   */
  readonly fastify: FastifyPlugin;
  /** The prepared operations, in document order (for route tables and tooling). */
  readonly operations: ReadonlyArray<{ operationId: string; method: string; path: string; handlerSource?: string; tags: string[] }>;
  readonly document: unknown;
  readonly log: Logger;
  /** Warnings found while loading (they do not stop startup). A deferred operation's are logged when it is first used. */
  readonly warnings: StartupProblem[];
  /**
   * Listens on `port` and `host` (env PORT and HOST; 3000 and 127.0.0.1). `reusePort` lets several
   * processes bind one port, the kernel spreading connections among them (SO_REUSEPORT: Node >= 22.12
   * on Linux; older Node ignores it). `specbind serve --workers` uses it where it works.
   */
  listen(port?: number, host?: string, options?: ListenOptions): Promise<Listening>;
  /**
   * Shuts the server down (a Listening's close() does the same): /readyz answers 503, every listener
   * stops accepting and lets in-flight requests finish (bounded by `shutdownTimeout`), then `onClose`.
   */
  close(): Promise<void>;
}

/** The path part of `servers[0].url`, server variables at their defaults: `https://x/v1/` → `/v1`. */
export function basePathOf(document: any): string {
  const server = document?.servers?.[0];
  if (!server || typeof server.url !== 'string') return '';
  const url = server.url.replace(/\{([^}]+)\}/g, (_: string, name: string) => String(server.variables?.[name]?.default ?? ''));
  let pathname: string;
  try {
    pathname = new URL(url, 'http://placeholder').pathname;
  } catch {
    return '';
  }
  const trimmed = decodeURIComponent(pathname).replace(/\/+$/, '');
  return trimmed === '' ? '' : trimmed;
}

/**
 * What node's HTTP parser refuses (malformed requests, oversized headers, a request not received in
 * time) gets a problem+json answer too, and the connection is closed.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const detail = status === 408 ? 'the request was not received in time' : status === 431 ? 'the request headers are too large' : 'the request is not valid HTTP';
  // A complete pipelined request before the bad one may still be answering: its response goes first.
  // (A request whose own body is at fault, or late, is not complete: it gets the answer at once.)
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
  if (status === 400 && inFlight && inFlight.req?.complete && !inFlight.writableFinished && !inFlight.destroyed) {
    inFlight.once('finish', () => (socket.writable ? writeProblem(socket, status, detail) : socket.destroy()));
    inFlight.once('close', () => socket.destroy());
    return;
  }
  writeProblem(socket, status, detail);
}

/**
 * One warning naming the operations whose own answers (a 400, a 401, ...) cannot be sent in the shape
 * their document declares, so they go as problem+json (`specbind check` lists them too). Deferred
 * documents (500 operations and more) are not walked for it at startup.
 */
function warnUnshapeable(prepared: PreparedOperation[], unhandled: Set<string>, document: unknown, log: Logger): void {
  const found: string[] = [];
  for (const op of prepared) {
    for (const answer of unshapeableAnswers(op.spec, !unhandled.has(op.info.operationId), document)) {
      found.push(`${op.info.method} ${op.info.path} (${op.info.operationId}): ${answer.status} under responses/${answer.key}`);
    }
  }
  if (found.length) log.warn({ operations: found }, `${found.length} answer(s) specbind writes itself cannot take the shape their document declares: problem+json is sent there`);
}

/** CONNECT is no operation of any document; unanswered, node would drop the connection without a word. */
function answerConnect(_request: IncomingMessage, socket: Duplex): void {
  if (socket.writable) writeProblem(socket, 405, 'CONNECT is not served');
  else socket.destroy();
}

/**
 * From this many operations on, lazy mode defers each operation's preparation to its first request
 * (see `deferOperation`): GitHub's 1,223 are ready in about half the time. Smaller documents are
 * prepared whole at startup (Stripe's 468 in ~50 ms), so a broken operation stops the start.
 */
export const DEFER_AT_OPERATIONS = 500;

/** A problem+json response written straight to a socket node's parser has given up on, then closed. */
function writeProblem(socket: Duplex, status: number, detail: string): void {
  const body = JSON.stringify({ type: 'about:blank', title: STATUS_CODES[status], status, detail });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** A readiness probe's answer; false when it throws or has not answered within `timeout` ms. */
async function probe(ready: () => boolean | Promise<boolean>, timeout: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, timeout, false)));
  try {
    return await Promise.race([Promise.resolve().then(ready), late]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export async function createServer(options: CreateServerOptions): Promise<SpecbindServer> {
  if (!options || options.spec === undefined) throw new StartupError('createServer needs { spec }: a path to an OpenAPI document or a document object');
  const log = makeLogger(options.logger);
  const loaded: LoadedSpec = await loadSpec(options.spec);
  const { document, dialect } = loaded;
  const eager = (options.compile ?? ((process.env.SPECBIND_COMPILE as 'eager' | 'lazy' | undefined) || 'lazy')) === 'eager';
  // Large documents in lazy mode are walked for heads only; each operation is completed on first use.
  const { heads, problems: headProblems } = inspectOperationHeads(document, loaded.file);
  const deferred = !eager && heads.length >= DEFER_AT_OPERATIONS;
  let operations: OperationHead[] = heads;
  let warnings: StartupProblem[] = [];
  if (deferred && headProblems.length) {
    throw new StartupError(`The OpenAPI document${loaded.file ? ` ${loaded.file}` : ''} has ${headProblems.length} problem(s):`, headProblems);
  }
  if (!deferred) {
    const collected = collectOperations(document, loaded.file, { heads, problems: headProblems });
    for (const warning of collected.warnings) log.warn({ warning }, 'OpenAPI document warning');
    operations = collected.operations;
    warnings = collected.warnings;
  }

  const tags = options.tags?.length ? new Set(options.tags) : undefined;
  const served = tags ? operations.filter((op) => op.tags.some((t) => tags.has(t))) : operations;
  // Checked before anything is loaded: a wrong `cors` option is a startup error saying what is expected.
  const cors = options.cors === undefined || options.cors === false ? undefined : new CorsPolicy(options.cors, document, served, (err, origin) => log.error({ err, origin }, 'cors.origins threw: the origin is refused'));
  const missing = options.missingHandlers ?? 'fail';
  const handlers = await loadHandlers(options.handlers);
  const allIds = new Set(operations.map((op) => op.operationId));
  checkHandlers(served, handlers, allIds, missing === 'fail');

  const compiler = new SchemaCompiler(
    document,
    dialect,
    (message) => log.debug({ ajv: message }, 'schema compiler'),
    (message) => log.warn({ pattern: message }, 'risky pattern'),
    // Eager mode proves every schema compilable before traffic; lazy mode compiles what data reaches.
    { lazyRefs: !eager },
  );
  const context: PrepareContext = {
    document,
    compiler,
    shapes: new ShapeReader(document),
    hydrators: new HydratorCompiler(document, options.models ?? {}),
    schemes: (document.components?.securitySchemes ?? {}) as Record<string, unknown>,
    checks: options.security ?? {},
    // Mock mode (as `specbind mock`): a scheme without a check asks only that a credential be present.
    presenceOnlySecurity: missing === 'mock',
    uncheckedSchemes: new Map(),
    log,
    stopping: () => shuttingDown,
  };

  const problems: StartupProblem[] = [];
  /** Operations answered 501 for want of a handler. */
  const unhandled = new Set<string>();
  const router = new Router<PreparedOperation>();
  const prepared: PreparedOperation[] = [];
  for (const head of served) {
    // A deferred head becomes its OperationSpec in place, before any handler reads more than the head.
    const spec = head as OperationSpec;
    const resolved: ResolvedHandler | undefined = handlers.get(spec.operationId);
    const handler = resolved?.handler ?? (missing === 'mock' ? mockHandler(document, spec, { compiler, dialect }) : notImplementedHandler(spec));
    if (!resolved && missing !== 'mock') unhandled.add(spec.operationId);
    const op = deferred ? deferOperation(head, handler, resolved?.source, context, problems) : prepareOperation(spec, handler, resolved?.source, context, problems);
    try {
      router.add(spec.method, spec.path, op);
    } catch (error) {
      problems.push({ method: spec.method, path: spec.path, operationId: spec.operationId, message: (error as Error).message });
    }
    prepared.push(op);
  }
  if (!deferred) {
    // A default its own schema rejects would reach the handler past validation (deferred operations: on first use).
    const visited = new Set<object>();
    for (const op of prepared) problems.push(...invalidDefaults(op.spec, document, (pointer) => compiler.validator('request', pointer), visited));
  }
  if (context.uncheckedSchemes.size) {
    if (context.presenceOnlySecurity) log.warn({ schemes: [...context.uncheckedSchemes.keys()] }, 'mock mode: security schemes without a check ask only that a credential be present');
    else problems.push(...uncheckedSchemeProblems(context.uncheckedSchemes, context.schemes as Record<string, unknown>));
  }
  if (problems.length) throw new StartupError(`specbind cannot start: ${problems.length} problem(s):`, problems);
  if (!deferred) warnUnshapeable(prepared, unhandled, document, log);
  if (eager) {
    const step = Math.max(1, Math.floor(prepared.length / 20));
    prepared.forEach((op, i) => {
      compileOperation(op, context, true);
      if (options.onCompileProgress && (i % step === 0 || i === prepared.length - 1)) options.onCompileProgress(i + 1, prepared.length);
    });
  }

  const basePath = basePathOf(document);
  const docs = docsRoutes(document, options.docs === undefined ? '/docs' : options.docs, basePath);
  let shuttingDown = false;
  // Observability hook-in (src/observability/metrics.ts).
  const metrics = options.metrics === false ? undefined : new Metrics(prepared.map((op) => op.info.operationId), options.metrics === true ? {} : options.metrics);
  const json = (status: number, body: unknown): OutgoingResponse => ({ status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify(body) });
  const builtins = async (method: string, path: string): Promise<OutgoingResponse | undefined> => {
    if (method === 'GET' || method === 'HEAD') {
      if (path === '/healthz') return json(200, { status: 'ok' });
      if (path === '/readyz') {
        let ready = !shuttingDown;
        if (ready && options.ready) ready = await probe(options.ready, options.readyTimeout ?? 2_000);
        return json(ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' });
      }
      if (metrics && path === metrics.path) return { status: 200, headers: { 'content-type': metrics.contentType, 'cache-control': 'no-store' }, body: await metrics.render() };
    }
    return docs.serve(method, path);
  };

  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const pipeline = new Pipeline({
    router,
    basePath,
    bodyLimit,
    multipart: { total: bodyLimit, fileSize: options.multipart?.fileSize ?? bodyLimit, files: options.multipart?.files ?? 10 },
    rejectUnknownQuery: options.unknownQueryParameters === 'reject',
    handlerTimeout: options.handlerTimeout ?? Number(process.env.SPECBIND_HANDLER_TIMEOUT ?? 30_000),
    responseValidation: options.responseValidation ?? (process.env.RESPONSE_VALIDATION as any) ?? 'strict',
    production: process.env.NODE_ENV === 'production',
    log,
    prepare: context,
    builtins,
    metrics,
    tracing: options.tracing === false ? undefined : RequestTracing.load({ apiName: (document as any)?.info?.title, apiVersion: (document as any)?.info?.version }),
    draining: () => shuttingDown,
    sseHeartbeat: options.sseHeartbeat ?? 15_000,
    ignoreTrailingSlash: options.ignoreTrailingSlash === true,
    cors,
  });
  const core: CoreHandler = (request, responder) => pipeline.handle(request, responder);
  const handler = nodeHandler(core);
  const fetch = fetchHandler(core);
  const fastify = fastifyPlugin(core);
  let app: Express | undefined;
  // Shutdown (src/observability/lifecycle.ts): not ready, stop accepting, drain in-flight requests, onClose.
  const listeners = new Set<Server>();
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      shuttingDown = true;
      // Event streams end now, between two events: their clients reconnect (Last-Event-ID) to a server that stays.
      pipeline.endResumableStreams();
      const timeout = shutdownTimeoutOf(options.shutdownTimeout);
      const drained = await Promise.all([...listeners].map((listener) => drain(listener, timeout, (socket) => writeProblem(socket, 408, 'the request was not received before the server shut down'))));
      if (drained.some((d) => !d.complete)) log.warn({ timeout }, 'shutdown timeout: connections with requests still in flight were closed');
      if (options.onClose) await options.onClose();
      flushLogger(log);
    })());

  return {
    get app() {
      // Loaded on first use: Express costs ~60 ms of startup a standalone server never needs.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (app ??= (require('./adapters/express') as typeof import('./adapters/express')).expressApp(core));
    },
    handler,
    fetch,
    fastify,
    operations: prepared.map((op) => ({ operationId: op.info.operationId, method: op.info.method, path: op.info.path, handlerSource: op.handlerSource, tags: op.info.tags })),
    document,
    log,
    warnings,
    listen(port = Number(process.env.PORT ?? 3000), host = process.env.HOST ?? '127.0.0.1', listenOptions: ListenOptions = {}) {
      // A client that sends its request slowly (or never finishes the body) is cut off: 408 and close.
      const requestTimeout = options.requestTimeout ?? Number(process.env.SPECBIND_REQUEST_TIMEOUT ?? 30_000);
      const server = createHttpServer(
        {
          requestTimeout,
          headersTimeout: Math.min(10_000, requestTimeout),
          connectionsCheckingInterval: Math.max(100, Math.min(1_000, requestTimeout / 2)),
          // The pipeline answers a missing Host with a problem naming it; node's own answer has no body.
          requireHostHeader: false,
        },
        handler,
      );
      server.on('clientError', answerClientError);
      trackSockets(server);
      server.on('connect', answerConnect);
      return new Promise<Listening>((resolve, reject) => {
        server.once('error', reject);
        // One turn of the event loop first: V8 runs the work it scheduled while the document was
        // prepared (a scavenge of startup's garbage, ~6 ms on GitHub's document) before any client is
        // let in, instead of inside the first request (bench/README.md, "The first request").
        setImmediate(() => {
          server.listen({ port, host, ...(listenOptions.reusePort ? { reusePort: true } : {}) }, () => {
            if (shuttingDown) {
              // close() came while the port was being bound: it could not see this listener.
              server.close();
              reject(new Error('the server was closed before it listened'));
              return;
            }
            const address = server.address() as AddressInfo;
            const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
            listeners.add(server);
            resolve({
              url: `http://${shownHost}:${address.port}`,
              port: address.port,
              server,
              close,
            });
          });
        });
      });
    },
    close,
  };
}
