// `specbind serve`: load the document and handlers, listen, drain on SIGTERM.
import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { StartupError } from '../errors';
import { basePathOf, createServer } from '../server';
import type { CreateServerOptions, MissingHandlers } from '../core/types';
import { cliLogger } from '../observability/pretty';
import { shutdownTimeoutOf } from '../observability/lifecycle';

export const SERVE_HELP = `specbind — serve an OpenAPI document, every operationId routed to a handler

Usage:
  specbind serve [--spec openapi/api.yaml] [--handlers handlers] [--port 3000] [--host 127.0.0.1]
                 [--config file.js] [--mock] [--not-implemented] [--tags a,b] [--verbose]

Options (flags win over environment variables, which win over the config file):
  --spec       the OpenAPI document (env SPECBIND_SPEC; default openapi/api.yaml)
  --handlers   directory of handler modules (env SPECBIND_HANDLERS; default handlers)
  --port       port (env PORT; default 3000)       --host  address (env HOST; default 127.0.0.1)
  --config     a module exporting createServer options (security, models, ...)
  --mock       answer operations that have no handler from the document's examples
  --not-implemented  answer operations that have no handler with 501
  --tags       serve only operations with one of these tags (the others answer 404)
  --workers    run N processes on one port; a worker that dies is replaced (env SPECBIND_WORKERS).
               Each worker listens itself (SO_REUSEPORT, Node >= 22.12 on Linux) where it can, else
               node:cluster's primary hands connections out; SPECBIND_REUSE_PORT=0 forces the latter
  --log-level  env LOG_LEVEL (default info)   --response-validation  env RESPONSE_VALIDATION (strict)
  --compile    lazy (default: each operation on its first request) or eager (all at startup) (env SPECBIND_COMPILE)
  --verbose    print stack traces of startup errors
Logs are JSON lines, pretty at a terminal (LOG_FORMAT=json|pretty forces one). On SIGTERM the server
stops accepting, reports not ready and lets in-flight requests finish (SPECBIND_SHUTDOWN_TIMEOUT ms, 8000).
A config file may also set port, host, workers and logLevel. NODE_ENV=production hides internals in errors.
`;

/** What a config file may hold: createServer options, and where to listen. */
export type ServeConfig = Partial<CreateServerOptions> & { port?: number; host?: string; workers?: number; logLevel?: string };

function loadConfig(file: string | undefined): ServeConfig {
  if (!file) return {};
  const loaded = require(path.resolve(file));
  return (loaded && loaded.default) || loaded || {};
}

const env = (name: string): string | undefined => (process.env[name] === '' ? undefined : process.env[name]);

