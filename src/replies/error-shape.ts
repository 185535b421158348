// The body specbind sends for an error it answers itself (400, 401, 406, 413, 415, 500, 501, 504, ...)
// when the document declares its own error body for that response: the RFC 9457 problem, reshaped to
// the declared schema (Petstore's `{code, message}`, Box's `ClientError`, Stripe's `{error: {...}}`),
// or written as text/XML for a text or XML media type. Pure: no I/O, never throws.
//
// The schema work is done once per schema object (a plan: `allOf` merged, `$ref`s followed, `oneOf`/
// `anyOf` split into whole alternatives, each member's role found by its name); a request only fills
// values from its problem and validates the result once.
import { STATUS_CODES } from 'node:http';
import type { ProblemBody } from '../errors';
import type { ViolationDetail } from '../errors';
import { discriminatorValue, Sampler } from '../mock/sample';
import { resolvePointer } from '../document/pointer';
import { patternEngine } from '../validation/compiler';
import { essence, isJsonMediaType } from './media';

export interface ShapeTarget {
  /** As declared, e.g. 'application/json', 'text/html; charset=utf-8'. */
  mediaType: string;
  /** The declared schema (may be a local `{$ref: '#/...'}`), or undefined when none is declared. */
  schema?: unknown;
}

export interface ShapeContext {
  /** The whole OpenAPI document: local `$ref`s are resolved against it. */
  document: unknown;
  /** Read from `document.openapi` when absent. */
  dialect?: '3.0' | '3.1';
  /** The declaration's compiled response validator (null result = valid). Undefined when there is none. */
  validate?: (value: unknown) => readonly unknown[] | null;
  /**
   * Whether a value satisfies the declaration, where no violations are needed (is the problem itself
   * already in the declared shape?): a refusal is not compiled into Ajv's errors. Default: `validate`.
   */
  accepts?: (value: unknown) => boolean;
  requestId?: string;
}

/** The body to send for a problem under a target. */
export type Shaped = { kind: 'json'; value: unknown } | { kind: 'text'; text: string };

const PROBLEM_JSON = 'application/problem+json';

