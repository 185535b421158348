// The request's way through, for one prepared document: route → security → parameters and body →
// handler → reply → response validation. Speaks node's request in, a neutral response out.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { CoreRequest, NativeRequest } from '../http/request';
import type { Logger } from 'pino';
import { HttpError, PROBLEM_JSON, type ViolationDetail } from '../errors';
import { decodeForm, parseCookies, parseQuery, type QueryMap, type RawParameters } from '../binding/parameters';
import { absentBody, type BodyPlan, type MediaPlan, matchMedia, parseBody } from '../binding/body';
import { forValidation, type MultipartLimits, parseMultipart, textWhereFileDeclared } from '../binding/multipart';
import { essence, negotiate, parseAccept } from '../replies/media';
import { isReply, Reply } from '../contract/reply';
import type { RouteMatch, Router } from '../router/router';
import { type CompiledOperation, compileOperation, type PrepareContext, type PreparedOperation } from './prepare';
import { ownAnswer } from './own-answers';
import { conditionName, errorReply, plainProblem, problemBody, render, type StreamingContext, successReply } from './respond';
import type { OutgoingResponse, ResponseStream, StreamOutcome } from '../http/response';
import { closeSource, discardBody, fileLength } from '../replies/streams';
import { isNodeReadable } from '../replies/bodies';
import { declaredOverLimit, UploadStream } from '../binding/upload';
import { Readable } from 'node:stream';
import type { HandlerContext } from '../contract/handler';
import type { ResponseValidationMode } from './types';
import type { RequestMetrics } from '../observability/metrics';
import { accessLog, type AccessLog } from '../log/access';
import type { CorsPolicy } from '../http/cors';
import type { RequestTracing, ServerSpan } from '../observability/tracing';

export interface PipelineOptions {
  router: Router<PreparedOperation>;
  basePath: string;
  bodyLimit: number;
  multipart: MultipartLimits;
  /** Answer undeclared query parameters with a 400 instead of ignoring them. */
  rejectUnknownQuery: boolean;
  /** ms a handler may take before the request is answered 504; 0 for no limit. */
  handlerTimeout: number;
  responseValidation: ResponseValidationMode;
  production: boolean;
  log: Logger;
  prepare: PrepareContext;
  /** Routes served beside the document's (docs, health); consulted only when the document has no match. */
  builtins: (method: string, path: string) => Promise<OutgoingResponse | undefined>;
  /** Observability hook-in (src/observability/metrics.ts): one observation per request. */
  metrics?: RequestMetrics;
  /** OpenTelemetry server spans (src/observability/tracing.ts); absent when `@opentelemetry/api` is not installed. */
  tracing?: RequestTracing;
  /** True while the server shuts down: responses then carry `Connection: close`. */
  draining?: () => boolean;
  /** ms of silence after which an open SSE stream gets a comment line (proxies keep it open); 0 for none. */
  sseHeartbeat: number;
  /** A path that matches nothing is tried without its trailing slash (or with one). */
  ignoreTrailingSlash?: boolean;
  /** CORS (src/http/cors.ts): preflights answered before routing, allowed origins' answers marked; absent when off. */
  cors?: CorsPolicy;
}

/** What an adapter gives the core for one request: where its response goes, and word of a client that goes away. */
export interface Responder {
  /** Writes the response (throws when it cannot be written: the core then sends a plain 500). */
  send(response: OutgoingResponse): void;
  /** `listener` is called when the client goes away before its response is complete. */
  watch(listener: () => void): void;
}

const NOT_FOUND: RouteMatch<never> = { kind: 'notFound' };
const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

// Request ids: a random 7-character base-36 prefix, then a base-36 counter; a new prefix every 36^5
// requests. 8 to 12 characters: under 13, V8 concatenates into a flat string (a cons string would be
// flattened again by node's header check on every response, which the profile showed), and a small
// integer's toString(36) costs ~30 ns where a 52-bit one's cost ~300 (0.5 µs a request in the
// profile). 36^7 prefixes: ids do not repeat across processes and restarts in practice; they need not
// be unguessable.
const IDS_PER_PREFIX = 36 ** 5;
let idPrefix = '';
let idCounter = IDS_PER_PREFIX;
function nextRequestId(): string {
  if (++idCounter >= IDS_PER_PREFIX) {
    idPrefix = (randomBytes(5).readUIntBE(0, 5) % 36 ** 7).toString(36).padStart(7, '0');
    idCounter = 0;
  }
  return idPrefix + idCounter.toString(36);
}

/** One request on its way through: what its response needs when it is complete. */
interface Exchange {
  request: CoreRequest;
  url: string;
  path: string;
  requestId: string;
  operationId: string | undefined;
  /** performance.now() at arrival; 0 when neither metrics nor the request log need a duration. */
  started: number;
  logged: boolean;
  responder: Responder;
  /** The handler takes the request body as a stream (`streamBody()`): it may still be arriving. */
  uploading?: boolean;
  /** Query parameters that carry credentials (apiKey schemes `in: query`): their values stay out of the log. */
  secretQuery?: readonly string[];
  /** A CORS preflight: its answer carries its own CORS headers, or none. */
  preflight?: true;
  /** Behind `ctx.signal` (made on first use): aborted when the client goes away, or the server ends the stream at shutdown. */
  aborter?: AbortController;
  /** The request's server span, while a tracer provider is registered. */
  trace: ServerSpan | undefined;
}

