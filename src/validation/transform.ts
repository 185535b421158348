// Turns a document's schemas into what Ajv validates, once at startup, for one direction:
// OpenAPI 3.0 keywords become JSON Schema (`nullable`, boolean `exclusiveMinimum`), and
// `readOnly` properties are dropped from `required` and forbidden in requests (`writeOnly` in responses).
import type { Dialect } from '../document/load';
import { escapeToken, resolvePointer, unescapeToken } from '../document/pointer';
import { SKIP, walkMembers } from '../document/walk';

export type Direction = 'request' | 'response';

/** Keyword that always fails, with a message saying why (registered on the Ajv instances). */
export const FORBIDDEN_KEYWORD = 'x-specbind-forbidden';
/** Annotation on a discriminator's `if`/`then` pair naming the branch, so an error can name it. */
export const BRANCH_KEYWORD = 'x-specbind-branch';
/** A `$ref` compiled when validation first reaches it (SchemaCompilerOptions.lazyRefs): its value is the decoded pointer. */
export const LAZY_REF_KEYWORD = 'x-specbind-ref';

const SCHEMA_MAPS = ['properties', 'patternProperties', 'dependentSchemas', '$defs', 'definitions'];
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const SCHEMA_SINGLES = ['additionalProperties', 'additionalItems', 'contains', 'propertyNames', 'not', 'if', 'then', 'else', 'unevaluatedProperties', 'unevaluatedItems', 'contentSchema'];
/** Each schema-holding keyword's shape, looked up once per member by the transform. */
const MAP = 1;
const LIST = 2;
const SINGLE = 3;
const SCHEMA_KEYS = new Map<string, number>([...SCHEMA_MAPS.map((k) => [k, MAP] as const), ...SCHEMA_LISTS.map((k) => [k, LIST] as const), ...SCHEMA_SINGLES.map((k) => [k, SINGLE] as const)]);
/** Values that are data, copied as they are (Ajv reads them). */
const DATA_KEYS = new Set(['default', 'enum', 'const']);
/**
 * Annotations Ajv never needs, left out of the validation copy: Ajv scans every key for `$id`, and real
 * examples carry data such as `"$id": "0123…"` that would otherwise be taken for schema ids.
 */
const DROPPED_KEYS = new Set(['example', 'examples', 'description', 'summary', 'externalDocs', 'xml']);

export function transformDocument(document: object, dialect: Dialect, direction: Direction): object {
  const transformer = new SchemaTransformer(document, dialect, direction);
  return transformer.document();
}

/** Keys whose values are data, not schemas: a `$ref` found under them is not followed. */
const NOT_SCHEMA = new Set([...DATA_KEYS, 'example', 'examples']);

/**
 * The transformed document, built on demand: `root` starts empty and `ensure(pointer)` adds the
 * transformed schema at `pointer` and every schema its `$ref`s reach, each at its place in the document.
 * The unit is a *schema root* (a `schema` value, or a `components.schemas` member): transformed as a
 * whole, exactly as `transformDocument` would, so a pointer into its interior finds the same schema.
 * Only what an operation reaches is copied, and Ajv never walks the whole document.
 */
export class LazyDocument {
  /** What Ajv sees: a skeleton of the document holding the transformed schema roots added so far. */
  readonly root: Record<string, any> = {};
  private readonly transformer: SchemaTransformer;
  private readonly done = new Set<string>();

  constructor(
    private readonly source: any,
    dialect: Dialect,
    direction: Direction,
    /** Internal `$ref`s become LAZY_REF_KEYWORD, whose targets are added when they are compiled, not now. */
    private readonly lazyRefs = false,
  ) {
    this.transformer = new SchemaTransformer(source, dialect, direction);
  }

  /**
   * Where the schema at `schemaPointer` leads when it is nothing but a reference (a response's
   * `schema: { $ref: … }`), followed to a schema that is more: that one is compiled instead, so a
   * validation does not pass through a lazy reference first. Only with lazy references.
   */
  referenceTarget(schemaPointer: string): string {
    let at = schemaPointer;
    for (let hops = 0; this.lazyRefs && hops < 32; hops++) {
      this.ensure(at);
      const node = resolvePointer(this.root, `#${encodeFragment(at)}`) as Record<string, unknown> | undefined;
      const target = node && typeof node === 'object' ? node[LAZY_REF_KEYWORD] : undefined;
      if (typeof target !== 'string' || Object.keys(node!).length !== 1) break;
      at = target;
    }
    return at;
  }

