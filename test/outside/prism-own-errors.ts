// An outside judge for the answers specbind writes itself: Stoplight Prism (a validating proxy nobody
// here wrote) in front of `specbind mock`, fed requests that make specbind answer by itself — a 400 for a
// bad parameter or body, a 401 without credentials — and asked whether those answers follow the error
// responses the OpenAPI document declares.
//
//   npx tsx test/outside/prism-own-errors.ts [--json out.json] [--sample N] [--concurrency N] [--control] [docs...]
//
// Docs are paths relative to the repository (default: Discord, Box, Adyen checkout, petstore-expanded
// under ../shared/specs). For each document: `specbind mock --spec <doc> --port <p1> --lazy`, then
// `prism proxy <doc> http://127.0.0.1:<p1><basePath> --port <p2> --errors=false`. Without --errors Prism
// forwards every request (valid or not) and lists what it found in the `sl-violations` response header,
// each violation located under "request" or "response" (prism-http-server/dist/server.js). The requests
// here are broken on purpose, so request-side violations are expected; only response-side ones count.
//
// Paths through Prism: Prism routes the request path against the document's `paths` keys as written
// (prism-http/dist/router: the `servers` base path is matched only when `?__server=` is given) and
// forwards to `<upstream> + <request path>` (forwarder: posix.join(upstream.pathname, path)). specbind
// serves under the base path of `servers[0]` (src/server.ts basePathOf), so the upstream URL carries
// that base path and requests to Prism use the bare `paths` key: GET <prism>/pets/abc → GET
// <mock>/v2/pets/abc for petstore-expanded (server https://petstore.swagger.io/v2). A request that
// carries the base path is not routed by Prism ("Selected route not found": forwarded, no response
// checked); a bare upstream makes specbind answer 404, which Prism then checks against `default`.
//
// What cannot go through Prism: malformed JSON (Prism parses JSON bodies itself and answers 400
// `{"error":{"code":"invalid_json"}}` without forwarding), so a well-formed body of the wrong JSON type
// stands in; and Box's `#fragment` paths (never on the wire), which are skipped and counted.
// Prism is pinned at 5.14.2: 5.15 and later declare engines.node >= 24 (this repository runs on 20).
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer as createNetServer } from 'node:net';
import * as path from 'node:path';
import * as yaml from 'js-yaml';

export const ROOT = path.resolve(__dirname, '../..');
/** ../shared/specs beside the repository (as test/helpers/server.ts finds it). */
export const SPECS = path.resolve(ROOT, '../shared/specs');

export const DEFAULT_DOCUMENTS = [
  '../shared/specs/production/discord-openapi.json',
  '../shared/specs/production/box-openapi.json',
  '../shared/specs/production/adyen-CheckoutService-v71.yaml',
  '../shared/specs/oai-learn/v3.0/petstore-expanded.yaml',
];

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;

// ---------------------------------------------------------------------------------------------------
// Records

export interface Violation {
  location: string[];
  severity: string;
  code?: string | number;
  message: string;
}

/** What a request was meant to provoke. */
export type Provocation =
  | 'path parameter of the wrong type'
  | 'query parameter of the wrong type'
  | 'required query parameter missing'
  | 'JSON body of the wrong type'
  | 'required body missing'
  | 'no credential'
  | 'control: valid request, Prefer: code=400'
  | 'control: valid request, Prefer: code=401';

export interface ProbeRecord {
  document: string;
  operationId: string;
  method: string;
  /** The `paths` key. */
  path: string;
  /** What was sent to Prism: path and query. */
  target: string;
  provocation: Provocation;
  /** The parameter (or body) the request breaks. */
  broken?: string;
  /** 400 or 401: the status specbind should answer by itself (for a control: the status asked for). */
  intended: 400 | 401;
  /**
   * A control request (--control): valid, with credentials, and `Prefer: code=400|401`, so the mock
   * handler replies with the document's own declared response (example or sample that specbind's
   * response validator accepts). What Prism says about those shows its own false positives.
   */
  control?: true;
  status: number;
  /** The document's response covering that status, as Prism picks it (exact, then NXX, then default); null: none. */
  declared: string | null;
  contentType: string | null;
  /** specbind stamps X-Request-Id on every answer; what lacks it was answered by Prism itself. */
  answeredBy: 'specbind' | 'prism';
  /** false when Prism could not match the request to an operation (then it validates no response). */
  routed: boolean;
  requestViolations: Violation[];
  responseViolations: Violation[];
  /** Prism cut the `sl-violations` header at 8 KB; the violations were salvaged from the cut JSON. */
  truncated?: boolean;
  /** The first 400 characters of the answer's body. */
  body: string;
  error?: string;
}

export interface SkippedOperation {
  operationId: string;
  method: string;
  path: string;
  reason: string;
}