/** The body to send for `problem` under `target`, or undefined when no body that validates can be made. */
export function shapeProblem(problem: ProblemBody, target: ShapeTarget, context: ShapeContext): Shaped | undefined {
  try {
    const type = essence(target.mediaType);
    if (type === PROBLEM_JSON) return { kind: 'json', value: problem };
    if (isJsonMediaType(type)) return shapeJson(problem, target.schema, context);
    const xml = type === 'application/xml' || type === 'text/xml' || type.endsWith('+xml');
    // A text/xml client parses what it gets: with nothing declared, it gets the RFC 7807 XML form.
    if (xml && target.schema === undefined) return { kind: 'text', text: problemXml(problem) };
    if (type.startsWith('text/')) return shapeText(problem, target.schema, context, /html|xml/.test(type));
    return undefined;
  } catch {
    // A schema this module misreads must not turn an error answer into a crash.
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------
// Plans: a schema read once into what shaping and checking need.

type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null';
type Dialect = '3.0' | '3.1';

/** A schema object as collected (a `$ref` followed, an `allOf` member); its `$ref`/`allOf` are already expanded. */
type Part = Record<string, any>;

/** One schema, `allOf` merged. Everything below `memo` is filled on first use (Stripe's graph is huge). */
interface Node {
  parts: Part[];
  /** No value satisfies it: a false schema, an empty enum, types or consts that contradict. */
  impossible: boolean;
  /** Allowed JSON types; undefined when the schema does not say. */
  types?: Set<JsonType>;
  constant?: { value: unknown };
  enumValues?: unknown[];
  minLength?: number;
  maxLength?: number;
  patterns: Array<{ test(text: string): boolean }>;
  formats: string[];
  low?: { value: number; open: boolean };
  high?: { value: number; open: boolean };
  multipleOf?: number;
  properties: Map<string, unknown[]>;
  required: Set<string>;
  /** The declared names of each part with `additionalProperties: false`: a member must be in all of them. */
  closed: Array<Set<string>>;
  additional: unknown[];
  items: unknown[];
  minItems?: number;
  maxItems?: number;
  nots: unknown[];
  writeOnly: boolean;
  /** The first `oneOf`/`anyOf` met: which part holds it, and its branches. */
  choice?: { kind: 'oneOf' | 'anyOf'; part: number; branches: unknown[]; discriminator?: string };
  /** On a branch of a discriminated choice: the member and value that select it. */
  selects?: { property: string; value: string };
  /** Values the schema itself offers (const, single enum, default, examples): completions for required members. */
  offered: unknown[];
  planner: Planner;
  memo: {
    properties: Map<string, Node>;
    alternatives?: Node[];
    items?: Node;
    nots?: Node[];
    filler?: { value: unknown } | null;
    slots?: Partial<Record<SourceKind, Slot[]>>;
    enumWords?: EnumWord[];
    best?: Map<string, unknown>;
    reasonStyle?: ((reason: string) => string) | false;
  };
}

function isObject(value: unknown): value is Record<string, any> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

/** Per document and dialect, the plans of its schemas (by schema object: shared by every response that `$ref`s one). */
const PLANNERS = new WeakMap<object, Partial<Record<Dialect, Planner>>>();

function plannerFor(document: unknown, dialect: Dialect): Planner {
  if (!isObject(document)) return new Planner(document, dialect);
  let byDialect = PLANNERS.get(document);
  if (!byDialect) PLANNERS.set(document, (byDialect = {}));
  return (byDialect[dialect] ??= new Planner(document, dialect));
}

function dialectOf(context: ShapeContext): Dialect {
  if (context.dialect) return context.dialect;
  const version = isObject(context.document) ? context.document.openapi : undefined;
  return typeof version === 'string' && /^3\.[12]/.test(version) ? '3.1' : '3.0';
}

class Planner {
  /** schema object → its node: the WeakMap of schema → plan. */
  private readonly nodes = new WeakMap<object, Node>();
  private sampler?: Sampler;
  private unconstrained?: Node;

  constructor(
    readonly document: unknown,
    readonly dialect: Dialect,
  ) {}

  node(schema: unknown): Node {
    if (!isObject(schema)) return this.merge(...this.expand(schema));
    let node = this.nodes.get(schema);
    if (!node) this.nodes.set(schema, (node = this.merge(...this.expand(schema))));
    return node;
  }

  /** "Anything": what an undeclared member of an open object is checked against. */
  any(): Node {
    return (this.unconstrained ??= this.merge([], false));
  }

  /** A node for several schemas that must all hold (a property declared by two `allOf` members). */
  nodeOfAll(schemas: unknown[]): Node {
    if (schemas.length === 1) return this.node(schemas[0]);
    const parts: Part[] = [];
    let impossible = false;
    for (const schema of schemas) {
      const [more, never] = this.expand(schema);
      parts.push(...more);
      impossible ||= never;
    }
    return this.merge(parts, impossible);
  }

  /** The parts a schema stands for: itself and what its `$ref` and `allOf` reach; and whether it admits nothing. */
  expand(schema: unknown): [Part[], boolean] {
    const parts: Part[] = [];
    let impossible = false;
    // A schema reached twice (`allOf: [Self]`, a diamond of `$ref`s) adds nothing the second time.
    const seen = new Set<object>();
    const visit = (node: unknown, depth: number) => {
      if (node === false) impossible = true;
      if (!isObject(node) || depth > 32 || seen.has(node)) return;
      seen.add(node);
      if (typeof node.$ref === 'string') {
        // 3.0 ignores keywords beside a `$ref`; 3.1 applies them too.
        if (node.$ref.startsWith('#')) visit(resolvePointer(this.document, node.$ref), depth + 1);
        if (this.dialect !== '3.1') return;
      }
      parts.push(node);
      if (Array.isArray(node.allOf)) for (const member of node.allOf) visit(member, depth + 1);
    };
    visit(schema, 0);
    return [parts, impossible];
  }

  merge(parts: Part[], impossible: boolean): Node {
    const node: Node = {
      parts,
      impossible,
      patterns: [],
      formats: [],
      properties: new Map(),
      required: new Set(),
      closed: [],
      additional: [],
      items: [],
      nots: [],
      writeOnly: false,
      offered: [],
      planner: this,
      memo: { properties: new Map() },
    };
    const legacy = this.dialect !== '3.1';
    parts.forEach((part, index) => {
      const nullable = legacy && part.nullable === true;
      if (typeof part.type === 'string' || Array.isArray(part.type)) {
        const own = new Set<JsonType>(Array.isArray(part.type) ? part.type : [part.type]);
        if (nullable) own.add('null');
        node.types = node.types ? intersectTypes(node.types, own) : own;
        if (node.types.size === 0) node.impossible = true;
      }
      if ('const' in part) {
        if (node.constant && !same(node.constant.value, part.const)) node.impossible = true;
        node.constant = { value: part.const };
        node.offered.push(part.const);
      }
      if (Array.isArray(part.enum)) {
        const values = nullable && !part.enum.includes(null) ? [...part.enum, null] : part.enum;
        node.enumValues = node.enumValues ? node.enumValues.filter((v) => values.some((w: unknown) => same(v, w))) : values;
        if (node.enumValues.length === 0) node.impossible = true;
        if (part.enum.length === 1) node.offered.push(part.enum[0]);
      }
      if (typeof part.minLength === 'number') node.minLength = Math.max(node.minLength ?? 0, part.minLength);
      if (typeof part.maxLength === 'number') node.maxLength = Math.min(node.maxLength ?? Infinity, part.maxLength);
      if (typeof part.pattern === 'string') {
        const tester = compilePattern(part.pattern);
        if (tester) node.patterns.push(tester);
      }
      if (typeof part.format === 'string') node.formats.push(part.format);
      readBounds(node, part);
      if (typeof part.multipleOf === 'number' && part.multipleOf > 0) node.multipleOf = part.multipleOf;
      if (isObject(part.properties)) for (const [name, schema] of Object.entries(part.properties)) node.properties.set(name, [...(node.properties.get(name) ?? []), schema]);
      if (Array.isArray(part.required)) for (const name of part.required) if (typeof name === 'string') node.required.add(name);
      if (part.additionalProperties === false) node.closed.push(new Set(isObject(part.properties) ? Object.keys(part.properties) : []));
      else if (isObject(part.additionalProperties)) node.additional.push(part.additionalProperties);
      if (isObject(part.items)) node.items.push(part.items);
      if (typeof part.minItems === 'number') node.minItems = Math.max(node.minItems ?? 0, part.minItems);
      if (typeof part.maxItems === 'number') node.maxItems = Math.min(node.maxItems ?? Infinity, part.maxItems);
      if (part.not !== undefined) node.nots.push(part.not);
      if (part.writeOnly === true) node.writeOnly = true;
      for (const kind of ['oneOf', 'anyOf'] as const) {
        // One choice per node; a second one stays in its part and becomes the branches' own choice.
        if (!node.choice && Array.isArray(part[kind]) && part[kind].length) {
          const discriminator = isObject(part.discriminator) && typeof part.discriminator.propertyName === 'string' ? part.discriminator.propertyName : undefined;
          node.choice = { kind, part: index, branches: part[kind], discriminator };
        }
      }
      if (part.default !== undefined) node.offered.push(part.default);
      if (part.example !== undefined) node.offered.push(part.example);
      if (Array.isArray(part.examples)) node.offered.push(...part.examples);
    });
    // 3.1's unevaluatedProperties: false closes the merged object over everything it declares.
    if (parts.some((p) => p.unevaluatedProperties === false)) node.closed.push(new Set(node.properties.keys()));
    return node;
  }

  /** A choice's branches, each merged with the rest of its node: whole alternatives, checkable on their own. */
  alternatives(node: Node): Node[] {
    if (node.memo.alternatives) return node.memo.alternatives;
    const choice = node.choice!;
    const base = node.parts.map((part, i) => {
      if (i !== choice.part) return part;
      const { [choice.kind]: _taken, discriminator: _d, ...rest } = part;
      return rest;
    });
    const list = choice.branches.map((branch) => {
      const [more, never] = this.expand(branch);
      const alternative = this.merge([...base, ...more], node.impossible || never);
      // The validator picks a discriminated branch by the member's value: the shaped body must carry it.
      if (choice.discriminator && isObject(branch) && typeof branch.$ref === 'string') {
        const disc = node.parts[choice.part].discriminator;
        const value = discriminatorValue(disc, branch.$ref);
        if (value !== undefined) alternative.selects = { property: choice.discriminator, value };
      }
      return alternative;
    });
    return (node.memo.alternatives = list);
  }

  property(node: Node, name: string): Node {
    let found = node.memo.properties.get(name);
    if (!found) {
      const declared = node.properties.get(name);
      found = declared ? this.nodeOfAll(declared) : node.additional.length ? this.nodeOfAll(node.additional) : this.any();
      node.memo.properties.set(name, found);
    }
    return found;
  }

  items(node: Node): Node {
    return (node.memo.items ??= node.items.length ? this.nodeOfAll(node.items) : this.any());
  }

  nots(node: Node): Node[] {
    return (node.memo.nots ??= node.nots.map((schema) => this.node(schema)));
  }

  /**
   * A value for a required member nothing maps: the schema's own const/enum/default/example that fits,
   * else a sample (src/mock/sample.ts). Computed once per node; callers get a copy.
   */
  filler(node: Node): unknown {
    if (node.memo.filler === undefined) {
      let found: { value: unknown } | null = null;
      if (!node.impossible) {
        const offered = node.offered.find((value) => conforms(value, node, 0));
        if (offered !== undefined) found = { value: offered };
        else if (node.enumValues?.length) found = { value: node.enumValues[0] };
        else {
          this.sampler ??= new Sampler(this.document, { direction: 'response', dialect: this.dialect, optional: 'none' });
          const sampled = this.sampler.sample(node.parts.length === 1 ? node.parts[0] : { allOf: node.parts });
          if (sampled !== undefined) found = { value: sampled };
        }
      }
      node.memo.filler = found;
    }
    const filler = node.memo.filler;
    if (!filler) return undefined;
    return filler.value !== null && typeof filler.value === 'object' ? structuredClone(filler.value) : filler.value;
  }
}

/**
 * Patterns run on text that may echo client input: compiled as the validator compiles them (RE2 for
 * one that could backtrack catastrophically), so a crafted detail cannot stall the event loop here.
 */
const PATTERNS = patternEngine(() => {});

function compilePattern(pattern: string): { test(text: string): boolean } | undefined {
  try {
    return PATTERNS(pattern, 'u');
  } catch {
    // A pattern no engine reads: the validator has the last word.
    return undefined;
  }
}

function readBounds(node: Node, part: Part): void {
  const tighten = (side: 'low' | 'high', value: unknown, open: boolean) => {
    if (typeof value !== 'number') return;
    const current = node[side];
    const tighter = !current || (side === 'low' ? value > current.value || (value === current.value && open) : value < current.value || (value === current.value && open));
    if (tighter) node[side] = { value, open };
  };
  // 3.0 writes exclusive bounds as booleans beside minimum/maximum; 3.1 as numbers.
  tighten('low', part.minimum, part.exclusiveMinimum === true);
  tighten('high', part.maximum, part.exclusiveMaximum === true);
  tighten('low', part.exclusiveMinimum, true);
  tighten('high', part.exclusiveMaximum, true);
}

function intersectTypes(a: Set<JsonType>, b: Set<JsonType>): Set<JsonType> {
  const out = new Set<JsonType>();
  for (const t of a) {
    if (b.has(t)) out.add(t);
    else if (t === 'number' && b.has('integer')) out.add('integer');
    else if (t === 'integer' && b.has('number')) out.add('integer');
  }
  return out;
}

function same(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'object' && typeof b === 'object' && JSON.stringify(a) === JSON.stringify(b));
}

function accepts(node: Node, type: JsonType): boolean {
  if (!node.types) return true;
  return node.types.has(type) || (type === 'integer' && node.types.has('number'));
}

// ---------------------------------------------------------------------------------------------------
// The structural check: used to pick nested branches, to keep the schema's own examples only when they
// fit, and, when the caller has no validator, as the only check of the whole body (it reads the
// keywords above; what it does not read, such as `if`/`then` or `propertyNames`, it does not check).

function jsonType(value: unknown): JsonType | undefined {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'number':
      return Number.isInteger(value) ? 'integer' : 'number';
    case 'object':
      return 'object';
    default:
      return undefined;
  }
}