class RequestContext implements HandlerContext {
  principal: unknown = undefined;
  recorded?: Reply;
  private replies?: any;
  private logger?: Logger;

  constructor(
    private readonly core: CoreRequest,
    readonly requestId: string,
    private readonly op: PreparedOperation,
    private readonly baseLog: Logger,
    private readonly exchange: Exchange,
    private readonly pipeline: PipelineOptions,
  ) {}

  /** The adapter's own request: node's (or Express's), or a Fetch `Request`. */
  get request(): NativeRequest {
    return this.core.original;
  }

  /** A request header by name (any case), whatever the adapter. */
  header(name: string): string | undefined {
    return this.core.header(name.toLowerCase());
  }

  get operation() {
    return this.op.info;
  }

  get reply() {
    if (!this.replies) {
      this.replies = Object.create(this.op.replyPrototype);
      this.replies.record = (reply: Reply) => (this.recorded = reply);
    }
    return this.replies;
  }

  get log(): Logger {
    const trace = this.exchange.trace;
    return (this.logger ??= this.baseLog.child(
      trace
        ? { reqId: this.requestId, operationId: this.op.info.operationId, trace_id: trace.traceId, span_id: trace.spanId }
        : { reqId: this.requestId, operationId: this.op.info.operationId },
    ));
  }

  /** A handler's exception that became a 500: its span records it. */
  failed(error: unknown): void {
    if (this.exchange.trace) this.exchange.trace.failure = error;
  }

  /** Aborted when the client goes away before its response is complete (made on first use). */
  get signal(): AbortSignal {
    const exchange = this.exchange;
    if (!exchange.aborter) {
      const aborter = (exchange.aborter = new AbortController());
      exchange.responder.watch(() => aborter.abort(new Error('the client closed the connection')));
    }
    return exchange.aborter.signal;
  }

  /** The SSE `Last-Event-ID` a reconnecting EventSource sends: where its stream should resume. */
  get lastEventId(): string | undefined {
    return this.core.header('last-event-id');
  }

  /** How a stream of items from this request's handler is checked and reported (render asks for it only for such a body). */
  streamingContext(): StreamingContext {
    const { responseValidation: mode, sseHeartbeat, metrics, production } = this.pipeline;
    const operationId = this.op.info.operationId;
    return {
      mode,
      heartbeatMs: sseHeartbeat,
      onInvalidItem: (violations, index) => {
        metrics?.responseInvalid(operationId);
        if (mode === 'strict') this.log.error({ violations, item: index }, `stream item of ${operationId} breaks the contract: the stream ends before it`);
        else this.log.warn({ violations, item: index }, 'stream item breaks the contract (sent anyway: responseValidation is warn)');
      },
      onRefusedItem: (reason, index) => this.log.error({ item: index, reason }, `stream item of ${operationId} cannot be written: the stream ends before it`),
      errorData: (detail, why) => JSON.stringify(problemBody(HttpError.of(why === 'invalid' ? 'responseValidationFailed' : 'internalError', `${operationId}: ${detail}`), 500, this.exchange.path, production)),
    };
  }
}

/** Where parameters are read from: the query parsed once, cookies on first use. */
class RequestParts implements RawParameters {
  private parsedCookies?: Map<string, string>;

  constructor(
    readonly path: Record<string, string>,
    readonly query: QueryMap,
    private readonly request: CoreRequest,
  ) {}

  header(name: string): string | undefined {
    return this.request.header(name);
  }

  cookies(): Map<string, string> {
    return (this.parsedCookies ??= parseCookies(this.request.header('cookie')));
  }
}

/**
 * A refusal (a 400) handed back by the steps `conclude` runs instead of thrown. Under node a `throw`
 * costs a walk of the stack: V8 computes where it was thrown and captures frames for the message it
 * keeps, since node asks it to for uncaught exceptions: ~6 % of a refused request's CPU under perf.
 */
class Refusal {
  constructor(readonly error: HttpError) {}
}

/** The query of a URL without one (most requests): shared, read only. */
const NO_QUERY: QueryMap = new Map();

export class Pipeline {
  /** The line a request leaves in the log (src/log/access.ts). */
  private readonly access: AccessLog;

  constructor(private readonly options: PipelineOptions) {
    this.access = accessLog(options.log);
  }

