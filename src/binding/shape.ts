// What a schema says about the *shape* of a value, which is all that string coercion needs:
// the candidate types in order, and the shapes of array items and object properties.
import { resolvePointer } from '../document/pointer';
import { setOwn } from './safe';

export interface Shape {
  /** Candidate JSON types, in the order a string should be tried against them. */
  types: string[];
  items?: Shape;
  /** Without a prototype (see `propertyMap`): looked up by keys a client chose. */
  properties?: Record<string, Shape>;
  additionalProperties?: Shape | boolean;
  default?: unknown;
  hasDefault: boolean;
  /** `format: binary`: in a multipart body, a file part. */
  binary?: boolean;
}

const ANY: Shape = { types: [], hasDefault: false };

/**
 * Property shapes are looked up by names a client chose (`filter[constructor]`, a form field or a
 * multipart part named `__proto__`): a map with no prototype answers undefined for those instead of
 * Object.prototype's members, which are no shapes (they crashed coercion: a 500, or an uncaught
 * exception in a multipart parser callback).
 */
function propertyMap(...sources: Array<Record<string, Shape> | undefined>): Record<string, Shape> {
  return Object.assign(Object.create(null) as Record<string, Shape>, ...sources);
}

export class ShapeReader {
  private readonly memo = new Map<object, Shape>();

  constructor(private readonly document: unknown) {}

  shape(schema: unknown, depth = 0): Shape {
    if (!schema || typeof schema !== 'object' || depth > 32) return ANY;
    const cached = this.memo.get(schema);
    if (cached) return cached;
    // Placeholder first: a recursive schema sees itself as "any" rather than looping.
    const shape: Shape = { types: [], hasDefault: false };
    this.memo.set(schema, shape);
    this.fill(shape, schema as any, depth);
    return shape;
  }

  private fill(shape: Shape, schema: any, depth: number): void {
    if (typeof schema.$ref === 'string') {
      const target = this.shape(resolvePointer(this.document, schema.$ref), depth + 1);
      Object.assign(shape, target, { types: [...target.types] });
    }
    if (schema.format === 'binary') shape.binary = true;
    if ('default' in schema) {
      shape.default = schema.default;
      shape.hasDefault = true;
    }
    const types: string[] = [];
    if (typeof schema.type === 'string') types.push(schema.type);
    else if (Array.isArray(schema.type)) types.push(...schema.type);
    for (const key of ['allOf', 'oneOf', 'anyOf']) {
      if (!Array.isArray(schema[key])) continue;
      for (const member of schema[key]) {
        const inner = this.shape(member, depth + 1);
        // allOf narrows: the first member with a type decides; oneOf/anyOf offer each member's types in turn.
        if (key === 'allOf' && types.length) continue;
        types.push(...inner.types);
        shape.items ??= inner.items;
        shape.properties = inner.properties ? propertyMap(inner.properties, shape.properties) : shape.properties;
        if (!shape.hasDefault && inner.hasDefault) Object.assign(shape, { default: inner.default, hasDefault: true });
      }
    }
    if (types.length === 0 && Array.isArray(schema.enum)) {
      for (const value of schema.enum) types.push(value === null ? 'null' : typeof value === 'number' ? 'number' : typeof value);
    }
    if (types.length === 0 && schema.properties) types.push('object');
    if (types.length === 0 && schema.items) types.push('array');
    if (schema.nullable === true) types.push('null');
    if (types.length) shape.types = [...new Set([...shape.types, ...types])];
    if (schema.items && typeof schema.items === 'object' && !Array.isArray(schema.items)) shape.items = this.shape(schema.items, depth + 1);
    if (schema.properties && typeof schema.properties === 'object') {
      const properties = propertyMap(shape.properties);
      for (const [name, property] of Object.entries(schema.properties)) properties[name] = this.shape(property, depth + 1);
      shape.properties = properties;
    }
    if (schema.additionalProperties !== undefined) {
      shape.additionalProperties = typeof schema.additionalProperties === 'object' ? this.shape(schema.additionalProperties, depth + 1) : schema.additionalProperties;
    }
  }
}

const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** 1 to 15 ASCII digits: an exact integer, with no regex (most path and query numbers are ids and counts). */
function isShortDigits(raw: string): boolean {
  const length = raw.length;
  if (length === 0 || length > 15) return false;
  for (let i = 0; i < length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * A string from a URL, header or form, as the first of the shape's types it parses as.
 * A string that fits none is returned unchanged so the validator reports it against the schema.
 */
export function coerceScalar(raw: string, shape: Shape): unknown {
  // Where a string is one choice among others (`anyOf: [{enum: [now]}, {type: integer}]`), a value spelled
  // exactly as another type ("5", "true") is read as that type; "007" or "1e3" stay strings.
  if (shape.types.length > 1 && shape.types.includes('string')) {
    for (const type of shape.types) {
      if (type === 'string' || type === 'null') continue;
      const value = coerceScalar(raw, { types: [type], hasDefault: false });
      if (typeof value !== 'string' && String(value) === raw) return value;
    }
    return raw;
  }
  for (const type of shape.types) {
    switch (type) {
      case 'string':
        return raw;
      case 'integer':
        if (isShortDigits(raw)) return Number(raw);
        if (NUMBER.test(raw) && Number.isInteger(Number(raw))) return Number(raw);
        break;
      case 'number':
        if (isShortDigits(raw)) return Number(raw);
        if (NUMBER.test(raw) && Number.isFinite(Number(raw))) return Number(raw);
        break;
      case 'boolean':
        if (raw === 'true') return true;
        if (raw === 'false') return false;
        break;
      case 'null':
        if (raw === '' || raw === 'null') return null;
        break;
    }
  }
  return raw;
}

/**
 * Below this depth values are left as they are. Values split from URLs and forms are at most
 * MAX_BRACKET_DEPTH (brackets.ts) deep; deeper ones are JSON a client sent in a form or multipart
 * field, which can nest 10,000 levels and would overflow the stack here.
 */
const MAX_COERCE_DEPTH = 64;

/** Coerces every string leaf of an already-split value (array items, object members) by its shape. */
export function coerceDeep(value: unknown, shape: Shape, depth = 0): unknown {
  if (typeof value === 'string') return coerceScalar(value, shape);
  if (depth > MAX_COERCE_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => coerceDeep(item, shape.items ?? ANY, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      const memberShape = shape.properties?.[key] ?? (typeof shape.additionalProperties === 'object' ? shape.additionalProperties : ANY);
      setOwn(out, key, coerceDeep(member, memberShape, depth + 1));
    }
    return out;
  }
  return value;
}

export function isShape(shape: Shape, type: 'array' | 'object'): boolean {
  return shape.types.includes(type) && !shape.types.some((t) => t !== type && t !== 'null');
}
