// CORS, the `cors` option: which browser origins may read the API's answers, what a preflight to each
// document path is answered (computed once, at startup, from the document), and the headers an allowed
// origin's answers carry. Pure: no request, no response; the pipeline asks, and writes what it is given.
import { StartupError } from '../errors';
import type { OperationHead } from '../document/operations';
import { resolvePointer } from '../document/pointer';

/** `createServer({ cors })`: off when absent (or false). */
export interface CorsOptions {
  /**
   * The origins whose pages may call the API: a list of origins (`'https://app.example.com'`; scheme,
   * host and port, no path), `'*'` for any, or a function of the request's `Origin` that returns true
   * for an allowed one (synchronously; anything but `true` refuses).
   */
  origins: string | readonly string[] | ((origin: string) => boolean);
  /** Browsers may send cookies and HTTP authentication, and read the answer (`Access-Control-Allow-Credentials: true`). */
  credentials?: boolean;
  /**
   * Response headers a page may read beyond the always readable ones (Content-Type, Cache-Control, ...).
   * `X-Request-Id`, `WWW-Authenticate` and every response header the document declares are exposed anyway.
   */
  exposedHeaders?: readonly string[];
  /** Seconds a browser may cache a preflight's answer (`Access-Control-Max-Age`; browsers cap it: Chrome at 7200). */
  maxAge?: number;
  /** Request headers a page may send beyond those the document declares (its header parameters, security schemes, ...). */
  allowedHeaders?: readonly string[];
}

type Headers = Record<string, string | string[]>;

/** Request headers every path's preflight allows: what specbind itself reads, and what browser tracing propagates. */
const ALWAYS_ALLOWED = ['X-Request-Id', 'traceparent', 'tracestate', 'baggage'];
/** Response headers specbind writes itself that a page has reason to read (its request id for a bug report, why a 401 was refused). */
const ALWAYS_EXPOSED = ['X-Request-Id', 'WWW-Authenticate'];
const ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]+$/i;

export class CorsPolicy {
  /** Allow-Methods and Allow-Headers for each path template. */
  private readonly paths = new Map<string, { methods: string; headers: string }>();
  private readonly listed?: ReadonlySet<string>;
  private readonly test?: (origin: string) => boolean;
  /** Any origin, answered `*`: the answer does not depend on the origin (never with credentials). */
  private readonly star: boolean;
  private readonly any: boolean;
  private readonly credentials: boolean;
  private readonly maxAge?: string;
  private readonly exposed: string;

  /** Checks `options` (a mistake is a StartupError naming what is expected) and prepares every path's preflight answer. */
  constructor(options: unknown, document: unknown, operations: readonly OperationHead[], private readonly onError?: (error: unknown, origin: string) => void) {
    const o = checkOptions(options);
    this.credentials = o.credentials === true;
    const origins = typeof o.origins === 'string' ? [o.origins] : o.origins;
    this.any = typeof origins !== 'function' && origins.includes('*');
    if (typeof origins === 'function') this.test = origins;
    else if (!this.any) this.listed = new Set(origins.map(canonicalOrigin));
    this.star = this.any && !this.credentials;
    if (o.maxAge !== undefined) this.maxAge = String(o.maxAge);
    this.exposed = union([...ALWAYS_EXPOSED, ...declaredResponseHeaders(document, operations), ...(o.exposedHeaders ?? [])]);
    const byPath = new Map<string, OperationHead[]>();
    for (const op of operations) byPath.set(op.path, [...(byPath.get(op.path) ?? []), op]);
    for (const [template, ops] of byPath) {
      const methods = new Set(ops.map((op) => op.method.toUpperCase()));
      // HEAD is answered wherever GET is (as the 405's Allow says).
      if (methods.has('GET')) methods.add('HEAD');
      this.paths.set(template, {
        methods: [...methods].sort().join(', '),
        headers: union([...requestHeaders(document, template, ops), ...ALWAYS_ALLOWED, ...(o.allowedHeaders ?? [])]),
      });
    }
  }

  /** True for an origin whose pages may read the answers. */
  allows(origin: string): boolean {
    if (this.any) return true;
    if (this.listed) return this.listed.has(origin);
    try {
      // Only `true`: a promise (an async function) or a truthy string would otherwise let every origin in.
      return this.test!(origin) === true;
    } catch (error) {
      this.onError?.(error, origin);
      return false;
    }
  }