  /**
   * Answers one request: `responder` gets the response to write. Called synchronously when nothing on the way
   * had to be awaited (no security check, no body to read, a handler that returns a value), and without
   * a promise chain up to the adapter when something had: each promise hop per request is measurable at
   * 50k req/s (bench/README.md).
   */
  handle(request: CoreRequest, responder: Responder): void {
    const logged = this.options.log.isLevelEnabled('info');
    const url = originForm(request.url);
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const search = q === -1 ? '' : url.slice(q + 1);
    const header = request.header('x-request-id');
    const requestId = typeof header === 'string' && REQUEST_ID.test(header) ? header : nextRequestId();
    const { tracing } = this.options;
    const exchange: Exchange = {
      request,
      url,
      path,
      requestId,
      operationId: undefined,
      started: logged || this.options.metrics ? performance.now() : 0,
      logged,
      responder,
      trace: tracing?.start(request, path),
    };
    try {
      if (request.requiresHost && request.header('host') === undefined) {
        // RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400 (the standalone server leaves this to us).
        const error = HttpError.of('validationFailed', 'header "Host" is required in HTTP/1.1', { errors: [{ in: 'header', name: 'Host', message: 'is required' }] });
        this.complete(exchange, plainProblem(problemBody(error, 400, path, false)));
        return;
      }
      if (this.options.cors && request.method === 'OPTIONS' && this.preflight(exchange)) return;
      const routed = this.route(request.method, path);
      if (routed.kind === 'found') {
        exchange.operationId = routed.store.info.operationId;
        if (exchange.trace) tracing!.routed(exchange.trace, request.method, this.options.basePath + routed.store.info.path, exchange.operationId);
        // Set only where there is one: a property added to every exchange costs a hidden-class change a request.
        if (routed.store.secretQuery) exchange.secretQuery = routed.store.secretQuery;
        this.run(routed.store, exchange, search, routed.params);
      } else {
        this.options.builtins(request.method, path).then(
          (builtin) => {
            // /healthz, /metrics, /docs: routes of their own, few and fixed.
            if (builtin && exchange.trace) tracing!.routed(exchange.trace, request.method, path);
            this.complete(exchange, builtin ?? this.routingProblem(routed, path));
          },
          (error) => this.complete(exchange, this.unexpected(error, exchange)),
        );
      }
    } catch (error) {
      this.complete(exchange, this.unexpected(error, exchange));
    }
  }

  private unexpected(error: unknown, exchange: Exchange): OutgoingResponse {
    if (exchange.trace) exchange.trace.failure = error;
    this.options.log.error({ err: error, reqId: exchange.requestId, operationId: exchange.operationId }, 'unexpected error outside a handler');
    return plainProblem(problemBody(HttpError.of('internalError', 'unexpected error'), 500, exchange.path, true));
  }

  /** What every response gets on its way out (its request id, `Connection: close` while draining, a log line, metrics), then to the adapter. */
  private complete(exchange: Exchange, response: OutgoingResponse): void {
    response.headers['x-request-id'] = exchange.requestId;
    this.markCors(exchange, response.headers);
    // Answered before a streamed upload has all arrived: the rest is not read, so the connection closes (lingering).
    if (this.options.draining?.() || (exchange.uploading && !exchange.request.body.complete)) response.headers.connection = 'close';
    if (response.stream) {
      this.completeStream(exchange, response, response.stream);
      return;
    }
    if (exchange.logged || this.options.metrics) {
      const { request, operationId, trace } = exchange;
      const ms = performance.now() - exchange.started;
      this.options.metrics?.request(operationId, request.method, response.status, ms / 1000);
      if (exchange.logged) {
        this.access({ reqId: exchange.requestId, operationId, method: request.method, url: loggedUrl(exchange), status: response.status, ms: Math.round(ms * 1000) / 1000, trace_id: trace?.traceId, span_id: trace?.spanId });
      }
    }
    if (exchange.trace) this.endSpan(exchange, exchange.trace, response.status);
    this.write(exchange, response);
  }

  /** The span ends with the response (a stream's when it has ended); its query as the access log shows it. */
  private endSpan(exchange: Exchange, trace: ServerSpan, status: number, streamFailure?: unknown): void {
    const url = loggedUrl(exchange);
    const q = url.indexOf('?');
    if (q !== -1 && q < url.length - 1) trace.span.setAttribute('url.query', url.slice(q + 1));
    this.options.tracing!.end(trace, status, streamFailure);
  }

  /** Calls the handler: in its request's span context when there is one, so the application's spans nest under it. */
  private call(op: PreparedOperation, input: Record<string, unknown>, ctx: RequestContext, exchange: Exchange): unknown {
    return exchange.trace ? this.options.tracing!.run(exchange.trace, op.handler, input, ctx) : op.handler(input, ctx);
  }

  /** An allowed origin's answer gets its CORS headers (a preflight's answer carries its own). */
  private markCors(exchange: Exchange, headers: OutgoingResponse['headers']): void {
    if (this.options.cors && !exchange.preflight) this.options.cors.decorate(exchange.request.header('origin'), headers);
  }

  /** Hands the response to the adapter; one it cannot write becomes a plain 500. */
  private write(exchange: Exchange, response: OutgoingResponse): void {
    try {
      exchange.responder.send(response);
    } catch (error) {
      // The adapter could not write it (a header value node refuses, ...): a plain 500 instead.
      if (response.stream) closeSource(response.stream.source);
      this.options.log.error({ err: error, reqId: exchange.requestId, operationId: exchange.operationId }, 'response could not be written');
      const fallback = plainProblem(problemBody(HttpError.of('internalError', 'the response could not be written'), 500, exchange.path, true), { 'x-request-id': exchange.requestId });
      this.markCors(exchange, fallback.headers);
      try {
        exchange.responder.send(fallback);
      } catch {
        // Nothing more can be sent on this connection.
      }
    }
  }

  /** Streams that may end between two items (SSE), open now: ended cleanly at shutdown so that clients reconnect elsewhere. */
  private readonly resumable = new Map<ResponseStream, Exchange>();