  /** The transformed schema at the (decoded) JSON pointer, made present first; undefined where there is none. */
  schemaAt(schemaPointer: string): unknown {
    this.ensure(schemaPointer);
    return resolvePointer(this.root, `#${encodeFragment(schemaPointer)}`);
  }

  /** Makes the schema at the (decoded) JSON pointer, and everything its `$ref`s reach, present in `root`. */
  ensure(schemaPointer: string): void {
    const queue = [schemaPointer];
    while (queue.length) {
      const at = queue.pop()!;
      if (at === '/components/schemas') {
        // The map itself: each member is a schema root.
        for (const name of Object.keys(this.source?.components?.schemas ?? {})) queue.push(`${at}/${escapeToken(name)}`);
        continue;
      }
      const unit = this.unitOf(at);
      if (!unit || this.done.has(unit.key)) continue;
      this.done.add(unit.key);
      const value: unknown = unit.schema ? this.transformer.schema(unit.node) : this.transformer.walk(unit.node, unit.tokens.length === 1 && unit.tokens[0] === 'components');
      // With lazy references every internal `$ref` became LAZY_REF_KEYWORD: there is nothing to follow now.
      if (this.lazyRefs) place(this.root, unit.tokens, deferRefs(value));
      else {
        place(this.root, unit.tokens, value);
        collectRefs(value, queue);
      }
    }
  }

  /**
   * The unit that holds `at`: the schema root on its way (as `walk` finds them), else the node itself
   * (a `$ref` to a non-schema object). Undefined when the transformed document has nothing there.
   */
  private unitOf(at: string): { key: string; tokens: string[]; node: unknown; schema: boolean } | undefined {
    const tokens = at === '' ? [] : at.split('/').slice(1).map(unescapeToken);
    let node: any = this.source;
    for (let i = 0; i < tokens.length; i++) {
      if (!node || typeof node !== 'object') return undefined;
      const token = tokens[i];
      if (!Array.isArray(node)) {
        // `walk` leaves out the examples of objects that have a schema or content.
        if ((token === 'example' || token === 'examples') && ('schema' in node || 'content' in node)) return undefined;
        if (token === 'schema') return this.unit(tokens.slice(0, i + 1), node[token], true);
        if (i === 1 && tokens[0] === 'components' && token === 'schemas' && tokens.length > 2) {
          const members = node[token];
          return members && typeof members === 'object' ? this.unit(tokens.slice(0, 3), members[tokens[2]], true) : undefined;
        }
      }
      node = node[token];
    }
    return node === undefined ? undefined : this.unit(tokens, node, false);
  }

  private unit(tokens: string[], node: unknown, schema: boolean) {
    return node === undefined ? undefined : { key: tokens.map(escapeToken).join('/'), tokens, node, schema };
  }
}

/** Puts `value` at `tokens` under `root`, creating containers on the way and merging into one already there. */
function place(root: Record<string, any>, tokens: string[], value: unknown): void {
  if (tokens.length === 0) {
    merge(root, value);
    return;
  }
  let parent = root;
  for (const token of tokens.slice(0, -1)) {
    if (!parent[token] || typeof parent[token] !== 'object') parent[token] = {};
    parent = parent[token];
  }
  const last = tokens[tokens.length - 1];
  if (parent[last] === undefined) parent[last] = value;
  else merge(parent[last], value);
}

function merge(target: any, value: any): void {
  if (!target || typeof target !== 'object' || !value || typeof value !== 'object' || target === value) return;
  for (const [key, member] of Object.entries(value)) {
    if (target[key] === undefined) target[key] = member;
    else merge(target[key], member);
  }
}

/** The decoded pointers of every internal `$ref` in a transformed subtree (data values left alone). */
function collectRefs(node: unknown, into: string[]): void {
  walkMembers(node, (key, value) => {
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#')) into.push(decodeFragment(value));
    else if (NOT_SCHEMA.has(key)) return SKIP;
  });
}

/**
 * A transformed subtree with every internal `$ref` as LAZY_REF_KEYWORD (a copy: the transform keeps
 * some of the source's objects as they are). Data values are left alone; under `properties` and the
 * like the keys are names, so a property called `default` is still a schema.
 */
