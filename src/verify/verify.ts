// `specbind verify`: checks a running server (any server: plain HTTP) against an OpenAPI document.
// Positive requests must get a declared status, a declared content type and a body valid by the
// response schema (and its required headers); negative requests must get a 4xx — never a 5xx, never a
// hang. The report is a table per operation and `N passed, M failed` (requests), reproducible by seed.
import { loadSpec } from '../document/load';
import { collectOperations, type OperationSpec, type ResponseSpec } from '../document/operations';
import { SchemaCompiler } from '../validation/compiler';
import { createClient, type Exchange } from './http';
import { Planner, type PlannedRequest } from './plan';

export interface VerifyOptions {
  /** Where the API is. A URL without a path gets the document's base path (`servers[0]`'s path). */
  baseUrl: string;
  /** A path to the document, or the document object. */
  spec: string | object;
  /** Seeds the PRNG: the same seed sends the same requests (default 1). */
  seed?: number;
  /** Positive requests per operation: the first from examples, the rest seeded (default 3). */
  max?: number;
  /** Sent with every request: credentials such as `X-API-Key`. With none, placeholders satisfy security schemes. */
  headers?: Record<string, string>;
  /** Per-request time limit in ms (default 10000). */
  timeoutMs?: number;
  /** Send negative requests (default true). */
  negative?: boolean;
  /** Only these operationIds. */
  operations?: string[];
  /** Positive requests must get a 2xx (or `default` when no 2xx is declared): for mocks (default false). */
  expectSuccess?: boolean;
  /** Operations checked at once (default 1: in document order, for stateful servers). */
  concurrency?: number;
  /** Size of the oversized body in bytes (default 2 MiB). */
  oversize?: number;
  /** Called after each operation (progress). */
  onOperation?: (report: OperationReport) => void;
}

export type Outcome = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  kind: 'positive' | 'negative';
  label: string;
  method: string;
  target: string;
  status?: number;
  outcome: Outcome;
  /** Why it failed or was skipped. */
  reasons: string[];
  request: PlannedRequest;
}

export interface Tally {
  pass: number;
  fail: number;
  skip: number;
}

export interface OperationReport {
  operationId: string;
  method: string;
  path: string;
  positive: Tally;
  negative: Tally;
  checks: CheckResult[];
}

export interface VerifyReport {
  baseUrl: string;
  seed: number;
  title: string;
  operations: OperationReport[];
  passed: number;
  failed: number;
  skipped: number;
}

/** The path of `servers[0].url`, variables at their defaults (`https://x/v1/` → `/v1`). */
export function documentBasePath(document: any): string {
  const server = document?.servers?.[0];
  if (!server || typeof server.url !== 'string') return '';
  const url = server.url.replace(/\{([^}]+)\}/g, (_: string, name: string) => String(server.variables?.[name]?.default ?? ''));
  try {
    const pathname = decodeURIComponent(new URL(url, 'http://placeholder').pathname).replace(/\/+$/, '');
    return pathname;
  } catch {
    return '';
  }
}

/** The base URL requests go to: as given when it has a path, else with the document's base path. */
export function resolveBaseUrl(baseUrl: string, document: unknown): string {
  const url = new URL(baseUrl);
  const given = url.pathname.replace(/\/+$/, '');
  const path = given === '' ? documentBasePath(document) : given;
  return `${url.protocol}//${url.host}${path.split('/').map((s) => encodeURI(decodeURI(s))).join('/')}`;
}