function conforms(value: unknown, node: Node, depth: number): boolean {
  if (depth > 32) return true;
  if (node.impossible) return false;
  const type = jsonType(value);
  if (!type) return false;
  if (node.types && !node.types.has(type) && !(type === 'integer' && node.types.has('number'))) return false;
  if (node.constant && !same(node.constant.value, value)) return false;
  if (node.enumValues && !node.enumValues.some((v) => same(v, value))) return false;
  if (type === 'string' && !stringFits(value as string, node)) return false;
  if ((type === 'integer' || type === 'number') && !numberFits(value as number, node)) return false;
  if (type === 'object' && !objectFits(value as Record<string, unknown>, node, depth)) return false;
  if (type === 'array') {
    const list = value as unknown[];
    if (list.length < (node.minItems ?? 0) || list.length > (node.maxItems ?? Infinity)) return false;
    if (node.items.length) {
      const items = node.planner.items(node);
      if (!list.every((item) => conforms(item, items, depth + 1))) return false;
    }
  }
  if (node.nots.length && node.planner.nots(node).some((not) => conforms(value, not, depth + 1))) return false;
  if (node.choice) {
    const matching = node.planner.alternatives(node).filter((alternative) => conforms(value, alternative, depth + 1)).length;
    if (node.choice.kind === 'oneOf' ? matching !== 1 : matching === 0) return false;
  }
  return true;
}

