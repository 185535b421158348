// From a handler's result (a value, a Reply, an HttpError) to the bytes on the wire: the declared
// response chosen, its media type negotiated, the body serialised and checked against the document.
import { Buffer } from 'node:buffer';
import { STATUS_CODES } from 'node:http';
import type { Readable } from 'node:stream';
import { HttpError, PROBLEM_JSON, PROBLEMS, problemType, type ProblemBody, type ViolationDetail } from '../errors';
import type { OutgoingResponse, ResponseStream, StreamOutcome } from '../http/response';
import type { ResponseSpec } from '../document/operations';
import { essence, type Framing, framingOf, isJsonMediaType, isTextMediaType, mediaMatches, negotiate, parseAccept } from '../replies/media';
import { Reply, type ReplyOptions } from '../contract/reply';
import { type ReplyTable, statusOf } from '../replies/replies';
import { asBytes, describeValue, isItemSequence, isPlainJson, isStreamSource, notJson, type WebReadable } from '../replies/bodies';
import { headerText } from '../replies/headers';
import { ItemStream, SSE_HEARTBEAT, type SequenceOptions } from '../replies/sequential';
import { byteSource } from '../replies/streams';
import type { Validator } from '../validation/compiler';



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

/** A declared response header's schema: its validator, and how its text on the wire is read as the value the schema types. */
export interface HeaderCheck {
  validate: Validator;
  read(text: string): unknown;
}

/** The schema each item of a sequential media type is held to (3.2 `itemSchema`, else `schema`). */
export interface ItemCheck {
  validate: Validator;
  schemaOf: SequenceOptions['schemaOf'];
}

/** The per-operation validators of each declared response, compiled once. */
export interface ResponseChecks {
  body(response: ResponseSpec, mediaType: string): BodyCheck | undefined;
  header(response: ResponseSpec, name: string): HeaderCheck | undefined;
  items(response: ResponseSpec, mediaType: string): ItemCheck | undefined;
}

/** How a stream of items is checked and told about as it leaves (from the pipeline: mode, logging). */
export interface StreamingContext {
  mode: 'strict' | 'warn' | 'off';
  /** ms of silence after which an SSE stream gets a comment line; 0 for none. */
  heartbeatMs: number;
  onInvalidItem(violations: string[], index: number): void;
  onRefusedItem(reason: string, index: number): void;
  errorData(detail: string, why: 'invalid' | 'failed'): string;
}