  /** An answer on its way to `origin` (the request's Origin header): the CORS headers added when it is allowed, nothing otherwise. */
  decorate(origin: string | undefined, headers: Headers): void {
    if (origin === undefined || !this.allows(origin)) return;
    this.allowOrigin(origin, headers);
    headers['access-control-expose-headers'] = this.exposed;
  }

  /**
   * A preflight from `origin` to a document path (its template): the headers of its 204, or undefined
   * when the origin is not allowed.
   */
  preflight(origin: string, template: string): Headers | undefined {
    const path = this.paths.get(template);
    if (!path || !this.allows(origin)) return undefined;
    const headers: Headers = { 'access-control-allow-methods': path.methods, 'access-control-allow-headers': path.headers };
    this.allowOrigin(origin, headers);
    if (this.maxAge !== undefined) headers['access-control-max-age'] = this.maxAge;
    return headers;
  }

  /** What a path's preflight allows (for tests and tooling). */
  pathAnswer(template: string): { methods: string; headers: string } | undefined {
    return this.paths.get(template);
  }

  private allowOrigin(origin: string, headers: Headers): void {
    // The answer depends on the Origin, even with '*' (a request without one gets no CORS headers):
    // a cache in between must not hand it to another origin, or to a request that sent none.
    headers.vary = withOrigin(headers.vary);
    if (this.star) {
      headers['access-control-allow-origin'] = '*';
      return;
    }
    headers['access-control-allow-origin'] = origin;
    if (this.credentials) headers['access-control-allow-credentials'] = 'true';
  }
}

/** `Vary` with `Origin` in it, once (a handler's `Vary: Accept` becomes `Accept, Origin`; `*` stays). */
export function withOrigin(vary: string | string[] | undefined): string {
  const text = Array.isArray(vary) ? vary.join(', ') : (vary ?? '');
  const tokens = text.split(',').map((t) => t.trim().toLowerCase());
  if (tokens.includes('origin') || tokens.includes('*')) return text;
  return text.trim() ? `${text}, Origin` : 'Origin';
}