function length(text: string): number {
  // Ajv counts code points, as JSON Schema asks.
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function stringFits(text: string, node: Node): boolean {
  const n = node.minLength !== undefined || node.maxLength !== undefined ? length(text) : 0;
  if (n < (node.minLength ?? 0) || n > (node.maxLength ?? Infinity)) return false;
  return node.patterns.every((p) => p.test(text)) && node.formats.every((f) => formatFits(f, text));
}

function numberFits(n: number, node: Node): boolean {
  if (!Number.isFinite(n)) return false;
  if (node.low && (node.low.open ? n <= node.low.value : n < node.low.value)) return false;
  if (node.high && (node.high.open ? n >= node.high.value : n > node.high.value)) return false;
  if (node.multipleOf && Math.abs(n / node.multipleOf - Math.round(n / node.multipleOf)) > 1e-9) return false;
  for (const format of node.formats) {
    if (format === 'int32' && !(Number.isInteger(n) && n >= -(2 ** 31) && n <= 2 ** 31 - 1)) return false;
    if (format === 'int64' && !Number.isInteger(n)) return false;
  }
  return true;
}

function objectFits(value: Record<string, unknown>, node: Node, depth: number): boolean {
  for (const name of node.required) if (!(name in value) && !node.planner.property(node, name).writeOnly) return false;
  for (const [name, member] of Object.entries(value)) {
    if (!node.closed.every((declared) => declared.has(name))) return false;
    if (!node.properties.has(name) && !node.additional.length) continue;
    const property = node.planner.property(node, name);
    if (property.writeOnly || !conforms(member, property, depth + 1)) return false;
  }
  return true;
}

/**
 * The string formats Ajv checks that a shaped string could miss; others (and the numeric int32/int64,
 * which Ajv applies to numbers only) are taken as annotations.
 */
const FORMAT_TESTS: Record<string, RegExp> = {
  'date-time': /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:?\d\d)$/,
  date: /^\d{4}-\d\d-\d\d$/,
  time: /^\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:?\d\d)?$/,
  uri: /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/,
  url: /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s]+$/,
  iri: /^[A-Za-z][A-Za-z0-9+.-]*:\S*$/,
  'uri-reference': /^\S*$/,
  'iri-reference': /^\S*$/,
  email: /^[^\s@]+@[^\s@]+$/,
  uuid: /^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i,
  ipv4: /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/,
  hostname: /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i,
  byte: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
  'json-pointer': /^(?:\/(?:[^~/]|~0|~1)*)*$/,
};
/** Formats a string can never satisfy here (Ajv checks them, and no shaped text is one). */
const STRICT_FORMATS = new Set(['ipv6', 'duration', 'uri-template', 'regex', 'relative-json-pointer', 'idn-email', 'idn-hostname']);

function formatFits(format: string, text: string): boolean {
  if (STRICT_FORMATS.has(format)) return false;
  const test = FORMAT_TESTS[format];
  return !test || test.test(text);
}

// ---------------------------------------------------------------------------------------------------
// Roles: what a member means, read from its name. Names compare lower-cased, without `_`, `-` and spaces.

type SourceKind = 'problem' | 'violation';
type Role = 'message' | 'title' | 'status' | 'type' | 'errors' | 'instance' | 'requestId' | 'timestamp' | 'nested' | 'field' | 'pointer' | 'in';
/** A role the member's type or siblings decide: `error` (text or a nested object), `details` (text or a list), `location`. */
type Named = Role | 'error' | 'details' | 'location';

const PROBLEM_NAMES: Record<string, Named> = {
  message: 'message', msg: 'message', errordescription: 'message', errormessage: 'message', description: 'message', detail: 'message', reason: 'message', details: 'details', error: 'error',
  title: 'title', summary: 'title',
  code: 'status', errorcode: 'status', statuscode: 'status', status: 'status', httpstatus: 'status', httpstatuscode: 'status', httpcode: 'status',
  type: 'type', errortype: 'type',
  errors: 'errors', violations: 'errors', fields: 'errors', invalidparams: 'errors', invalidfields: 'errors', fielderrors: 'errors', validationerrors: 'errors',
  instance: 'instance', path: 'instance', requestpath: 'instance',
  requestid: 'requestId', traceid: 'requestId', correlationid: 'requestId', xrequestid: 'requestId',
  timestamp: 'timestamp', time: 'timestamp', date: 'timestamp', datetime: 'timestamp',
};

