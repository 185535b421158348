// JSON Schema (OpenAPI 3.0 and 3.1 dialects) → TypeScript type expressions, with one named type per
// component schema and, where the direction changes the shape, request-side variants of it:
//
//   Foo           the schema as a response carries it (writeOnly properties left out)
//   FooInput      as a handler receives it in `input.body` (readOnly properties left out, properties
//                 with a `default` always present, `$ref`s to mapped schemas as model classes)
//   FooRequest    as a client sends it, where that differs from FooInput (inside oneOf/anyOf, where
//                 the runtime applies no defaults and builds no models)
//   FooMultipart  as a multipart/form-data body arrives (binary strings are uploaded files)
//
// A variant is emitted only when something refers to it and only when it differs from the simpler
// one; otherwise the simpler name is used. The rules mirror the runtime: Ajv's `useDefaults` fills
// defaults through properties, items, allOf and `$ref` but not inside oneOf/anyOf; the model hydrator
// builds instances through properties, (single-schema) items, allOf and `$ref`.
import type { Dialect } from '../document/load';
import { resolvePointer, unescapeToken } from '../document/pointer';

export type Mode = 'response' | 'request' | 'input' | 'multipart';

/** A type expression and how tightly it binds: 0 a union, 1 an intersection, 2 anything else. */
export interface Expr {
  text: string;
  prec: 0 | 1 | 2;
}

const COMPONENT_PREFIX = '#/components/schemas/';
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Words that cannot name a type here (reserved words, predefined type names, globals the module uses). */
const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in ' +
    'instanceof new null return super switch this throw true try typeof var void while with implements interface let package private ' +
    'protected public static yield any boolean number string symbol bigint object never unknown undefined type of as declare module ' +
    'namespace require keyof readonly infer is asserts unique global await async satisfies accessor out constructor get set abstract ' +
    // Globals the generated module itself uses (other globals may be shadowed: `Error` stays `Error`).
    'Record Buffer'
  ).split(' '),
);

export const UNKNOWN: Expr = { text: 'unknown', prec: 2 };
/** A reference left out to break an alias cycle: nothing in a union, unknown anywhere else. */
const BROKEN: Expr = { text: 'unknown', prec: 2 };
export const NEVER: Expr = { text: 'never', prec: 2 };
const NULL: Expr = { text: 'null', prec: 2 };

export function atom(text: string): Expr {
  return { text, prec: 2 };
}

function wrap(expr: Expr, min: 0 | 1 | 2): string {
  return expr.prec < min ? `(${expr.text})` : expr.text;
}

export function union(parts: Expr[]): Expr {
  const seen = new Map<string, Expr>();
  if (parts.length && parts.every((part) => part === BROKEN)) return UNKNOWN;
  for (const part of parts) {
    if (part === BROKEN || part.text === 'never') continue;
    if (part.text === 'unknown') return UNKNOWN;
    seen.set(part.text, part);
  }
  const members = [...seen.values()];
  if (members.length === 0) return NEVER;
  if (members.length === 1) return members[0];
  return { text: members.map((m) => m.text).join(' | '), prec: 0 };
}

export function intersect(parts: Expr[]): Expr {
  const seen = new Map<string, Expr>();
  for (const part of parts) {
    if (part.text === 'unknown') continue;
    if (part.text === 'never') return NEVER;
    seen.set(part.text, part);
  }
  const members = [...seen.values()];
  if (members.length === 0) return UNKNOWN;
  if (members.length === 1) return members[0];
  return { text: members.map((m) => wrap(m, 1)).join(' & '), prec: 1 };
}

export function arrayOf(item: Expr): Expr {
  return atom(`${wrap(item, 2)}[]`);
}

/** A property key as TypeScript needs it: bare when it is an identifier, quoted otherwise. */
export function propertyKey(name: string): string {
  return IDENTIFIER.test(name) ? name : JSON.stringify(name);
}

