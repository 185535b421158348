// From a handler's result (a value, a Reply, an HttpError) to the bytes on the wire: the declared
// response chosen, its media type negotiated, the body serialised and checked against the document.
import { Buffer } from 'node:buffer';
import { STATUS_CODES } from 'node:http';
import { HttpError, PROBLEMS, problemType, type ViolationDetail } from '../errors';
import type { ResponseSpec } from '../spec/operations';
import { essence, isJsonMediaType, negotiate, parseAccept } from '../replies/media';
import { Reply, type ReplyOptions, type ReplyTable, statusOf } from '../replies/replies';
import type { Validator } from '../validation/compiler';

/** The neutral response every adapter writes. */
export interface OutgoingResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body?: string | Buffer;
}

export const PROBLEM_JSON = 'application/problem+json';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: ViolationDetail[];
  [extension: string]: unknown;
}

/**
 * The error condition a declared response stands for: its component or x-name name (`noBuildInfo`),
 * not a bare status name. It becomes the problem `type`, so clients can tell conditions apart.
 */
export function conditionName(response: ResponseSpec | undefined): string | undefined {
  return response?.condition;
}

export function problemBody(error: HttpError, status: number, instance: string | undefined, hideDetail: boolean, condition?: string): ProblemBody {
  const code = error.code;
  const body: ProblemBody = {
    type: code ? problemType(code) : condition ? `urn:specbind:problem:${condition}` : 'about:blank',
    title: code ? PROBLEMS[code].title : STATUS_CODES[status] ?? 'Error',
    status,
  };
  if (error.detail && !(hideDetail && status >= 500)) body.detail = error.detail;
  if (instance) body.instance = instance;
  if (error.errors?.length) body.errors = error.errors;
  if (error.options.extensions) Object.assign(body, error.options.extensions);
  return body;
}

/** A problem response that no declaration shapes: specbind's own 4xx/5xx. */
export function plainProblem(body: ProblemBody, headers: Record<string, string | string[]> = {}): OutgoingResponse {
  return { status: body.status, headers: { ...headers, 'content-type': PROBLEM_JSON }, body: JSON.stringify(body) };
}

/** A declared response body's schema: its validator, and the JSON text of a value that validator accepted. */
export interface BodyCheck {
  validate: Validator;
  /** For a plain JSON value `validate` accepted: compiled from the schema (src/replies/serializer.ts) where it can be. */
  serialize(value: unknown): string;
}

/** The per-operation validators of each declared response, compiled once. */
export interface ResponseChecks {
  body(response: ResponseSpec, mediaType: string): BodyCheck | undefined;
  header(response: ResponseSpec, name: string): Validator | undefined;
}

export interface Rendered {
  response: OutgoingResponse;
  /** What breaks the contract, if anything (the caller decides: replace, log, or ignore). */
  violations: readonly string[];
}