export interface DocumentResult {
  document: string;
  operations: number;
  basePath: string;
  records: ProbeRecord[];
  skipped: SkippedOperation[];
  /** Operations for which no 400 could be provoked (all parameters free strings, no JSON body, ...). */
  no400: SkippedOperation[];
  /** Operations without a 401 to provoke (no security, or an empty `{}` alternative). */
  no401: number;
  /** Startup times (ms). */
  timings: { mock: number; prism: number; requests: number };
}

export interface RunOptions {
  /** At most this many operations per document (evenly spread); default all. */
  sample?: number;
  /** Operations probed at once per document (default 8). */
  concurrency?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Also send the control requests (see ProbeRecord.control). */
  control?: boolean;
  /** Milliseconds to wait for each child to listen (default 180 s). */
  startTimeout?: number;
}

// ---------------------------------------------------------------------------------------------------
// Child processes: each in its own process group, all killed on exit, Ctrl-C and errors.

const children = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* gone */
    }
  }
}

/** Stops one child (its whole process group): SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  // tsx runs the script in a grandchild: make sure nothing of the group outlives its leader.
  killGroup(child, 'SIGKILL');
  children.delete(child);
}

/** Synchronous last resort (process 'exit'): SIGKILL every group still alive. */
export function killAllChildren(): void {
  for (const child of children) {
    if (child.pid === undefined) continue;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  children.clear();
}

interface Started {
  child: ChildProcess;
  output: () => string;
}

function startChild(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Started {
  const child = spawn(command, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
  children.add(child);
  child.once('exit', () => children.delete(child));
  // Keep the last 16 KB of output for error messages (and drain the pipes so the child never blocks).
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-16_384);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, output: () => tail };
}

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Waits until `port` accepts connections; fails when the child exits first or time runs out. */
async function untilListening(what: string, started: Started, port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (started.child.exitCode !== null || started.child.signalCode !== null) {
      throw new Error(`${what} exited (${started.child.exitCode ?? started.child.signalCode}) before listening on ${port}:\n${started.output()}`);
    }
    if (await accepts(port)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port} within ${ms} ms:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// ---------------------------------------------------------------------------------------------------
// The document: just enough reading to plan requests (single-file documents, local $refs).

type Json = any;

function loadDocument(file: string): Json {
  const text = readFileSync(file, 'utf8');
  return file.endsWith('.json') ? JSON.parse(text) : yaml.load(text, { schema: yaml.JSON_SCHEMA });
}

function pointer(document: Json, ref: string): Json {
  if (!ref.startsWith('#')) return undefined;
  let node = document;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    node = node?.[key];
  }
  return node;
}

/** Follows `$ref` chains. */
function deref(document: Json, node: Json): Json {
  for (let i = 0; node && typeof node === 'object' && typeof node.$ref === 'string' && i < 50; i++) node = pointer(document, node.$ref);
  return node;
}

/** The same base path as src/server.ts basePathOf (re-stated here: the harness must not lean on src/). */
export function basePathOf(document: Json): string {
  const server = document?.servers?.[0];
  if (!server || typeof server.url !== 'string') return '';
  const url = server.url.replace(/\{([^}]+)\}/g, (_: string, name: string) => String(server.variables?.[name]?.default ?? ''));
  let pathname: string;
  try {
    pathname = new URL(url, 'http://placeholder').pathname;
  } catch {
    return '';
  }
  return decodeURIComponent(pathname).replace(/\/+$/, '');
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: Json;
  style?: string;
  explode?: boolean;
  example?: unknown;
  examples?: Record<string, Json>;
  content?: Json;
}

interface Operation {
  operationId: string;
  method: string;
  path: string;
  parameters: Parameter[];
  /** The JSON media type of the request body, and its schema, when there is one. */
  jsonBody?: { mediaType: string; schema: Json };
  bodyRequired: boolean;
  /** The effective security requirements (operation's, else the document's). */
  security: Array<Record<string, string[]>>;
  /** The declared response keys. */
  responses: string[];
}

/** The declared response for `status` as Prism finds it (prism-http validator/utils/spec.js). */
export function declaredFor(responses: string[], status: number): string | null {
  const matching = responses.filter((code) => code === 'default' || new RegExp(`^${code.replace(/X/gi, '\\d')}$`).test(String(status)));
  matching.sort((a, b) => (a === 'default' ? 1 : b === 'default' ? -1 : a.split(/X/i).length - b.split(/X/i).length));
  return matching[0] ?? null;
}

