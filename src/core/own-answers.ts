// The answers specbind writes itself for an operation (400, 401, 403, 406, 413, 415, 500, 501, 504):
// the RFC 9457 problem, sent in the shape and under the media type the operation declares for that
// status (exact status, then `4XX`/`5XX`, then `default`), so that a client generated from the
// document can read its errors. problem+json is sent only where nothing is declared, or where no
// body can be made to fit the declaration (those operations are named at startup and by `check`).
import { HttpError, PROBLEM_JSON, type ProblemBody, type ProblemCode } from '../errors';
import { essence, isJsonMediaType, negotiate, parseAccept } from '../replies/media';
import { shapeProblem } from '../replies/error-shape';
import { Reply } from '../contract/reply';
import type { MediaTypeSpec, OperationSpec, ResponseSpec } from '../document/operations';
import { resolvePointer } from '../document/pointer';
import { type PrepareContext, type PreparedOperation, responseChecksOf } from './prepare';
import { plainProblem, problemBody, render } from './respond';
import type { OutgoingResponse } from '../http/response';

/** What shaping needs beside the operation: the document its schemas live in, and the request's id. */
export interface OwnAnswerContext {
  prepare: PrepareContext;
  requestId?: string;
}

/**
 * The response for a problem specbind answers itself. A declaration without content gets no body (the
 * document promises none); one whose every media type refuses every shaping gets problem+json.
 */
export function ownAnswer(
  op: PreparedOperation,
  problem: ProblemBody,
  headers: Record<string, string | string[]>,
  accept: string | undefined,
  context: OwnAnswerContext,
  response: ResponseSpec | undefined = op.replies.forStatus(problem.status),
): OutgoingResponse {
  if (!response) return plainProblem(problem, headers);
  // Not the operation's compilation: a 401 refused before it was compiled needs the response checks only.
  const checks = op.compiled?.checks ?? responseChecksOf(op, context.prepare);
  if (response.content.length === 0) return { status: problem.status, headers: { ...headers } };
  for (const media of candidates(response, accept)) {
    const validate = checks.body(response, media.mediaType)?.validate;
    const pointer = media.schemaPointer;
    // Whether the problem is already in the declared shape: the schema walk's answer, no compile for a no (src/validation/interpreter.ts).
    const accepts = validate && pointer ? (value: unknown) => context.prepare.compiler.satisfies('response', pointer, value) : undefined;
    const shaped = shapeProblem(problem, { mediaType: media.mediaType, schema: media.schema }, { document: context.prepare.document, validate, accepts, requestId: context.requestId });
    if (!shaped) continue;
    const reply = new Reply(response, problem.status, shaped.kind === 'json' ? shaped.value : shaped.text, { headers, status: problem.status, contentType: media.mediaType });
    // Held to the whole declaration (required headers too), as a handler's reply would be.
    const rendered = render(op.replies, checks, reply, accept, true);
    if (rendered.refused === undefined && rendered.violations.length === 0) return rendered.response;
  }
  return plainProblem(problem, headers);
}

/** The declared media types to try, best first: what the client prefers, then problem+json, then JSON, then the rest in document order. */
function candidates(response: ResponseSpec, accept: string | undefined): MediaTypeSpec[] {
  if (response.content.length === 1) return response.content;
  const parsed = parseAccept(accept);
  const rank = (media: MediaTypeSpec): number => {
    const type = essence(media.mediaType);
    const accepted = !parsed || negotiate([media.mediaType], parsed) !== undefined;
    return (accepted ? 0 : 4) + (type === PROBLEM_JSON ? 0 : isJsonMediaType(type) ? 1 : 2);
  };
  return [...response.content].sort((a, b) => rank(a) - rank(b));
}

/** The answers specbind may write itself for an operation, by the error code it uses. */
export function ownCodes(spec: OperationSpec, hasHandler: boolean): ProblemCode[] {
  const codes: ProblemCode[] = [];
  if (spec.parameters.length || spec.requestBody) codes.push('validationFailed');
  if (spec.security.length && !spec.security.some((requirement) => Object.keys(requirement).length === 0)) codes.push('unauthorized', 'forbidden');
  if (spec.responses.some((r) => r.content.length)) codes.push('notAcceptable');
  if (spec.requestBody) codes.push('payloadTooLarge', 'unsupportedMediaType');
  codes.push('internalError', 'handlerTimeout');
  if (!hasHandler) codes.push('notImplemented');
  return codes;
}

