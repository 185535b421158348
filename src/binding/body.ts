// Request bodies: the declared media type picked by Content-Type, the bytes read within a limit,
// parsed by kind (JSON, form, text, binary) and validated against that media type's schema.
import type { IncomingMessage } from 'node:http';
import { HttpError } from '../errors';
import type { RequestBodySpec } from '../spec/operations';
import type { Validator } from '../validation/compiler';
import { essence, mediaMatches } from '../replies/media';
import { decodeForm, parseQuery } from './parameters';
import { coerceDeep, type Shape, ShapeReader } from './shape';
import { setOwn } from './safe';

type BodyKind = 'json' | 'form' | 'text' | 'binary';

export interface MediaPlan {
  mediaType: string;
  /** The declared type without parameters, lower case; may contain wildcards. */
  pattern: string;
  kind: BodyKind;
  shape: Shape;
  validate?: Validator;
}

export interface BodyPlan {
  required: boolean;
  media: MediaPlan[];
  declared: string;
}

function kindOf(type: string): BodyKind {
  if (type === 'application/json' || type.endsWith('+json')) return 'json';
  if (type === 'application/x-www-form-urlencoded') return 'form';
  if (type.startsWith('text/')) return 'text';
  return 'binary';
}

export function planBody(spec: RequestBodySpec, shapes: ShapeReader, validator: (pointer: string) => Validator): BodyPlan {
  const media = spec.content.map((m) => {
    const pattern = essence(m.mediaType);
    const kind = kindOf(pattern);
    // Binary and multipart bodies arrive as bytes: there is no JSON value to hold against the schema.
    const validate = m.schemaPointer && (kind === 'json' || kind === 'form' || kind === 'text') ? validator(m.schemaPointer) : undefined;
    return { mediaType: m.mediaType, pattern, kind, shape: shapes.shape(m.schema), validate };
  });
  return { required: spec.required, media, declared: spec.content.map((m) => m.mediaType).join(', ') };
}

/** The declared media type for a request Content-Type: exact first, then wildcards in document order. */
export function matchMedia(plan: BodyPlan, contentType: string | undefined): MediaPlan | undefined {
  if (!contentType) return undefined;
  const type = essence(contentType);
  return plan.media.find((m) => m.pattern === type) ?? plan.media.find((m) => mediaMatches(m.pattern, type));
}

/** Reads the whole body, refusing (413) as soon as it passes `limit`. */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(HttpError.of('payloadTooLarge', `the body is ${declared} bytes; the limit is ${limit}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        request.resume();
        reject(HttpError.of('payloadTooLarge', `the body is over the limit of ${limit} bytes`));
      } else chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onAborted = () => onError(new Error('request aborted'));
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('aborted', onAborted);
  });
}

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
      return parseFormBody(bytes.toString('utf8'), media.shape);
    case 'text':
      return bytes.toString('utf8');
    default:
      return bytes;
  }
}

function parseFormBody(text: string, shape: Shape): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, rawValues] of parseQuery(text)) {
    const values = rawValues.map((raw) => {
      const value = decodeForm(raw);
      if (value === undefined) {
        throw HttpError.of('malformedBody', `form field "${key}" is not valid percent-encoding`, { errors: [{ in: 'body', pointer: `/${key}`, message: 'is not valid percent-encoding' }] });
      }
      return value;
    });
    const property = shape.properties?.[key];
    const many = property?.types.includes('array') || (!property && values.length > 1);
    setOwn(out, key, many ? values : values[0]);
  }
  return coerceDeep(out, shape) as Record<string, unknown>;
}