function operationsOf(document: Json): Operation[] {
  const out: Operation[] = [];
  for (const [p, rawItem] of Object.entries<Json>(document.paths ?? {})) {
    const item = deref(document, rawItem);
    if (!item || typeof item !== 'object') continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const byKey = new Map<string, Parameter>();
      for (const raw of [...(item.parameters ?? []), ...(op.parameters ?? [])]) {
        const param = deref(document, raw);
        if (!param?.name || !param.in) continue;
        let schema = param.schema;
        if (!schema && param.content) schema = (Object.values<Json>(param.content)[0] ?? {}).schema;
        byKey.set(`${param.in}:${param.name}`, { ...param, required: param.in === 'path' ? true : !!param.required, schema: deref(document, schema) ?? {} });
      }
      const requestBody = deref(document, op.requestBody);
      let jsonBody: Operation['jsonBody'];
      for (const [mediaType, media] of Object.entries<Json>(requestBody?.content ?? {})) {
        if (/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(mediaType)) {
          jsonBody = { mediaType, schema: deref(document, media?.schema) };
          break;
        }
      }
      out.push({
        operationId: op.operationId ?? `${method} ${p}`,
        method: method.toUpperCase(),
        path: p,
        parameters: [...byKey.values()],
        jsonBody,
        bodyRequired: !!requestBody?.required,
        security: op.security ?? document.security ?? [],
        responses: Object.keys(op.responses ?? {}),
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Values: a valid one for every parameter the request does not break, an invalid one for the one it does.

function typesOf(document: Json, schema: Json): string[] {
  schema = deref(document, schema);
  if (!schema || typeof schema !== 'object') return [];
  if (Array.isArray(schema.type)) return schema.type.filter((t: string) => t !== 'null');
  if (typeof schema.type === 'string') return [schema.type];
  for (const key of ['allOf', 'oneOf', 'anyOf']) {
    if (Array.isArray(schema[key])) {
      const found = schema[key].flatMap((s: Json) => typesOf(document, s));
      if (found.length) return [...new Set<string>(found)];
    }
  }
  if (schema.properties) return ['object'];
  if (Array.isArray(schema.enum) && schema.enum.length) return [...new Set<string>(schema.enum.filter((v: unknown) => v !== null).map((v: unknown) => (Number.isInteger(v) ? 'integer' : typeof v)))];
  return [];
}

function regexOf(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    try {
      return new RegExp(pattern);
    } catch {
      return undefined;
    }
  }
}

const FORMAT_SAMPLES: Record<string, string> = {
  uuid: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
  date: '2024-01-01',
  'date-time': '2024-01-01T00:00:00Z',
  time: '12:00:00Z',
  email: 'probe@example.com',
  uri: 'https://example.com/',
  url: 'https://example.com/',
  hostname: 'example.com',
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
  byte: 'cHJvYmU=',
};

const STRING_CANDIDATES = ['1', '123456789012345678', 'probe', 'a', 'A1', 'abc123', '2024-01-01', 'x'];

/** A value valid by `schema` (best effort: examples, defaults, enums, else generated by type). */
function validValue(document: Json, schema: Json, depth = 0): unknown {
  schema = deref(document, schema);
  if (!schema || typeof schema !== 'object' || depth > 8) return 'probe';
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum.find((v: unknown) => v !== null) ?? schema.enum[0];
  for (const key of ['allOf', 'oneOf', 'anyOf']) {
    if (Array.isArray(schema[key]) && schema[key].length && !schema.type) {
      const merged = key === 'allOf' ? Object.assign({}, ...schema[key].map((s: Json) => deref(document, s))) : schema[key][0];
      return validValue(document, merged, depth + 1);
    }
  }
  const [type] = typesOf(document, schema);
  if (type === 'integer' || type === 'number') {
    let value = typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : 1;
    if (schema.exclusiveMinimum === true) value += 1;
    if (typeof schema.maximum === 'number' && value > schema.maximum) value = schema.maximum;
    return type === 'integer' ? Math.ceil(value) : value;
  }
  if (type === 'boolean') return true;
  if (type === 'array') return [validValue(document, schema.items ?? {}, depth + 1)];
  if (type === 'object') {
    const out: Record<string, unknown> = {};
    for (const name of schema.required ?? []) out[name] = validValue(document, schema.properties?.[name] ?? {}, depth + 1);
    return out;
  }
  // A string.
  if (typeof schema.format === 'string' && FORMAT_SAMPLES[schema.format]) return FORMAT_SAMPLES[schema.format];
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  const fits = (s: string) => s.length >= minLength && s.length <= maxLength;
  if (typeof schema.pattern === 'string') {
    const re = regexOf(schema.pattern);
    const hit = re && STRING_CANDIDATES.find((s) => re.test(s) && fits(s));
    if (hit) return hit;
  }
  let value = 'probe';
  if (value.length < minLength) value = value.padEnd(minLength, 'x');
  if (value.length > maxLength) value = value.slice(0, Math.max(maxLength, 1));
  return value;
}

const INVALID_STRING_CANDIDATES = ['not-a-valid-value!', '~~', ' ', '-1', 'Z'];

/** A string that `schema` rejects, as a path or query value; undefined when every string would do. */
function invalidString(document: Json, schema: Json, depth = 0): string | undefined {
  schema = deref(document, schema);
  if (!schema || typeof schema !== 'object' || depth > 8) return undefined;
  const types = typesOf(document, schema);
  if (Array.isArray(schema.enum) && schema.enum.length) {
    const value = 'not-in-enum';
    if (!schema.enum.includes(value)) return value;
  }
  if (types.length === 0) return undefined;
  if (types.includes('array')) return invalidString(document, schema.items, depth + 1);
  if (types.every((t) => t === 'integer' || t === 'number')) return 'not-a-number';
  if (types.every((t) => t === 'boolean')) return 'not-a-boolean';
  if (types.length === 1 && types[0] === 'integer') return 'not-a-number';
  if (!types.every((t) => t === 'string')) return undefined;
  if (typeof schema.pattern === 'string') {
    const re = regexOf(schema.pattern);
    const miss = re && INVALID_STRING_CANDIDATES.find((s) => !re.test(s));
    if (miss) return miss;
  }
  if (['uuid', 'date', 'date-time', 'email', 'ipv4', 'ipv6', 'uri', 'time'].includes(schema.format)) return 'not-a-valid-value!';
  // (Discord's invite code allows 152,133 characters: a longer URL only meets a 431 for its headers.)
  if (typeof schema.maxLength === 'number' && schema.maxLength < 1024) return 'x'.repeat(schema.maxLength + 1);
  if (typeof schema.minLength === 'number' && schema.minLength > 1) return 'x';
  return undefined;
}

function scalar(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Query pairs for one parameter value (form style by default, explode by default for form). */
function queryPairs(param: Parameter, value: unknown): Array<[string, string]> {
  const style = param.style ?? 'form';
  const explode = param.explode ?? style === 'form';
  if (Array.isArray(value)) {
    if (style === 'form' && explode) return value.map((v) => [param.name, scalar(v)]);
    const joiner = style === 'spaceDelimited' ? ' ' : style === 'pipeDelimited' ? '|' : ',';
    return [[param.name, value.map(scalar).join(joiner)]];
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (style === 'deepObject') return entries.map(([k, v]) => [`${param.name}[${k}]`, scalar(v)]);
    if (explode) return entries.map(([k, v]) => [k, scalar(v)]);
    return [[param.name, entries.flatMap(([k, v]) => [k, scalar(v)]).join(',')]];
  }
  return [[param.name, scalar(value)]];
}

function simple(value: unknown): string {
  if (Array.isArray(value)) return value.map(scalar).join(',');
  if (value && typeof value === 'object') return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => [k, scalar(v)]).join(',');
  return scalar(value);
}

function parameterValue(document: Json, param: Parameter): unknown {
  if (param.example !== undefined) return param.example;
  const first = param.examples && Object.values<Json>(param.examples)[0];
  const example = first && deref(document, first);
  if (example && example.value !== undefined) return example.value;
  return validValue(document, param.schema);
}

// ---------------------------------------------------------------------------------------------------
// Credentials

interface Credentials {
  headers: Record<string, string>;
  query: Array<[string, string]>;
  cookies: string[];
}

function credentialsFor(document: Json, requirement: Record<string, string[]>): Credentials {
  const out: Credentials = { headers: {}, query: [], cookies: [] };
  for (const name of Object.keys(requirement)) {
    const scheme = deref(document, document.components?.securitySchemes?.[name]);
    if (!scheme) continue;
    if (scheme.type === 'apiKey') {
      if (scheme.in === 'query') out.query.push([scheme.name, 'probe-key']);
      else if (scheme.in === 'cookie') out.cookies.push(`${scheme.name}=probe-key`);
      else out.headers[String(scheme.name).toLowerCase()] = 'probe-key';
    } else if (scheme.type === 'http') {
      const kind = String(scheme.scheme ?? '').toLowerCase();
      out.headers.authorization = kind === 'basic' ? `Basic ${Buffer.from('probe:probe').toString('base64')}` : kind === 'bearer' ? 'Bearer probe-token' : `${scheme.scheme} probe`;
    } else {
      // oauth2, openIdConnect (and anything else): a bearer token.
      out.headers.authorization = 'Bearer probe-token';
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Planning

interface Planned {
  provocation: Provocation;
  broken?: string;
  intended: 400 | 401;
  method: string;
  target: string;
  headers: Record<string, string>;
  body?: string;
}

function plan(document: Json, op: Operation): { for400: Planned[]; for401?: Planned; controls: Planned[] } {
  const wirePath = op.path;
  const secured = op.security.length > 0;
  const optional = op.security.some((r) => Object.keys(r).length === 0);
  const firstRequirement = op.security.find((r) => Object.keys(r).length > 0);
  const credentials = firstRequirement ? credentialsFor(document, firstRequirement) : { headers: {}, query: [], cookies: [] };

  const build = (change: { breakParam?: Parameter; breakValue?: string; omit?: Parameter; body?: string | null; anonymous?: boolean; prefer?: string }) => {
    let target = wirePath;
    const query: Array<[string, string]> = [];
    const headers: Record<string, string> = { accept: '*/*' };
    const cookies: string[] = [];
    for (const param of op.parameters) {
      if (param === change.omit) continue;
      if (param.in !== 'path' && !param.required && param !== change.breakParam) continue;
      const broken = param === change.breakParam;
      const value = broken ? change.breakValue : parameterValue(document, param);
      if (param.in === 'path') {
        target = target.split(`{${param.name}}`).join(encodeURIComponent(broken ? String(value) : simple(value)) || 'probe');
      } else if (param.in === 'query') {
        query.push(...(broken ? ([[param.name, String(value)]] as Array<[string, string]>) : queryPairs(param, value)));
      } else if (param.in === 'header') {
        const lower = param.name.toLowerCase();
        if (!['accept', 'content-type', 'authorization', 'content-length', 'host'].includes(lower)) headers[lower] = simple(value);
      } else if (param.in === 'cookie') {
        cookies.push(`${param.name}=${encodeURIComponent(simple(value))}`);
      }
    }
    if (!change.anonymous) {
      Object.assign(headers, credentials.headers);
      query.push(...credentials.query);
      cookies.push(...credentials.cookies);
    }
    if (cookies.length) headers.cookie = cookies.join('; ');
    if (change.prefer) headers.prefer = change.prefer;
    let body: string | undefined;
    if (change.body !== undefined && change.body !== null) {
      body = change.body;
      headers['content-type'] = op.jsonBody!.mediaType;
    } else if (change.body === undefined && op.bodyRequired && op.jsonBody) {
      // A valid-looking body for the requests that break something else.
      body = JSON.stringify(validValue(document, op.jsonBody.schema));
      headers['content-type'] = op.jsonBody.mediaType;
    }
    const search = query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
    return { method: op.method, target: search ? `${target}?${search}` : target, headers, body };
  };

  const for400: Planned[] = [];
  for (const param of op.parameters.filter((p) => p.in === 'path')) {
    const bad = invalidString(document, param.schema);
    if (bad !== undefined) for400.push({ provocation: 'path parameter of the wrong type', broken: `path ${param.name}`, intended: 400, ...build({ breakParam: param, breakValue: bad }) });
  }
  for (const param of op.parameters.filter((p) => p.in === 'query')) {
    const bad = invalidString(document, param.schema);
    if (bad !== undefined) for400.push({ provocation: 'query parameter of the wrong type', broken: `query ${param.name}`, intended: 400, ...build({ breakParam: param, breakValue: bad }) });
  }
  for (const param of op.parameters.filter((p) => p.in === 'query' && p.required)) {
    for400.push({ provocation: 'required query parameter missing', broken: `query ${param.name}`, intended: 400, ...build({ omit: param }) });
  }
  if (op.jsonBody && op.jsonBody.schema && Object.keys(op.jsonBody.schema).length > 0) {
    // Malformed JSON cannot pass through Prism: it parses JSON bodies itself and answers `{"error":
    // {"code":"invalid_json"}}` without forwarding. A well-formed body of the wrong JSON type can.
    const wrong = typesOf(document, op.jsonBody.schema).includes('array') ? '{}' : '[]';
    for400.push({ provocation: 'JSON body of the wrong type', broken: `body (${op.jsonBody.mediaType})`, intended: 400, ...build({ body: wrong }) });
  }
  if (op.bodyRequired && op.method !== 'GET' && op.method !== 'HEAD') {
    for400.push({ provocation: 'required body missing', broken: 'body', intended: 400, ...build({ body: null }) });
  }
  const for401 = secured && !optional ? { provocation: 'no credential' as const, intended: 401 as const, ...build({ anonymous: true, body: null }) } : undefined;
  const controls: Planned[] = [{ provocation: 'control: valid request, Prefer: code=400', intended: 400, ...build({ prefer: 'code=400' }) }];
  if (secured) controls.push({ provocation: 'control: valid request, Prefer: code=401', intended: 401, ...build({ prefer: 'code=401' }) });
  return { for400, for401, controls };
}

// ---------------------------------------------------------------------------------------------------
// Prism's `sl-violations`

export function parseViolations(header: string | null): { violations: Violation[]; truncated: boolean } {
  if (!header) return { violations: [], truncated: false };
  if (header.startsWith('Too many violations! ')) {
    // Cut at 8 KB: salvage the complete objects.
    const violations: Violation[] = [];
    const re = /\{"location":\[[^\]]*\],"severity":"[^"]*"(?:,"code":(?:"(?:[^"\\]|\\.)*"|-?\d+))?,"message":"(?:[^"\\]|\\.)*"\}/g;
    for (const match of header.slice('Too many violations! '.length).matchAll(re)) {
      try {
        violations.push(JSON.parse(match[0]));
      } catch {
        /* skip */
      }
    }
    return { violations, truncated: true };
  }
  try {
    const parsed = JSON.parse(header);
    return { violations: Array.isArray(parsed) ? parsed : [], truncated: false };
  } catch {
    return { violations: [{ location: ['unparsed'], severity: 'Error', message: header.slice(0, 200) }], truncated: false };
  }
}

/** Where a violation belongs: Prism prefixes every location with "request" or "response". */
export const sideOf = (v: Violation): 'request' | 'response' | 'unknown' => (v.location?.[0] === 'request' ? 'request' : v.location?.[0] === 'response' ? 'response' : 'unknown');

const UNROUTED = 'Selected route not found';

// ---------------------------------------------------------------------------------------------------
// Running one document

async function send(prism: string, document: string, op: Operation, planned: Planned): Promise<ProbeRecord> {
  const base = {
    ...(planned.provocation.startsWith('control') ? { control: true as const } : {}),
    document,
    operationId: op.operationId,
    method: planned.method,
    path: op.path,
    target: planned.target,
    provocation: planned.provocation,
    broken: planned.broken,
    intended: planned.intended,
  };
  try {
    const response = await fetch(prism + planned.target, { method: planned.method, headers: planned.headers, body: planned.body, signal: AbortSignal.timeout(30_000), redirect: 'manual' });
    const text = await response.text();
    const { violations, truncated } = parseViolations(response.headers.get('sl-violations'));
    const requestViolations = violations.filter((v) => sideOf(v) !== 'response');
    return {
      ...base,
      status: response.status,
      declared: declaredFor(op.responses, response.status),
      contentType: response.headers.get('content-type'),
      answeredBy: response.headers.has('x-request-id') ? 'specbind' : 'prism',
      routed: !requestViolations.some((v) => v.message === UNROUTED),
      requestViolations,
      responseViolations: violations.filter((v) => sideOf(v) === 'response'),
      ...(truncated ? { truncated } : {}),
      body: text.slice(0, 400),
    };
  } catch (error) {
    return { ...base, status: 0, declared: null, contentType: null, answeredBy: 'prism', routed: false, requestViolations: [], responseViolations: [], body: '', error: String((error as Error)?.message ?? error) };
  }
}

async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

function spread<T>(items: T[], n: number | undefined): T[] {
  if (!n || n >= items.length) return items;
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]);
}

/** Probes one document: starts specbind mock and Prism, sends the requests, stops both. */
export async function runDocument(documentArg: string, options: RunOptions = {}): Promise<DocumentResult> {
  const log = options.log ?? (() => {});
  const file = path.resolve(ROOT, documentArg);
  const display = path.relative(ROOT, file);
  const document = loadDocument(file);
  const basePath = basePathOf(document);
  const all = operationsOf(document);
  const skipped: SkippedOperation[] = [];
  const operations = spread(all, options.sample).filter((op) => {
    if (op.path.includes('#')) {
      skipped.push({ operationId: op.operationId, method: op.method, path: op.path, reason: 'the path has a #fragment, which is never on the wire: Prism routes the wire path to another operation, or to none' });
      return false;
    }
    return true;
  });
  const timeout = options.startTimeout ?? 180_000;
  const started: Started[] = [];
  const timings = { mock: 0, prism: 0, requests: 0 };
  try {
    const mockPort = await freePort();
    let t = Date.now();
    const tsx = require.resolve('tsx/cli');
    const mock = startChild(process.execPath, [tsx, 'src/cli.ts', 'mock', '--spec', display, '--port', String(mockPort), '--host', '127.0.0.1', '--lazy'], { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', NODE_ENV: 'development' });
    started.push(mock);
    await untilListening(`specbind mock (${display})`, mock, mockPort, timeout);
    timings.mock = Date.now() - t;
    log(`${display}: specbind mock on ${mockPort} (${timings.mock} ms), base path '${basePath}'`);

    const prismPort = await freePort();
    t = Date.now();
    const prismBin = require.resolve('@stoplight/prism-cli/dist/index.js');
    const upstream = `http://127.0.0.1:${mockPort}${basePath}`;
    const prism = startChild(process.execPath, [prismBin, 'proxy', file, upstream, '--port', String(prismPort), '--host', '127.0.0.1', '--errors=false', '--multiprocess=false', '--cors=false'], { ...process.env, NODE_ENV: 'development' });
    started.push(prism);
    await untilListening(`prism proxy (${display})`, prism, prismPort, timeout);
    timings.prism = Date.now() - t;
    log(`${display}: prism proxy on ${prismPort} → ${upstream} (${timings.prism} ms)`);

    const prismUrl = `http://127.0.0.1:${prismPort}`;
    const records: ProbeRecord[] = [];
    const no400: SkippedOperation[] = [];
    let no401 = 0;
    t = Date.now();
    await pool(operations, options.concurrency ?? 8, async (op) => {
      const { for400, for401, controls } = plan(document, op);
      // One 400 per operation: the first provocation specbind answers with a 400 of its own.
      let got400 = false;
      for (const planned of for400) {
        const record = await send(prismUrl, display, op, planned);
        records.push(record);
        if (record.status === 400 && record.answeredBy === 'specbind') {
          got400 = true;
          break;
        }
      }
      if (!got400) no400.push({ operationId: op.operationId, method: op.method, path: op.path, reason: for400.length ? `tried ${for400.map((p) => p.provocation).join(', ')}: no 400 from specbind` : 'nothing to break: no typed, constrained or required query/path parameter and no JSON body' });
      if (for401) records.push(await send(prismUrl, display, op, for401));
      else no401++;
      if (options.control) for (const planned of controls) records.push(await send(prismUrl, display, op, planned));
    });
    timings.requests = Date.now() - t;
    const order = new Map(all.map((op, i) => [`${op.method} ${op.path}`, i]));
    records.sort((a, b) => (order.get(`${a.method} ${a.path}`) ?? 0) - (order.get(`${b.method} ${b.path}`) ?? 0) || Number(!!a.control) - Number(!!b.control) || a.intended - b.intended);
    return { document: display, operations: operations.length, basePath, records, skipped, no400, no401, timings };
  } finally {
    await Promise.all(started.reverse().map((s) => stopChild(s.child)));
  }
}

export async function runAll(documents: string[], options: RunOptions = {}): Promise<DocumentResult[]> {
  const results: DocumentResult[] = [];
  for (const document of documents) results.push(await runDocument(document, options));
  return results;
}

// ---------------------------------------------------------------------------------------------------
// Reporting

/** specbind's own 400/401 answers: the status it was pushed to, written by specbind (not a control). */
export const ownAnswers = (records: ProbeRecord[]): ProbeRecord[] => records.filter((r) => !r.control && r.answeredBy === 'specbind' && r.status === r.intended);

/** Prism's verdict when the status has no declared response (exact, NXX or default): no body can change it. */
export const UNDECLARED_STATUS = 'Unable to match the returned status code with those defined in the document';
export const isUndeclaredStatus = (v: Violation): boolean => v.message.startsWith(UNDECLARED_STATUS);

export interface MessageCount {
  message: string;
  severity: string;
  count: number;
  /** Answers' statuses → count. */
  statuses: Record<string, number>;
  /** The declared responses those answers were checked against → count. */
  declared: Record<string, number>;
}

export interface Part {
  requests: number;
  byStatus: Record<string, number>;
  withResponseViolations: number;
  responseViolations: number;
  messages: MessageCount[];
}

export interface Summary extends Part {
  document: string;
  operations: number;
  answeredByPrism: number;
  unrouted: number;
  own: { '400': number; '401': number };
  ownWithViolations: { '400': number; '401': number };
  skipped: number;
  no400: number;
  no401: number;
  /** The control requests (when sent): only those Prism found valid (no request-side violation). */
  control?: Part & { sent: number };
}

function part(records: ProbeRecord[]): Part {
  const byStatus: Record<string, number> = {};
  const messages = new Map<string, MessageCount>();
  let responseViolations = 0;
  for (const r of records) {
    byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    for (const v of r.responseViolations) {
      responseViolations++;
      const key = `${v.severity}\u0000${v.message}`;
      const entry = messages.get(key) ?? { message: v.message, severity: v.severity, count: 0, statuses: {}, declared: {} };
      entry.count++;
      entry.statuses[r.status] = (entry.statuses[r.status] ?? 0) + 1;
      entry.declared[r.declared ?? 'none'] = (entry.declared[r.declared ?? 'none'] ?? 0) + 1;
      messages.set(key, entry);
    }
  }
  return {
    requests: records.length,
    byStatus,
    withResponseViolations: records.filter((r) => r.responseViolations.length > 0).length,
    responseViolations,
    messages: [...messages.values()].sort((a, b) => b.count - a.count || a.message.localeCompare(b.message)),
  };
}

export function summarize(result: DocumentResult): Summary {
  const probes = result.records.filter((r) => !r.control);
  const controls = result.records.filter((r) => r.control);
  const own = ownAnswers(probes);
  const count = (rs: ProbeRecord[], s: number) => rs.filter((r) => r.status === s).length;
  const flagged = own.filter((r) => r.responseViolations.length > 0);
  return {
    document: result.document,
    operations: result.operations,
    ...part(probes),
    answeredByPrism: probes.filter((r) => r.answeredBy === 'prism').length,
    unrouted: probes.filter((r) => !r.routed).length,
    own: { '400': count(own, 400), '401': count(own, 401) },
    ownWithViolations: { '400': count(flagged, 400), '401': count(flagged, 401) },
    skipped: result.skipped.length,
    no400: result.no400.length,
    no401: result.no401,
    ...(controls.length ? { control: { sent: controls.length, ...part(controls.filter((r) => r.routed && r.requestViolations.length === 0)) } } : {}),
  };
}

function statusList(byStatus: Record<string, number>): string {
  return Object.entries(byStatus)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
}

function messageLines(messages: MessageCount[]): string[] {
  if (!messages.length) return [];
  const tally = (m: Record<string, number>) =>
    Object.entries(m)
      .map(([k, v]) => `${k}:${v}`)
      .join(' ');
  return ['  count  severity  statuses         declared           message', ...messages.map((m) => `  ${String(m.count).padStart(5)}  ${m.severity.padEnd(8)}  ${tally(m.statuses).padEnd(15)}  ${tally(m.declared).padEnd(17)}  ${m.message}`)];
}

export function formatSummary(s: Summary): string {
  const lines: string[] = [];
  lines.push(`== ${s.document} ==`);
  lines.push(`operations probed              ${s.operations}${s.skipped ? ` (+${s.skipped} skipped: #fragment paths)` : ''}`);
  lines.push(`requests sent                  ${s.requests}`);
  lines.push(`answers by status              ${statusList(s.byStatus)}`);
  lines.push(`answered by Prism itself       ${s.answeredByPrism}    not routed by Prism: ${s.unrouted}`);
  lines.push(`specbind's own 400 / 401       ${s.own['400']} / ${s.own['401']}    (no 400 provoked for ${s.no400} operations; ${s.no401} have no 401 to provoke)`);
  lines.push(`  with >=1 response violation  ${s.ownWithViolations['400']} / ${s.ownWithViolations['401']}`);
  lines.push(`answers with >=1 response violation: ${s.withResponseViolations}; response violations: ${s.responseViolations}`);
  lines.push(...messageLines(s.messages));
  if (s.control) {
    lines.push(`control (valid request + Prefer: code=400|401; the mock's declared reply): ${s.control.sent} sent, ${s.control.requests} valid by Prism`);
    lines.push(`  answers by status ${statusList(s.control.byStatus)}; with >=1 response violation: ${s.control.withResponseViolations}`);
    lines.push(...messageLines(s.control.messages));
  }
  return lines.join('\n');
}
// ---------------------------------------------------------------------------------------------------
// Command line

async function main(argv: string[]): Promise<number> {
  const documents: string[] = [];
  let jsonOut: string | undefined;
  let sample: number | undefined;
  let concurrency: number | undefined;
  let control = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') jsonOut = argv[++i];
    else if (arg === '--sample') sample = Number(argv[++i]);
    else if (arg === '--concurrency') concurrency = Number(argv[++i]);
    else if (arg === '--control') control = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write('npx tsx test/outside/prism-own-errors.ts [--json out.json] [--sample N] [--concurrency N] [--control] [docs...]\n');
      return 0;
    } else documents.push(arg);
  }
  const results: DocumentResult[] = [];
  for (const document of documents.length ? documents : DEFAULT_DOCUMENTS) {
    const result = await runDocument(document, { sample, concurrency, control, log: (line) => process.stderr.write(`${line}\n`) });
    results.push(result);
    process.stdout.write(`${formatSummary(summarize(result))}\n\n`);
  }
  const total = results.map(summarize);
  const sum = (f: (s: Summary) => number) => total.reduce((n, s) => n + f(s), 0);
  process.stdout.write(
    `== total ==\nrequests ${sum((s) => s.requests)}; specbind's own 400/401 answers ${sum((s) => s.own['400'] + s.own['401'])}, ` +
      `${sum((s) => s.ownWithViolations['400'] + s.ownWithViolations['401'])} of them with response violations; ` +
      `response violations in all ${sum((s) => s.responseViolations)}\n`,
  );
  if (jsonOut) {
    writeFileSync(path.resolve(process.cwd(), jsonOut), JSON.stringify({ prism: prismVersion(), results }, null, 2));
    process.stderr.write(`records written to ${jsonOut}\n`);
  }
  return 0;
}

export function prismVersion(): string {
  return JSON.parse(readFileSync(require.resolve('@stoplight/prism-cli/package.json'), 'utf8')).version;
}

if (require.main === module) {
  process.once('exit', killAllChildren);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping children\n`);
      killAllChildren();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`${error?.stack ?? error}\n`);
      killAllChildren();
      process.exit(1);
    },
  );
}