  /**
   * A streamed body: its length settled before the first byte (a file's size, or a Content-Length the
   * handler set), none for HEAD; counted when its headers go, logged when it ends.
   */
  private completeStream(exchange: Exchange, response: OutgoingResponse, stream: ResponseStream): void {
    const { request, operationId } = exchange;
    const declared = response.headers['content-length'];
    if (typeof declared === 'string' && /^\d+$/.test(declared)) stream.length = Number(declared);
    if (stream.length === undefined && isNodeReadable(stream.source) && !stream.measured) {
      stream.measured = true;
      // A file that cannot be opened says so while its size is asked, with nobody listening yet: an
      // 'error' no one hears ends the process. Held here; the adapter finds the stream errored and
      // cuts the response off, as for a failure after the first byte.
      const source = stream.source;
      const hold = () => {};
      source.on('error', hold);
      void fileLength(source).then((length) => {
        source.off('error', hold);
        stream.length = length;
        this.completeStream(exchange, response, stream);
      });
      return;
    }
    if (request.method === 'HEAD') {
      closeSource(stream.source);
      response.stream = undefined;
      if (stream.length !== undefined) response.headers['content-length'] = String(stream.length);
      this.complete(exchange, response);
      return;
    }
    const ms = performance.now() - exchange.started;
    // The duration histogram measures time to the response's start: an event stream may stay open for hours.
    this.options.metrics?.request(operationId, request.method, response.status, ms / 1000);
    if (stream.resumable) this.resumable.set(stream, exchange);
    stream.ended = (outcome: StreamOutcome) => {
      this.resumable.delete(stream);
      const total = Math.round((performance.now() - exchange.started) * 1000) / 1000;
      if (outcome.kind === 'failed') {
        if (operationId) this.options.metrics?.streamFailed(operationId);
        this.options.log.error({ err: outcome.error, reqId: exchange.requestId, operationId, bytes: outcome.bytes }, 'streamed response failed: the client got an incomplete body');
      }
      const { trace } = exchange;
      if (exchange.logged) {
        this.access({ reqId: exchange.requestId, operationId, method: request.method, url: loggedUrl(exchange), status: response.status, ms: total, bytes: outcome.bytes, stream: outcome.kind, trace_id: trace?.traceId, span_id: trace?.spanId });
      }
      if (trace) this.endSpan(exchange, trace, response.status, outcome.kind === 'failed' ? (outcome.error ?? new Error('the stream failed')) : undefined);
    };
    this.write(exchange, response);
  }

  /** Shutdown: streams that may end between two items (SSE) end now, cleanly; a byte stream runs on, within the drain's bound. */
  endResumableStreams(): void {
    for (const [stream, exchange] of this.resumable) {
      // What the handler's source waits on (a timer, a query) is told too: its next step would come after onClose.
      exchange.aborter?.abort(new Error('the server is shutting down'));
      stream.stop?.();
    }
    this.resumable.clear();
  }

  private route(method: string, path: string): RouteMatch<PreparedOperation> {
    const { basePath, router } = this.options;
    if (basePath && !(path === basePath || path.startsWith(`${basePath}/`))) return NOT_FOUND;
    let local = basePath ? path.slice(basePath.length) || '/' : path;
    let match = router.find(method, local);
    if (match.kind === 'notFound' && this.options.ignoreTrailingSlash && local !== '/') {
      // `/pets/` is `/pets` (and `/pets` a declared `/pets/`): only paths that matched nothing pay for it.
      local = local.endsWith('/') ? local.replace(/\/+$/, '') || '/' : `${local}/`;
      match = router.find(method, local);
    }
    if (match.kind === 'methodNotAllowed' && method === 'HEAD' && match.allowed.includes('GET')) {
      const get = router.find('GET', local);
      if (get.kind === 'found') return get;
    }
    return match;
  }

  /**
   * A CORS preflight (OPTIONS with Origin and Access-Control-Request-Method), answered before routing and
   * security: it never reaches a handler. A document path answers 204 with what it allows (the path of the
   * operation the actual request would reach; for a method no operation there declares, the path's
   * answer, which the browser then refuses), an origin not allowed 403, another path 404, both without
   * CORS headers. False when the request is no preflight (it is then routed as any OPTIONS).
   */
  private preflight(exchange: Exchange): boolean {
    const { request, path } = exchange;
    const origin = request.header('origin');
    const method = request.header('access-control-request-method');
    if (origin === undefined || method === undefined) return false;
    exchange.preflight = true;
    let routed = this.route(method, path);
    if (routed.kind === 'methodNotAllowed') routed = this.route(routed.allowed[0], path);
    if (routed.kind !== 'found') {
      this.complete(exchange, this.routingProblem({ kind: 'notFound' }, path));
      return true;
    }
    // The span is the path's (a preflight belongs to no operation).
    if (exchange.trace) this.options.tracing!.routed(exchange.trace, request.method, this.options.basePath + routed.store.info.path);
    const headers = this.options.cors!.preflight(origin, routed.store.info.path);
    if (headers) this.complete(exchange, { status: 204, headers });
    else this.complete(exchange, plainProblem(problemBody(HttpError.of('forbidden', `the origin ${origin} is not allowed by this server's CORS policy`), 403, path, false)));
    return true;
  }