const VIOLATION_NAMES: Record<string, Named> = {
  message: 'message', msg: 'message', description: 'message', detail: 'message', reason: 'message', errormessage: 'message', error: 'message',
  field: 'field', name: 'field', param: 'field', path: 'field', property: 'field', parameter: 'field', key: 'field', attribute: 'field', fieldname: 'field', location: 'location',
  pointer: 'pointer', jsonpointer: 'pointer',
  in: 'in',
  code: 'status', statuscode: 'status', status: 'status',
};

function normalizedName(name: string): string {
  return name.toLowerCase().replace(/[-_\s]/g, '');
}

interface Slot {
  name: string;
  role: Role;
  node: Node;
}

/** A node's members that have a role for this kind of source, decided once per node. */
function slotsOf(node: Node, kind: SourceKind): Slot[] {
  const cached = node.memo.slots?.[kind];
  if (cached) return cached;
  const table = kind === 'problem' ? PROBLEM_NAMES : VIOLATION_NAMES;
  const names = new Set([...node.properties.keys(), ...node.required]);
  const found: Array<{ name: string; named: Named; node: Node }> = [];
  for (const name of names) {
    const named = table[normalizedName(name)];
    if (!named) continue;
    const member = node.planner.property(node, name);
    if (member.writeOnly || member.impossible) continue;
    found.push({ name, named, node: member });
  }
  const has = (role: Named) => found.some((f) => f.named === role);
  const slots: Slot[] = [];
  for (const { name, named, node: member } of found) {
    let role: Role | undefined;
    if (named === 'error') {
      // Stripe's `{error: {...}}` nests the error; OAuth's `error` is a short code beside `error_description`.
      if (accepts(member, 'string') && member.types) role = has('message') ? 'title' : 'message';
      else if (accepts(member, 'object')) role = 'nested';
    } else if (named === 'details') role = declaresArray(member) ? 'errors' : accepts(member, 'string') ? 'message' : undefined;
    // Discord's `errors` is a nested map of fields, not a list: such a member is left to the schema.
    else if (named === 'errors') role = declaresArray(member) ? 'errors' : undefined;
    else if (named === 'location') role = has('field') || has('pointer') ? 'in' : 'field';
    else role = named;
    if (role) slots.push({ name, role, node: member });
  }
  node.memo.slots ??= {};
  return (node.memo.slots[kind] = slots);
}

function declaresArray(node: Node): boolean {
  return node.types ? node.types.has('array') : node.items.length > 0;
}

// ---------------------------------------------------------------------------------------------------
// Enum values that best name the condition: Box's `code: [bad_request, unauthorized, ...]`, Stripe's
// `type: [api_error, invalid_request_error, ...]`.

interface EnumWord {
  value: unknown;
  joined: string;
  words: string[];
}

/** Words too common to tell conditions apart. */
const STOP_WORDS = new Set(['error', 'not', 'too', 'the', 'a', 'an', 'of', 'is', 'failed', 'http', 'status']);

/** Words that name a status beyond its reason phrase. */
const SYNONYMS: Record<number, string[]> = {
  400: ['bad', 'request', 'invalid', 'validation', 'malformed', 'parameter', 'argument'],
  401: ['unauthorized', 'unauthenticated', 'authentication', 'auth', 'credentials', 'token', 'login'],
  403: ['forbidden', 'permission', 'denied', 'access', 'scope', 'insufficient'],
  404: ['found', 'missing', 'unknown'],
  405: ['method', 'allowed'],
  406: ['acceptable', 'accept'],
  409: ['conflict', 'exists'],
  413: ['large', 'payload', 'size', 'entity'],
  415: ['unsupported', 'media', 'content'],
  422: ['unprocessable', 'validation', 'invalid'],
  429: ['many', 'rate', 'limit', 'limited', 'throttled'],
  500: ['internal', 'server', 'unexpected', 'api'],
  501: ['implemented', 'unsupported'],
  503: ['unavailable', 'service'],
  504: ['timeout', 'gateway', 'unavailable'],
};
const CLASS_WORDS: Record<number, string[]> = { 4: ['bad', 'request', 'invalid', 'client'], 5: ['server', 'internal', 'api', 'unavailable'] };

function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function joinedWords(text: string): string {
  return words(text).join('');
}

/** How many conditions a node remembers its best enum value for (a server answers a few conditions again and again). */
const BEST_CACHE_SIZE = 64;

/**
 * The enum value that best names the problem's condition: by status, then reason phrase, title and type
 * words; else the first. Remembered per node and condition: scoring words is the costly part of shaping.
 */
function bestEnum(node: Node, problem: ProblemBody, stringsOnly = false): unknown {
  const key = `${stringsOnly ? 's' : 'a'}${problem.status}\u0000${problem.type ?? ''}\u0000${problem.title ?? ''}`;
  const cache = (node.memo.best ??= new Map());
  if (cache.has(key)) return cache.get(key);
  const values = (node.enumValues ?? []).filter((v) => !stringsOnly || typeof v === 'string');
  const best = scoreEnum(node, values, problem);
  if (cache.size >= BEST_CACHE_SIZE) cache.clear();
  cache.set(key, best);
  return best;
}