/** True when `value` is plain JSON already (no class instances, toJSON, Dates, undefined members or array holes). */
function isPlainJson(value: unknown, depth = 0): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'undefined' && typeof value !== 'function' && typeof value !== 'bigint' && typeof value !== 'symbol' && (typeof value !== 'number' || Number.isFinite(value));
  if (depth > 64) return false;
  if (Array.isArray(value)) {
    // By index: a hole reads as undefined (JSON.stringify writes null there; `every` would skip it).
    for (let i = 0; i < value.length; i++) if (!isPlainJson(value[i], depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || typeof (value as any).toJSON === 'function') return false;
  for (const key in value) if (!isPlainJson((value as any)[key], depth + 1)) return false;
  return true;
}

const OFFERED = new WeakMap<ResponseSpec, string[]>();

/** A response's declared media types, in document order (computed once per declaration). */
function offeredTypes(response: ResponseSpec): string[] {
  let offered = OFFERED.get(response);
  if (!offered) OFFERED.set(response, (offered = response.content.map((m) => m.mediaType)));
  return offered;
}

/** The violations of a response that breaks nothing: shared, never pushed to (`noted` copies it first). */
const NO_VIOLATIONS: string[] = Object.freeze([]) as unknown as string[];

/** `violations` with `message` added: a fresh list in place of the shared empty one. */
function noted(violations: string[], message: string): string[] {
  const list = violations === NO_VIOLATIONS ? [] : violations;
  list.push(message);
  return list;
}

export function render(
  replies: ReplyTable,
  checks: ResponseChecks,
  reply: Reply,
  acceptHeader: string | undefined,
  validate: boolean,
): Rendered {
  const { response, status, body, options } = reply;
  let violations = NO_VIOLATIONS;
  const offered = offeredTypes(response);
  const headers: Record<string, string | string[]> = {};
  if (options.headers) {
    for (const name of Object.keys(options.headers)) {
      const value = options.headers[name];
      headers[name.toLowerCase()] = typeof value === 'number' ? String(value) : value;
    }
  }

  let payload: string | Buffer | undefined;
  let mediaType: string | undefined;
  if (body !== undefined && offered.length === 0) {
    violations = noted(violations, `response ${status} declares no content, but the handler sent a body`);
  } else if (body === undefined && offered.length > 0 && status !== 204 && status !== 304) {
    const expected = response.content.some((m) => m.schema !== undefined);
    if (expected) violations = noted(violations, `response ${status} declares a body (${offered.join(', ')}), but the handler sent none`);
  }
  if (body !== undefined) {
    mediaType = options.contentType ?? negotiate(offered, parseAccept(acceptHeader)) ?? offered[0];
    if (mediaType && options.contentType && !offered.some((t) => essence(t) === essence(options.contentType!))) {
      violations = noted(violations, `content type ${options.contentType} is not declared for response ${status}`);
    }
    if (mediaType) {
      const json = isJsonMediaType(mediaType);
      if (Buffer.isBuffer(body)) payload = body;
      else if (!json && typeof body === 'string') payload = body;
      else {
        const check = validate && json ? checks.body(response, mediaType) : undefined;
        let errors: ReturnType<Validator> = null;
        if (check && isPlainJson(body)) {
          // Checked as it is, then written by the serializer compiled from the schema it passed.
          errors = check.validate(body);
          payload = errors ? JSON.stringify(body) : check.serialize(body);
        } else {
          payload = JSON.stringify(body) ?? '';
          // Checked as the client will read it: after toJSON, Dates, undefined members.
          if (check) errors = check.validate(JSON.parse(payload));
        }
        if (errors) for (const e of errors.slice(0, 10)) violations = noted(violations, `body${e.pointer ? ` ${e.pointer}` : ''} ${e.message}`);
      }
      headers['content-type'] = mediaType;
    }
  }
  if (validate) {
    for (const header of response.headers) {
      if (header.name === 'content-type') continue;
      const value = headers[header.name];
      if (value === undefined) {
        if (header.required) violations = noted(violations, `required header ${header.name} is missing`);
        continue;
      }
      const validator = checks.header(response, header.name);
      if (validator && typeof value === 'string') {
        const errors = validator(header.schema?.type === 'integer' || header.schema?.type === 'number' ? Number(value) : value);
        if (errors) violations = noted(violations, `header ${header.name} ${errors[0].message}`);
      }
    }
  }
  return { response: { status, headers, body: payload }, violations };
}

/** A Reply for a plain return value: the operation's success response. */
export function successReply(replies: ReplyTable, value: unknown): Reply | string {
  if (replies.successAmbiguous) {
    const names = replies.responses.filter((r) => /^2/.test(r.key)).map((r) => `ctx.reply.${r.names[r.names.length - 1]}()`);
    return `the operation declares several 2xx responses; return one of ${names.join(', ')}`;
  }
  const response = replies.success;
  if (!response) return 'the operation declares no success response; return a ctx.reply.<name>() instead';
  return new Reply(response, replies.successStatus, value);
}

/** A Reply for an HttpError: its named or numbered declaration, with a problem body unless one is given. */
export function errorReply(replies: ReplyTable, error: HttpError, instance: string | undefined, hideDetail: boolean): { reply?: Reply; status: number; problem: ProblemBody } {
  let response: ResponseSpec | undefined;
  let status: number;
  if (typeof error.target === 'string') {
    response = replies.byName.get(error.target);
    status = response ? statusOf(response.key, 500) : 500;
  } else {
    status = error.target;
    response = replies.forStatus(status);
  }
  const problem = problemBody(error, status, instance, hideDetail, conditionName(response));
  if (!response) return { status, problem };
  const declaresBody = response.content.length > 0;
  const problemType = response.content.find((m) => essence(m.mediaType) === PROBLEM_JSON)?.mediaType;
  const options: ReplyOptions = { headers: error.options.headers as ReplyOptions['headers'], status, contentType: error.options.body === undefined ? problemType : undefined };
  const body = error.options.body !== undefined ? error.options.body : declaresBody ? problem : undefined;
  return { reply: new Reply(response, status, body, options), status, problem };
}
