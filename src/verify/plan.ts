// The requests verify sends for one operation. Positive ones are valid by the document: parameters and
// bodies from its examples (when they validate), defaults, else values sampled from the schemas (seeded);
// credentials from --header, else placeholders for the first security alternative. Negative ones break
// exactly one rule each (a wrong type, a missing required parameter or body property, malformed JSON,
// an undeclared content type, an oversized body), each checked against the document to really be invalid.
import type { MediaTypeSpec, OperationSpec, ParameterSpec } from '../document/operations';
import { resolvePointer } from '../document/pointer';
import type { SchemaCompiler } from '../validation/compiler';
import { mediaExamples, Sampler } from '../mock/sample';
import { hash32, type Random, seeded } from '../mock/random';
import { ShapeReader } from '../binding/shape';
import { bodyKind, concreteMediaType, emptyWire, serializeBody, serializeParameter, type WireBody } from './serialize';

export interface PlannedRequest {
  kind: 'positive' | 'negative';
  /** What the request is: 'examples', 'seeded 2', 'wrong type: query limit', ... */
  label: string;
  method: string;
  /** Path and query, relative to the base URL. */
  target: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** For positive requests: a reason verify could not make the request valid by the document (it is sent anyway). */
  doubt?: string;
}

export interface PlanOptions {
  seed: number;
  /** Positive requests per operation: the first from examples, the rest seeded. */
  max: number;
  /** Headers sent with every request (credentials); when absent, placeholders satisfy security schemes. */
  headers: Record<string, string>;
  negative: boolean;
  /** Size of the oversized body (bytes). */
  oversize: number;
}

interface Draft {
  params: Map<ParameterSpec, unknown>;
  /** Send no credentials at all (neither --header nor placeholders). */
  anonymous?: boolean;
  media?: MediaTypeSpec;
  body?: unknown;
  /** Replaces the serialised body. */
  wire?: WireBody;
  doubt?: string;
}

const SKIPPED_HEADERS = new Set(['accept', 'content-type', 'authorization', 'content-length', 'host']);
const KINDS_WITH_SIZE = new Set(['json', 'form', 'text']);

export class Planner {
  private readonly shapes: ShapeReader;

  constructor(
    private readonly document: any,
    private readonly dialect: '3.0' | '3.1',
    private readonly compiler: SchemaCompiler,
    private readonly options: PlanOptions,
  ) {
    this.shapes = new ShapeReader(document);
  }

  /** Whether `value` is valid by the request schema at `pointer` (undefined: cannot tell). */
  valid(pointer: string | undefined, value: unknown): boolean | undefined {
    if (!pointer) return undefined;
    try {
      // The request validator fills defaults in place: check a copy.
      return this.compiler.validator('request', pointer)(structuredClone(value)) === null;
    } catch {
      return undefined;
    }
  }

  private violations(pointer: string | undefined, value: unknown): Array<{ pointer: string; message: string }> | null | undefined {
    if (!pointer) return undefined;
    try {
      return this.compiler.validator('request', pointer)(structuredClone(value));
    } catch {
      return undefined;
    }
  }

  private sampler(random: Random | undefined, strictExamples: boolean, optional?: 'all'): Sampler {
    return new Sampler(this.document, {
      direction: 'request',
      dialect: this.dialect,
      random,
      optional: optional ?? (random ? 'random' : 'none'),
      strictExamples,
      check: (pointer, value) => this.valid(pointer, value),
    });
  }

  /** The requests for one operation, positives first. */
  plan(op: OperationSpec): PlannedRequest[] {
    const out: PlannedRequest[] = [];
    const base = seeded(hash32(`${this.options.seed}:${op.method}:${op.path}`));
    const canonical = this.draft(op, undefined);
    out.push(this.render(op, canonical, 'positive', 'examples'));
    for (let i = 1; i < this.options.max; i++) {
      out.push(this.render(op, this.draft(op, base.fork(i)), 'positive', `seeded ${i}`));
    }
    if (this.options.negative) out.push(...this.negatives(op, canonical));
    return out;
  }

