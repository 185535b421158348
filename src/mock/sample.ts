// Example values for mock responses: the document's own examples first, else a value built from the
// schema that satisfies its type, format, enum, bounds and required properties.
import { resolvePointer } from '../spec/pointer';
import type { MediaTypeSpec } from '../spec/operations';

export function exampleOf(document: unknown, media: MediaTypeSpec): unknown {
  if (media.example !== undefined) return media.example;
  const first = media.examples && Object.values(media.examples)[0];
  if (first) {
    const example = typeof first.$ref === 'string' ? resolvePointer(document, first.$ref) : first;
    if (example && typeof example === 'object' && 'value' in (example as object)) return (example as any).value;
  }
  return sample(document, media.schema, 0, 'response');
}

const FORMATS: Record<string, string> = {
  'date-time': '2024-01-01T00:00:00Z',
  date: '2024-01-01',
  time: '00:00:00Z',
  email: 'user@example.com',
  uri: 'https://example.com',
  url: 'https://example.com',
  hostname: 'example.com',
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
  uuid: '00000000-0000-4000-8000-000000000000',
  byte: 'AA==',
};

/** A value valid against `schema` (as far as a sampler can tell), skipping `readOnly`/`writeOnly` per direction. */
export function sample(document: unknown, schema: any, depth: number, direction: 'request' | 'response'): unknown {
  if (!schema || typeof schema !== 'object' || depth > 12) return undefined;
  if (typeof schema.$ref === 'string') return sample(document, resolvePointer(document, schema.$ref), depth + 1, direction);
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
  if (schema.const !== undefined) return schema.const;
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum.find((v: unknown) => v !== null) ?? schema.enum[0];
  if (Array.isArray(schema.allOf) && schema.allOf.length) {
    const parts = schema.allOf.map((s: any) => sample(document, s, depth + 1, direction));
    if (parts.every((p: unknown) => p && typeof p === 'object' && !Array.isArray(p))) {
      const own = schema.properties ? sample(document, { ...schema, allOf: undefined }, depth + 1, direction) : {};
      return Object.assign({}, ...parts, own);
    }
    return parts.find((p: unknown) => p !== undefined);
  }
  for (const key of ['oneOf', 'anyOf']) {
    if (Array.isArray(schema[key]) && schema[key].length) {
      const branch = schema[key].find((s: any) => s?.type !== 'null') ?? schema[key][0];
      return sample(document, branch, depth + 1, direction);
    }
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== 'null') ?? schema.type[0] : schema.type ?? (schema.properties ? 'object' : schema.items ? 'array' : undefined);
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const required = new Set<string>(Array.isArray(schema.required) ? schema.required : []);
      for (const [name, property] of Object.entries<any>(schema.properties ?? {})) {
        const resolved = typeof property?.$ref === 'string' ? resolvePointer(document, property.$ref) : property;
        if ((direction === 'response' && (resolved as any)?.writeOnly) || (direction === 'request' && (resolved as any)?.readOnly)) continue;
        const value = sample(document, property, depth + 1, direction);
        if (value !== undefined || required.has(name)) out[name] = value ?? null;
      }
      return out;
    }
    case 'array': {
      const item = sample(document, Array.isArray(schema.items) ? schema.items[0] : schema.items, depth + 1, direction);
      const count = Math.max(1, schema.minItems ?? 1);
      return item === undefined ? [] : Array.from({ length: count }, () => item);
    }
    case 'integer':
    case 'number': {
      let n = typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : 0;
      if (schema.exclusiveMinimum === true) n += 1;
      if (typeof schema.maximum === 'number' && n > schema.maximum) n = schema.maximum;
      if (typeof schema.multipleOf === 'number' && schema.multipleOf > 0) n = Math.ceil(n / schema.multipleOf) * schema.multipleOf;
      return type === 'integer' ? Math.ceil(n) : n;
    }
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'string': {
      let text = FORMATS[schema.format] ?? 'string';
      if (typeof schema.minLength === 'number' && text.length < schema.minLength) text = text.padEnd(schema.minLength, 'x');
      if (typeof schema.maxLength === 'number' && text.length > schema.maxLength) text = text.slice(0, schema.maxLength);
      return text;
    }
    default:
      return schema.nullable ? null : {};
  }
}