function scoreEnum(node: Node, values: unknown[], problem: ProblemBody): unknown {
  const status = problem.status;
  const exact = values.find((v) => v === status || v === String(status));
  if (exact !== undefined) return exact;
  const numbers = values.filter((v): v is number => typeof v === 'number');
  if (numbers.length === values.length) return numbers.find((v) => Math.floor(v / 100) === Math.floor(status / 100)) ?? values[0];
  const candidates = (node.memo.enumWords ??= (node.enumValues ?? []).filter((v) => typeof v === 'string').map((v) => ({ value: v, joined: joinedWords(v as string), words: words(v as string) })));
  const reason = STATUS_CODES[status] ?? '';
  const title = String(problem.title ?? '');
  const typeTail = String(problem.type ?? '').split(/[:/#]/).pop() ?? '';
  const reasonJoined = joinedWords(reason);
  const nameJoined = [joinedWords(typeTail), joinedWords(title)];
  const strong = new Set(words(reason).filter((w) => !STOP_WORDS.has(w)));
  const named = new Set([...words(title), ...words(typeTail)].filter((w) => !STOP_WORDS.has(w)));
  const synonyms = new Set(SYNONYMS[status] ?? []);
  const related = new Set(CLASS_WORDS[Math.floor(status / 100)] ?? []);
  let best: unknown = undefined;
  let bestScore = 0;
  for (const candidate of candidates) {
    if (!values.includes(candidate.value)) continue;
    let score = 0;
    if (candidate.joined === reasonJoined) score = 1000;
    else if (nameJoined.includes(candidate.joined)) score = 500;
    for (const w of candidate.words) {
      if (STOP_WORDS.has(w)) continue;
      score += strong.has(w) ? 10 : named.has(w) ? 4 : synonyms.has(w) ? 3 : related.has(w) ? 1 : 0;
    }
    if (score > bestScore) [best, bestScore] = [candidate.value, score];
  }
  return best ?? values[0];
}

// ---------------------------------------------------------------------------------------------------
// Shaping: filling a node's members from the problem (or from one of its violations).

type Source = { kind: 'problem' } | { kind: 'violation'; violation: ViolationDetail };

interface Fill {
  problem: ProblemBody;
  context: ShapeContext;
  /** Members filled from the problem's meaning (not from the schema's own values). */
  mapped: number;
}

const PROBLEM_SOURCE: Source = { kind: 'problem' };
const MAX_ALTERNATIVES = 16;
const ELLIPSIS = '…';

/** `text` within the node's string bounds: truncated (marked) past maxLength, padded to minLength. */
function bounded(text: string, node: Node): string {
  let out = text;
  const max = node.maxLength ?? Infinity;
  if (length(out) > max) {
    const chars = [...out];
    out = max >= 16 ? chars.slice(0, max - 1).join('') + ELLIPSIS : chars.slice(0, max).join('');
  }
  const min = node.minLength ?? 0;
  if (length(out) < min) out += '.'.repeat(min - length(out));
  return out;
}

/** A mapped value as the member's schema takes it, or undefined when it cannot take it. */
function fitted(value: unknown, node: Node): unknown {
  if (value === undefined) return undefined;
  if (typeof value === 'string') {
    if (!accepts(node, 'string')) return undefined;
    value = bounded(value, node);
  }
  return conforms(value, node, 0) ? value : undefined;
}

function statusValue(node: Node, problem: ProblemBody): unknown {
  if (node.constant) return fitted(node.constant.value, node);
  if (node.enumValues) return fitted(bestEnum(node, problem), node);
  if (accepts(node, 'integer') && node.types) return fitted(problem.status, node);
  return fitted(String(problem.status), node);
}

function typeValue(node: Node, problem: ProblemBody): unknown {
  if (node.constant) return fitted(node.constant.value, node);
  if (node.enumValues) return fitted(node.enumValues.length === 1 ? node.enumValues[0] : bestEnum(node, problem), node);
  return fitted(problem.type, node);
}

function timestamp(node: Node): unknown {
  const now = new Date().toISOString();
  return fitted(node.formats.includes('date') ? now.slice(0, 10) : now, node);
}

function roleValue(slot: Slot, source: Source, fill: Fill, required: boolean, depth: number): unknown {
  const { problem, context } = fill;
  const { node } = slot;
  if (source.kind === 'violation') {
    const v = source.violation;
    switch (slot.role) {
      case 'message':
        return fitted(v.message, node);
      case 'field':
        return fitted(v.name ?? v.pointer, node);
      case 'pointer':
        return fitted(v.pointer ?? v.name, node);
      case 'in':
        return fitted(v.in, node);
      case 'status':
        return statusValue(node, problem);
      default:
        return undefined;
    }
  }
  switch (slot.role) {
    case 'message':
      return fitted(problem.detail ?? problem.title, node);
    case 'title':
      return fitted(problem.title, node);
    case 'status':
      return statusValue(node, problem);
    case 'type':
      return typeValue(node, problem);
    case 'instance':
      return fitted(problem.instance, node);
    case 'requestId':
      return fitted(context.requestId, node);
    case 'timestamp':
      return timestamp(node);
    case 'errors': {
      const list = shapeArray(node, fill, required, false, depth);
      return list !== undefined && conforms(list, node, 0) ? list : undefined;
    }
    case 'nested': {
      // An optional nested error is kept only when it carries some of the problem's meaning.
      const before = fill.mapped;
      const value = shapeNode(node, source, fill, depth + 1);
      return value !== undefined && (required || fill.mapped > before) && conforms(value, node, 0) ? value : undefined;
    }
    default:
      return undefined;
  }
}

const PROBLEM_MEMBERS = new Set(['type', 'title', 'status', 'detail', 'instance', 'errors']);

function shapeObject(node: Node, source: Source, fill: Fill, depth: number): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const slot of slotsOf(node, source.kind)) {
    const required = node.required.has(slot.name);
    const value = roleValue(slot, source, fill, required, depth);
    // A violation item whose field or message cannot be written as required says nothing true: dropped,
    // not completed with a made-up field name.
    if (value === undefined && required && source.kind === 'violation') return undefined;
    if (value === undefined) continue;
    out[slot.name] = value;
    fill.mapped++;
  }
  // Extension members the problem carries (HttpError's `extensions`: Discord's `retry_after`, ...), by their own name.
  if (source.kind === 'problem') {
    for (const name of Object.keys(fill.problem)) {
      if (name in out || PROBLEM_MEMBERS.has(name) || !node.properties.has(name)) continue;
      const value = fitted(fill.problem[name], node.planner.property(node, name));
      if (value !== undefined) out[name] = value;
    }
  }
  if (node.selects) out[node.selects.property] = node.selects.value;
  for (const name of node.required) {
    if (name in out) continue;
    const member = node.planner.property(node, name);
    if (member.writeOnly) continue;
    const value = completion(member, fill.problem);
    if (value === undefined) return undefined;
    out[name] = value;
  }
  return out;
}

