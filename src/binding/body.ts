// Request bodies: the declared media type picked by Content-Type, the bytes read within a limit,
// parsed by kind (JSON, form, text, binary) and validated against that media type's schema.
import { HttpError } from '../errors';
import type { MediaTypeSpec, RequestBodySpec } from '../document/operations';
import type { Validator } from '../validation/compiler';
import { essence, mediaMatches } from '../replies/media';
import { decodeForm, parseQuery } from './parameters';
import { coerceDeep, type Shape, ShapeReader } from './shape';
import { setOwn } from './safe';
import { bracketPath, indexedToArrays, setAtPath } from './brackets';

type BodyKind = 'json' | 'form' | 'multipart' | 'text' | 'binary';

type Encoding = NonNullable<MediaTypeSpec['encoding']>;

export interface MediaPlan {
  mediaType: string;
  /** The declared type without parameters, lower case; may contain wildcards. */
  pattern: string;
  kind: BodyKind;
  shape: Shape;
  validate?: Validator;
  /** Per-property serialisation (form and multipart bodies). */
  encoding: Encoding;
  /** Multipart parts whose encoding says JSON. */
  jsonFields: Set<string>;
  /** Declared as bytes (octet-stream, `format: binary`, `contentMediaType`, or no schema): a `streamBody()` handler may take it as a stream. */
  streamable: boolean;
}

export interface BodyPlan {
  required: boolean;
  media: MediaPlan[];
  declared: string;
  /**
   * An optional body the client left out, when its schema gives a default (JSON), or its members do (a
   * form): the media type whose schema makes `input.body` (validated, so nested defaults are filled).
   */
  absent?: MediaPlan;
  /** The last Content-Type matched and its answer: clients send the same header on every request. */
  lastMatch?: { contentType: string; media: MediaPlan | undefined };
}

function kindOf(type: string): BodyKind {
  if (type === 'application/json' || type.endsWith('+json')) return 'json';
  if (type === 'application/x-www-form-urlencoded') return 'form';
  if (type === 'multipart/form-data') return 'multipart';
  if (type.startsWith('text/')) return 'text';
  return 'binary';
}

export function planBody(spec: RequestBodySpec, shapes: ShapeReader, validator: (pointer: string) => Validator): BodyPlan {
  const media = spec.content.map((m) => {
    const pattern = essence(m.mediaType);
    const kind = kindOf(pattern);
    // Binary bodies arrive as bytes: there is no JSON value to hold against the schema.
    const validate = m.schemaPointer && kind !== 'binary' ? validator(m.schemaPointer) : undefined;
    const encoding = m.encoding ?? {};
    const jsonFields = new Set(Object.keys(encoding).filter((name) => /json/i.test(encoding[name].contentType ?? '')));
    const streamable = kind !== 'multipart' && kind !== 'form' && (kind === 'binary' || m.schema === undefined || m.schema?.format === 'binary' || m.schema?.contentMediaType !== undefined);
    return { mediaType: m.mediaType, pattern, kind, shape: shapes.shape(m.schema), validate, encoding, jsonFields, streamable };
  });
  const absent = spec.required ? undefined : media.find((m) => (m.kind === 'json' || m.kind === 'form') && m.validate && (m.shape.hasDefault || (m.kind === 'form' && Object.values(m.shape.properties ?? {}).some((p) => p.hasDefault))));
  return { required: spec.required, media, declared: spec.content.map((m) => m.mediaType).join(', '), absent };
}

/**
 * The body an optional request body stands for when the client sent none: the schema's default (a
 * form's: an object of its members' defaults), nested defaults filled by the validator. Undefined when
 * the schema gives none, or when what it gives does not validate (a form whose required members have none).
 */
export function absentBody(plan: BodyPlan): { media: MediaPlan; value: unknown } | undefined {
  const media = plan.absent;
  if (!media) return undefined;
  const value = media.shape.hasDefault ? structuredClone(media.shape.default) : {};
  return media.validate!(value) ? undefined : { media, value };
}