export async function verify(options: VerifyOptions): Promise<VerifyReport> {
  const loaded = await loadSpec(options.spec);
  const { document, dialect } = loaded;
  const { operations } = collectOperations(document, loaded.file);
  const compiler = new SchemaCompiler(document, dialect);
  const seed = options.seed ?? 1;
  const headers = options.headers ?? {};
  const planner = new Planner(document, dialect, compiler, {
    seed,
    max: Math.max(1, options.max ?? 3),
    headers,
    negative: options.negative !== false,
    oversize: options.oversize ?? 2 * 1024 * 1024,
  });
  const base = resolveBaseUrl(options.baseUrl, document);
  const selected = options.operations?.length ? operations.filter((op) => options.operations!.includes(op.operationId)) : operations;
  const timeout = options.timeoutMs ?? 10_000;
  const client = createClient();
  const credentialsGiven = Object.keys(headers).length > 0;
  const reports: OperationReport[] = new Array(selected.length);
  // Operations that differ only by a `#fragment` in the path (Box writes `/shared_items#folders`) meet on the wire.
  const collisions = new Map<string, string[]>();
  for (const op of operations) collisions.set(collisionKey(op), [...(collisions.get(collisionKey(op)) ?? []), op.operationId]);

  const runOne = async (op: OperationSpec): Promise<OperationReport> => {
    const report: OperationReport = { operationId: op.operationId, method: op.method.toUpperCase(), path: op.path, positive: tally(), negative: tally(), checks: [] };
    let requests: PlannedRequest[];
    try {
      requests = planner.plan(op);
    } catch (error) {
      report.checks.push({ kind: 'positive', label: 'plan', method: report.method, target: op.path, outcome: 'fail', reasons: [`verify could not build requests: ${(error as Error).message}`], request: { kind: 'positive', label: 'plan', method: report.method, target: op.path, headers: {} } });
      report.positive.fail++;
      return report;
    }
    const twins = collisions.get(collisionKey(op));
    for (const request of requests) {
      const exchange = await client.send({ method: request.method, url: base + request.target, headers: request.headers, body: request.body }, timeout);
      const result = request.kind === 'positive' ? judgePositive(op, request, exchange, compiler, { credentialsGiven, expectSuccess: options.expectSuccess === true }) : judgeNegative(request, exchange);
      if (result.outcome === 'fail' && twins && twins.length > 1) {
        result.reasons.push(`(the document declares ${report.method} ${op.path.split('#')[0]} ${twins.length} times: ${twins.join(', ')}; a URL fragment is never sent, so a server can answer only one way)`);
      }
      report.checks.push(result);
      report[request.kind][result.outcome]++;
    }
    return report;
  };

  try {
    let next = 0;
    const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 1, selected.length)) }, async () => {
      while (next < selected.length) {
        const index = next++;
        reports[index] = await runOne(selected[index]);
        options.onOperation?.(reports[index]);
      }
    });
    await Promise.all(workers);
  } finally {
    client.close();
  }
  const all = reports.flatMap((r) => r.checks);
  return {
    baseUrl: base,
    seed,
    title: `${document.info?.title ?? 'API'}${document.info?.version ? ` ${document.info.version}` : ''}`,
    operations: reports,
    passed: all.filter((c) => c.outcome === 'pass').length,
    failed: all.filter((c) => c.outcome === 'fail').length,
    skipped: all.filter((c) => c.outcome === 'skip').length,
  };
}

function collisionKey(op: OperationSpec): string {
  return `${op.method} ${op.path.split('#')[0].replace(/\{[^}]+\}/g, '{}')}`;
}

function tally(): Tally {
  return { pass: 0, fail: 0, skip: 0 };
}

/** The declaration for a status: exact, then its range (`4XX`), then `default`. */
export function declaredResponse(op: OperationSpec, status: number): ResponseSpec | undefined {
  const exact = String(status);
  return op.responses.find((r) => r.key === exact) ?? op.responses.find((r) => r.key.toUpperCase() === `${exact[0]}XX`) ?? op.responses.find((r) => r.key === 'default');
}

function essence(mediaType: string): string {
  return mediaType.split(';')[0].trim().toLowerCase();
}

function mediaMatches(declared: string, actual: string): boolean {
  const d = essence(declared);
  if (d === actual || d === '*/*') return true;
  return d.endsWith('/*') && actual.startsWith(d.slice(0, -1));
}

function isJson(type: string): boolean {
  return type === 'application/json' || type.endsWith('+json');
}

function base(request: PlannedRequest): Pick<CheckResult, 'kind' | 'label' | 'method' | 'target' | 'request'> {
  return { kind: request.kind, label: request.label, method: request.method, target: request.target, request };
}

function isSecured(op: OperationSpec): boolean {
  return op.security.length > 0 && !op.security.some((alternative) => Object.keys(alternative).length === 0);
}