/**
 * A required member nothing maps, completed from its schema. When the schema's own value is a status
 * reason phrase (DigitalOcean's `id`, example `not_found`), it names this problem's status the same way.
 */
function completion(node: Node, problem: ProblemBody): unknown {
  const value = node.planner.filler(node);
  if (typeof value !== 'string' || node.enumValues || node.constant) return value;
  const style = (node.memo.reasonStyle ??= reasonStyle(value));
  if (!style) return value;
  return fitted(style(STATUS_CODES[problem.status] ?? ''), node) ?? value;
}

const REASON_PHRASES = new Set(Object.values(STATUS_CODES).map((reason) => joinedWords(reason ?? '')));

/** How `example` writes a reason phrase ('not_found', 'NOT_FOUND', 'not-found', 'notFound'), or false when it is none. */
function reasonStyle(example: string): ((reason: string) => string) | false {
  if (!/^[A-Za-z]+(?:[_-][A-Za-z]+)*$/.test(example) || !REASON_PHRASES.has(joinedWords(example))) return false;
  const separator = example.includes('_') ? '_' : example.includes('-') ? '-' : '';
  const upper = example === example.toUpperCase();
  const pascal = !separator && /^[A-Z]/.test(example);
  return (reason) => {
    const list = words(reason);
    if (separator || upper) return list.join(separator)[upper ? 'toUpperCase' : 'toLowerCase']();
    return list.map((w, i) => (i === 0 && !pascal ? w : w[0].toUpperCase() + w.slice(1))).join('');
  };
}

/** A list of the problem's violations, item by item (an item that cannot be shaped is dropped). */
function shapeArray(node: Node, fill: Fill, required: boolean, whole: boolean, depth: number): unknown[] | undefined {
  const items = node.planner.items(node);
  const max = node.maxItems ?? Infinity;
  const out: unknown[] = [];
  for (const violation of fill.problem.errors ?? []) {
    if (out.length >= max) break;
    const item = shapeNode(items, { kind: 'violation', violation }, fill, depth + 1);
    if (item !== undefined && conforms(item, items, 0)) out.push(item);
  }
  // A body that is a list of errors, or a list that must not be empty: the problem itself as the one item.
  if (out.length === 0 && (whole || (node.minItems ?? 0) > 0) && max > 0) {
    const item = shapeNode(items, PROBLEM_SOURCE, fill, depth + 1);
    if (item !== undefined && conforms(item, items, 0)) out.push(item);
  }
  if (out.length < (node.minItems ?? 0)) return undefined;
  if (out.length === 0 && !required && !whole) return undefined;
  if (out.length) fill.mapped++;
  return out;
}

function shapeNode(node: Node, source: Source, fill: Fill, depth: number, whole = false): unknown {
  if (depth > 16 || node.impossible) return undefined;
  if (node.choice) {
    // Nested choices: the first branch whose value passes the structural check (the whole body is validated later).
    let first: unknown;
    for (const alternative of node.planner.alternatives(node).slice(0, MAX_ALTERNATIVES)) {
      const value = shapeNode(alternative, source, fill, depth + 1, whole);
      if (value === undefined) continue;
      if (conforms(value, alternative, 0)) return value;
      first ??= value;
    }
    return first;
  }
  const objectLike = node.properties.size > 0 || node.required.size > 0 || node.types?.has('object');
  if (objectLike && accepts(node, 'object')) return shapeObject(node, source, fill, depth);
  if ((node.items.length > 0 || node.types?.has('array')) && accepts(node, 'array')) return shapeArray(node, fill, true, whole, depth);
  if (accepts(node, 'string')) {
    const text =
      source.kind === 'violation'
        ? source.violation.name ?? source.violation.pointer
          ? `${source.violation.name ?? source.violation.pointer}: ${source.violation.message}`
          : source.violation.message
        : fill.problem.detail ?? fill.problem.title;
    const value = node.enumValues ? fitted(bestEnum(node, fill.problem), node) : fitted(text, node);
    if (value !== undefined) fill.mapped++;
    return value;
  }
  if (accepts(node, 'integer')) return statusValue(node, fill.problem);
  return node.planner.filler(node);
}