  private routingProblem(routed: { kind: 'notFound' } | { kind: 'methodNotAllowed'; allowed: string[] }, path: string): OutgoingResponse {
    if (routed.kind === 'methodNotAllowed') {
      const allowed = routed.allowed.includes('GET') && !routed.allowed.includes('HEAD') ? [...routed.allowed, 'HEAD'].sort() : routed.allowed;
      return plainProblem(problemBody(HttpError.of('methodNotAllowed', `allowed: ${allowed.join(', ')}`), 405, path, false), { allow: allowed.join(', ') });
    }
    return plainProblem(problemBody(HttpError.of('notFound', `no operation at ${path}`), 404, path, false));
  }

  private run(op: PreparedOperation, exchange: Exchange, search: string, pathParams: Record<string, string>): void {
    const { request, path } = exchange;
    const ctx = new RequestContext(request, exchange.requestId, op, this.options.log, exchange, this.options);
    const accept = request.header('accept');
    let response: OutgoingResponse;
    try {
      if (op.complete) this.completeOnFirstUse(op);
      // Refusals go to fail() without a throw (see Refusal): the common 400s and 406s.
      if (accept && op.produces.length && !negotiate(op.produces, parseAccept(accept))) {
        response = this.fail(op, ctx, HttpError.of('notAcceptable', `this operation produces ${[...new Set(op.produces)].join(', ')}`), path, accept);
      } else if (op.security) {
        // Compiled after the check: a request refused with a 401 or 403 compiles nothing of the operation.
        void this.runAsync(op, op.compiled, ctx, exchange, search, pathParams, accept);
        return;
      } else {
        const compiled = op.compiled ?? this.compileOnFirstUse(op);
        if (compiled.body) {
          this.runWithBody(op, compiled, ctx, exchange, search, pathParams, accept);
          return;
        }
        const errors: ViolationDetail[] = [];
        const input = this.bindParameters(compiled, request, search, pathParams, errors);
        if (errors.length) response = this.fail(op, ctx, HttpError.of('validationFailed', describe(errors), { errors }), path, accept);
        else {
          const result = this.call(op, input, ctx, exchange);
          if (isThenable(result)) {
            void this.settle(op, ctx, exchange, Promise.resolve(result), accept);
            return;
          }
          response = this.reply(op, ctx, result, path, accept);
        }
      }
    } catch (error) {
      response = this.fail(op, ctx, error, path, accept);
    }
    this.complete(exchange, response);
  }

  /**
   * The way through for a body without a security check (most APIs' writes): the body is read with a
   * callback and the handler called from it, so no promise is made unless the handler returns one.
   * The same order and the same answers as `runAsync`: parameters bound, then the body read, then
   * every violation of both reported together.
   */
  private runWithBody(
    op: PreparedOperation,
    compiled: CompiledOperation,
    ctx: RequestContext,
    exchange: Exchange,
    search: string,
    pathParams: Record<string, string>,
    accept: string | undefined,
  ): void {
    const { request } = exchange;
    const errors: ViolationDetail[] = [];
    let input: Record<string, unknown>;
    let media: MediaPlan | undefined;
    try {
      input = this.bindParameters(compiled, request, search, pathParams, errors);
      media = this.bodyMedia(compiled.body!, request, errors);
    } catch (error) {
      this.conclude(op, ctx, exchange, accept, () => {
        throw error;
      });
      return;
    }
    if (media?.kind === 'multipart') {
      void this.runAsync(op, compiled, ctx, exchange, search, pathParams, accept);
      return;
    }
    if (media?.streamable && op.streamBody) {
      this.conclude(op, ctx, exchange, accept, () => {
        input.body = this.upload(op, exchange);
        if (errors.length) return new Refusal(HttpError.of('validationFailed', describe(errors), { errors }));
        return this.call(op, input, ctx, exchange);
      });
      return;
    }
    const withBody = (body: unknown) =>
      this.conclude(op, ctx, exchange, accept, () => {
        if (media) this.acceptBody(compiled, media, body, input, errors);
        if (errors.length) return new Refusal(HttpError.of('validationFailed', describe(errors), { errors }));
        return this.call(op, input, ctx, exchange);
      });
    if (!media) {
      this.conclude(op, ctx, exchange, accept, () => {
        this.bodyByDefault(compiled, input, errors);
        if (errors.length) return new Refusal(HttpError.of('validationFailed', describe(errors), { errors }));
        return this.call(op, input, ctx, exchange);
      });
      return;
    }
    const parsed = request.body.parsed;
    if (parsed) {
      withBody(parsed.value);
      return;
    }
    request.body.read(this.options.bodyLimit, (error, bytes) => {
      if (error) {
        this.conclude(op, ctx, exchange, accept, () => {
          throw error;
        });
      } else withBody(bytes);
    });
  }

  /** Completes the exchange with what `toResult` (binding, then the handler) gives: its reply, or its failure; a promise is settled first. */
  private conclude(op: PreparedOperation, ctx: RequestContext, exchange: Exchange, accept: string | undefined, toResult: () => unknown): void {
    let response: OutgoingResponse;
    try {
      try {
        const result = toResult();
        if (result instanceof Refusal) response = this.fail(op, ctx, result.error, exchange.path, accept);
        else if (isThenable(result)) {
          void this.settle(op, ctx, exchange, Promise.resolve(result), accept);
          return;
        } else response = this.reply(op, ctx, result, exchange.path, accept);
      } catch (error) {
        response = this.fail(op, ctx, error, exchange.path, accept);
      }
    } catch (error) {
      response = this.unexpected(error, exchange);
    }
    this.complete(exchange, response);
  }

