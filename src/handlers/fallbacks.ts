// Handlers for operations that have none: a 501 naming the operation, or a mock reply built from the
// document: its examples where they validate, else a value sampled from the schema that validates.
import { HttpError } from '../errors';
import type { Handler } from '../contract/handler';
import type { MediaTypeSpec, OperationSpec, ResponseSpec } from '../document/operations';
import { mediaExamples, Sampler } from '../mock/sample';
import { seeded } from '../mock/random';
import { essence, framingOf, isJsonMediaType, negotiate, parseAccept } from '../replies/media';
import { Reply } from '../contract/reply';
import { statusOf } from '../replies/replies';
import { resolvePointer } from '../document/pointer';
import type { SchemaCompiler } from '../validation/compiler';

export function notImplementedHandler(spec: OperationSpec): Handler {
  return () => {
    const error = HttpError.of('notImplemented', `${spec.method.toUpperCase()} ${spec.path} (${spec.operationId}) has no handler yet: export ${spec.operationId} from the handlers directory`);
    throw error;
  };
}

export interface MockOptions {
  /** The server's compiler: mock bodies are chosen so that its response validators accept them. */
  compiler?: SchemaCompiler;
  dialect?: '3.0' | '3.1';
}

const NO_CONTENT: ResponseSpec = { key: '204', names: ['noContent'], content: [], headers: [], pointer: '' };

/** How many seeded samples are tried when neither the examples nor the canonical sample validate. */
const SEEDED_TRIES = 8;

/**
 * Replies with the first 2xx response (else `default`), or the one a `Prefer: code=404` header names;
 * its media type by `Accept` (JSON first), `Prefer: example=name` picks a named example. The body is
 * the first of the document's examples that validates, else a sample of the schema that does.
 * Declared response headers are filled the same way.
 */
export function mockHandler(document: unknown, spec: OperationSpec, options: MockOptions = {}): Handler {
  const mock = new MockResponder(document, spec, options);
  return (_input, ctx) => mock.reply({ prefer: ctx.header('prefer'), accept: ctx.header('accept') });
}

type Headers = Record<string, string | string[] | undefined>;

export class MockResponder {
  private readonly bodies = new Map<string, unknown>();
  private readonly headerValues = new Map<ResponseSpec, Record<string, string>>();

  constructor(
    private readonly document: unknown,
    private readonly spec: OperationSpec,
    private readonly options: MockOptions,
  ) {}

  reply(headers: Headers): Reply {
    const prefer = parsePrefer(headers.prefer);
    const response = this.response(prefer.code);
    // An operation that declares no responses at all (3.1 allows it) promises nothing: answer 204.
    if (!response) return new Reply(NO_CONTENT, 204, undefined);
    const fallback = response.key === 'default' ? (prefer.code ?? 200) : 200;
    const status = /^\d{3}$/.test(response.key) ? Number(response.key) : prefer.code && statusOf(response.key, 0) === Math.floor(prefer.code / 100) * 100 ? prefer.code : statusOf(response.key, fallback);
    const media = this.media(response, headers.accept);
    const body = media ? this.body(response, media, prefer.example) : undefined;
    const replyHeaders = this.headers(response);
    return new Reply(response, status, body, { ...(media && body !== undefined ? { contentType: media.mediaType } : {}), headers: replyHeaders, status });
  }

  private response(code: number | undefined): ResponseSpec | undefined {
    const responses = this.spec.responses;
    if (code !== undefined) {
      const exact = String(code);
      const found = responses.find((r) => r.key === exact) ?? responses.find((r) => r.key.toUpperCase() === `${exact[0]}XX`) ?? responses.find((r) => r.key === 'default');
      if (found) return found;
    }
    return responses.find((r) => /^2/.test(r.key)) ?? responses.find((r) => r.key === 'default') ?? responses[0];
  }

  private media(response: ResponseSpec, accept: string | string[] | undefined): MediaTypeSpec | undefined {
    if (response.content.length === 0) return undefined;
    const header = Array.isArray(accept) ? accept.join(',') : accept;
    const parsed = parseAccept(header);
    const accepted = parsed?.some((entry) => entry.type !== '*/*') ? negotiate(response.content.map((m) => m.mediaType), parsed) : undefined;
    if (accepted) return response.content.find((m) => m.mediaType === accepted);
    return response.content.find((m) => isJsonMediaType(m.mediaType) && essence(m.mediaType) !== '*/*') ?? response.content[0];
  }