/** The declared media type for a request Content-Type: exact first, then wildcards in document order. */
export function matchMedia(plan: BodyPlan, contentType: string | undefined): MediaPlan | undefined {
  if (!contentType) return undefined;
  const last = plan.lastMatch;
  if (last && last.contentType === contentType) return last.media;
  const type = essence(contentType);
  const media = plan.media.find((m) => m.pattern === type) ?? plan.media.find((m) => mediaMatches(m.pattern, type));
  plan.lastMatch = { contentType, media };
  return media;
}

/** A refused body is not read to its end: the answer closes the connection instead. */
export const CLOSE = { connection: 'close' };

/** Parses bytes by kind; malformed input is a 400 that says where. */
export function parseBody(media: MediaPlan, bytes: Buffer): unknown {
  switch (media.kind) {
    case 'json': {
      const text = bytes.toString('utf8');
      try {
        return JSON.parse(text);
      } catch (error) {
        throw HttpError.of('malformedBody', `the body is not valid JSON: ${(error as Error).message}`, { errors: [{ in: 'body', pointer: '', message: 'is not valid JSON' }] });
      }
    }
    case 'form':
      return parseFormBody(bytes.toString('utf8'), media.shape, media.encoding);
    case 'text':
      return bytes.toString('utf8');
    default:
      return bytes;
  }
}

const FORM_DELIMITERS: Record<string, string> = { form: ',', spaceDelimited: ' ', pipeDelimited: '|' };

/**
 * `application/x-www-form-urlencoded`, by each property's `encoding`: repeated keys (form, explode),
 * delimited lists (explode false, spaceDelimited, pipeDelimited), `prop[key]` members (deepObject),
 * JSON-encoded fields (`contentType: application/json`).
 */
function parseFormBody(text: string, shape: Shape, encoding: Encoding): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // JSON-encoded fields are typed already: kept apart from coercion, which would turn a JSON string
  // "true" into true (and walk a client's JSON however deep it is).
  const json: Record<string, unknown> = {};
  // Bracketed keys of object or array properties (deepObject encoding, or Stripe's style) nest.
  const deep: Record<string, unknown> = {};
  let nested = false;
  for (const [key, rawValues] of parseQuery(text)) {
    const values = rawValues.map((raw) => {
      const value = decodeForm(raw);
      if (value === undefined) {
        throw HttpError.of('malformedBody', `form field "${key}" is not valid percent-encoding`, { errors: [{ in: 'body', pointer: `/${key}`, message: 'is not valid percent-encoding' }] });
      }
      return value;
    });
    const bracket = key.indexOf('[');
    const owner = bracket > 0 ? key.slice(0, bracket) : undefined;
    const path = owner ? bracketPath(key.slice(bracket)) : undefined;
    const ownerShape = owner ? shape.properties?.[owner] : undefined;
    if (owner && path && (encoding[owner]?.style === 'deepObject' || ownerShape?.types.some((t) => t === 'object' || t === 'array') || !ownerShape)) {
      setAtPath(deep, [owner, ...path], values);
      nested = true;
      continue;
    }
    const rule = encoding[key] ?? {};
    if (rule.contentType && /json/i.test(rule.contentType)) {
      try {
        setOwn(json, key, JSON.parse(values[0]));
      } catch {
        throw HttpError.of('malformedBody', `form field "${key}" is not valid JSON`, { errors: [{ in: 'body', pointer: `/${key}`, message: 'is not valid JSON' }] });
      }
      continue;
    }
    const property = shape.properties?.[key];
    const isArray = property?.types.includes('array');
    const style = rule.style ?? 'form';
    const explode = rule.explode ?? style === 'form';
    if (isArray && !explode) setOwn(out, key, values[0] === '' ? [] : values[0].split(FORM_DELIMITERS[style] ?? ','));
    else setOwn(out, key, isArray || (!property && values.length > 1) ? values : values[0]);
  }
  if (nested) for (const [owner, members] of Object.entries(indexedToArrays(deep) as Record<string, unknown>)) setOwn(out, owner, members);
  const coerced = coerceDeep(out, shape) as Record<string, unknown>;
  for (const key of Object.keys(json)) setOwn(coerced, key, json[key]);
  return coerced;
}
