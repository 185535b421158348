// Everything per operation, prepared before the first request: parameter and body plans with their
// validators, the security gate, the reply table and its validators, domain-model hydrators.
import type { Logger } from 'pino';
import { StartupError, type StartupProblem } from '../errors';
import { planParameter, type ParameterPlan } from '../binding/parameters';
import { planBody, type BodyPlan, type MediaPlan } from '../binding/body';
import { BINDING, bind, type Binding, type Hydrator, HydratorCompiler } from '../binding/models';
import { ShapeReader } from '../binding/shape';
import { checkParameters, completeOperation, type OperationHead, type OperationSpec, type ResponseSpec } from '../document/operations';
import type { OpenApiDocument } from '../document/load';
import { ReplyTable } from '../replies/replies';
import { streamBodyOptions } from '../binding/upload';
import { essence } from '../replies/media';
import { planSecurity, type SecurityGate, type UncheckedSchemes } from '../security/security';
import type { SchemaCompiler, Validator } from '../validation/compiler';
import type { BodyCheck, HeaderCheck, ItemCheck, ResponseChecks } from './respond';
import { headerReader } from '../replies/headers';
import { framingOf } from '../replies/media';
import { compileSerializer, type Serialize } from '../replies/serializer';
import { resolvePointer } from '../document/pointer';
import { invalidDefaults } from '../document/defaults';
import type { Handler, ModelClass, OperationInfo, SecurityCheck } from '../contract/handler';

export interface PreparedOperation {
  spec: OperationSpec;
  info: OperationInfo;
  handler: Handler;
  handlerSource?: string;
  security?: SecurityGate;
  replies: ReplyTable;
  replyPrototype: object;
  /** Media types of every declared response: an Accept header must admit one of them (else 406). */
  produces: string[];
  /** Filled by `compileOperation()`, eagerly at startup or on the first request. */
  compiled?: CompiledOperation;
  /** Lazy mode: why the operation could not be compiled (every request answers 500 with it). */
  compileError?: import('../errors').HttpError;
  /** The checks of its responses (responseChecksOf), made when it first answers or is compiled. */
  checks?: ResponseChecks;
  /** A deferred operation (see `deferOperation`): completes its spec and the fields above on first use. */
  complete?: () => void;
  /** Set by `streamBody()`: a binary request body reaches the handler as a stream, within this limit. */
  streamBody?: { limit: number };
  /** Query parameters its security schemes read credentials from (kept out of the access log). */
  secretQuery?: readonly string[];
}

/** Which query keys the operation declares (names, deepObject `name[...]`, exploded object members, query API keys). */
export interface QueryKeys {
  accepts(key: string): boolean;
}

export interface CompiledOperation {
  parameters: ParameterPlan[];
  query: QueryKeys;
  body?: BodyPlan;
  hydrators: Map<MediaPlan, Hydrator>;
  checks: ResponseChecks;
}

export interface PrepareContext {
  document: unknown;
  compiler: SchemaCompiler;
  shapes: ShapeReader;
  hydrators: HydratorCompiler;
  schemes: Record<string, unknown>;
  checks: Record<string, SecurityCheck>;
  presenceOnlySecurity: boolean;
  /** Schemes without a check, by the operations that require them (one startup problem per scheme). */
  uncheckedSchemes: UncheckedSchemes;
  log: Logger;
  /** True once the server shuts down: no response serializer is compiled then (no traffic left to use it). */
  stopping?: () => boolean;
}

export function prepareOperation(spec: OperationSpec, handler: Handler, source: string | undefined, context: PrepareContext, problems: StartupProblem[]): PreparedOperation {
  const replies = new ReplyTable(spec.responses);
  // Any declared response may be the answer (an error's problem+json too), so Accept is held against all of them.
  const produces = producesOf(spec);
  return {
    spec,
    info: { operationId: spec.operationId, method: spec.method.toUpperCase(), path: spec.path, tags: spec.tags },
    handler: withBindingResolved(handler, spec),
    handlerSource: source,
    security: planSecurity(spec, context.schemes as Record<string, any>, context.checks, problems, context.presenceOnlySecurity, context.uncheckedSchemes),
    replies,
    replyPrototype: replies.replyPrototype(),
    produces,
    streamBody: streamBodyOf(handler, spec, problems),
    secretQuery: secretQueryOf(spec, context.schemes as Record<string, any>),
  };
}