/** flags, then environment variables, then the config file, then defaults. */
export function resolveServeOptions(values: Record<string, string | boolean | undefined>, config: ServeConfig) {
  const missing: MissingHandlers | undefined = values.mock ? 'mock' : values['not-implemented'] ? 'notImplemented' : config.missingHandlers;
  const level = (values['log-level'] as string | undefined) ?? env('LOG_LEVEL') ?? config.logLevel;
  const validation = (values['response-validation'] as string | undefined) ?? env('RESPONSE_VALIDATION') ?? config.responseValidation;
  if (validation !== undefined && !['strict', 'warn', 'off'].includes(validation)) {
    throw new StartupError(`RESPONSE_VALIDATION must be strict, warn or off (got "${validation}")`);
  }
  const compile = (values.compile as string | undefined) ?? env('SPECBIND_COMPILE') ?? config.compile;
  if (compile !== undefined && compile !== 'lazy' && compile !== 'eager') throw new StartupError(`--compile must be lazy or eager (got "${compile}")`);
  const options: CreateServerOptions = {
    ...config,
    compile,
    spec: (values.spec as string | undefined) ?? env('SPECBIND_SPEC') ?? config.spec ?? 'openapi/api.yaml',
    handlers: (values.handlers as string | undefined) ?? env('SPECBIND_HANDLERS') ?? config.handlers ?? 'handlers',
    missingHandlers: missing,
    responseValidation: validation as CreateServerOptions['responseValidation'],
    tags: typeof values.tags === 'string' ? values.tags.split(',').map((t) => t.trim()).filter(Boolean) : config.tags,
    logger: config.logger ?? (level ? { level } : undefined),
  };
  // Mock mode with no handlers directory at all: every operation is mocked.
  if (typeof options.handlers === 'string' && missing === 'mock' && !values.handlers && !env('SPECBIND_HANDLERS') && !config.handlers && !existsSync(options.handlers)) {
    options.handlers = undefined;
  }
  const port = Number(values.port ?? env('PORT') ?? config.port ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new StartupError(`the port must be a number from 0 to 65535 (got "${values.port ?? env('PORT') ?? config.port}")`);
  const host = (values.host as string | undefined) ?? env('HOST') ?? config.host ?? '127.0.0.1';
  const workers = Number(values.workers ?? env('SPECBIND_WORKERS') ?? config.workers ?? 1);
  if (!Number.isInteger(workers) || workers < 1) throw new StartupError(`--workers must be a whole number of at least 1 (got "${values.workers}")`);
  return { options, port, host, workers };
}

export async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      spec: { type: 'string' },
      handlers: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      config: { type: 'string' },
      tags: { type: 'string' },
      workers: { type: 'string' },
      'log-level': { type: 'string' },
      'response-validation': { type: 'string' },
      compile: { type: 'string' },
      mock: { type: 'boolean' },
      'not-implemented': { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return;
  }
  const { options, port, host, workers } = resolveServeOptions(values, loadConfig(values.config));
  if (workers > 1 && cluster.isPrimary) return superviseWorkers(workers, shutdownTimeoutOf(options.shutdownTimeout), await workersListen(port, host));

  const tty = process.stderr.isTTY && !cluster.isWorker;
  const server = await createServer({
    ...options,
    logger: cliLogger(options.logger),
    onCompileProgress: tty ? (done, total) => process.stderr.write(`\rcompiling validators: ${done}/${total}${done === total ? '\n' : ''}`) : undefined,
  });
  // A promise a handler left unhandled must not take the whole server down with it.
  process.on('unhandledRejection', (reason) => server.log.error({ err: reason }, 'unhandled promise rejection (left by a handler)'));
  // A --workers worker binds the port itself when its supervisor says so (see workersListen).
  const reusePort = cluster.isWorker && process.env.SPECBIND_REUSE_PORT === '1';
  const listening = await server.listen(port, host, { reusePort });
  // Operations are served under the document's base path (servers[0].url): `/v2/pets`, not `/pets`.
  const basePath = basePathOf(server.document);
  const apiUrl = listening.url + basePath;
  if (tty) process.stderr.write(routeTable(server.operations, basePath, apiUrl, listening.url));
  else {
    for (const op of server.operations) {
      server.log.info({ method: op.method, path: basePath + op.path, operationId: op.operationId, handler: op.handlerSource ? path.relative(process.cwd(), op.handlerSource) : '(none)' }, 'route');
    }
  }
  server.log.info({ url: apiUrl, docs: `${listening.url}/docs`, pid: process.pid }, `specbind serving ${server.operations.length} operations at ${apiUrl} (docs at ${listening.url}/docs)`);
  // Graceful shutdown: not ready, no new connections, in-flight requests finish (bounded), onClose, exit 0.
  // A second Ctrl-C exits at once (not in a --workers worker: a terminal's Ctrl-C reaches it beside the
  // supervisor's SIGTERM); a repeated SIGTERM changes nothing.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      if (signal === 'SIGINT' && !cluster.isWorker) process.exit(130);
      return;
    }
    stopping = true;
    const timeout = shutdownTimeoutOf(options.shutdownTimeout);
    const closed = listening.close();
    // Logged once the listener has closed (a moment after: connections already queued are taken first).
    let announced = false;
    const announce = () => {
      if (announced) return;
      announced = true;
      clearInterval(watch);
      server.log.info({ signal, timeout }, 'shutting down: not ready, no new connections, finishing in-flight requests');
    };
    const watch = setInterval(() => listening.server.listening || announce(), 5);
    setTimeout(() => {
      server.log.error({ timeout }, 'shutdown did not finish in time (onClose hung?): exiting');
      process.exit(1);
    }, timeout + 5000).unref();
    closed.then(
      () => {
        announce();
        server.log.info('shut down');
        process.exit(0);
      },
      (error) => {
        announce();
        server.log.error({ err: error }, 'shutdown failed: onClose threw');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** The route table for a person at a terminal: method, path, operationId, handler file; colours only there. */
function routeTable(operations: ReadonlyArray<{ method: string; path: string; operationId: string; handlerSource?: string }>, basePath: string, url: string, origin: string): string {
  const colour = (code: number, text: string) => `\x1b[${code}m${text}\x1b[0m`;
  const rows = operations.map((op) => [op.method, basePath + op.path, op.operationId, op.handlerSource ? path.relative(process.cwd(), op.handlerSource) : '(no handler)']);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), 6));
  const lines = rows.map((r) => `  ${colour(36, r[0].padEnd(widths[0]))}  ${r[1].padEnd(widths[1])}  ${colour(33, r[2].padEnd(widths[2]))}  ${colour(2, r[3])}`);
  return `${lines.join('\n')}\n\n  specbind serving ${operations.length} operations at ${colour(1, url)}  (docs: ${origin}/docs)\n\n`;
}