export function judgePositive(op: OperationSpec, request: PlannedRequest, exchange: Exchange, compiler: SchemaCompiler, rules: { credentialsGiven: boolean; expectSuccess: boolean }): CheckResult {
  if ('error' in exchange) return { ...base(request), outcome: 'fail', reasons: [exchange.timedOut ? `hang: ${exchange.error}` : `no answer: ${exchange.error}`] };
  const { status, headers, body } = exchange.response;
  const reasons: string[] = [];
  if ((status === 401 || status === 403) && isSecured(op) && !rules.credentialsGiven) {
    return { ...base(request), status, outcome: 'skip', reasons: [`${status} without credentials (pass --header to check this operation)`] };
  }
  if ((status === 401 || status === 403) && rules.credentialsGiven && isSecured(op)) reasons.push(`${status}: the credentials given were refused`);
  const response = declaredResponse(op, status);
  if (op.responses.length === 0) {
    // The operation declares no responses (3.1 allows it): only a server error breaks it.
    if (status >= 500) reasons.push(`status ${status} (a server error; the operation declares no responses)`);
  } else if (!response) reasons.push(`status ${status} is not declared (declared: ${op.responses.map((r) => r.key).join(', ') || 'none'})`);
  // With no 2xx declared, the first declared response is the success (a 3xx, or `default`).
  const noSuccessDeclared = !op.responses.some((r) => /^2/.test(r.key));
  if (rules.expectSuccess && !(status >= 200 && status < 300) && !(noSuccessDeclared && response && status < 400)) {
    reasons.push(`status ${status}: expected a success${problemDetail(body)}`);
  }
  if (response) {
    const contentType = typeof headers['content-type'] === 'string' ? headers['content-type'] : undefined;
    const hasBody = body.length > 0 && request.method !== 'HEAD';
    if (hasBody) {
      if (response.content.length === 0) reasons.push(`response ${response.key} declares no content, but a body was sent${contentType ? ` (${contentType})` : ''}`);
      else if (!contentType) reasons.push('the body has no Content-Type');
      else {
        const actual = essence(contentType);
        const media = response.content.find((m) => essence(m.mediaType) === actual) ?? response.content.find((m) => mediaMatches(m.mediaType, actual));
        if (!media) reasons.push(`Content-Type ${contentType} is not declared for ${response.key} (declared: ${response.content.map((m) => m.mediaType).join(', ')})`);
        else if (isJson(actual) && media.schemaPointer) {
          let value: unknown;
          let parsed = true;
          try {
            value = JSON.parse(body.toString('utf8'));
          } catch {
            parsed = false;
            reasons.push(`the ${actual} body is not valid JSON`);
          }
          if (parsed) {
            try {
              const errors = compiler.validator('response', media.schemaPointer)(value);
              if (errors) reasons.push(...errors.slice(0, 3).map((e) => `body${e.pointer ? ` ${e.pointer}` : ''} ${e.message}`));
            } catch (error) {
              reasons.push(`the response schema cannot be compiled: ${(error as Error).message}`);
            }
          }
        }
      }
    } else if (request.method !== 'HEAD' && status !== 204 && status !== 304 && response.content.some((m) => m.schema !== undefined)) {
      reasons.push(`response ${response.key} declares a body (${response.content.map((m) => m.mediaType).join(', ')}), but none was sent`);
    }
    for (const header of response.headers) {
      if (header.required && headers[header.name] === undefined) reasons.push(`required header ${header.name} is missing`);
    }
  }
  if (reasons.length && request.doubt) reasons.push(`(verify's own doubt about this request: ${request.doubt})`);
  return { ...base(request), status, outcome: reasons.length ? 'fail' : 'pass', reasons };
}

function problemDetail(body: Buffer): string {
  if (body.length === 0 || body.length > 4096) return '';
  try {
    const parsed = JSON.parse(body.toString('utf8'));
    const detail = parsed?.detail ?? parsed?.message ?? parsed?.error;
    return typeof detail === 'string' ? ` (${detail.slice(0, 300)})` : '';
  } catch {
    return '';
  }
}

export function judgeNegative(request: PlannedRequest, exchange: Exchange): CheckResult {
  if ('error' in exchange) return { ...base(request), outcome: 'fail', reasons: [exchange.timedOut ? `hang: ${exchange.error}` : `no answer: ${exchange.error}`] };
  const { status } = exchange.response;
  if (status >= 400 && status < 500) return { ...base(request), status, outcome: 'pass', reasons: [] };
  const what = status >= 500 ? 'a server error' : 'accepted';
  return { ...base(request), status, outcome: 'fail', reasons: [`expected a 4xx, got ${status} (${what})`] };
}

function cell(t: Tally): string {
  const ran = t.pass + t.fail;
  if (ran === 0 && t.skip === 0) return '-';
  const head = t.fail ? `FAIL ${t.pass}/${ran}` : ran ? `pass ${t.pass}/${ran}` : 'skip';
  return t.skip ? `${head} (${t.skip} skipped)` : head;
}

/** The report as text: a table per operation, the failures, then `N passed, M failed`. */
export function formatReport(report: VerifyReport): string {
  const rows = report.operations.map((op) => [op.operationId, op.method, op.path, cell(op.positive), cell(op.negative)]);
  const header = ['operation', 'method', 'path', 'positive', 'negative'];
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[i].length))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  const out: string[] = [`specbind verify ${report.baseUrl} — ${report.title} (seed ${report.seed})`, '', line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  const failures = report.operations.flatMap((op) => op.checks.filter((c) => c.outcome === 'fail').map((c) => ({ op, c })));
  if (failures.length) {
    out.push('', 'Failures:');
    for (const { op, c } of failures) {
      out.push(`  ${op.operationId} ${c.kind} [${c.label}] ${c.method} ${truncate(c.target, 160)} → ${c.status ?? 'no answer'}`);
      for (const reason of c.reasons) out.push(`      ${truncate(reason, 400)}`);
    }
  }
  const skipped = report.operations.filter((op) => op.checks.some((c) => c.outcome === 'skip'));
  if (skipped.length) {
    out.push('', `Skipped: ${report.skipped} request(s) of ${skipped.length} operation(s) answered 401/403 without credentials (pass --header 'Name: value' to check them):`);
    out.push(`  ${skipped.map((op) => op.operationId).join(', ')}`);
  }
  out.push('', `${report.passed} passed, ${report.failed} failed`);
  return `${out.join('\n')}\n`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