  /**
   * The way through when something must be awaited before the handler: a security check (then any
   * body too), or a multipart body. Never rejects: every failure becomes a response (an unexpected one a plain 500).
   */
  private async runAsync(
    op: PreparedOperation,
    /** Undefined when the operation is compiled here (lazy mode, after its security check). */
    compiled: CompiledOperation | undefined,
    ctx: RequestContext,
    exchange: Exchange,
    search: string,
    pathParams: Record<string, string>,
    accept: string | undefined,
  ): Promise<void> {
    const { request, path } = exchange;
    let response: OutgoingResponse;
    try {
      try {
        // Security first: an unauthenticated client cannot make the server read its body.
        if (op.security) {
          ctx.principal = await (exchange.trace ? this.options.tracing!.run(exchange.trace, op.security, request, search, op.info) : op.security(request, search, op.info));
        }
        compiled ??= op.compiled ?? this.compileOnFirstUse(op);
        const errors: ViolationDetail[] = [];
        const input = this.bindParameters(compiled, request, search, pathParams, errors);
        const media = compiled.body && this.bodyMedia(compiled.body, request, errors);
        if (media?.kind === 'multipart') await this.bindMultipart(media, request, input, errors);
        else if (media?.streamable && op.streamBody) input.body = this.upload(op, exchange);
        // Awaited here, not in a helper: one promise hop per request fewer.
        else if (media) this.acceptBody(compiled, media, await this.bodyOf(request), input, errors);
        else if (compiled.body) this.bodyByDefault(compiled, input, errors);
        if (errors.length) throw HttpError.of('validationFailed', describe(errors), { errors });
        let result = this.call(op, input, ctx, exchange);
        if (isThenable(result)) result = await this.withinTimeout(Promise.resolve(result), op, exchange);
        response = this.reply(op, ctx, result, path, accept);
      } catch (error) {
        response = this.fail(op, ctx, error, path, accept);
      }
    } catch (error) {
      response = this.unexpected(error, exchange);
    }
    this.complete(exchange, response);
  }

  /** A handler that returned a promise: its settled value is replied, its rejection fails the request. Never rejects. */
  private async settle(op: PreparedOperation, ctx: RequestContext, exchange: Exchange, result: Promise<unknown>, accept: string | undefined): Promise<void> {
    let response: OutgoingResponse;
    try {
      try {
        response = this.reply(op, ctx, await this.withinTimeout(result, op, exchange), exchange.path, accept);
      } catch (error) {
        response = this.fail(op, ctx, error, exchange.path, accept);
      }
    } catch (error) {
      response = this.unexpected(error, exchange);
    }
    this.complete(exchange, response);
  }

  /** Every declared parameter read, coerced and validated into `input`; violations go to `errors`. */
  private bindParameters(compiled: CompiledOperation, request: CoreRequest, search: string, pathParams: Record<string, string>, errors: ViolationDetail[]): Record<string, unknown> {
    const input: Record<string, unknown> = {};
    if (compiled.parameters.length === 0 && !(this.options.rejectUnknownQuery && search)) return input;
    const raw = new RequestParts(pathParams, search ? parseQuery(search) : NO_QUERY, request);
    for (const plan of compiled.parameters) plan.bind(raw, input, errors);
    if (this.options.rejectUnknownQuery) {
      for (const key of raw.query.keys()) {
        if (!compiled.query.accepts(key)) errors.push({ in: 'query', name: key, message: 'is not a declared parameter' });
      }
    }
    return input;
  }