function deferRefs(node: unknown, names = false): any {
  if (!node || typeof node !== 'object') return node;
  if (Array.isArray(node)) return node.map((item) => deferRefs(item));
  const out: Record<string, unknown> = {};
  // A parsed document's objects are plain: `for…in` sees their own members (Object.entries allocated a pair per member).
  for (const key in node) {
    const value = (node as Record<string, unknown>)[key];
    if (names) out[key] = deferRefs(value);
    else if (key === '$ref' && typeof value === 'string' && value.startsWith('#')) out[LAZY_REF_KEYWORD] = decodeFragment(value);
    else out[key] = NOT_SCHEMA.has(key) || !value || typeof value !== 'object' ? value : deferRefs(value, SCHEMA_KEYS.get(key) === MAP);
  }
  return out;
}

/** A decoded pointer as a URI fragment (what resolvePointer reads after `#`). */
function encodeFragment(pointer: string): string {
  return pointer.replace(/%/g, '%25');
}

/** A `$ref`'s fragment (`#/a%20b`) as a decoded JSON pointer (`/a b`). */
export function decodeFragment(ref: string): string {
  if (!ref.includes('%')) return ref.slice(1);
  try {
    return decodeURIComponent(ref.slice(1));
  } catch {
    return ref.slice(1);
  }
}

class SchemaTransformer {
  constructor(
    private readonly source: any,
    private readonly dialect: Dialect,
    private readonly direction: Direction,
  ) {}

  document(): object {
    return this.walk(this.source, false);
  }

