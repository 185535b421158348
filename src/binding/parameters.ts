// Reading each declared parameter from the request by its location and OpenAPI `style`/`explode`,
// coercing it to its schema's types and validating it. The plan is built once per operation.
import type { ViolationDetail } from '../errors';
import type { ParameterSpec } from '../document/operations';
import type { Validator } from '../validation/compiler';
import { coerceDeep, coerceScalar, isShape, type Shape, ShapeReader } from './shape';
import { setOwn } from './safe';
import { bracketPath, indexedToArrays, setAtPath } from './brackets';

/** The raw parts of a request that parameters come from; query and cookies are parsed once, on demand. */
export interface RawParameters {
  /** Path values as they appeared in the URL (still percent-encoded). */
  path: Record<string, string>;
  query: QueryMap;
  /** A request header by its lower-case name: read only by operations that declare header parameters. */
  header(name: string): string | undefined;
  cookies: () => Map<string, string>;
}

/** Query string: decoded key → raw (still encoded) values, in order. */
export type QueryMap = Map<string, string[]>;

export function parseQuery(search: string): QueryMap {
  const map: QueryMap = new Map();
  if (!search) return map;
  for (const pair of search.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    const key = decodeForm(rawKey) ?? rawKey;
    const values = map.get(key);
    if (values) values.push(rawValue);
    else map.set(key, [rawValue]);
  }
  return map;
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    if (name && !cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}

/** `application/x-www-form-urlencoded` decoding (also used for query strings): `+` is a space. */
export function decodeForm(raw: string): string | undefined {
  return decode(raw.includes('+') ? raw.replace(/\+/g, ' ') : raw);
}

function decode(raw: string): string | undefined {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

class BadEncoding extends Error {}

function decodeOrThrow(raw: string, form: boolean): string {
  const value = form ? decodeForm(raw) : decode(raw);
  if (value === undefined) throw new BadEncoding();
  return value;
}

/** `k1,v1,k2,v2` (explode off) or `k1=v1,k2=v2` (explode on) into an object of still-encoded strings. */
function pairsToObject(parts: string[], exploded: boolean, form: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  if (exploded) {
    for (const part of parts) {
      const eq = part.indexOf('=');
      if (eq > 0) setOwn(out, decodeOrThrow(part.slice(0, eq), form), decodeOrThrow(part.slice(eq + 1), form));
    }
  } else {
    for (let i = 0; i + 1 < parts.length; i += 2) setOwn(out, decodeOrThrow(parts[i], form), decodeOrThrow(parts[i + 1], form));
  }
  return out;
}

export interface ParameterPlan {
  spec: ParameterSpec;
  /** Reads, coerces and validates; pushes violations instead of throwing. */
  bind(raw: RawParameters, input: Record<string, unknown>, errors: ViolationDetail[]): void;
}

const DELIMITERS: Record<string, string> = { form: ',', spaceDelimited: ' ', pipeDelimited: '|', simple: ',' };

export function planParameter(spec: ParameterSpec, shapes: ShapeReader, validator: Validator | undefined): ParameterPlan {
  const shape: Shape = shapes.shape(spec.schema);
  const asArray = isShape(shape, 'array');
  const asObject = isShape(shape, 'object');
  // A scalar that may be of several types (`oneOf: [integer, string]`) is read as text, then coerced
  // to the first type whose value the schema accepts.
  const candidates = !asArray && !asObject && !spec.contentType && spec.style !== 'deepObject' && shape.types.length > 1 && validator ? shape.types : undefined;
  const read = reader(spec, candidates ? { types: ['string'], hasDefault: false } : shape, asArray, asObject);

  const bind = (raw: RawParameters, input: Record<string, unknown>, errors: ViolationDetail[]) => {
    let value: unknown;
    try {
      value = read(raw);
    } catch (error) {
      const message = error instanceof BadEncoding ? 'is not valid percent-encoding' : 'is not valid JSON';
      errors.push({ in: spec.in, name: spec.name, message });
      return;
    }
    if (value === undefined) {
      if (spec.required) errors.push({ in: spec.in, name: spec.name, message: 'is required' });
      else if (shape.hasDefault) {
        // The validator fills defaults inside it (a deepObject's `default: {}` gets its members' defaults).
        input[spec.key] = structuredClone(shape.default);
        validator?.(input[spec.key]);
      }
      return;
    }
    if (spec.in === 'query' && value === '' && shape.types.length && !shape.types.includes('string') && !shape.types.includes('null')) {
      // `?flag=` for a non-string: allowed only with allowEmptyValue, and then it counts as not sent.
      if (!spec.allowEmptyValue) errors.push({ in: spec.in, name: spec.name, message: `is empty; expected ${shape.types.join(' or ')}` });
      else if (shape.hasDefault) input[spec.key] = structuredClone(shape.default);
      return;
    }
    if (candidates && typeof value === 'string') {
      for (const type of candidates) {
        const candidate = coerceScalar(value, { types: [type], hasDefault: false });
        if ((typeof candidate !== 'string' || type === 'string') && !validator!(candidate)) {
          input[spec.key] = candidate;
          return;
        }
      }
      value = coerceScalar(value, shape);
    }
    const violations = validator?.(value);
    if (violations) {
      for (const v of violations) errors.push({ in: spec.in, name: spec.name, ...(v.pointer ? { pointer: v.pointer } : {}), message: v.message });
      return;
    }
    input[spec.key] = value;
  };
  return { spec, bind };
}

/** The function that turns raw request parts into this parameter's coerced value (undefined when absent). */
function reader(spec: ParameterSpec, shape: Shape, asArray: boolean, asObject: boolean): (raw: RawParameters) => unknown {
  const { name, style, explode } = spec;
  const contentJson = spec.contentType !== undefined;
  const fromString = (text: string, form: boolean): unknown => {
    if (contentJson) return JSON.parse(decodeOrThrow(text, form));
    if (asArray) {
      const delimiter = DELIMITERS[style] ?? ',';
      const encodedDelimiter = delimiter === ' ' ? /%20|\+| /g : delimiter === '|' ? /\||%7C/gi : delimiter;
      return coerceDeep(text === '' ? [] : text.split(encodedDelimiter).map((p) => decodeOrThrow(p, form)), shape);
    }
    if (asObject) return coerceDeep(pairsToObject(text.split(','), explode, form), shape);
    return coerceScalar(decodeOrThrow(text, form), shape);
  };

  switch (spec.in) {
    case 'path':
      return (raw) => {
        let text = raw.path[name];
        if (text === undefined) return undefined;
        if (style === 'label') {
          if (!text.startsWith('.')) return text;
          text = text.slice(1);
          if (explode && (asArray || asObject)) text = text.split('.').join(',');
        } else if (style === 'matrix') {
          const prefix = `;${name}=`;
          if (explode && asArray) {
            return coerceDeep(text.split(';').filter(Boolean).map((part) => decodeOrThrow(part.slice(part.indexOf('=') + 1), false)), shape);
          }
          if (explode && asObject) text = text.split(';').filter(Boolean).join(',');
          else if (text.startsWith(prefix)) text = text.slice(prefix.length);
          else if (text === `;${name}`) text = '';
        }
        return fromString(text, false);
      };
    case 'header':
      return (raw) => {
        const text = raw.header(name.toLowerCase());
        if (text === undefined) return undefined;
        if (asArray || asObject) return fromString(text.split(',').map((p) => p.trim()).join(','), false);
        return fromString(text, false);
      };
    case 'cookie':
      return (raw) => {
        const text = raw.cookies().get(name);
        return text === undefined ? undefined : fromString(text, false);
      };
    case 'query':
    default:
      // A `content` parameter is one document under its own name, whatever its schema's type.
      if (contentJson) {
        return (raw) => {
          const values = raw.query.get(name);
          return values === undefined ? undefined : fromString(values[0], true);
        };
      }
      if (style === 'deepObject') return (raw) => readDeepObject(raw.query, name, shape);
      if (asObject && explode) {
        // Exploded form objects: each property is its own query key.
        return (raw) => {
          const out: Record<string, string> = {};
          for (const key of Object.keys(shape.properties ?? {})) {
            const values = raw.query.get(key);
            if (values) setOwn(out, key, decodeOrThrow(values[0], true));
          }
          return Object.keys(out).length ? coerceDeep(out, shape) : undefined;
        };
      }
      return (raw) => {
        const values = raw.query.get(name);
        if (values === undefined) return undefined;
        if (asArray && explode) return coerceDeep(values.map((v) => decodeOrThrow(v, true)), shape);
        return fromString(values[0], true);
      };
  }
}

/**
 * `filter[status]=open&filter[owner][name]=ann` → `{ status: 'open', owner: { name: 'ann' } }`;
 * `expand[]=a&expand[]=b` → ['a', 'b']. A schema that also allows a scalar (`anyOf: [object, integer]`)
 * accepts the plain `name=5` too.
 */
function readDeepObject(query: QueryMap, name: string, shape: Shape): unknown {
  const prefix = `${name}[`;
  let found: Record<string, unknown> | undefined;
  for (const [key, values] of query) {
    if (!key.startsWith(prefix)) continue;
    const path = bracketPath(key.slice(name.length));
    if (!path) continue;
    found ??= {};
    setAtPath(found, path, values.map((v) => decodeOrThrow(v, true)));
  }
  if (found !== undefined) return coerceDeep(indexedToArrays(found), shape);
  const plain = query.get(name);
  return plain === undefined ? undefined : coerceScalar(decodeOrThrow(plain[0], true), shape);
}