  /** A valid set of parameter values and body; canonical without `random`, varied with it. */
  private draft(op: OperationSpec, random: Random | undefined): Draft {
    const params = new Map<ParameterSpec, unknown>();
    const doubts: string[] = [];
    for (const parameter of op.parameters) {
      if (parameter.in === 'header' && SKIPPED_HEADERS.has(parameter.name.toLowerCase())) continue;
      const documented = this.parameterExample(parameter);
      const include = parameter.required || (random ? random.next() < 0.5 : documented !== undefined);
      if (!include) continue;
      let value = !random || random.next() < 0.5 ? documented : undefined;
      if (value === undefined) {
        const sampled = this.sampleValid(parameter.schema, parameter.schemaPointer, random);
        // An optional parameter no valid value was found for (`enum: []` admits none) is left out.
        if (!sampled.ok && !parameter.required) continue;
        if (!sampled.ok && sampled.value !== undefined) doubts.push(`no valid value for ${parameter.in} parameter ${parameter.name}`);
        value = sampled.value;
      }
      if (value === undefined || value === null) {
        if (!parameter.required) continue;
        doubts.push(`no value for ${parameter.in} parameter ${parameter.name}`);
        value = '';
      }
      // OpenAPI defines no text form for nested values outside deepObject (or `content`): leave optional ones out.
      if (!parameter.required && !parameter.contentType && !flatEnough(value, parameter.style === 'deepObject')) continue;
      if (parameter.in === 'path' && (value === '' || (Array.isArray(value) && value.length === 0))) value = parameter.schema?.type === 'array' ? ['x'] : 'x';
      params.set(parameter, value);
    }
    const draft: Draft = { params };
    const body = op.requestBody;
    if (body && body.content.length && (body.required || !random || random.next() < 0.7)) {
      const usable = body.content.filter((m) => bodyKind(concreteMediaType(m.mediaType)) !== 'binary' || m.schema?.format === 'binary' || !m.schema);
      const choices = usable.length ? usable : body.content;
      const json = choices.find((m) => bodyKind(concreteMediaType(m.mediaType)) === 'json');
      let media = random ? random.pick(choices) : json ?? choices[0];
      let value = this.bodyValue(media, random);
      const kind = bodyKind(concreteMediaType(media.mediaType));
      const empty = !!value.value && typeof value.value === 'object' && Object.keys(value.value).length === 0;
      if ((kind === 'form' || kind === 'multipart') && (!formable(value.value, media, kind) || !definedForm(value.value, media) || (empty && json))) {
        // Nested values a form cannot carry (no deepObject or JSON encoding declared): JSON if offered.
        const flat = empty ? undefined : this.formableValue(value.value, media, kind);
        const flatEmpty = flat !== undefined && Object.keys(flat as object).length === 0;
        const carried = flat !== undefined && formable(flat, media, kind) && definedForm(flat, media);
        if (json && (flat === undefined || flatEmpty || !carried)) {
          media = json;
          value = this.bodyValue(json, random);
        } else if (flat !== undefined) value = { value: flat };
      }
      const nothing = !!value.value && typeof value.value === 'object' && Object.keys(value.value).length === 0 && (kind === 'form' || kind === 'multipart') && bodyKind(concreteMediaType(media.mediaType)) === kind;
      // An optional form body with nothing in it is simply not sent.
      if (!(nothing && !body.required)) {
        draft.media = media;
        draft.body = value.value;
        if (value.doubt) doubts.push(value.doubt);
      }
    }
    if (doubts.length) draft.doubt = doubts.join('; ');
    return draft;
  }

  /** The parameter's own `example`/`examples`, if valid. */
  private parameterExample(parameter: ParameterSpec): unknown {
    const raw: any = resolvePointer(this.document, parameter.pointer);
    const candidates: unknown[] = [];
    if (raw?.example !== undefined) candidates.push(raw.example);
    for (const example of Object.values<any>(raw?.examples ?? {})) {
      let resolved = example;
      for (let hops = 0; resolved && typeof resolved.$ref === 'string' && hops < 8; hops++) resolved = resolvePointer(this.document, resolved.$ref);
      if (resolved && 'value' in resolved) candidates.push(resolved.value);
    }
    if (parameter.contentType && raw?.content) {
      const media = raw.content[parameter.contentType];
      for (const e of mediaExamples(this.document, media ?? {})) candidates.push(e.value);
    }
    for (const candidate of candidates) {
      if (candidate === undefined || candidate === null) continue;
      if (this.valid(parameter.schemaPointer, candidate) !== false) return candidate;
      // Path and query examples are often written as text ('1234' for an integer): read them as the server will.
      if (typeof candidate === 'string') {
        const coerced = coerce(candidate, this.shapes.shape(parameter.schema).types);
        if (coerced !== candidate && this.valid(parameter.schemaPointer, coerced)) return coerced;
      }
    }
    return undefined;
  }