  /** Whether a value satisfies the response schema at `pointer`; undefined where there is none, or it does not compile. */
  private validator(pointer: string | undefined): ((value: unknown) => boolean) | undefined {
    const compiler = this.options.compiler;
    if (!pointer || !compiler) return undefined;
    try {
      compiler.validator('response', pointer);
    } catch {
      return undefined;
    }
    return (value) => compiler.satisfies('response', pointer, value);
  }

  private sampler(seed: number | undefined, strictExamples: boolean, checked = true): Sampler {
    return new Sampler(this.document, {
      direction: 'response',
      dialect: this.options.dialect,
      random: seed === undefined ? undefined : seeded(seed),
      strictExamples,
      check: checked
        ? (pointer, value) => {
            const validate = this.validator(pointer);
            return validate ? validate(value) : undefined;
          }
        : undefined,
    });
  }

  /**
   * The body for a media type, computed once: a valid example, else a valid sample (else the best
   * effort, which strict validation will report). A sample of a referenced schema is made once for
   * every response of the document that refers to it (Discord's 20-odd message operations share one).
   */
  body(response: ResponseSpec, media: MediaTypeSpec, exampleName?: string): unknown {
    const key = `${response.pointer} ${media.mediaType} ${exampleName ?? ''}`;
    if (this.bodies.has(key)) return this.bodies.get(key);
    const shared = exampleName === undefined ? sharedKey(this.document, media) : undefined;
    const documentBodies = shared === undefined ? undefined : sampledBodies(this.options.compiler ?? this.document);
    let value: unknown;
    if (documentBodies?.has(shared!)) value = documentBodies.get(shared!);
    else {
      value = this.computeBody(media, exampleName);
      documentBodies?.set(shared!, value);
    }
    this.bodies.set(key, value);
    return value;
  }

  private computeBody(media: MediaTypeSpec, exampleName?: string): unknown {
    const type = essence(media.mediaType);
    const examples = mediaExamples(this.document, media);
    const named = exampleName !== undefined ? examples.find((e) => e.name === exampleName) : undefined;
    if (framingOf(type)) return this.items(media, named?.value ?? examples[0]?.value);
    if (!isJsonMediaType(type)) return nonJsonBody(type, media, named?.value ?? examples[0]?.value, this.sampler(undefined, false));
    if (named) return named.value;
    const validate = this.validator(media.schemaPointer);
    if (!validate) return examples.length ? examples[0].value : media.schema === undefined ? undefined : this.sampler(undefined, false).sample(media.schema, media.schemaPointer);
    for (const example of examples) if (validate(example.value)) return example.value;
    if (media.schema === undefined) return examples[0]?.value;
    // First a sample that checks no `oneOf`/`anyOf` branch on the way (its first branch wherever there
    // is a choice): when the whole validates, it is the body the checked sample below would have made
    // (each branch it took holds where the whole does), without checking each part as it goes
    // (Discord's message: 152 checks, half the cost of its first mock). When it does not, the checked
    // sample picks branches that validate. Every sample is checked whole, and a valid one frozen, by the
    // compiler's vouchFor, so the response's own check of it before it leaves need not walk it again.
    const vouch = (value: unknown) => this.options.compiler!.vouchFor(media.schemaPointer!, value);
    const optimistic = this.sampler(undefined, false, false).sample(media.schema, media.schemaPointer);
    if (optimistic !== undefined && vouch(optimistic)) return optimistic;
    const attempts: Array<() => unknown> = [
      () => this.sampler(undefined, false).sample(media.schema, media.schemaPointer),
      () => this.sampler(undefined, true).sample(media.schema, media.schemaPointer),
      ...Array.from({ length: SEEDED_TRIES }, (_, i) => () => this.sampler(i + 1, true).sample(media.schema, media.schemaPointer)),
    ];
    let first: unknown;
    for (const attempt of attempts) {
      const value = attempt();
      if (value === undefined) continue;
      if (vouch(value)) return value;
      first ??= value;
    }
    return examples.length ? examples[0].value : first;
  }