function checkOptions(options: unknown): CorsOptions {
  const fail = (message: string, fix: string): never => {
    throw new StartupError('the cors option is not valid:', [{ message, fix }]);
  };
  const example = "cors: { origins: ['https://app.example.com'], credentials?: boolean, exposedHeaders?: string[], maxAge?: seconds }";
  if (!options || typeof options !== 'object' || Array.isArray(options)) fail(`cors must be an object (got ${describe(options)})`, example);
  const o = options as Record<string, unknown>;
  const known = ['origins', 'credentials', 'exposedHeaders', 'maxAge', 'allowedHeaders'];
  for (const key of Object.keys(o)) if (!known.includes(key)) fail(`cors.${key} is not an option`, `the options are ${known.join(', ')}`);
  const origins = o.origins;
  const originsFix = "give a list of origins (['https://app.example.com', 'http://localhost:5173']), '*' for any, or a function (origin) => boolean";
  if (typeof origins === 'string' || Array.isArray(origins)) {
    const list: unknown[] = typeof origins === 'string' ? [origins] : origins;
    if (list.length === 0) fail('cors.origins is empty: no origin would be allowed', `${originsFix}; leave cors out to turn CORS off`);
    for (const entry of list) {
      if (typeof entry !== 'string') fail(`cors.origins holds ${describe(entry)}, not an origin`, originsFix);
      const text = entry as string;
      if (text === '*') continue;
      if (text === 'null') fail('cors.origins lists "null": sandboxed frames and file:// pages all send it, so any of them would be allowed', 'list the real origins, or decide with a function');
      if (!ORIGIN.test(text.replace(/\/$/, ''))) fail(`cors.origins holds "${text}", which is not an origin (scheme://host[:port], no path)`, originsFix);
    }
  } else if (typeof origins !== 'function') {
    fail(`cors.origins must be a list of origins, '*' or a function (got ${describe(origins)})`, originsFix);
  }
  if (o.credentials !== undefined && typeof o.credentials !== 'boolean') fail(`cors.credentials must be true or false (got ${describe(o.credentials)})`, 'credentials: true lets pages send cookies and read the answer');
  for (const key of ['exposedHeaders', 'allowedHeaders'] as const) {
    const value = o[key];
    if (value !== undefined && (!Array.isArray(value) || value.some((h) => typeof h !== 'string' || !/^[!#$%&'*+.^_`|~0-9a-z-]+$/i.test(h)))) {
      fail(`cors.${key} must be a list of header names (got ${describe(value)})`, `e.g. ${key}: ['X-Rate-Limit-Remaining']`);
    }
  }
  if (o.maxAge !== undefined && !(typeof o.maxAge === 'number' && Number.isInteger(o.maxAge) && o.maxAge >= 0)) fail(`cors.maxAge must be a whole number of seconds, 0 or more (got ${describe(o.maxAge)})`, 'e.g. maxAge: 600');
  return o as unknown as CorsOptions;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array ${JSON.stringify(value)}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/** As browsers write it: lower-case scheme and host, no default port, no trailing slash. */
function canonicalOrigin(origin: string): string {
  const bare = origin.replace(/\/$/, '');
  // WHATWG URL gives other schemes (chrome-extension://, app://) the opaque origin "null": kept as written.
  return /^https?:/i.test(bare) ? new URL(bare).origin : bare.toLowerCase();
}

/** Names joined once each, whatever their case, in the order first given. */
function union(names: readonly string[]): string {
  const seen = new Map<string, string>();
  for (const name of names) if (!seen.has(name.toLowerCase())) seen.set(name.toLowerCase(), name);
  return [...seen.values()].join(', ');
}

/** A local `$ref` followed (bundled documents have only local ones); undefined when it leads nowhere. */
function follow(document: unknown, node: unknown): any {
  let current: any = node;
  for (let hops = 0; hops < 32 && current && typeof current === 'object' && typeof current.$ref === 'string'; hops++) {
    current = current.$ref.startsWith('#') ? resolvePointer(document, current.$ref) : undefined;
  }
  return current && typeof current === 'object' ? current : undefined;
}

/**
 * The request headers a page calling a path's operations may have to send: their header parameters
 * (path item's and operation's), the headers their security schemes read, Content-Type where a body is
 * declared, Last-Event-ID where an event stream is answered. Read from the document itself, so that
 * the operations of a deferred document (completed on first use) need not be completed for it.
 */
function requestHeaders(document: any, template: string, ops: readonly OperationHead[]): string[] {
  const names: string[] = [];
  const item = follow(document, document?.paths?.[template]);
  const schemes = document?.components?.securitySchemes ?? {};
  for (const op of ops) {
    for (const parameter of [...list(item?.parameters), ...list(op.raw?.parameters)]) {
      const p = follow(document, parameter);
      if (p?.in === 'header' && typeof p.name === 'string') names.push(p.name);
    }
    for (const requirement of op.security) {
      for (const name of Object.keys(requirement ?? {})) {
        const scheme = follow(document, schemes[name]);
        if (scheme?.type === 'apiKey' && scheme.in === 'header' && typeof scheme.name === 'string') names.push(scheme.name);
        else if (scheme?.type === 'http' || scheme?.type === 'oauth2' || scheme?.type === 'openIdConnect') names.push('Authorization');
      }
    }
    if (op.raw?.requestBody) names.push('Content-Type');
    if (responsesOf(document, op).some((r) => Object.keys(follow(document, r)?.content ?? {}).some((m) => m.toLowerCase().startsWith('text/event-stream')))) names.push('Last-Event-ID');
  }
  return names;
}

/** Every response header the document's operations declare: part of the contract, so a page may read them. */
function declaredResponseHeaders(document: unknown, operations: readonly OperationHead[]): string[] {
  const names: string[] = [];
  for (const op of operations) {
    for (const response of responsesOf(document, op)) {
      for (const name of Object.keys(follow(document, response)?.headers ?? {})) {
        // Content-Type in `headers` is ignored by OpenAPI; Set-Cookie is never readable by a page.
        if (!/^(content-type|set-cookie)$/i.test(name)) names.push(name);
      }
    }
  }
  return names;
}

function responsesOf(document: unknown, op: OperationHead): unknown[] {
  return Object.values(follow(document, op.raw?.responses) ?? {});
}

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