/** A JSDoc block (or nothing) for a description; `*\/` cannot end it early. */
export function docComment(text: unknown, indent: string, extra: string[] = []): string {
  const lines: string[] = [];
  if (typeof text === 'string' && text.trim()) lines.push(...text.trim().split(/\r?\n/));
  lines.push(...extra);
  if (lines.length === 0) return '';
  const safe = lines.map((line) => line.replace(/\*\//g, '*\\/').trimEnd());
  if (safe.length === 1) return `${indent}/** ${safe[0]} */\n`;
  return `${indent}/**\n${safe.map((line) => `${indent} *${line ? ` ${line}` : ''}`).join('\n')}\n${indent} */\n`;
}

/** A literal JSON value as a type. */
export function literal(value: unknown): Expr {
  if (value === null) return NULL;
  if (typeof value === 'string') return atom(JSON.stringify(value));
  if (typeof value === 'number') return Number.isFinite(value) ? atom(String(value)) : atom('number');
  if (typeof value === 'boolean') return atom(String(value));
  if (Array.isArray(value)) return atom(`[${value.map((v) => literal(v).text).join(', ')}]`);
  if (typeof value === 'object') {
    const entries = Object.entries(value as object).map(([k, v]) => `${propertyKey(k)}: ${literal(v).text}`);
    return atom(entries.length ? `{ ${entries.join('; ')} }` : 'Record<string, never>');
  }
  return UNKNOWN;
}

interface Analysis {
  /** Has (transitively) a readOnly or writeOnly property: requests and responses differ. */
  directional: boolean;
  /** In input positions: an optional property with a default, or a $ref to a mapped model. */
  input: boolean;
  /** Has (transitively) a binary string: a multipart body carries files there. */
  binary: boolean;
}

interface Scan {
  directional: boolean;
  input: boolean;
  binary: boolean;
  /** Components referred to anywhere. */
  edges: Set<string>;
  /** Components referred to where the runtime fills defaults and builds models. */
  inputEdges: Set<string>;
  /** Components referred to where TypeScript resolves the alias eagerly (unions, intersections, aliases). */
  directEdges: Set<string>;
}

export interface PrinterOptions {
  dialect: Dialect;
  /** Schema name → the type expression of its model class (applied to `input` bodies). */
  models?: Map<string, string>;
  /** Identifiers the module uses for itself: component names that collide get a suffix. */
  reserved?: Iterable<string>;
  /** The type of an uploaded file (multipart bodies). */
  uploadedFile?: string;
  /** Emit descriptions as JSDoc (default true). */
  comments?: boolean;
}

/**
 * Prints schemas of one document. Component schemas become named types (`ref` schedules them); call
 * `declarations()` at the end for every named type that was referred to, in document order.
 */
export class SchemaPrinter {
  private readonly schemas: Record<string, any>;
  private readonly order: string[];
  private readonly index = new Map<string, number>();
  private readonly identifiers = new Map<string, string>();
  private readonly used = new Set<string>();
  private readonly analysis = new Map<string, Analysis>();
  /** Direct references that would make a circular alias; printed as `unknown`. */
  private readonly broken = new Set<string>();
  private readonly models: Map<string, string>;
  private readonly comments: boolean;
  private readonly uploadedFile: string;
  /** Named variants referred to: `${mode} ${component}`. */
  private readonly wanted = new Set<string>();
  private readonly rendered = new Map<string, string>();

  constructor(
    private readonly document: any,
    private readonly options: PrinterOptions,
  ) {
    this.schemas = document?.components?.schemas && typeof document.components.schemas === 'object' ? document.components.schemas : {};
    this.order = Object.keys(this.schemas);
    this.order.forEach((name, i) => this.index.set(name, i));
    this.models = options.models ?? new Map();
    this.comments = options.comments !== false;
    this.uploadedFile = options.uploadedFile ?? 'UploadedFile';
    for (const word of options.reserved ?? []) this.used.add(word);
    for (const name of this.order) this.identifiers.set(name, this.allocate(name));
    this.analyse();
  }

  /** Claims a fresh identifier based on `wanted`. */
  allocate(wanted: string): string {
    let base = wanted.replace(/[^A-Za-z0-9_$]+/g, '_');
    if (!base || /^[0-9]/.test(base)) base = `_${base}`;
    if (RESERVED.has(base)) base = `${base}_`;
    let name = base;
    for (let i = 2; this.used.has(name); i++) name = `${base}${i}`;
    this.used.add(name);
    return name;
  }

  /** The identifier of a component's base (response) type. */
  identifier(component: string): string | undefined {
    return this.identifiers.get(component);
  }

  // ---------------------------------------------------------------- analysis

  private analyse(): void {
    const scans = new Map<string, Scan>();
    for (const name of this.order) {
      const scan: Scan = { directional: false, input: false, binary: false, edges: new Set(), inputEdges: new Set(), directEdges: new Set() };
      this.scan(this.schemas[name], scan, true, true, new Set(), 0);
      scans.set(name, scan);
    }
    for (const name of this.order) {
      const s = scans.get(name)!;
      this.analysis.set(name, { directional: s.directional, input: s.input, binary: s.binary });
    }
    // Propagate to a fixpoint: a schema differs by direction when anything it reaches does.
    let changed = true;
    while (changed) {
      changed = false;
      for (const name of this.order) {
        const a = this.analysis.get(name)!;
        const s = scans.get(name)!;
        for (const edge of s.edges) {
          const b = this.analysis.get(edge);
          if (!b) continue;
          if (b.directional && !a.directional) (a.directional = true), (changed = true);
          if (b.binary && !a.binary) (a.binary = true), (changed = true);
        }
        for (const edge of s.inputEdges) {
          const b = this.analysis.get(edge);
          if (b?.input && !a.input) (a.input = true), (changed = true);
        }
      }
    }
    this.breakCycles(scans);
  }

  private scan(schema: any, out: Scan, input: boolean, direct: boolean, seen: Set<unknown>, depth: number): void {
    if (!schema || typeof schema !== 'object' || depth > 64) return;
    if (typeof schema.$ref === 'string') {
      const component = this.componentOf(schema.$ref);
      if (component !== undefined) {
        out.edges.add(component);
        if (input) out.inputEdges.add(component);
        if (direct) out.directEdges.add(component);
        if (input && this.models.has(component)) out.input = true;
      } else if (schema.$ref.startsWith('#') && !seen.has(schema.$ref)) {
        seen.add(schema.$ref);
        this.scan(resolvePointer(this.document, schema.$ref), out, input, direct, seen, depth + 1);
      }
      if (this.options.dialect === '3.0') return;
    }
    if (this.isBinary(schema)) out.binary = true;
    if (schema.properties && typeof schema.properties === 'object') {
      const required = new Set(Array.isArray(schema.required) ? schema.required : []);
      for (const [key, property] of Object.entries<any>(schema.properties)) {
        if (this.marked(property, 'readOnly', 0) || this.marked(property, 'writeOnly', 0)) out.directional = true;
        if (input && property && typeof property === 'object' && 'default' in property && !required.has(key)) out.input = true;
        this.scan(property, out, input, false, seen, depth + 1);
      }
    }
    if (schema.items && typeof schema.items === 'object') {
      if (Array.isArray(schema.items)) for (const item of schema.items) this.scan(item, out, false, false, seen, depth + 1);
      else this.scan(schema.items, out, input, false, seen, depth + 1);
    }
    if (Array.isArray(schema.prefixItems)) for (const item of schema.prefixItems) this.scan(item, out, false, false, seen, depth + 1);
    for (const key of ['additionalProperties', 'unevaluatedProperties']) {
      if (schema[key] && typeof schema[key] === 'object') this.scan(schema[key], out, false, false, seen, depth + 1);
    }
    if (schema.patternProperties && typeof schema.patternProperties === 'object') {
      for (const value of Object.values(schema.patternProperties)) this.scan(value, out, false, false, seen, depth + 1);
    }
    if (Array.isArray(schema.allOf)) for (const s of schema.allOf) this.scan(s, out, input, direct, seen, depth + 1);
    for (const key of ['oneOf', 'anyOf']) {
      if (Array.isArray(schema[key])) for (const s of schema[key]) this.scan(s, out, false, direct, seen, depth + 1);
    }
  }

  /**
   * TypeScript rejects an alias that reaches itself through unions, intersections or plain aliases
   * (`type A = B & {…}; type B = A | C`). Within each strongly connected group of such references,
   * only references to later components are kept; the others are printed as `unknown`.
   */
  private breakCycles(scans: Map<string, Scan>): void {
    const indexOf = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    let counter = 0;
    const groupOf = new Map<string, number>();
    let groups = 0;
    // Iterative Tarjan (large documents would overflow the call stack).
    for (const root of this.order) {
      if (indexOf.has(root)) continue;
      const work: Array<{ node: string; edges: string[]; next: number }> = [];
      const enter = (node: string) => {
        indexOf.set(node, counter);
        low.set(node, counter);
        counter++;
        stack.push(node);
        onStack.add(node);
        work.push({ node, edges: [...(scans.get(node)?.directEdges ?? [])].filter((e) => scans.has(e)), next: 0 });
      };
      enter(root);
      while (work.length) {
        const frame = work[work.length - 1];
        if (frame.next < frame.edges.length) {
          const edge = frame.edges[frame.next++];
          if (!indexOf.has(edge)) enter(edge);
          else if (onStack.has(edge)) low.set(frame.node, Math.min(low.get(frame.node)!, indexOf.get(edge)!));
          continue;
        }
        work.pop();
        if (work.length) {
          const parent = work[work.length - 1].node;
          low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
        }
        if (low.get(frame.node) === indexOf.get(frame.node)) {
          let member: string;
          do {
            member = stack.pop()!;
            onStack.delete(member);
            groupOf.set(member, groups);
          } while (member !== frame.node);
          groups++;
        }
      }
    }
    for (const [from, scan] of scans) {
      for (const to of scan.directEdges) {
        if (groupOf.get(from) === groupOf.get(to) && this.index.get(to)! <= this.index.get(from)!) this.broken.add(`${from}\u0000${to}`);
      }
    }
  }

  /** The component a `$ref` names (`#/components/schemas/Foo`), if it names one that exists. */
  private componentOf(ref: string): string | undefined {
    if (!ref.startsWith(COMPONENT_PREFIX)) return undefined;
    const rest = ref.slice(COMPONENT_PREFIX.length);
    if (rest.includes('/')) return undefined;
    let name: string;
    try {
      name = unescapeToken(decodeURIComponent(rest));
    } catch {
      name = unescapeToken(rest);
    }
    return Object.prototype.hasOwnProperty.call(this.schemas, name) ? name : undefined;
  }

  /** As the runtime reads readOnly/writeOnly: on the property, through `$ref`, or an `allOf` member. */
  private marked(schema: any, flag: 'readOnly' | 'writeOnly', depth: number): boolean {
    if (!schema || typeof schema !== 'object' || depth > 8) return false;
    if (schema[flag] === true) return true;
    if (typeof schema.$ref === 'string' && schema.$ref.startsWith('#')) return this.marked(resolvePointer(this.document, schema.$ref), flag, depth + 1);
    return Array.isArray(schema.allOf) && schema.allOf.some((s: any) => this.marked(s, flag, depth + 1));
  }

  private isBinary(schema: any): boolean {
    return (schema.type === 'string' || (Array.isArray(schema.type) && schema.type.includes('string'))) && (schema.format === 'binary' || schema.contentEncoding === 'binary' || typeof schema.contentMediaType === 'string');
  }

  // ---------------------------------------------------------------- naming of variants

  /** The variant a mode needs for a component, after collapsing the modes that print the same. */
  private canonical(component: string, mode: Mode): Mode {
    const a = this.analysis.get(component)!;
    switch (mode) {
      case 'response':
        return 'response';
      case 'request':
        return a.directional ? 'request' : 'response';
      case 'input':
        return a.input ? 'input' : this.canonical(component, 'request');
      case 'multipart':
        return a.binary ? 'multipart' : this.canonical(component, 'request');
    }
  }

  private variantName(component: string, mode: Mode): string {
    const base = this.identifiers.get(component)!;
    const a = this.analysis.get(component)!;
    switch (mode) {
      case 'response':
        return base;
      case 'input':
        return this.suffixed(base, 'Input');
      case 'request':
        // When defaults and models change nothing, the request shape is what handlers see: FooInput.
        return this.suffixed(base, a.input ? 'Request' : 'Input');
      case 'multipart':
        return this.suffixed(base, 'Multipart');
    }
  }

  private readonly suffixes = new Map<string, string>();

  private suffixed(base: string, suffix: string): string {
    const key = `${base}\u0000${suffix}`;
    let name = this.suffixes.get(key);
    if (!name) {
      name = this.allocate(`${base}${suffix}`);
      this.suffixes.set(key, name);
    }
    return name;
  }

  /** The type of `#/components/schemas/<component>` in a mode; schedules its declaration. */
  ref(component: string, mode: Mode): Expr {
    if (mode === 'input' && this.models.has(component)) return atom(this.models.get(component)!);
    const canonical = this.canonical(component, mode);
    this.wanted.add(`${canonical} ${component}`);
    return atom(this.variantName(component, canonical));
  }

  // ---------------------------------------------------------------- printing

  /**
   * The type of `schema` in `mode`. `indent` is the indentation of the line the expression starts on.
   * `within` is the component being declared and `direct` whether this position is resolved eagerly
   * by TypeScript (for cycle breaking).
   */
  print(schema: unknown, mode: Mode, indent = '', within?: string, direct = true, seen: ReadonlySet<string> = new Set(), depth = 0): Expr {
    if (schema === true || schema === undefined) return UNKNOWN;
    if (schema === false) return NEVER;
    if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return UNKNOWN;
    if (depth > 48) return UNKNOWN;
    const s = schema as any;
    const parts: Expr[] = [];

    if (typeof s.$ref === 'string') {
      const component = this.componentOf(s.$ref);
      let target: Expr;
      if (component !== undefined) {
        if (within !== undefined && direct && this.broken.has(`${within}\u0000${component}`)) target = BROKEN;
        else target = this.ref(component, mode);
      } else if (s.$ref.startsWith('#') && !seen.has(s.$ref)) {
        const resolved = resolvePointer(this.document, s.$ref);
        target = resolved === undefined ? UNKNOWN : this.print(resolved, mode, indent, within, direct, new Set([...seen, s.$ref]), depth + 1);
      } else target = UNKNOWN;
      if (this.options.dialect === '3.0') {
        // 3.0 ignores a $ref's siblings, except that `nullable` beside it is commonly meant.
        return s.nullable === true ? union([target, NULL]) : target;
      }
      parts.push(target);
    }

    const nullable = this.options.dialect === '3.0' && s.nullable === true;
    let base: Expr | undefined;
    if ('const' in s) base = literal(s.const);
    else if (Array.isArray(s.enum)) base = union(s.enum.map(literal));
    else {
      const types = this.typesOf(s);
      if (types.length) base = union(types.map((type) => this.printType(s, type, mode, indent, within, seen, depth)));
    }

    const compositions: Expr[] = [];
    if (Array.isArray(s.allOf)) for (const member of s.allOf) compositions.push(this.print(member, mode, indent, within, direct, seen, depth + 1));
    const branchMode: Mode = mode === 'input' ? 'request' : mode;
    for (const key of ['oneOf', 'anyOf']) {
      if (Array.isArray(s[key]) && s[key].length) compositions.push(union(s[key].map((member: unknown) => this.print(member, branchMode, indent, within, direct, seen, depth + 1))));
    }

    // `type: object` with nothing declared says little beside a composition: let the composition speak.
    if (base && (compositions.length || parts.length) && this.isBareObject(s)) base = undefined;
    if (base) parts.push(base);
    parts.push(...compositions);
    let result = intersect(parts);
    if (nullable) result = union([result, NULL]);
    return result;
  }

  /** The JSON types a schema allows, inferred from its keywords when `type` is absent. */
  private typesOf(s: any): string[] {
    if (typeof s.type === 'string') return [s.type];
    if (Array.isArray(s.type)) return s.type.filter((t: unknown) => typeof t === 'string');
    if (s.properties || s.additionalProperties !== undefined || s.patternProperties || (Array.isArray(s.required) && s.required.length)) return ['object'];
    if (s.items || s.prefixItems) return ['array'];
    return [];
  }

  private isBareObject(s: any): boolean {
    const types = this.typesOf(s);
    return types.length === 1 && types[0] === 'object' && !s.properties && s.additionalProperties === undefined && !s.patternProperties && !(Array.isArray(s.required) && s.required.length);
  }

  private printType(s: any, type: string, mode: Mode, indent: string, within: string | undefined, seen: ReadonlySet<string>, depth: number): Expr {
    switch (type) {
      case 'string':
        if (mode === 'multipart' && this.isBinary(s)) return atom(this.uploadedFile);
        return atom('string');
      case 'integer':
      case 'number':
        return atom('number');
      case 'boolean':
        return atom('boolean');
      case 'null':
        return NULL;
      case 'array':
        return this.printArray(s, mode, indent, within, seen, depth);
      case 'object':
        return this.printObject(s, mode, indent, within, seen, depth);
      default:
        return UNKNOWN;
    }
  }

  private printArray(s: any, mode: Mode, indent: string, within: string | undefined, seen: ReadonlySet<string>, depth: number): Expr {
    const tupleMode: Mode = mode === 'input' ? 'request' : mode;
    const tuple: unknown[] | undefined = Array.isArray(s.prefixItems) ? s.prefixItems : Array.isArray(s.items) ? s.items : undefined;
    if (tuple) {
      const members = tuple.map((item) => this.print(item, tupleMode, indent, within, false, seen, depth + 1).text);
      const rest = Array.isArray(s.prefixItems) ? s.items : s.additionalItems;
      if (rest !== false) {
        const restType = rest === undefined || rest === true ? UNKNOWN : this.print(rest, tupleMode, indent, within, false, seen, depth + 1);
        members.push(`...${wrap(restType, 2)}[]`);
      }
      return atom(`[${members.join(', ')}]`);
    }
    if (s.items === undefined || s.items === true) return atom('unknown[]');
    return arrayOf(this.print(s.items, mode, indent, within, false, seen, depth + 1));
  }

  private printObject(s: any, mode: Mode, indent: string, within: string | undefined, seen: ReadonlySet<string>, depth: number): Expr {
    const inner = `${indent}  `;
    const lines: string[] = [];
    const required = new Set<string>(Array.isArray(s.required) ? s.required.filter((r: unknown) => typeof r === 'string') : []);
    const properties: Record<string, any> = s.properties && typeof s.properties === 'object' ? s.properties : {};
    const declared = new Set<string>();
    for (const [key, property] of Object.entries(properties)) {
      declared.add(key);
      if (mode === 'response' ? this.marked(property, 'writeOnly', 0) : this.marked(property, 'readOnly', 0)) continue;
      const always = required.has(key) || (mode === 'input' && property && typeof property === 'object' && 'default' in property);
      const type = this.print(property, mode, inner, within, false, seen, depth + 1);
      const doc = this.comments && property && typeof property === 'object' ? docComment(property.description, inner, property.deprecated === true ? ['@deprecated'] : []) : '';
      lines.push(`${doc}${inner}${propertyKey(key)}${always ? '' : '?'}: ${type.text};`);
    }
    for (const key of required) if (!declared.has(key)) lines.push(`${inner}${propertyKey(key)}: unknown;`);

    const additional = s.additionalProperties;
    const patterns = s.patternProperties && typeof s.patternProperties === 'object' ? Object.values<any>(s.patternProperties) : [];
    const mapMode: Mode = mode === 'input' ? 'request' : mode;
    let index: Expr | undefined;
    if (additional === false) index = patterns.length ? this.mapValues(patterns, undefined, mapMode, inner, within, seen, depth) : undefined;
    else if (additional === undefined || additional === true) index = (declared.size || required.size) && !patterns.length && additional === undefined ? undefined : UNKNOWN;
    else index = this.mapValues(patterns, additional, mapMode, inner, within, seen, depth);
    // Declared properties must fit the index signature: with any, the index type is unknown.
    if (index && declared.size) index = UNKNOWN;
    if (index) lines.push(`${inner}[key: string]: ${index.text};`);

    if (lines.length === 0) return atom(additional === false ? 'Record<string, never>' : '{}');
    return atom(`{\n${lines.join('\n')}\n${indent}}`);
  }

  private mapValues(patterns: any[], additional: unknown, mode: Mode, indent: string, within: string | undefined, seen: ReadonlySet<string>, depth: number): Expr {
    const values = patterns.map((p) => this.print(p, mode, indent, within, false, seen, depth + 1));
    if (additional !== undefined) values.push(this.print(additional, mode, indent, within, false, seen, depth + 1));
    return union(values);
  }

  // ---------------------------------------------------------------- declarations

  /** `export type …` for every named variant referred to so far (and those they refer to), in document order. */
  declarations(options: { all?: boolean } = {}): string {
    if (options.all) for (const name of this.order) this.wanted.add(`response ${name}`);
    // Rendering a variant can refer to more: render until nothing new is wanted.
    let pending = [...this.wanted].filter((key) => !this.rendered.has(key));
    while (pending.length) {
      for (const key of pending) this.rendered.set(key, this.declare(key));
      pending = [...this.wanted].filter((key) => !this.rendered.has(key));
    }
    const modes: Mode[] = ['response', 'input', 'request', 'multipart'];
    const out: string[] = [];
    for (const name of this.order) {
      for (const mode of modes) {
        const text = this.rendered.get(`${mode} ${name}`);
        if (text) out.push(text);
      }
    }
    return out.join('\n');
  }

  private declare(key: string): string {
    const space = key.indexOf(' ');
    const mode = key.slice(0, space) as Mode;
    const component = key.slice(space + 1);
    const schema = this.schemas[component];
    const expr = this.print(schema, mode, '', component, true);
    const pointer = `#/components/schemas/${component.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const notes: Record<Mode, string> = {
      response: '',
      input: `${pointer} as a handler receives it (readOnly properties left out, defaults applied${this.models.size ? ', models built' : ''}).`,
      request: `${pointer} as a request carries it (readOnly properties left out).`,
      multipart: `${pointer} as a multipart/form-data body delivers it (binary strings are uploaded files).`,
    };
    let doc = '';
    if (this.comments) {
      const description = mode === 'response' && schema && typeof schema === 'object' ? schema.description : undefined;
      const extra = [...(mode === 'response' ? [pointer] : [notes[mode]])];
      if (schema && typeof schema === 'object' && schema.deprecated === true) extra.push('@deprecated');
      doc = docComment(description, '', description ? ['', ...extra] : extra);
    }
    return `${doc}export type ${this.variantName(component, mode)} = ${expr.text};\n`;
  }
}