  /**
   * A sequential media type's mock: its example as written when it is text (already framed), an array
   * example as its items, else one item sampled from the item schema (3.2 itemSchema, else schema), as
   * the validator that checks each item will accept it.
   */
  private items(media: MediaTypeSpec, example: unknown): unknown {
    if (typeof example === 'string') return example;
    if (Array.isArray(example)) return example;
    const schema = media.itemSchema ?? media.schema;
    const pointer = media.itemSchemaPointer ?? media.schemaPointer;
    if (schema === undefined) return [example ?? { data: 'specbind mock' }];
    if (example !== undefined) return [example];
    const validate = this.validator(pointer);
    for (const strict of [false, true]) {
      const item = this.sampler(undefined, strict).sample(schema, pointer);
      if (item !== undefined && (!validate || validate(item))) return [item];
    }
    return [this.sampler(undefined, false).sample(schema, pointer)];
  }

  private headers(response: ResponseSpec): Record<string, string> {
    let values = this.headerValues.get(response);
    if (values) return values;
    values = {};
    const sampler = this.sampler(undefined, true);
    for (const header of response.headers) {
      if (header.name === 'content-type' || header.name === 'content-length') continue;
      const type = Array.isArray(header.schema?.type) ? header.schema.type : [header.schema?.type];
      // Optional headers only when they are plain scalars (the response validator reads strings and numbers).
      if (!header.required && !type.some((t: unknown) => t === 'string' || t === 'integer' || t === 'number')) continue;
      const raw = this.headerExample(header.schemaPointer) ?? sampler.sample(header.schema, header.schemaPointer);
      if (raw === undefined || raw === null) continue;
      values[header.name] = Array.isArray(raw) ? raw.join(',') : typeof raw === 'object' ? Object.entries(raw as object).flat().join(',') : String(raw);
    }
    this.headerValues.set(response, values);
    return values;
  }

  /** The header object's own `example` (beside its schema). */
  private headerExample(schemaPointer: string | undefined): unknown {
    if (!schemaPointer) return undefined;
    const header = resolvePointer(this.document, schemaPointer.replace(/\/schema$/, '')) as any;
    const value = header?.example;
    if (value === undefined || typeof value === 'object') return undefined;
    const validate = this.validator(schemaPointer);
    return !validate || validate(value) ? value : undefined;
  }
}

/** Per server (its compiler, else its document), mock bodies made from a referenced schema, by sharedKey(). */
const bodiesByServer = new WeakMap<object, Map<string, unknown>>();

function sampledBodies(server: unknown): Map<string, unknown> | undefined {
  if (!server || typeof server !== 'object') return undefined;
  let bodies = bodiesByServer.get(server);
  if (!bodies) bodiesByServer.set(server, (bodies = new Map()));
  return bodies;
}

/** A media type whose mock body depends on nothing but the schema its `$ref` names (no examples of its own): that schema and the media type. */
function sharedKey(document: unknown, media: MediaTypeSpec): string | undefined {
  const schema = media.schema as { $ref?: unknown } | undefined;
  if (!schema || typeof schema.$ref !== 'string' || Object.keys(schema).length !== 1) return undefined;
  if (mediaExamples(document, media).length) return undefined;
  return `${essence(media.mediaType)} ${schema.$ref}`;
}

function nonJsonBody(type: string, media: MediaTypeSpec, example: unknown, sampler: Sampler): unknown {
  if (example !== undefined) return typeof example === 'string' || Buffer.isBuffer(example) ? example : JSON.stringify(example);
  const schema = media.schema;
  const binary = schema?.format === 'binary' || !(type.startsWith('text/') || type.includes('xml') || type === 'application/x-www-form-urlencoded');
  if (binary) return Buffer.from('specbind mock\n');
  if (schema === undefined) return type.includes('xml') ? '<?xml version="1.0" encoding="UTF-8"?>\n<mock/>\n' : 'specbind mock\n';
  const value = sampler.sample(schema, media.schemaPointer);
  if (typeof value === 'string') return value;
  if (type.includes('xml')) return '<?xml version="1.0" encoding="UTF-8"?>\n<mock/>\n';
  return JSON.stringify(value);
}

/** `Prefer: code=404, example=notFound` (as Prism reads it). */
export function parsePrefer(header: string | string[] | undefined): { code?: number; example?: string } {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (!text) return {};
  const out: { code?: number; example?: string } = {};
  for (const part of text.split(/[,;]/)) {
    const [name, value] = part.split('=').map((s) => s?.trim().replace(/^"|"$/g, ''));
    if (name === 'code' && /^\d{3}$/.test(value ?? '')) out.code = Number(value);
    else if (name === 'example' && value) out.example = value;
  }
  return out;
}