  /** A handler that has not settled after `handlerTimeout` ms answers 504 (its eventual result is dropped). */
  private withinTimeout<T>(result: T | Promise<T>, op: PreparedOperation, exchange: Exchange): T | Promise<T> {
    const limit = this.options.handlerTimeout;
    if (!limit || !(result instanceof Promise)) return result;
    // One promise and one timer (Node keeps timers of one duration in a single list): cheaper than Promise.race.
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const arm = () => (timer = setTimeout(() => reject(HttpError.of('handlerTimeout', `${op.info.operationId} did not answer within ${limit} ms`)), limit));
      // A streamed upload still arriving is the handler's work, not a hang: the clock starts when it has arrived.
      if (exchange.uploading && !exchange.request.body.complete) exchange.request.body.onComplete(arm);
      else arm();
      result.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /** A `streamBody()` handler's `input.body`: the request's bytes as they arrive (a Content-Length over the limit is refused first). */
  private upload(op: PreparedOperation, exchange: Exchange): Readable {
    const { request } = exchange;
    const parsed = request.body.parsed;
    if (parsed) return Readable.from([parsed.value as Buffer]);
    const over = declaredOverLimit(request.header('content-length'), op.streamBody!.limit);
    if (over) throw over;
    exchange.uploading = true;
    return new UploadStream(request.body.stream(), op.streamBody!.limit);
  }

  /** Lazy mode: compile on the first request; a schema that cannot compile fails every request the same way, without retrying. */
  private compileOnFirstUse(op: PreparedOperation): CompiledOperation {
    if (!op.compileError) {
      try {
        return compileOperation(op, this.options.prepare);
      } catch (error) {
        this.refuse(op, error);
      }
    }
    throw op.compileError;
  }

  /**
   * A deferred operation's parts of the document read on first use (its responses, for Accept),
   * without compiling its schemas: those wait until the request passed its security check. One that
   * cannot be read fails this request, and every later one once past its security check (compileOnFirstUse).
   */
  private completeOnFirstUse(op: PreparedOperation): void {
    try {
      op.complete?.();
    } catch (error) {
      this.refuse(op, error);
      throw op.compileError;
    }
  }

  private refuse(op: PreparedOperation, error: unknown): void {
    this.options.log.error({ err: error, operationId: op.info.operationId }, 'operation cannot be compiled');
    op.compileError = HttpError.of('internalError', `${op.info.operationId} cannot be served: ${(error as Error).message}`);
  }

  /** The declared media type the request's body is sent as; undefined when there is no body (a required one is an error). */
  private bodyMedia(plan: BodyPlan, request: CoreRequest, errors: ViolationDetail[]): MediaPlan | undefined {
    const contentType = request.header('content-type');
    const length = request.header('content-length');
    const hasBody = (length !== undefined && length !== '0') || request.header('transfer-encoding') !== undefined;
    if (!hasBody && !contentType) {
      if (plan.required) errors.push({ in: 'body', pointer: '', message: 'is required' });
      return undefined;
    }
    const media = matchMedia(plan, contentType);
    if (!media) {
      throw HttpError.of('unsupportedMediaType', `Content-Type ${contentType ?? '(none)'} is not accepted; send one of ${plan.declared}`);
    }
    return media;
  }

  /** The body as the request holds it: bytes still to read (a promise), or what a body parser in front of a mounted app made of them. */
  private bodyOf(request: CoreRequest): unknown {
    const parsed = request.body.parsed;
    if (parsed) return parsed.value;
    return new Promise((resolve, reject) => request.body.read(this.options.bodyLimit, (error, bytes) => (error ? reject(error) : resolve(bytes))));
  }

  /** An optional body left out: its schema's default, when it gives one (README, "Semantics worth knowing"). */
  private bodyByDefault(compiled: CompiledOperation, input: Record<string, unknown>, errors: ViolationDetail[]): void {
    if (errors.length || !compiled.body?.absent) return;
    const body = absentBody(compiled.body);
    if (!body) return;
    const hydrate = compiled.hydrators.get(body.media);
    input.body = hydrate ? hydrate(body.value) : body.value;
  }

  /** Parses (unless a body parser did), validates and hydrates the body into `input.body`. */
  private acceptBody(compiled: CompiledOperation, media: MediaPlan, body: unknown, input: Record<string, unknown>, errors: ViolationDetail[]): void {
    let value = body;
    if (Buffer.isBuffer(body)) {
      // An empty form is an object without fields (its schema decides); an empty JSON body is no body.
      if (body.length === 0 && media.kind !== 'form') {
        if (compiled.body!.required) errors.push({ in: 'body', pointer: '', message: 'is required' });
        return;
      }
      value = parseBody(media, body);
    }
    const violations = media.validate?.(value);
    if (violations) {
      for (const v of violations) errors.push({ in: 'body', pointer: v.pointer, message: v.message });
      return;
    }
    const hydrate = compiled.hydrators.get(media);
    input.body = hydrate ? hydrate(value) : value;
  }

  private async bindMultipart(media: MediaPlan, request: CoreRequest, input: Record<string, unknown>, errors: ViolationDetail[]): Promise<void> {
    const value = await parseMultipart(request.body.stream(), request.header('content-type'), media.shape, media.jsonFields, this.options.multipart);
    for (const name of textWhereFileDeclared(value, media.shape)) errors.push({ in: 'body', pointer: `/${name}`, message: 'must be a file (a part with a filename)' });
    const violations = media.validate?.(forValidation(value));
    if (violations) for (const v of violations) errors.push({ in: 'body', pointer: v.pointer, message: v.message });
    if (errors.length === 0) input.body = value;
  }

  /** A handler's result (a value, a Reply, or nothing after `ctx.reply.<name>()`) as the response to send. */
  private reply(op: PreparedOperation, ctx: RequestContext, result: unknown, path: string, accept: string | undefined): OutgoingResponse {
    const reply = isReply(result) ? result : result === undefined && ctx.recorded ? ctx.recorded : successReply(op.replies, result);
    if (typeof reply === 'string') {
      discardBody(result);
      return this.contractViolation(op, ctx, [reply], path, accept);
    }
    return this.deliver(op, ctx, reply, path, accept);
  }

  /** Renders a Reply and holds it to the contract as `responseValidation` says. */
  private deliver(op: PreparedOperation, ctx: RequestContext, reply: Reply, path: string, accept: string | undefined): OutgoingResponse {
    // `ctx.reply.noBuildInfo()` with no body, for a problem+json response: the problem is generated.
    if (reply.body === undefined && reply.response.content.some((m) => essence(m.mediaType) === PROBLEM_JSON)) {
      const problem = problemBody(new HttpError(reply.status), reply.status, path, false, conditionName(reply.response));
      delete problem.detail;
      reply = new Reply(reply.response, reply.status, problem, { ...reply.options, contentType: reply.options.contentType ?? PROBLEM_JSON });
    }
    const mode = this.options.responseValidation;
    const compiled = op.compiled!;
    let rendered: ReturnType<typeof render>;
    try {
      rendered = render(op.replies, compiled.checks, reply, accept, mode !== 'off', ctx);
    } catch (error) {
      // The handler returned, but its value cannot be written (a cycle, a BigInt, nesting past the stack).
      discardBody(reply.body);
      ctx.log.error({ err: error }, `response of ${op.info.operationId} cannot be serialised`);
      const detail = this.options.production ? undefined : `${op.info.operationId}: the response cannot be serialised: ${(error as Error)?.message ?? String(error)}`;
      return this.own(op, ctx, HttpError.of('internalError', detail), path, accept);
    }
    const { response, violations, refused } = rendered;
    if (refused !== undefined) {
      // Never written as the JSON of its internals, whatever the mode: a 500 that says what was given.
      discardBody(reply.body);
      ctx.log.error({ status: reply.status }, `response of ${op.info.operationId} cannot be written: ${refused}`);
      const detail = this.options.production ? undefined : `${op.info.method} ${op.spec.path} (${op.info.operationId}): ${refused}`;
      return this.own(op, ctx, HttpError.of('internalError', detail), path, accept);
    }
    if (violations.length === 0 || mode === 'off') return response;
    if (mode === 'warn') {
      this.options.metrics?.responseInvalid(op.info.operationId);
      ctx.log.warn({ violations, status: reply.status }, 'response breaks the contract (sent anyway: responseValidation is warn)');
      return response;
    }
    if (response.stream) closeSource(response.stream.source);
    else discardBody(reply.body);
    return this.contractViolation(op, ctx, violations, path, accept);
  }

  private contractViolation(op: PreparedOperation, ctx: RequestContext, violations: readonly string[], path: string, accept: string | undefined): OutgoingResponse {
    ctx.log.error({ violations }, `response of ${op.info.operationId} breaks the contract`);
    this.options.metrics?.responseInvalid(op.info.operationId);
    const detail = `${op.info.method} ${op.spec.path} (${op.info.operationId}): ${violations.join('; ')}`;
    const error = HttpError.of('responseValidationFailed', this.options.production ? undefined : detail);
    return this.own(op, ctx, error, path, accept);
  }

  private fail(op: PreparedOperation, ctx: RequestContext, error: unknown, path: string, accept: string | undefined): OutgoingResponse {
    if (!(error instanceof HttpError)) {
      ctx.log.error({ err: error }, `handler ${op.info.operationId} failed`);
      ctx.failed(error);
      const detail = this.options.production ? undefined : `${op.info.operationId} threw: ${(error as Error)?.message ?? String(error)}`;
      return this.own(op, ctx, HttpError.of('internalError', detail), path, accept);
    }
    if (error === op.compileError) return plainProblem(problemBody(error, 500, path, this.options.production));
    // specbind's own errors: the operation's declaration for the status when there is one, else
    // problem+json (a 400 for bad input stays a 400 even if the document forgot to declare it).
    if (error.code !== undefined) return this.own(op, ctx, error, path, accept);
    const { reply, status, problem } = errorReply(op.replies, error, path, this.options.production);
    if (!reply) {
      if (this.options.responseValidation !== 'strict') return plainProblem(problem, stringHeaders(error));
      return this.contractViolation(op, ctx, [`status ${status} is not declared`], path, accept);
    }
    // Thrown without a body: the problem, in the declaration's shape.
    if (error.options.body === undefined) return ownAnswer(op, problem, stringHeaders(error), accept, { prepare: this.options.prepare, requestId: ctx.requestId }, reply.response);
    return this.deliver(op, ctx, reply, path, accept);
  }

  /** An answer specbind writes itself for an operation (src/core/own-answers.ts). */
  private own(op: PreparedOperation, ctx: RequestContext, error: HttpError, path: string, accept: string | undefined): OutgoingResponse {
    const status = error.status ?? 500;
    const problem = problemBody(error, status, path, this.options.production, conditionName(op.replies.forStatus(status)));
    return ownAnswer(op, problem, stringHeaders(error), accept, { prepare: this.options.prepare, requestId: ctx.requestId });
  }
}

function stringHeaders(error: HttpError): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(error.options.headers ?? {})) out[k.toLowerCase()] = v;
  return out;
}