export interface Rendered {
  response: OutgoingResponse;
  /** What breaks the contract, if anything (the caller decides: replace, log, or ignore). */
  violations: readonly string[];
  /** Set when the body cannot be written at all (a stream as JSON, a Map): a 500 in every mode. */
  refused?: string;
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

const SSE_HEADERS: Record<string, string> = { 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };

/** What the body leaves as: text or bytes, a stream, or why it cannot be written. */
interface Payload {
  body?: string | Buffer;
  stream?: ResponseStream;
  refused?: string;
  errors?: ReturnType<Validator>;
}

export function render(
  replies: ReplyTable,
  checks: ResponseChecks,
  reply: Reply,
  acceptHeader: string | undefined,
  validate: boolean,
  streaming?: { streamingContext(): StreamingContext },
): Rendered {
  const { response, status, body, options } = reply;
  let violations = NO_VIOLATIONS;
  const offered = offeredTypes(response);
  const headers: Record<string, string | string[]> = {};
  if (options.headers) {
    for (const name of Object.keys(options.headers)) {
      const text = headerText(options.headers[name]);
      if (text !== undefined) headers[name.toLowerCase()] = text;
    }
  }

  let payload: Payload | undefined;
  let written: string | Buffer | undefined;
  let bodyErrors: ReturnType<Validator> = null;
  let mediaType: string | undefined;
  if (body !== undefined && offered.length === 0) {
    violations = noted(violations, `response ${status} declares no content, but the handler sent a body`);
    // Sent where validation lets it go (warn, off), as what it is: never dropped.
    mediaType = options.contentType ?? undeclaredMediaType(body);
    payload = mediaType ? asUndeclared(body, mediaType) : { refused: `${describeValue(body)}, which no media type can carry` };
  } else if (body === undefined && offered.length > 0 && status !== 204 && status !== 304) {
    const expected = response.content.some((m) => m.schema !== undefined || m.itemSchema !== undefined);
    if (expected) violations = noted(violations, `response ${status} declares a body (${offered.join(', ')}), but the handler sent none`);
  }
  if (body !== undefined && offered.length > 0) {
    mediaType = options.contentType ?? (offered.length === 1 ? offered[0] : fittingMediaType(offered, parseAccept(acceptHeader), body));
    if (options.contentType && !offered.some((t) => essence(t) === essence(options.contentType!))) {
      violations = noted(violations, `content type ${options.contentType} is not declared for response ${status}`);
    }
    if (isJsonMediaType(mediaType)) {
      // No JSON media type is sequential (json-seq is not +json): the common case asks nothing more.
      const check = validate ? checks.body(response, mediaType) : undefined;
      if (check && isPlainJson(body)) {
        // Without a Payload object: checked as it is, then written by the serializer compiled from the schema it passed.
        bodyErrors = check.validate(body);
        written = bodyErrors ? JSON.stringify(body) : check.serialize(body);
      } else payload = asJson(body, mediaType, check);
    } else {
      const framing = framingOf(mediaType);
      if (framing && isItemSequence(body)) {
        const check = validate ? checks.items(response, mediaType) : undefined;
        payload = { stream: itemStream(body, framing, check, streaming?.streamingContext()) };
        if (framing === 'sse') for (const name of Object.keys(SSE_HEADERS)) headers[name] ??= SSE_HEADERS[name];
      } else payload = asOther(body, mediaType, framing !== null, validate ? checks.body(response, mediaType) : undefined);
    }
  }
  if (payload) {
    bodyErrors = payload.errors ?? null;
    written = payload.body;
  }
  if (bodyErrors) for (const e of bodyErrors.slice(0, 10)) violations = noted(violations, `body${e.pointer ? ` ${e.pointer}` : ''} ${e.message}`);
  if (mediaType && (written !== undefined || payload?.stream)) headers['content-type'] = mediaType;
  if (validate) {
    for (const header of response.headers) {
      if (header.name === 'content-type') continue;
      const value = headers[header.name];
      if (value === undefined) {
        if (header.required) violations = noted(violations, `required header ${header.name} is missing`);
        continue;
      }
      const check = checks.header(response, header.name);
      if (check) {
        const errors = check.validate(check.read(Array.isArray(value) ? value.join(', ') : value));
        if (errors) violations = noted(violations, `header ${header.name}${errors[0].pointer ? ` ${errors[0].pointer}` : ''} ${errors[0].message}`);
      }
    }
  }
  const refused = payload?.refused === undefined ? undefined : `the handler gave ${payload.refused}`;
  return { response: { status, headers, body: written, stream: payload?.stream }, violations, refused };
}

/**
 * Of several declared media types, the one to send: the client's preference first, and among those it
 * accepts equally, one that can carry what the handler gave (a JSON value as JSON, text as text, a
 * stream or bytes as a non-JSON type, items as a sequential type).
 */
function fittingMediaType(offered: string[], accept: ReturnType<typeof parseAccept>, body: unknown): string {
  const acceptable = accept && accept.length ? offered.filter((type) => negotiate([type], accept) !== undefined) : offered;
  if (acceptable.length === 0) return offered[0];
  const preferred = negotiate(acceptable, accept) ?? acceptable[0];
  const fits = (type: string): boolean => {
    if (framingOf(type)) return isItemSequence(body) || typeof body === 'string' || isStreamSource(body) || asBytes(body) !== undefined;
    if (isJsonMediaType(type)) return !isStreamSource(body);
    if (typeof body === 'string' || asBytes(body) || isStreamSource(body)) return true;
    return (typeof body === 'number' || typeof body === 'boolean') && isTextMediaType(type);
  };
  if (fits(preferred)) return preferred;
  const q = (type: string) => accept?.find((entry) => mediaMatches(entry.type, essence(type)) || mediaMatches(essence(type), entry.type))?.q ?? 1;
  return acceptable.find((type) => q(type) === q(preferred) && fits(type)) ?? preferred;
}

/** A JSON media type: the value validated and serialised, bytes as they are; a stream or a Map refused. */
function asJson(body: unknown, mediaType: string, check: BodyCheck | undefined): Payload {
  const bytes = asBytes(body);
  if (bytes) return { body: bytes };
  if (isStreamSource(body)) return { refused: `${describeValue(body)} for ${mediaType}, which cannot carry a stream (declare a non-JSON media type, or a sequential one such as application/jsonl)` };
  if (check && isPlainJson(body)) {
    // Checked as it is, then written by the serializer compiled from the schema it passed.
    const errors = check.validate(body);
    return { body: errors ? JSON.stringify(body) : check.serialize(body), errors };
  }
  if (!isPlainJson(body)) {
    const reason = notJson(body);
    if (reason !== undefined) return { refused: `${reason} for ${mediaType}, which JSON cannot carry` };
  }
  const text = JSON.stringify(body) ?? '';
  // Checked as the client will read it: after toJSON, Dates, undefined members.
  return { body: text, errors: check ? check.validate(JSON.parse(text)) : null };
}

/** Any other media type carries bytes, text (held to a text schema), or a stream of them; numbers and booleans as text. */
function asOther(body: unknown, mediaType: string, sequential: boolean, check: BodyCheck | undefined): Payload {
  const bytes = asBytes(body);
  if (bytes) return { body: bytes };
  if (typeof body === 'string') return { body, errors: check && !sequential && isTextMediaType(mediaType) ? check.validate(body) : null };
  if (isStreamSource(body)) return { stream: byteStream(body) };
  if ((typeof body === 'number' && Number.isFinite(body)) || typeof body === 'boolean') {
    if (isTextMediaType(mediaType)) return { body: String(body), errors: check ? check.validate(body) : null };
  }
  const needs = sequential ? 'an iterable of items, or text, bytes or a stream' : 'text, bytes or a stream';
  return { refused: `${describeValue(body)} for ${mediaType}, which carries ${needs}` };
}

/** The media type of a body sent for a response that declares none: JSON values as JSON, text as text, bytes as bytes. */
function undeclaredMediaType(body: unknown): string | undefined {
  if (typeof body === 'string') return 'text/plain; charset=utf-8';
  if (asBytes(body) || isStreamSource(body)) return 'application/octet-stream';
  return notJson(body) === undefined && JSON.stringify(body) !== undefined ? 'application/json' : undefined;
}

function asUndeclared(body: unknown, mediaType: string): Payload {
  return isJsonMediaType(mediaType) ? asJson(body, mediaType, undefined) : asOther(body, mediaType, framingOf(mediaType) !== null, undefined);
}

function byteStream(body: unknown): ResponseStream {
  return { source: byteSource(body as Readable | WebReadable | AsyncIterable<unknown>) };
}

function itemStream(items: Iterable<unknown> | AsyncIterable<unknown>, framing: Framing, check: ItemCheck | undefined, streaming: StreamingContext | undefined): ResponseStream {
  const context: StreamingContext = streaming ?? { mode: 'off', heartbeatMs: 0, onInvalidItem: () => undefined, onRefusedItem: () => undefined, errorData: (detail) => JSON.stringify({ detail }) };
  const source = new ItemStream(items, {
    framing,
    validate: check?.validate,
    schemaOf: check?.schemaOf ?? 'item',
    mode: context.mode,
    onInvalid: context.onInvalidItem,
    onRefused: context.onRefusedItem,
    errorData: context.errorData,
  });
  return {
    source,
    heartbeat: framing === 'sse' && context.heartbeatMs > 0 ? { ms: context.heartbeatMs, chunk: SSE_HEARTBEAT } : undefined,
    resumable: framing === 'sse',
  };
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
