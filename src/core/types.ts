// The server's options. What handlers and security checks are given and return is the handler
// contract (src/contract/), which the layers below the core need too.
import type { Logger } from 'pino';
import type { LoggerOptions } from '../log';
import type { Handler, ModelClass, SecurityCheck } from '../contract/handler';
import type { MetricsOptions } from '../observability/metrics';
import type { CorsOptions } from '../http/cors';

export type ResponseValidationMode = 'strict' | 'warn' | 'off';
export type MissingHandlers = 'fail' | 'mock' | 'notImplemented';

export interface CreateServerOptions {
  /** A path to the document (YAML or JSON), or a parsed document object. */
  spec: string | object;
  /** A directory whose modules export handlers named after operationIds, or an object of handlers. */
  handlers?: string | Record<string, Handler>;
  models?: Record<string, ModelClass>;
  security?: Record<string, SecurityCheck>;
  responseValidation?: ResponseValidationMode;
  /** Swagger UI path, or false. Default '/docs'. */
  docs?: string | false;
  missingHandlers?: MissingHandlers;
  /** Request body limit in bytes (default 1 MiB); for multipart bodies, the limit of all parts together. */
  bodyLimit?: number;
  /** multipart/form-data limits: largest file (default: bodyLimit) and most files (default 10). */
  multipart?: { fileSize?: number; files?: number };
  /** ms a client has to send its whole request (headers and body) to `listen()`'s server: else 408 and close (default 30000). */
  requestTimeout?: number;
  /** ms a handler may take before the request is answered 504 Handler Timeout (default 30000; 0 for no limit). A stream it returned flows on past it. */
  handlerTimeout?: number;
  /** ms of silence after which an open server-sent event stream gets a comment line, so that proxies keep it open (default 15000; 0 for none). */
  sseHeartbeat?: number;
  /**
   * true: a path that matches no operation is tried without its trailing slash (`GET /pets/` is
   * `GET /pets`), or with one where the document declares it (fastify's `ignoreTrailingSlash`).
   * Default false: `/pets/` is a 404 where only `/pets` is declared.
   */
  ignoreTrailingSlash?: boolean;
  /** Query parameters the operation does not declare: 'ignore' (default) or 'reject' with a 400. */
  unknownQueryParameters?: 'ignore' | 'reject';
  /**
   * 'lazy' (the default): each operation's validators compile on its first request (a response's on
   * its first sending), so a 1,000-operation document is ready in a fraction of a second.
   * 'eager': everything compiles at startup, so a schema Ajv refuses stops the server before traffic
   * and no first request pays a compile. `specbind check` compiles everything either way.
   */
  compile?: 'eager' | 'lazy';
  /**
   * A pino logger, or options for the one specbind makes: JSON lines to stdout, level from LOG_LEVEL
   * (default 'info'), written in batches at most 20 ms late unless `sync` (LOG_SYNC=1) writes each one
   * as it is logged (README, "Logs, metrics, shutdown").
   */
  logger?: Logger | LoggerOptions;
  /** Readiness probe for /readyz, e.g. a database ping. */
  ready?: () => boolean | Promise<boolean>;
  /** ms /readyz waits for `ready()` before it answers not ready (a probe that hangs is a failed probe); default 2000. */
  readyTimeout?: number;
  /** Called while validators compile at startup (eager mode), for a progress line. */
  onCompileProgress?: (done: number, total: number) => void;
  /** Serve only the operations carrying one of these tags (the others answer 404). */
  tags?: string[];
  /** Prometheus metrics at GET /metrics (default on); false turns them off, an object moves or tunes them. */
  metrics?: boolean | MetricsOptions;
  /**
   * OpenTelemetry server spans (default true): made once the application has registered a tracer
   * provider through `@opentelemetry/api` (an optional peer dependency), costing nothing before;
   * false never makes a span (README, "Traces").
   */
  tracing?: boolean;
  /** How long close() (and SIGTERM) lets in-flight requests finish, in ms (env SPECBIND_SHUTDOWN_TIMEOUT; default 8000). */
  shutdownTimeout?: number;
  /** Called once by close(), after in-flight requests have finished: close database pools here. */
  onClose?: () => Promise<void> | void;
  /**
   * CORS for browser pages on other origins (README, "CORS"): the allowed origins, and whether they may
   * send credentials. Off when absent: no preflight is answered and no answer carries CORS headers.
   */
  cors?: CorsOptions | false;
}