  /** A sample valid against the schema at `pointer`, trying canonical, strict and seeded samplers in turn. */
  private sampleValid(schema: unknown, pointer: string | undefined, random: Random | undefined): { value: unknown; ok: boolean } {
    if (schema === undefined) return { value: 'specbind', ok: true };
    let first: unknown;
    const tries: Array<Sampler> = [this.sampler(random, false), this.sampler(random, true)];
    for (let i = 1; i <= 6; i++) tries.push(this.sampler((random ?? seeded(7)).fork(`retry ${i}`), true));
    for (const sampler of tries) {
      const value = sampler.sample(schema, pointer);
      if (value === undefined) continue;
      const ok = this.valid(pointer, value);
      if (ok !== false) return { value, ok: true };
      first ??= value;
    }
    return { value: first, ok: false };
  }

  private bodyValue(media: MediaTypeSpec, random: Random | undefined): { value: unknown; doubt?: string } {
    const examples = mediaExamples(this.document, media);
    const kind = bodyKind(concreteMediaType(media.mediaType));
    if (kind === 'binary') return { value: examples.find((e) => typeof e.value === 'string')?.value ?? 'specbind verify\n' };
    const ordered = random ? random.shuffle(examples) : examples;
    if (!random || random.next() < 0.5) {
      for (const example of ordered) if (this.valid(media.schemaPointer, example.value) !== false) return { value: example.value };
    }
    if (media.schema === undefined) return { value: examples[0]?.value ?? (kind === 'json' ? {} : 'specbind verify') };
    const { value, ok } = this.sampleValid(media.schema, media.schemaPointer, random);
    if (value === undefined) return { value: undefined, doubt: `no body could be built for ${media.mediaType}` };
    return !ok ? { value, doubt: `the ${media.mediaType} body built is not valid by the document: ${this.violations(media.schemaPointer, value)?.[0]?.pointer} ${this.violations(media.schemaPointer, value)?.[0]?.message}` } : { value };
  }

  /** The body without the optional members a form cannot carry (required ones stay: the server will have to cope). */
  /** The media type with its schema's own `$ref`s followed, so a serializer sees the properties (which parts are files). */
  private topLevel(media: MediaTypeSpec): MediaTypeSpec {
    let schema = media.schema;
    for (let hops = 0; schema && typeof schema.$ref === 'string' && hops < 16; hops++) schema = resolvePointer(this.document, schema.$ref);
    return schema === media.schema ? media : { ...media, schema };
  }

