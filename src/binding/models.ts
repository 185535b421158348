// Domain objects: a validated JSON body (or any nested part that `$ref`s a mapped schema) turned into
// instances of the user's classes, and `bind()` building an instance from parameters instead.
import type { Handler, HandlerContext, ModelClass } from '../contract/handler';
import { camelCase } from '../document/names';
import { resolvePointer } from '../document/pointer';
import { setOwn } from './safe';

export type Hydrator = (json: unknown) => unknown;

const SCHEMA_PREFIX = '#/components/schemas/';

/** Builds an instance: `fromJSON(json)` if the class has it, else `build(fields)`, else assigned properties. */
export function construct(Model: ModelClass, json: any, factory?: string): unknown {
  if (factory && typeof (Model as any)[factory] === 'function') return (Model as any)[factory](json);
  if (typeof Model.fromJSON === 'function') return Model.fromJSON(json);
  if (typeof Model.build === 'function') return Model.build(json);
  return assignOwn(new Model(), json);
}

/**
 * Object.assign without its setter calls: JSON.parse makes `"__proto__"` an own key, and Object.assign
 * would hand it to the `__proto__` setter, swapping the instance's prototype for the client's object
 * (the instance stops being a `Model`, and gains whatever the client put there). It stays an own field.
 */
function assignOwn<T extends object>(target: T, fields: Record<string, unknown>): T {
  for (const key of Object.keys(fields)) setOwn(target as Record<string, unknown>, key, fields[key]);
  return target;
}

/** Compiles, from a schema, a function that replaces mapped parts of a JSON value with instances; undefined if none. */
export class HydratorCompiler {
  private readonly memo = new Map<object, Hydrator | null>();

  constructor(
    private readonly document: unknown,
    private readonly models: Record<string, ModelClass>,
  ) {}

  compile(schema: unknown): Hydrator | undefined {
    if (Object.keys(this.models).length === 0) return undefined;
    return this.of(schema, 0) ?? undefined;
  }

  private of(schema: any, depth: number): Hydrator | null {
    if (!schema || typeof schema !== 'object' || depth > 32) return null;
    if (this.memo.has(schema)) return this.memo.get(schema)!;
    // A recursive schema refers to itself through this slot, filled in below.
    let self: Hydrator | null = null;
    this.memo.set(schema, (json) => (self ? self(json) : json));
    self = this.build(schema, depth);
    this.memo.set(schema, self);
    return self;
  }

  private build(schema: any, depth: number): Hydrator | null {
    if (typeof schema.$ref === 'string') {
      const target = this.of(resolvePointer(this.document, schema.$ref), depth + 1);
      const Model = schema.$ref.startsWith(SCHEMA_PREFIX) ? this.models[decodeURIComponent(schema.$ref.slice(SCHEMA_PREFIX.length))] : undefined;
      if (!Model) return target;
      return (json) => (json && typeof json === 'object' && !Array.isArray(json) ? construct(Model, target ? target(json) : json) : json);
    }
    const parts: Array<[string, Hydrator]> = [];
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      const hydrate = this.of(property, depth + 1);
      if (hydrate) parts.push([name, hydrate]);
    }
    const items = schema.items && !Array.isArray(schema.items) ? this.of(schema.items, depth + 1) : null;
    const through = (schema.allOf ?? []).map((s: unknown) => this.of(s, depth + 1)).find(Boolean) as Hydrator | undefined;
    if (!parts.length && !items && !through) return null;
    return (json) => {
      if (Array.isArray(json)) return items ? json.map(items) : json;
      if (!json || typeof json !== 'object') return json;
      let out: any = json;
      for (const [name, hydrate] of parts) if (name in out && Object.prototype.hasOwnProperty.call(out, name)) out[name] = hydrate(out[name]);
      if (through) out = through(out);
      return out;
    };
  }
}

export interface BindOptions {
  /** 'factory' (default): `Class[factory](fields)`, falling back to fromJSON/build; 'properties': assigned to `new Class()`. */
  mode?: 'factory' | 'properties';
  /** The static factory's name (default 'build'). */
  factory?: string;
}

export const BINDING = Symbol.for('specbind.binding');

export interface Binding {
  Model: ModelClass;
  rename: Record<string, string>;
  options: BindOptions;
  handler: Handler;
}

/**
 * shelf_bind's `bind(Person, {'name': #firstname}, handler)`: builds a `Person` from the operation's
 * parameters (renamed by `rename`: parameter → field) and passes it as `input.person`.
 */
export function bind<M extends ModelClass>(Model: M, rename: Record<string, string>, handler: Handler, options: BindOptions = {}): Handler {
  const key = camelCase(Model.name);
  const bound: Handler = (input, ctx: HandlerContext) => {
    const fields: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(input as Record<string, unknown>)) {
      if (name === 'body' || value === undefined) continue;
      fields[rename[name] ?? name] = value;
    }
    const instance = options.mode === 'properties' ? assignOwn(new Model(), fields) : construct(Model, fields, options.factory ?? 'build');
    return handler({ ...(input as object), [key]: instance }, ctx);
  };
  (bound as any)[BINDING] = { Model, rename, options, handler } satisfies Binding;
  return bound;
}