/**
 * How `--workers` share one port. `reusePort`: each worker binds it itself with SO_REUSEPORT (Node >=
 * 22.12 or 23.1, on Linux) and the kernel spreads new connections among the workers' listeners; a
 * worker that dies takes only its own listener and connections with it. `round-robin`: node:cluster's
 * default, the primary accepts every connection and hands it to a worker over IPC; a connection handed
 * over the instant a worker is killed is never answered nor closed (node keeps it in the primary), so
 * clients need a timeout (test/cli/workers-kill.test.ts measures both).
 */
export type WorkersListen = 'reusePort' | 'round-robin';

/**
 * `reusePort` where it works, else `round-robin`. Found by trying, not by version: two listeners with
 * reusePort on one ephemeral port of `host`. Node 20 ignores the option (the second bind fails,
 * EADDRINUSE), and so does a platform without it (ENOTSUP). Not for port 0 (each worker would get a
 * port of its own), nor with SPECBIND_REUSE_PORT=0. Checks first that nothing holds the port: with
 * SO_REUSEPORT a second `serve --workers` on the same port would share it with the first instead of
 * failing.
 */
export async function workersListen(port: number, host: string): Promise<WorkersListen> {
  if (port === 0 || process.env.SPECBIND_REUSE_PORT === '0') return 'round-robin';
  const bind = (options: { port: number; host: string; reusePort?: boolean }) =>
    new Promise<NetServer>((resolve, reject) => {
      const probe = createNetServer();
      probe.once('error', reject);
      probe.listen(options, () => resolve(probe));
    });
  const close = (probe: NetServer | undefined) => new Promise<void>((resolve) => (probe ? probe.close(() => resolve()) : resolve()));
  try {
    await close(await bind({ port, host }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new StartupError(`port ${port} on ${host} is in use`);
    return 'round-robin'; // the workers report it, as without --workers
  }
  let first: NetServer | undefined;
  let second: NetServer | undefined;
  try {
    first = await bind({ port: 0, host, reusePort: true });
    second = await bind({ port: (first.address() as { port: number }).port, host, reusePort: true });
    return 'reusePort';
  } catch {
    return 'round-robin';
  } finally {
    await Promise.all([close(first), close(second)]);
  }
}

/**
 * `--workers N`: N processes share the port (`listen`, above); a worker that dies is replaced, unless
 * workers keep dying at startup (then the supervisor gives up rather than spin).
 */
function superviseWorkers(count: number, shutdownTimeout: number, listen: WorkersListen): void {
  let stopping = false;
  let quickDeaths = 0;
  const startedAt = new Map<number, number>();
  const fork = () => {
    const worker = cluster.fork({ SPECBIND_REUSE_PORT: listen === 'reusePort' ? '1' : '0' });
    startedAt.set(worker.id, Date.now());
  };
  process.stderr.write(
    listen === 'reusePort'
      ? `specbind: ${count} workers, each listening on the port itself (SO_REUSEPORT: the kernel spreads connections)\n`
      : `specbind: ${count} workers, connections handed out round-robin by the primary (node:cluster)\n`,
  );
  for (let i = 0; i < count; i++) fork();
  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0);
    startedAt.delete(worker.id);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    quickDeaths = lived < 2000 ? quickDeaths + 1 : 0;
    if (quickDeaths >= 5) {
      process.stderr.write(`specbind: workers keep dying at startup (last: code ${code}, signal ${signal}); giving up\n`);
      process.exit(1);
    }
    process.stderr.write(`specbind: worker ${worker.process.pid} died (code ${code}, signal ${signal}); starting another\n`);
    fork();
  });
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    setTimeout(() => process.exit(0), shutdownTimeout + 6000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