/** The whole-body candidates: the root's choices unfolded (nested ones too), each a node without a choice. */
function candidates(node: Node, out: Node[] = []): Node[] {
  if (out.length >= MAX_ALTERNATIVES) return out;
  if (!node.choice) out.push(node);
  else for (const alternative of node.planner.alternatives(node)) candidates(alternative, out);
  return out;
}

function shapeJson(problem: ProblemBody, schema: unknown, context: ShapeContext): Shaped | undefined {
  if (schema === undefined) return { kind: 'json', value: problem };
  const planner = plannerFor(context.document, dialectOf(context));
  const root = planner.node(schema);
  // Without the caller's validator, the structural check above is the only judge (it reads the
  // keywords that error schemas use; a constraint it does not read is trusted).
  const validate = context.validate ?? ((value: unknown) => (conforms(value, root, 0) ? null : [{ pointer: '', message: 'does not match' }]));
  if (context.accepts ? context.accepts(problem) : validate(problem) === null) return { kind: 'json', value: problem };
  for (const candidate of candidates(root)) {
    const fill: Fill = { problem, context, mapped: 0 };
    const value = shapeNode(candidate, PROBLEM_SOURCE, fill, 0, true);
    if (value === undefined) continue;
    let errors = validate(value);
    // A mapped optional member the plan misjudged (a constraint it does not read) is dropped, not fatal.
    for (let round = 0; errors !== null && round < 3 && dropOptional(value, candidate, errors); round++) errors = validate(value);
    if (errors === null) return { kind: 'json', value };
  }
  return undefined;
}

/** Removes the optional members the violations point at; true when something was removed. */
function dropOptional(value: unknown, root: Node, errors: readonly unknown[]): boolean {
  let changed = false;
  for (const error of errors) {
    const at = isObject(error) && typeof error.pointer === 'string' ? error.pointer : undefined;
    if (!at) continue;
    const tokens = at.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    let container: unknown = value;
    let node: Node | undefined = root;
    for (const token of tokens.slice(0, -1)) {
      if (Array.isArray(container)) node = node && node.planner.items(node);
      else node = node && isObject(container) ? node.planner.property(node, token) : undefined;
      container = (container as any)?.[token];
      if (node?.choice) node = undefined;
    }
    const last = tokens[tokens.length - 1];
    if (!node || !isObject(container) || !(last in container) || node.required.has(last)) continue;
    delete container[last];
    changed = true;
  }
  return changed;
}

// ---------------------------------------------------------------------------------------------------
// Text and XML.

const MARKUP: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Characters XML 1.0 cannot carry at all (a detail may echo any client input). */
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function escapeMarkup(text: string): string {
  return text.replace(NOT_XML, '\uFFFD').replace(/[&<>"']/g, (c) => MARKUP[c]);
}

/**
 * `text` escaped (when markup) and within `max` code points as sent: cut between escapes, never inside
 * one, so no half entity reaches the client.
 */
function textWithin(text: string, markup: boolean, max: number): string {
  const whole = markup ? escapeMarkup(text) : text;
  if (length(whole) <= max) return whole;
  const room = max >= 16 ? max - 1 : max;
  let out = '';
  let used = 0;
  for (const char of text) {
    const piece = markup ? escapeMarkup(char) : char;
    const size = length(piece);
    if (used + size > room) break;
    out += piece;
    used += size;
  }
  return room < max ? out + ELLIPSIS : out;
}

function shapeText(problem: ProblemBody, schema: unknown, context: ShapeContext, markup: boolean): Shaped | undefined {
  const raw = problem.detail ?? problem.title;
  if (schema === undefined) return { kind: 'text', text: markup ? escapeMarkup(raw) : raw };
  const root = plannerFor(context.document, dialectOf(context)).node(schema);
  for (const node of candidates(root)) {
    const text = textFor(node, raw, markup, problem);
    if (text === undefined) continue;
    if (!conforms(text, node, 0)) continue;
    if (context.validate && context.validate(text) !== null) continue;
    return { kind: 'text', text };
  }
  return undefined;
}

function textFor(node: Node, raw: string, markup: boolean, problem: ProblemBody): string | undefined {
  if (node.impossible || !accepts(node, 'string')) return undefined;
  // The document's own values are sent as written: they are not client input.
  if (node.constant) return typeof node.constant.value === 'string' ? node.constant.value : undefined;
  if (node.enumValues) {
    const strings = node.enumValues.filter((v): v is string => typeof v === 'string');
    if (strings.length === 0) return undefined;
    const own = markup ? escapeMarkup(raw) : raw;
    return strings.includes(own) ? own : (bestEnum(node, problem, true) as string);
  }
  let text = textWithin(raw, markup, node.maxLength ?? Infinity);
  const min = node.minLength ?? 0;
  if (length(text) < min) text += '.'.repeat(min - length(text));
  return text;
}

/** RFC 7807 Appendix A: the problem as `application/problem+xml`. */
function problemXml(problem: ProblemBody): string {
  const member = (name: string, value: unknown) => (value === undefined ? '' : `<${name}>${escapeMarkup(String(value))}</${name}>`);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<problem xmlns="urn:ietf:rfc:7807">' +
    member('type', problem.type) +
    member('title', problem.title) +
    member('status', problem.status) +
    member('detail', problem.detail) +
    member('instance', problem.instance) +
    '</problem>\n'
  );
}
