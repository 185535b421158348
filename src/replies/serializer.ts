// JSON text of a response body, compiled from the schema it was just validated against.
//
// fast-json-stringify turns a schema into a function that writes the declared properties directly,
// without JSON.stringify's generic walk: on the benchmark's server 0.45–0.8 µs less CPU per GET in three
// A/Bs (far more than a tight loop shows: bench/README.md, "A serializer compiled from the response
// schema"). It is used only for a value the schema has accepted and that is plain JSON, and only with
// the parts of the schema where its output parses to what JSON.stringify would write. Everything else
// in the schema becomes `{}`, which fast-json-stringify hands to JSON.stringify. What differs is the
// order of an object's members: the schema's properties first, in the schema's order, then the others
// in the value's order.
import type buildSerializer from 'fast-json-stringify';
import { resolvePointer } from '../document/pointer';

/** fast-json-stringify, loaded on the first compile: a server that never compiles one (validation off) does not carry it. */
let build: typeof buildSerializer | undefined;

export type Serialize = (value: unknown) => string;

/** Subschemas a compiled serializer covers at most: past them, JSON.stringify (bounds compile time and size). */
const MAX_NODES = 400;

/** Keywords that decide which members an object has or what a value is, beyond `type`/`properties`/`items`. */
const BEYOND = ['allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else', 'dependentSchemas', 'unevaluatedProperties', 'unevaluatedItems', 'prefixItems', '$dynamicRef', '$recursiveRef'];
/** What may stand beside a `$ref` without changing what it describes (in 3.1 any other sibling applies too). */
const ANNOTATIONS = new Set(['$ref', 'description', 'summary', 'title', 'example', 'examples', 'deprecated', 'readOnly', 'writeOnly', 'externalDocs', 'xml', '$comment']);
const SCALARS = new Set(['string', 'integer', 'number', 'boolean']);

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A `$ref` with nothing beside it that changes what it describes. */
const bareRef = (node: Record<string, unknown>): boolean => typeof node.$ref === 'string' && Object.keys(node).every((key) => ANNOTATIONS.has(key) || key.startsWith('x-'));

/**
 * Compiled serializers by the schema they were compiled from (after bare local `$ref`s): operations
 * that answer with one component (Stripe's `error` on all 468) share one compile. Weak: a document
 * dropped takes its serializers along.
 */
const COMPILED = new WeakMap<object, Serialize | null>();

/**
 * The schema fast-json-stringify gets for `schema` (a response body schema of `document`): types,
 * properties and items kept, local `$ref`s inlined (a cycle, a remote ref or a `$ref` with
 * constraining siblings becomes `{}`), constraints dropped (the validator has checked them already).
 */
export function serializerSchema(schema: unknown, document: unknown): Record<string, unknown> {
  let budget = MAX_NODES;
  const following: unknown[] = [];

  const convert = (node: unknown): Record<string, unknown> => {
    if (--budget < 0 || !isObject(node)) return {};
    if (typeof node.$ref === 'string') {
      const ref = node.$ref;
      if (!ref.startsWith('#/') || !bareRef(node)) return {};
      const target = resolvePointer(document, ref);
      if (following.includes(target)) return {};
      following.push(target);
      try {
        return convert(target);
      } finally {
        following.pop();
      }
    }
    if (BEYOND.some((keyword) => node[keyword] !== undefined)) return {};
    const declared = Array.isArray(node.type) ? node.type : typeof node.type === 'string' ? [node.type] : [];
    const types = declared.filter((t) => t !== 'null');
    const nullable = node.nullable === true || declared.includes('null');
    if (declared.length === 0 || types.length > 1) return {};
    if (types.length === 0) return { type: 'null' };
    const type = types[0];
    const nullMark = nullable ? { nullable: true } : {};
    if (SCALARS.has(type)) return { type, ...nullMark };
    if (type === 'array') {
      if (Array.isArray(node.items)) return {};
      return { type, items: node.items === undefined ? {} : convert(node.items), ...nullMark };
    }
    if (type === 'object') {
      const declaredProperties = isObject(node.properties) ? node.properties : {};
      // fast-json-stringify reads a property as `value[name]`: a name Object.prototype has (`constructor`,
      // `toString`, `__proto__`) would be read from the prototype when the value lacks it.
      if (Object.keys(declaredProperties).some((name) => name in Object.prototype)) return {};
      const properties: Record<string, unknown> = {};
      for (const [name, property] of Object.entries(declaredProperties)) properties[name] = convert(property);
      // Members the schema does not name are written as JSON.stringify writes them, unless there can be none.
      const closed = node.additionalProperties === false && node.patternProperties === undefined;
      return { type, properties, additionalProperties: !closed, ...nullMark };
    }
    return {};
  };
  return convert(schema);
}

/**
 * The compiled serializer of a response body schema, or undefined when it gives nothing over
 * JSON.stringify (a schema that is `{}` after conversion) or cannot be compiled.
 */
export function compileSerializer(schema: unknown, document: unknown, onError?: (error: unknown) => void): Serialize | undefined {
  let target = schema;
  for (let hops = 0; hops < 32 && isObject(target) && bareRef(target) && (target.$ref as string).startsWith('#/'); hops++) target = resolvePointer(document, target.$ref as string);
  if (!isObject(target)) return undefined;
  const known = COMPILED.get(target);
  if (known !== undefined) return known ?? undefined;
  let serialize: Serialize | null = null;
  const converted = serializerSchema(target, document);
  if (converted.type !== undefined) {
    try {
      build ??= (require('fast-json-stringify') as typeof import('fast-json-stringify')).default; // eslint-disable-line @typescript-eslint/no-require-imports
      serialize = build(converted as unknown as Parameters<typeof buildSerializer>[0]) as Serialize;
    } catch (error) {
      onError?.(error);
    }
  }
  COMPILED.set(target, serialize);
  return serialize ?? undefined;
}