/** The URL as the access log writes it: a credential sent in the query (`?api_key=…`) as `[redacted]`. */
function loggedUrl(exchange: Exchange): string {
  const { url, secretQuery } = exchange;
  const q = url.indexOf('?');
  if (!secretQuery || q === -1) return url;
  const pairs = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = decodeForm(eq === -1 ? pair : pair.slice(0, eq));
    return eq !== -1 && name !== undefined && secretQuery.includes(name) ? `${pair.slice(0, eq)}=[redacted]` : pair;
  });
  return `${url.slice(0, q)}?${pairs.join('&')}`;
}

/** `http://host/a?b` (absolute-form, which RFC 9112 §3.2.2 says a server must accept) → `/a?b`. */
function originForm(url: string): string {
  if (url.charCodeAt(0) === 47 /* / */) return url;
  const scheme = /^https?:\/\/[^/?#]*/i.exec(url);
  if (!scheme) return url;
  const rest = url.slice(scheme[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

function describe(errors: ViolationDetail[]): string {
  const first = errors[0];
  const where = first.in === 'body' ? `body${first.pointer ? ` ${first.pointer}` : ''}` : `${first.in} parameter "${first.name}"${first.pointer ? ` ${first.pointer}` : ''}`;
  return `${where} ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`;
}