  private formableValue(value: unknown, media: MediaTypeSpec, kind: 'form' | 'multipart'): unknown {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const kept: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [name, member] of Object.entries(value)) {
      if (formable({ [name]: member }, media, kind) && definedForm({ [name]: member }, media)) continue;
      delete kept[name];
      if (this.valid(media.schemaPointer, kept) === false) kept[name] = member;
    }
    return kept;
  }

  /** Placeholder credentials for the first security alternative (when the user gave no headers). */
  private credentials(op: OperationSpec): { headers: Record<string, string>; query: string[]; cookies: string[] } {
    const out = { headers: {} as Record<string, string>, query: [] as string[], cookies: [] as string[] };
    if (Object.keys(this.options.headers).length) return out;
    if (op.security.length === 0 || op.security.some((alternative) => Object.keys(alternative).length === 0)) return out;
    const schemes = this.document.components?.securitySchemes ?? {};
    for (const name of Object.keys(op.security[0])) {
      let scheme = schemes[name];
      for (let hops = 0; scheme && typeof scheme.$ref === 'string' && hops < 8; hops++) scheme = resolvePointer(this.document, scheme.$ref);
      if (scheme?.type === 'apiKey') {
        if (scheme.in === 'header') out.headers[String(scheme.name)] = 'specbind-verify';
        else if (scheme.in === 'query') out.query.push(`${encodeURIComponent(String(scheme.name))}=specbind-verify`);
        else if (scheme.in === 'cookie') out.cookies.push(`${scheme.name}=specbind-verify`);
      } else if (scheme?.type === 'http' && /^basic$/i.test(String(scheme.scheme))) {
        out.headers.Authorization = `Basic ${Buffer.from('specbind:verify').toString('base64')}`;
      } else if (scheme) out.headers.Authorization = 'Bearer specbind-verify';
    }
    return out;
  }

  private render(op: OperationSpec, draft: Draft, kind: 'positive' | 'negative', label: string): PlannedRequest {
    const wire = emptyWire();
    for (const [parameter, value] of draft.params) serializeParameter(parameter, value, wire);
    const credentials = draft.anonymous ? { headers: {}, query: [], cookies: [] } : this.credentials(op);
    // A `#fragment` in a path template is not part of the URL (clients never send it).
    let path = op.path.split('#')[0].replace(/\{([^}]+)\}/g, (_, name: string) => wire.path[name] ?? 'x');
    const query = [...wire.query, ...credentials.query];
    if (query.length) path += `?${query.join('&')}`;
    const headers: Record<string, string> = { ...wire.headers, ...credentials.headers };
    if (!draft.anonymous) for (const [name, value] of Object.entries(this.options.headers)) headers[name] = value;
    const cookies = [...wire.cookies, ...credentials.cookies];
    if (cookies.length) headers.Cookie = [headers.Cookie, ...cookies].filter(Boolean).join('; ');
    let body: Buffer | undefined;
    const serialized = draft.wire ?? (draft.media && draft.body !== undefined ? serializeBody(this.topLevel(draft.media), draft.body, `specbind-${hash32(`${this.options.seed}:${op.operationId}:${label}`).toString(16)}`) : undefined);
    if (serialized) {
      headers['Content-Type'] = serialized.contentType;
      body = serialized.bytes;
    }
    for (const [name, value] of Object.entries(headers)) headers[name] = value.replace(/[^\t\x20-\x7e]/g, '?');
    return { kind, label, method: op.method.toUpperCase(), target: path, headers, body, ...(kind === 'positive' && draft.doubt ? { doubt: draft.doubt } : {}) };
  }

  private negatives(op: OperationSpec, canonical: Draft): PlannedRequest[] {
    const out: PlannedRequest[] = [];
    const negative = (draft: Draft, label: string) => out.push(this.render(op, draft, 'negative', label));

    // No credentials for a secured operation.
    if (op.security.length && !op.security.some((alternative) => Object.keys(alternative).length === 0)) negative({ ...canonical, anonymous: true }, 'no credentials');
    // A wrong type (or value) for a parameter.
    const order = [...op.parameters].sort((a, b) => rank(a) - rank(b));
    for (const parameter of order) {
      if (parameter.in === 'header' && SKIPPED_HEADERS.has(parameter.name.toLowerCase())) continue;
      if (parameter.contentType) continue;
      const wrong = this.wrongValue(parameter);
      if (wrong === undefined) continue;
      const params = new Map(canonical.params);
      params.set(parameter, wrong);
      negative({ ...canonical, params }, `wrong type: ${parameter.in} ${parameter.name}`);
      break;
    }
    // A missing required parameter (path parameters cannot be left out of a URL).
    const required = op.parameters.find((p) => p.required && p.in !== 'path' && canonical.params.has(p) && !(p.in === 'header' && SKIPPED_HEADERS.has(p.name.toLowerCase())));
    if (required) {
      const params = new Map(canonical.params);
      params.delete(required);
      negative({ ...canonical, params }, `missing required: ${required.in} ${required.name}`);
    }
    const media = canonical.media;
    const body = op.requestBody;
    if (media && canonical.body && typeof canonical.body === 'object' && !Array.isArray(canonical.body) && KINDS_WITH_SIZE.has(bodyKind(concreteMediaType(media.mediaType)))) {
      const value = canonical.body as Record<string, unknown>;
      // A missing required body property.
      for (const key of Object.keys(value).slice(0, 32)) {
        const { [key]: _dropped, ...rest } = value;
        const errors = this.violations(media.schemaPointer, rest);
        if (errors && errors.some((e) => e.message === 'is required')) {
          negative({ ...canonical, body: rest }, `missing required: body property ${key}`);
          break;
        }
      }
      // A wrong type for a body property (JSON only: in a form every value is text).
      for (const key of bodyKind(concreteMediaType(media.mediaType)) === 'json' ? Object.keys(value).slice(0, 32) : []) {
        const wrong = wrongType(value[key]);
        if (this.valid(media.schemaPointer, { ...value, [key]: wrong }) === false) {
          negative({ ...canonical, body: { ...value, [key]: wrong } }, `wrong type: body property ${key}`);
          break;
        }
      }
    }
    if (body && body.content.length) {
      const json = body.content.find((m) => bodyKind(concreteMediaType(m.mediaType)) === 'json');
      if (json) negative({ ...canonical, wire: { contentType: concreteMediaType(json.mediaType), bytes: Buffer.from('{"specbind": ') } }, 'malformed JSON');
      const wildcard = body.content.some((m) => m.mediaType.includes('*'));
      if (!wildcard) negative({ ...canonical, wire: { contentType: 'application/x-specbind-undeclared', bytes: Buffer.from('specbind') } }, 'undeclared content type');
      const sized = body.content.find((m) => KINDS_WITH_SIZE.has(bodyKind(concreteMediaType(m.mediaType))));
      if (sized) negative({ ...canonical, wire: oversized(concreteMediaType(sized.mediaType), this.options.oversize) }, `oversized body (${Math.round(this.options.oversize / 1024)} KiB)`);
    }
    return out;
  }

  /** A value the server must refuse for this parameter, or undefined when any text would do. */
  private wrongValue(parameter: ParameterSpec): unknown {
    const shape = this.shapes.shape(parameter.schema);
    const isArray = shape.types.length > 0 && shape.types.every((t) => t === 'array' || t === 'null');
    const candidates = ['specbind-not-valid', '~', ''];
    const schema = parameter.schema;
    if (schema && typeof schema.maxLength === 'number') candidates.push('x'.repeat(schema.maxLength + 1));
    for (const candidate of candidates) {
      if (candidate === '' && parameter.in === 'path') continue;
      const value = isArray ? [candidate] : candidate;
      const read = isArray ? [coerce(candidate, shape.items?.types ?? [])] : coerce(candidate, shape.types);
      if (this.valid(parameter.schemaPointer, read) === false) return value;
    }
    return undefined;
  }
}