  /** Walks non-schema structure, switching to schema mode at `schema` keys and under `components.schemas`. */
  walk(node: any, inComponents: boolean): any {
    if (Array.isArray(node)) return node.map((item) => this.walk(item, false));
    if (!node || typeof node !== 'object') return node;
    const out: any = {};
    // Map keys (header names, media types, component names) can look like anything, so only the
    // examples of parameter, header and media type objects (those with `schema`/`content`) are left out.
    const hasExamples = 'schema' in node || 'content' in node;
    for (const [key, value] of Object.entries(node)) {
      if (hasExamples && (key === 'example' || key === 'examples')) continue;
      if (key === 'schema') out[key] = this.schema(value);
      else if (inComponents && key === 'schemas' && value && typeof value === 'object') {
        out[key] = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, this.schema(s)]));
      } else out[key] = this.walk(value, node === this.source && key === 'components');
    }
    return out;
  }

  schema(schema: any): any {
    if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return schema;
    // In 3.0 a `$ref` replaces its whole object: siblings are ignored, as the spec says.
    if (this.dialect === '3.0' && typeof schema.$ref === 'string') return { $ref: schema.$ref };
    let out: any = {};
    for (const key in schema) {
      const value = schema[key];
      if (DROPPED_KEYS.has(key) || (key.startsWith('x-') && key !== FORBIDDEN_KEYWORD)) continue;
      const kind = SCHEMA_KEYS.get(key);
      if (kind === MAP && value && typeof value === 'object') {
        const members: any = {};
        for (const name in value) members[name] = this.schema(value[name]);
        out[key] = members;
      } else if (kind === LIST && Array.isArray(value)) {
        out[key] = value.map((s) => this.schema(s));
      } else if (key === 'items') {
        out[key] = Array.isArray(value) ? value.map((s) => this.schema(s)) : this.schema(value);
      } else if (kind === SINGLE) {
        out[key] = this.schema(value);
      } else {
        out[key] = value;
      }
    }
    // An empty enum admits nothing; Ajv refuses to compile it, so say the same thing its way.
    if (Array.isArray(out.enum) && out.enum.length === 0) {
      delete out.enum;
      out.not = {};
    }
    // Before the 3.0 rewrite: `nullable` without `type` wraps the schema in an `anyOf`, hiding `properties`.
    if (out.properties) this.applyDirection(out, schema.properties);
    if (out.discriminator && typeof out.discriminator.propertyName === 'string') out = this.discriminated(out);
    if (this.dialect === '3.0') out = this.fromOpenApi30(out);
    // `nullable` is not a 3.1 keyword (an annotation there); Ajv would otherwise read it as OpenAPI 3.0's.
    else delete out.nullable;
    return out;
  }

  private fromOpenApi30(schema: any): any {
    // 3.0 schemas have no `$id`; one found there is data, not an identifier.
    delete schema.$id;
    for (const bound of ['Minimum', 'Maximum'] as const) {
      const flag = `exclusive${bound}`;
      const limit = bound.toLowerCase();
      if (typeof schema[flag] === 'boolean') {
        if (schema[flag] && typeof schema[limit] === 'number') {
          schema[flag] = schema[limit];
          delete schema[limit];
        } else delete schema[flag];
      }
    }
    if (schema.nullable !== true) {
      delete schema.nullable;
      return schema;
    }
    delete schema.nullable;
    if (typeof schema.type === 'string') {
      schema.type = [schema.type, 'null'];
      if (Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum = [...schema.enum, null];
      return schema;
    }
    // `nullable` without `type` (Stripe writes `nullable: true` beside `anyOf`): read it as "or null".
    return { anyOf: [{ type: 'null' }, schema] };
  }

  /**
   * `oneOf`/`anyOf` with a `discriminator`: the discriminator's value picks the one branch to validate,
   * so a bad body is reported against that branch, not against every branch. Branches are found by the
   * explicit `mapping`, else by the value each branch pins (`const`/`enum`), else by the schema's name.
   */
  private discriminated(schema: any): any {
    const key = schema.oneOf ? 'oneOf' : schema.anyOf ? 'anyOf' : undefined;
    if (!key || !Array.isArray(schema[key])) return schema;
    const property: string = schema.discriminator.propertyName;
    const branches = new Map<string, string>();
    for (const branch of schema[key]) {
      if (typeof branch?.$ref !== 'string') return schema;
      const target = resolvePointer(this.source, branch.$ref) as any;
      const pinned = target?.properties?.[property];
      const values = pinned?.const !== undefined ? [pinned.const] : Array.isArray(pinned?.enum) ? pinned.enum : [branch.$ref.slice(branch.$ref.lastIndexOf('/') + 1)];
      for (const value of values) if (typeof value === 'string' && !branches.has(value)) branches.set(value, branch.$ref);
    }
    const mapping = schema.discriminator.mapping;
    if (mapping && typeof mapping === 'object') {
      // A branch named in the mapping is reached by its mapped values only.
      const mapped = new Set(Object.values(mapping).map((t) => (typeof t === 'string' && !t.startsWith('#') ? `#/components/schemas/${t}` : t)));
      for (const [value, target] of [...branches]) if (mapped.has(target)) branches.delete(value);
      for (const [value, target] of Object.entries(mapping)) {
        if (typeof target !== 'string') continue;
        branches.set(value, target.startsWith('#') ? target : `#/components/schemas/${target}`);
      }
    }
    const { [key]: _branches, discriminator: _discriminator, ...rest } = schema;
    const values = [...branches.keys()];
    return {
      ...rest,
      type: rest.type ?? 'object',
      required: [...new Set([...(rest.required ?? []), property])],
      properties: { ...rest.properties, [property]: { ...rest.properties?.[property], enum: values } },
      allOf: [
        ...(rest.allOf ?? []),
        ...values.map((value) => ({
          [BRANCH_KEYWORD]: `${branches.get(value)!.slice(branches.get(value)!.lastIndexOf('/') + 1)} (chosen by ${property} = ${JSON.stringify(value)})`,
          if: { properties: { [property]: { const: value } }, required: [property] },
          then: { $ref: branches.get(value) },
        })),
      ],
    };
  }

  /** readOnly/writeOnly properties: not required, and forbidden in the direction they do not travel. */
  private applyDirection(schema: any, written: Record<string, any>): void {
    const flag = this.direction === 'request' ? 'readOnly' : 'writeOnly';
    // Read the properties as written: a 3.0 `$ref` with a `readOnly` sibling still marks the property.
    const banned = Object.keys(written).filter((name) => this.marked(written[name], flag, 0));
    if (banned.length === 0) return;
    if (Array.isArray(schema.required)) schema.required = schema.required.filter((name: string) => !banned.includes(name));
    const message = this.direction === 'request' ? 'is readOnly and must not be sent in a request' : 'is writeOnly and must not appear in a response';
    schema.properties = { ...schema.properties };
    for (const name of banned) schema.properties[name] = { [FORBIDDEN_KEYWORD]: message };
  }

  /** Whether a property schema carries `flag`, directly, through `$ref`, or through an `allOf` member. */
  private marked(schema: any, flag: string, depth: number): boolean {
    if (!schema || typeof schema !== 'object' || depth > 8) return false;
    if (schema[flag] === true) return true;
    if (typeof schema.$ref === 'string' && schema.$ref.startsWith('#')) {
      return this.marked(resolvePointer(this.source, schema.$ref), flag, depth + 1);
    }
    return Array.isArray(schema.allOf) && schema.allOf.some((s: any) => this.marked(s, flag, depth + 1));
  }
}