/** A declared response specbind cannot answer in its declared shape, for the startup warning and `specbind check`. */
export interface Unshapeable {
  status: number;
  /** The response key it falls under ('400', '4XX', 'default'). */
  key: string;
  pointer: string;
}

/**
 * The declarations of an operation's own answers that no problem body can be made to fit. Judged by
 * error-shape's structural check, not Ajv: compiling Stripe's error schema (which reaches most of its
 * document) cost 0.9 s of startup; the check reads the same keywords (and at run time the validator
 * still judges every answer). A declaration without content, or a status the operation does not
 * declare at all, is not one of them.
 */
export function unshapeableAnswers(spec: OperationSpec, hasHandler: boolean, document: unknown): Unshapeable[] {
  const found: Unshapeable[] = [];
  const seen = new Set<ResponseSpec>();
  const byStatus = new Map<number, ResponseSpec | undefined>();
  for (const code of ownCodes(spec, hasHandler)) {
    const problem = exampleProblem(code);
    const status = problem.status;
    if (!byStatus.has(status)) byStatus.set(status, forStatus(spec.responses, status));
    const response = byStatus.get(status);
    if (!response || response.content.length === 0 || seen.has(response)) continue;
    seen.add(response);
    const fits = response.content.some((media) => shapeable(problem, media, document));
    if (!fits) found.push({ status, key: response.key, pointer: response.pointer });
  }
  return found;
}

const EXAMPLES = new Map<ProblemCode, ProblemBody>();

/** A problem of each code, as specbind would send it (made once: an Error's stack costs microseconds). */
function exampleProblem(code: ProblemCode): ProblemBody {
  let problem = EXAMPLES.get(code);
  if (!problem) {
    const error = HttpError.of(code, 'an example detail', code === 'validationFailed' ? { errors: [{ in: 'query', name: 'limit', message: 'must be integer' }] } : {});
    EXAMPLES.set(code, (problem = problemBody(error, error.status!, '/example', false)));
  }
  return problem;
}

/** Shapeability per schema object and status: shared components are tried once per document. */
const SHAPEABLE = new WeakMap<object, Map<string, boolean>>();

function shapeable(problem: ProblemBody, media: MediaTypeSpec, document: unknown): boolean {
  const target = bareTarget(document, media.schema);
  const key = `${essence(media.mediaType)} ${problem.status}`;
  let known = target && typeof target === 'object' ? SHAPEABLE.get(target) : undefined;
  const cached = known?.get(key);
  if (cached !== undefined) return cached;
  const fits = shapeProblem(problem, { mediaType: media.mediaType, schema: media.schema }, { document }) !== undefined;
  if (target && typeof target === 'object') {
    if (!known) SHAPEABLE.set(target, (known = new Map()));
    known.set(key, fits);
  }
  return fits;
}

/** A schema after the bare local `$ref`s it is (`{$ref: '#/components/schemas/Error'}` is that component). */
function bareTarget(document: unknown, schema: unknown): unknown {
  let current = schema;
  for (let hops = 0; hops < 32; hops++) {
    const node = current as { $ref?: unknown } | null;
    if (!node || typeof node !== 'object' || typeof node.$ref !== 'string' || !node.$ref.startsWith('#/') || Object.keys(node).length !== 1) break;
    current = resolvePointer(document, node.$ref);
  }
  return current;
}

/** The declaration for a status: exact key, then its range, then `default` (as ReplyTable.forStatus). */
function forStatus(responses: ResponseSpec[], status: number): ResponseSpec | undefined {
  const exact = String(status);
  return responses.find((r) => r.key === exact) ?? responses.find((r) => r.key.toUpperCase() === `${exact[0]}XX`) ?? responses.find((r) => r.key === 'default');
}