function rank(parameter: ParameterSpec): number {
  return (parameter.required ? 0 : 10) + { query: 0, header: 1, path: 2, cookie: 3 }[parameter.in];
}

/** Text read as the server reads it: the first of the types it parses as. */
function coerce(text: string, types: string[]): unknown {
  for (const type of types) {
    if (type === 'string') return text;
    if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text)) {
      const n = Number(text);
      if (type === 'number' || Number.isInteger(n)) return n;
    }
    if (type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
    if (type === 'null' && (text === '' || text === 'null')) return null;
  }
  return text;
}

function wrongType(value: unknown): unknown {
  if (typeof value === 'string') return 12345;
  if (typeof value === 'number' || typeof value === 'boolean') return 'specbind-not-valid';
  if (Array.isArray(value)) return 'specbind-not-an-array';
  if (value && typeof value === 'object') return 'specbind-not-an-object';
  return { specbind: 'not-valid' };
}

function oversized(contentType: string, size: number): WireBody {
  const kind = bodyKind(contentType);
  const prefix = kind === 'json' ? '{"specbind":"' : kind === 'form' ? 'specbind=' : '';
  const suffix = kind === 'json' ? '"}' : '';
  const fill = Math.max(0, size - prefix.length - suffix.length);
  return { contentType, bytes: Buffer.concat([Buffer.from(prefix), Buffer.alloc(fill, 'a'), Buffer.from(suffix)]) };
}

/**
 * Whether a parameter value has a text form OpenAPI defines: scalars, arrays of scalars, objects of
 * scalars; deepObject is for objects only (nested objects read as `a[b][c]`; arrays are undefined).
 */
function flatEnough(value: unknown, deep: boolean): boolean {
  const scalar = (v: unknown) => v === null || typeof v !== 'object';
  if (scalar(value)) return true;
  if (Array.isArray(value)) return !deep && value.every(scalar);
  return Object.values(value as object).every((v) => scalar(v) || (deep && !Array.isArray(v) && flatEnough(v, true)));
}

/** Whether a form or multipart body can carry the value as the server will read it (by `encoding`). */
function formable(value: unknown, media: MediaTypeSpec, kind: 'form' | 'multipart'): boolean {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const encoding = media.encoding ?? {};
  return Object.entries(value).every(([name, member]) => {
    const rule = encoding[name] ?? {};
    if (rule.contentType && /json/i.test(rule.contentType)) return true;
    if (member === null || typeof member !== 'object') return true;
    if (Array.isArray(member)) return member.every((m) => m === null || typeof m !== 'object');
    return kind === 'form' && rule.style === 'deepObject' && flatEnough(member, true);
  });
}

/** Like formable, but an array under deepObject encoding (undefined by OpenAPI) does not count either. */
function definedForm(value: unknown, media: MediaTypeSpec): boolean {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const encoding = media.encoding ?? {};
  return Object.entries(value).every(([name, member]) => {
    const rule = encoding[name] ?? {};
    if (rule.contentType && /json/i.test(rule.contentType)) return true;
    if (rule.style === 'deepObject') return flatEnough(member, true) && !Array.isArray(member);
    return true;
  });
}

