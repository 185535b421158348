// OpenTelemetry server spans: one a request, named by its route (`GET /builds/{image-name}`), with the
// HTTP semantic conventions' attributes and the operationId; a W3C `traceparent` makes it the child of
// the caller's span, and the handler (and a security check) runs in its context, so the application's
// own spans and instrumented outgoing calls nest under it.
//
// `@opentelemetry/api` is an optional peer dependency (the application's copy is the one used; npm
// installs it with specbind anyway, as prom-client's dependency). It is looked for once, at
// createServer: where it cannot be loaded, nothing here is. With no tracer provider registered (the
// API's no-op one), a request pays one property read to find that out, and a provider registered
// later is used from then on.
import type * as Otel from '@opentelemetry/api';
import type { CoreRequest } from '../http/request';

/** A request's server span and the context the handler runs in. */
export interface ServerSpan {
  readonly span: Otel.Span;
  readonly context: Otel.Context;
  /** For log lines (`trace_id`, `span_id`). */
  readonly traceId: string;
  readonly spanId: string;
  /** A handler's exception, recorded when the request ends in a 5xx. */
  failure?: unknown;
}

type Api = typeof Otel;

/** Methods the semantic conventions name; any other is `_OTHER`, its spelling in `http.request.method_original`. */
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'QUERY', 'TRACE']);

/** W3C Trace Context, version 00 (and later versions' first four fields, as the spec asks). */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-|$)/;

const HEADERS: Otel.TextMapGetter<CoreRequest> = {
  get: (request, key) => request.header(key),
  keys: () => [],
};

export interface TracingIdentity {
  /** The document's `info.title` and `info.version` (`api.name`, `api.version`). */
  apiName?: string;
  apiVersion?: string;
}

export class RequestTracing {
  private readonly noop: Otel.TracerProvider;
  private delegate: Otel.TracerProvider | undefined;
  private tracer: Otel.Tracer | undefined;

  private constructor(
    private readonly api: Api,
    private readonly identity: TracingIdentity,
  ) {
    // The API's no-op provider: what a ProxyTracerProvider delegates to until one is registered.
    this.noop = new api.ProxyTracerProvider().getDelegate();
  }

  /** Tracing through the application's `@opentelemetry/api`, or undefined when it is not installed. */
  static load(identity: TracingIdentity, load: () => Api = () => require('@opentelemetry/api')): RequestTracing | undefined {
    let api: Api;
    try {
      api = load();
    } catch {
      return undefined;
    }
    return typeof api?.trace?.getTracerProvider === 'function' ? new RequestTracing(api, identity) : undefined;
  }

  /** The tracer of the registered provider; undefined while none is (the API's no-op provider). */
  private activeTracer(): Otel.Tracer | undefined {
    const provider = this.api.trace.getTracerProvider();
    const delegate = provider instanceof this.api.ProxyTracerProvider ? provider.getDelegate() : provider;
    if (delegate === this.noop) return undefined;
    if (delegate !== this.delegate) {
      this.delegate = delegate;
      this.tracer = delegate.getTracer('specbind');
    }
    return this.tracer;
  }

  /** Starts the request's server span (named by its method until the route is known), or undefined when no provider is registered. */
  start(request: CoreRequest, path: string): ServerSpan | undefined {
    const tracer = this.activeTracer();
    if (!tracer) return undefined;
    const { api } = this;
    const method = KNOWN_METHODS.has(request.method) ? request.method : '_OTHER';
    const attributes: Otel.Attributes = {
      'http.request.method': method,
      'url.path': path,
      'url.scheme': 'http',
      'network.protocol.name': 'http',
    };
    if (method === '_OTHER') attributes['http.request.method_original'] = request.method;
    const host = request.header('host');
    if (host) {
      // `name`, `name:port`, `[v6]`, `[v6]:port`: the address without brackets, the port as a number.
      const colon = host.lastIndexOf(':');
      const hasPort = colon > host.lastIndexOf(']');
      const name = hasPort ? host.slice(0, colon) : host;
      attributes['server.address'] = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
      const port = hasPort ? Number(host.slice(colon + 1)) : NaN;
      if (Number.isInteger(port) && port > 0) attributes['server.port'] = port;
    }
    const agent = request.header('user-agent');
    if (agent) attributes['user_agent.original'] = agent;
    const client = (request.original as { socket?: { remoteAddress?: string } }).socket?.remoteAddress;
    if (client) attributes['client.address'] = client;
    if (this.identity.apiName) attributes['api.name'] = this.identity.apiName;
    if (this.identity.apiVersion) attributes['api.version'] = this.identity.apiVersion;
    const parent = this.parentOf(request);
    const span = tracer.startSpan(method === '_OTHER' ? 'HTTP' : method, { kind: api.SpanKind.SERVER, attributes }, parent);
    const { traceId, spanId } = span.spanContext();
    return { span, context: api.trace.setSpan(parent, span), traceId, spanId };
  }

  /** The caller's span context: through the registered propagator, or read from `traceparent` when none is registered. */
  private parentOf(request: CoreRequest): Otel.Context {
    const { api } = this;
    if (api.propagation.fields().length > 0) return api.propagation.extract(api.ROOT_CONTEXT, request, HEADERS);
    const header = request.header('traceparent');
    const match = header === undefined ? null : TRACEPARENT.exec(header.trim());
    if (!match || match[1] === 'ff' || (match[1] === '00' && match[5] !== '')) return api.ROOT_CONTEXT;
    const [, , traceId, spanId, flags] = match;
    if (!api.isValidTraceId(traceId) || !api.isValidSpanId(spanId)) return api.ROOT_CONTEXT;
    const state = request.header('tracestate');
    return api.trace.setSpanContext(api.ROOT_CONTEXT, {
      traceId,
      spanId,
      traceFlags: parseInt(flags, 16) & api.TraceFlags.SAMPLED,
      isRemote: true,
      traceState: state ? api.createTraceState(state) : undefined,
    });
  }

  /** The request reached an operation (or a route specbind serves itself): the span takes the route's name. */
  routed(server: ServerSpan, method: string, route: string, operationId?: string): void {
    server.span.updateName(`${KNOWN_METHODS.has(method) ? method : 'HTTP'} ${route}`);
    server.span.setAttribute('http.route', route);
    if (operationId !== undefined) server.span.setAttribute('openapi.operation.id', operationId);
  }

  /** Calls `fn` with the span as the active one. */
  run<A extends unknown[], R>(server: ServerSpan, fn: (...args: A) => R, ...args: A): R {
    return this.api.context.with(server.context, fn, undefined, ...args);
  }

  /**
   * Ends the span with the response's status. A 5xx is an error (`error.type`: the handler's exception's
   * class, else the status); a 4xx is the client's and leaves a server span's status unset, as the
   * conventions say. `streamFailure`: a streamed body that broke after its headers went.
   */
  end(server: ServerSpan, status: number, streamFailure?: unknown): void {
    const { span } = server;
    span.setAttribute('http.response.status_code', status);
    const failure = streamFailure ?? (status >= 500 ? server.failure : undefined);
    if (status >= 500 || streamFailure !== undefined) {
      if (failure !== undefined) span.recordException(failure instanceof Error ? failure : String(failure));
      span.setAttribute('error.type', failure === undefined ? String(status) : errorType(failure));
      span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: failure instanceof Error ? failure.message : undefined });
    }
    span.end();
  }
}

/** The class of what was thrown (`TypeError`), as `error.type` wants it; `_OTHER` for a thrown non-object. */
function errorType(failure: unknown): string {
  const name = (failure as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? name : '_OTHER';
}