/** The query parameters an operation's security schemes (apiKey `in: query`) take credentials from. */
function secretQueryOf(spec: Pick<OperationSpec, 'security'>, schemes: Record<string, any>): string[] | undefined {
  const names = new Set<string>();
  for (const requirement of spec.security) {
    for (const scheme of Object.keys(requirement)) {
      const declared = schemes[scheme];
      if (declared?.type === 'apiKey' && declared.in === 'query' && typeof declared.name === 'string') names.add(declared.name);
    }
  }
  return names.size ? [...names] : undefined;
}

/** A `streamBody()` handler's options; a startup problem when its operation declares no body it could stream. */
function streamBodyOf(handler: Handler, spec: OperationSpec, problems: StartupProblem[]): { limit: number } | undefined {
  const options = streamBodyOptions(handler);
  if (!options) return undefined;
  const binary = spec.requestBody?.content.some((m) => {
    const type = essence(m.mediaType);
    return type !== 'multipart/form-data' && type !== 'application/x-www-form-urlencoded' && (m.schema === undefined || m.schema?.format === 'binary' || m.schema?.contentMediaType !== undefined || !/json|^text\//.test(type));
  });
  if (!binary) {
    problems.push({ method: spec.method, path: spec.path, operationId: spec.operationId, pointer: spec.requestBody?.pointer ?? spec.pointer, message: 'its handler is wrapped in streamBody(), but the operation declares no binary request body', fix: 'declare application/octet-stream (or a schema with format: binary), or drop streamBody()' });
  }
  return options;
}

/** What a deferred operation answers with until it is complete: nothing declared (never seen by a request). */
const UNDECLARED = new ReplyTable([]);
const UNDECLARED_PROTOTYPE = UNDECLARED.replyPrototype();

/**
 * Lazy preparation for large documents: at startup only what routes and guards the operation (its
 * head, its security gate, its handler); parameters, body, responses and the reply table when it is
 * first used (`compileOperation`). A problem in the operation then answers every request to it with a
 * 500 that names it, like a schema that does not compile; `specbind check` still finds it beforehand.
 */
export function deferOperation(head: OperationHead, handler: Handler, source: string | undefined, context: PrepareContext, problems: StartupProblem[]): PreparedOperation {
  const spec = head as OperationSpec;
  const op: PreparedOperation = {
    spec,
    info: { operationId: head.operationId, method: head.method.toUpperCase(), path: head.path, tags: head.tags },
    handler,
    handlerSource: source,
    security: planSecurity(spec, context.schemes as Record<string, any>, context.checks, problems, context.presenceOnlySecurity, context.uncheckedSchemes),
    replies: UNDECLARED,
    replyPrototype: UNDECLARED_PROTOTYPE,
    produces: [],
    secretQuery: secretQueryOf(head, context.schemes as Record<string, any>),
  };
  op.complete = () => {
    op.complete = undefined;
    const found: StartupProblem[] = [];
    const warnings: StartupProblem[] = [];
    completeOperation(context.document as OpenApiDocument, head, found);
    checkParameters(spec, found, warnings);
    if (!found.length) found.push(...invalidDefaults(spec, context.document, (pointer) => context.compiler.validator('request', pointer)));
    for (const warning of warnings) context.log.warn({ warning }, 'OpenAPI document warning');
    if (found.length) throw new StartupError(`${spec.method.toUpperCase()} ${spec.path} (${spec.operationId}) has ${found.length} problem(s) in the document:`, found);
    op.handler = withBindingResolved(handler, spec);
    op.streamBody = streamBodyOf(handler, spec, found);
    if (found.length) throw new StartupError(`${spec.method.toUpperCase()} ${spec.path} (${spec.operationId}) has ${found.length} problem(s) in the document:`, found);
    op.replies = new ReplyTable(spec.responses);
    op.replyPrototype = op.replies.replyPrototype();
    op.produces = producesOf(spec);
  };
  return op;
}

function producesOf(spec: OperationSpec): string[] {
  return [...new Set(spec.responses.flatMap((r) => r.content.map((m) => m.mediaType)))];
}

/** `bind()` maps may name parameters as declared (`image-name`) or camelCased; settle on the input keys. */
function withBindingResolved(handler: Handler, spec: OperationSpec): Handler {
  const binding = (handler as any)[BINDING] as Binding | undefined;
  if (!binding) return handler;
  const rename: Record<string, string> = {};
  for (const [name, field] of Object.entries(binding.rename)) {
    const parameter = spec.parameters.find((p) => p.name === name || p.key === name);
    rename[parameter ? parameter.key : name] = field;
  }
  return bind(binding.Model as ModelClass, rename, binding.handler, binding.options);
}

/**
 * Compiles an operation's validators; a schema Ajv cannot compile is a startup error naming its pointer.
 * Response validators are compiled per response when it is first sent, or all now with `allResponses`
 * (eager mode): one shared error response can reach most of a large document (Stripe's `error`).
 */
/** How many bodies of a response JSON.stringify writes before its compiled serializer is made (see bodyCheck). */
export const SERIALIZE_AFTER_SENDS = 32;

export function compileOperation(op: PreparedOperation, context: PrepareContext, allResponses = false): CompiledOperation {
  if (op.compiled) return op.compiled;
  op.complete?.();
  const { spec } = op;
  const validator = schemaValidator(spec, context);
  const parameters = spec.parameters.map((p) => planParameter(p, context.shapes, p.schemaPointer ? validator('request', p.schemaPointer) : undefined));
  const body = spec.requestBody ? planBody(spec.requestBody, context.shapes, (pointer) => validator('request', pointer)) : undefined;
  const hydrators = new Map<MediaPlan, Hydrator>();
  if (body && spec.requestBody) {
    body.media.forEach((media, i) => {
      const hydrate = context.hydrators.compile(spec.requestBody!.content[i].schema);
      if (hydrate) hydrators.set(media, hydrate);
    });
  }
  const checks = responseChecksOf(op, context, allResponses);
  op.compiled = { parameters, query: queryKeys(spec, context), body, hydrators, checks };
  return op.compiled;
}

/** The operation's validator for a schema pointer; one that does not compile is a StartupError naming the operation. */
function schemaValidator(spec: OperationSpec, context: PrepareContext): (direction: 'request' | 'response', pointer: string) => Validator {
  const where = { method: spec.method, path: spec.path, operationId: spec.operationId };
  return (direction, pointer) => {
    try {
      return context.compiler.validator(direction, pointer);
    } catch (error) {
      throw new StartupError(`Cannot compile a schema of ${spec.method.toUpperCase()} ${spec.path} (${spec.operationId})`, [
        { ...where, pointer, message: (error as Error).message, fix: 'correct the schema' },
      ]);
    }
  };
}

/**
 * The checks of what the operation sends (bodies, headers, sequence items), each response's compiled
 * when it is first sent (all at once with `allResponses`). Made once an operation, apart from the
 * request side: an answer refused before the operation is compiled (a 401) is checked with them too.
 */
export function responseChecksOf(op: PreparedOperation, context: PrepareContext, allResponses = false): ResponseChecks {
  if (op.checks) return op.checks;
  op.complete?.();
  const { spec } = op;
  const validator = schemaValidator(spec, context);
  // Looked up per response: by declaration, then by media type as declared (or its essence) or header name.
  const bodyChecks = new Map<ResponseSpec, Map<string, BodyCheck | undefined>>();
  const headerChecks = new Map<ResponseSpec, Map<string, HeaderCheck | undefined>>();
  const itemChecks = new Map<ResponseSpec, Map<string, ItemCheck | undefined>>();
  // After startup a schema that does not compile cannot check what is sent: every response is refused (fail closed).
  const responseValidator = (pointer: string): Validator => {
    if (allResponses) return validator('response', pointer);
    try {
      return validator('response', pointer);
    } catch (error) {
      const message = `cannot be checked: the schema at #${pointer} does not compile (${(error as StartupError).problems?.[0]?.message ?? (error as Error).message})`;
      return () => [{ pointer: '', message }];
    }
  };
  const bodyCheck = (pointer: string): BodyCheck => {
    const validate = responseValidator(pointer);
    // JSON.stringify writes the first bodies; the serializer is compiled just after the
    // SERIALIZE_AFTER_SENDS-th is sent, in eager mode too. Most responses of a large document are sent
    // rarely or never, and a compile is not free: 0.1 ms to a few for most schemas, but 22 ms for
    // Stripe's error body (its schema reaches most of the document), which blocked the event loop
    // under the next request (bench/README.md, "The first request"). A response sent that often is
    // one worth compiling for.
    let serializer: Serialize | null | undefined;
    let sends = 0;
    const compile = () => {
      if (context.stopping?.()) return;
      serializer = compileSerializer(resolvePointer(context.document, pointer), context.document, (error) => context.log.debug({ err: error, pointer }, 'response serializer not compiled: JSON.stringify instead')) ?? null;
    };
    return {
      validate,
      serialize(value) {
        if (serializer) {
          try {
            return serializer(value);
          } catch (error) {
            // Not expected for a value its schema accepted; if it happens, JSON.stringify from now on, not a 500.
            context.log.warn({ err: error, pointer }, 'response serializer failed: JSON.stringify from now on');
            serializer = null;
          }
        }
        if (serializer === undefined && ++sends >= SERIALIZE_AFTER_SENDS) {
          serializer = null;
          setImmediate(compile);
        }
        return JSON.stringify(value);
      },
    };
  };
  const compileResponse = (response: ResponseSpec) => {
    const bodies = new Map<string, BodyCheck | undefined>();
    for (const media of response.content) {
      const check = media.schemaPointer ? bodyCheck(media.schemaPointer) : undefined;
      bodies.set(media.mediaType, check);
      if (!bodies.has(essence(media.mediaType))) bodies.set(essence(media.mediaType), check);
    }
    bodyChecks.set(response, bodies);
    const items = new Map<string, ItemCheck | undefined>();
    for (const media of response.content) {
      // A sequential media type's items: 3.2's itemSchema, else its schema read as the schema of one item.
      const framing = framingOf(media.mediaType);
      const pointer = media.itemSchemaPointer ?? (framing ? media.schemaPointer : undefined);
      // A 3.0/3.1 SSE schema that declares no `data` member describes an event's data, not the event.
      const dataOnly = framing === 'sse' && !media.itemSchemaPointer && context.shapes.shape(media.schema).properties?.data === undefined;
      const check: ItemCheck | undefined = pointer ? { validate: responseValidator(pointer), schemaOf: dataOnly ? 'data' : 'item' } : undefined;
      items.set(media.mediaType, check);
      if (!items.has(essence(media.mediaType))) items.set(essence(media.mediaType), check);
    }
    itemChecks.set(response, items);
    const headers = new Map<string, HeaderCheck | undefined>();
    for (const header of response.headers) {
      headers.set(header.name, header.schemaPointer ? { validate: responseValidator(header.schemaPointer), read: headerReader(context.shapes.shape(header.schema), header.explode) } : undefined);
    }
    headerChecks.set(response, headers);
  };
  if (allResponses) spec.responses.forEach(compileResponse);
  // Most requests of an operation send the same response as the one before: that answer is kept.
  let lastResponse: ResponseSpec | undefined;
  let lastMediaType = '';
  let lastCheck: BodyCheck | undefined;
  const checks: ResponseChecks = {
    body: (response: ResponseSpec, mediaType: string) => {
      if (response === lastResponse && mediaType === lastMediaType) return lastCheck;
      let bodies = bodyChecks.get(response);
      if (!bodies) {
        compileResponse(response);
        bodies = bodyChecks.get(response)!;
      }
      lastCheck = bodies.get(mediaType) ?? bodies.get(essence(mediaType));
      lastResponse = response;
      lastMediaType = mediaType;
      return lastCheck;
    },
    header: (response: ResponseSpec, name: string) => {
      if (!headerChecks.has(response)) compileResponse(response);
      return headerChecks.get(response)!.get(name);
    },
    items: (response: ResponseSpec, mediaType: string) => {
      if (!itemChecks.has(response)) compileResponse(response);
      const items = itemChecks.get(response)!;
      return items.get(mediaType) ?? items.get(essence(mediaType));
    },
  };
  op.checks = checks;
  return checks;
}

function queryKeys(spec: OperationSpec, context: PrepareContext): QueryKeys {
  const names = new Set<string>();
  const prefixes: string[] = [];
  for (const p of spec.parameters) {
    if (p.in !== 'query') continue;
    names.add(p.name);
    if (p.style === 'deepObject') prefixes.push(`${p.name}[`);
    const shape = context.shapes.shape(p.schema);
    if (p.explode && !p.contentType && shape.types.includes('object')) for (const member of Object.keys(shape.properties ?? {})) names.add(member);
  }
  // An API key sent in the query is declared by the security scheme, not as a parameter.
  for (const requirement of spec.security) {
    for (const scheme of Object.keys(requirement)) {
      const declared = (context.schemes as Record<string, any>)[scheme];
      if (declared?.type === 'apiKey' && declared.in === 'query') names.add(String(declared.name));
    }
  }
  return { accepts: (key) => names.has(key) || prefixes.some((prefix) => key.startsWith(prefix)) };
}
