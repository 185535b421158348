// Values for a schema: mock responses and verify's requests. The document's own examples come first
// (when they validate), else a value built from the schema that satisfies its type, format, pattern,
// enum, bounds and required properties: `allOf` merged, a `oneOf`/`anyOf` branch that validates in
// context (discriminators set), `readOnly`/`writeOnly` left out by direction, 3.0 `nullable` and 3.1
// type arrays. Canonical without a PRNG (first enum value, first branch, minimal sizes); varied, but
// reproducible, with a seeded one.
import { escapeToken, resolvePointer } from '../document/pointer';
import type { MediaTypeSpec } from '../document/operations';
import { hash32, type Random, seeded } from './random';
import { patternTester, stringMatching } from './regex';
import { FORMAT_SAMPLES } from '../validation/format-samples';

export type Direction = 'request' | 'response';

export interface SampleOptions {
  direction: Direction;
  /** '3.0' reads `nullable` and boolean `exclusiveMinimum`; '3.1' reads type arrays and numeric bounds. Default '3.0'-compatible (both read). */
  dialect?: '3.0' | '3.1';
  /** Seeded PRNG: varied values (optional members, lengths, branches); without it, canonical ones. */
  random?: Random;
  /** Optional properties: all (down to a few levels; mocks), none, or a seeded coin toss each. Default 'all'. */
  optional?: 'all' | 'none' | 'random';
  /** Use `example`/`examples`/`default` found in schemas (default true). */
  useExamples?: boolean;
  /** Check schema examples and defaults with `check` before using them (slower; default false). */
  strictExamples?: boolean;
  /**
   * Whether `value` is valid against the schema at a JSON pointer into the document; undefined when it
   * cannot tell. Used to choose `oneOf`/`anyOf` branches (and examples, with strictExamples).
   */
  check?: (pointer: string, value: unknown) => boolean | undefined;
}

interface State {
  depth: number;
  /** The `$ref`s open on the current path (recursion detection). */
  refs: OpenRefs | undefined;
  /** Recursion or depth reached: required members only, null where allowed, shortest branches. */
  minimal: boolean;
  /** The `$ref` through which the current schema was reached (discriminator values). */
  via?: string;
  random?: Random;
}

/**
 * The `$ref`s open on a path, innermost first: a list each step down extends without copying (a copied
 * map per reference was a tenth of a large mock body's time).
 */
interface OpenRefs {
  ref: string;
  outer: OpenRefs | undefined;
}

/** How often `ref` is open on the path. */
function opened(refs: OpenRefs | undefined, ref: string): number {
  let count = 0;
  for (let open = refs; open; open = open.outer) if (open.ref === ref) count++;
  return count;
}


const MAX_DEPTH = 48;
/** Optional members are included down to this depth (mocks stay readable; huge documents stay small). */
const OPTIONAL_DEPTH = 4;
/** Past this depth everything is minimal. */
const MINIMAL_DEPTH = 12;

const COMBINERS = ['allOf', 'oneOf', 'anyOf'];
/** resolve()'s targets, per document. */
const resolved = new WeakMap<object, Map<string, unknown>>();
/** A schema without examples (most): examplesOf() allocates nothing for it. */
const NONE: readonly unknown[] = [];

function isObject(value: unknown): value is Record<string, any> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

function fragment(ref: string): string {
  const raw = ref.startsWith('#') ? ref.slice(1) : ref;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function refTo(pointer: string): string {
  return `#${pointer.split('/').map((t) => encodeURIComponent(t)).join('/')}`;
}

/** Marks a `$ref` made by the sampler to keep a merged member locatable (not counted as recursion). */
const SYNTHETIC = 'x-specbind-located';
/** On a merged `allOf`: where the whole schema is (to check a value) and where its alternatives are. */
const CHECK_AT = 'x-specbind-check-at';
const BRANCHES_AT = 'x-specbind-branches-at';

export class Sampler {
  private readonly optional: 'all' | 'none' | 'random';
  /** skipped()'s answer per property schema (one document, one direction). */
  private readonly skips = new WeakMap<object, boolean>();

  constructor(
    private readonly document: unknown,
    private readonly options: SampleOptions,
  ) {
    this.optional = options.optional ?? 'all';
  }

  /** A value for `schema`, found at `pointer` in the document when known (for branch checks); undefined if none could be built. */
  sample(schema: unknown, pointer?: string): unknown {
    // Where each part is (and the located `$ref`s that keep merged parts findable) serves only checks:
    // a sampler without one does not track it, and makes the same value.
    return this.walk(schema, this.options.check ? pointer : undefined, { depth: 0, refs: undefined, minimal: false, random: this.options.random });
  }

  /** A `$ref`'s target in the document (a message of Discord's follows 365, 71 of them distinct): found once per document. */
  private resolve(ref: string): unknown {
    if (!isObject(this.document)) return resolvePointer(this.document, ref);
    let targets = resolved.get(this.document as object);
    if (!targets) resolved.set(this.document as object, (targets = new Map()));
    if (targets.has(ref)) return targets.get(ref);
    const target = resolvePointer(this.document, ref);
    targets.set(ref, target);
    return target;
  }

  private check(pointer: string | undefined, value: unknown): boolean | undefined {
    if (!pointer || !this.options.check) return undefined;
    return this.options.check(pointer, value);
  }

  private walk(schema: unknown, at: string | undefined, state: State): unknown {
    if (schema === true) return 'string';
    if (!isObject(schema) || state.depth > MAX_DEPTH) return undefined;
    if (typeof schema.$ref === 'string') return this.followRef(schema, at, state);
    const inner: State = { ...state, depth: state.depth + 1, minimal: state.minimal || state.depth > MINIMAL_DEPTH, via: undefined };

    if (this.options.useExamples !== false) {
      for (const candidate of this.examplesOf(schema)) {
        if (candidate === undefined) continue;
        if (!this.fitsDirection(schema, candidate)) continue;
        if (this.options.strictExamples && this.check(at, candidate) === false) continue;
        return structuredClone(candidate);
      }
    }
    if (schema.const !== undefined) return structuredClone(schema.const);
    if (Array.isArray(schema.enum) && schema.enum.length) {
      const values = schema.enum.filter((v: unknown) => v !== null);
      if (values.length === 0) return null;
      return structuredClone(state.random && !state.minimal ? state.random.pick(values) : values[0]);
    }
    if (Array.isArray(schema.allOf) && schema.allOf.length) {
      const followed: string[] = [];
      const merged = this.merge(schema, at, followed);
      // The members' `$ref`s count as opened: a schema that merges itself (`allOf: [Self]`) must end.
      let refs = state.refs;
      let minimal = state.minimal;
      for (const ref of new Set(followed)) {
        const count = opened(refs, ref);
        if (count >= 3) return undefined;
        if (count >= 1) minimal = true;
        refs = { ref, outer: refs };
      }
      const value = this.walk(merged, undefined, { ...state, refs, minimal, depth: state.depth + 1 });
      return this.withDiscriminator(value, merged.discriminator, state.via);
    }
    for (const key of ['oneOf', 'anyOf']) {
      if (Array.isArray(schema[key]) && schema[key].length) return this.branch(schema, key, at, state);
    }
    return this.typed(schema, at, inner);
  }

  private followRef(schema: Record<string, any>, at: string | undefined, state: State): unknown {
    const ref: string = schema.$ref;
    const synthetic = schema[SYNTHETIC] === true;
    // 3.1: keywords beside `$ref` apply too; 3.0 ignores them.
    const siblings = Object.keys(schema).filter((k) => k !== '$ref' && k !== SYNTHETIC && k !== 'description' && k !== 'summary');
    if (this.options.dialect === '3.1' && siblings.length && !synthetic) {
      const rest: Record<string, any> = {};
      for (const k of siblings) rest[k] = schema[k];
      return this.walk({ allOf: [{ $ref: ref }, rest] }, undefined, state);
    }
    const target = this.resolve(ref);
    if (target === undefined) return undefined;
    const count = opened(state.refs, ref);
    if (count >= 3) return undefined;
    const refs = synthetic ? state.refs : { ref, outer: state.refs };
    return this.walk(target, fragment(ref), { ...state, refs, via: synthetic ? state.via : ref, minimal: state.minimal || count >= 1 });
  }

  private examplesOf(schema: Record<string, any>): readonly unknown[] {
    if (schema.example === undefined && schema.examples === undefined && schema.default === undefined) return NONE;
    const out: unknown[] = [];
    if (schema.example !== undefined) out.push(schema.example);
    if (Array.isArray(schema.examples)) out.push(...schema.examples);
    if (schema.default !== undefined) out.push(schema.default);
    return out;
  }

  /** An example that carries members the direction leaves out (readOnly in requests) is not used. */
  private fitsDirection(schema: Record<string, any>, value: unknown): boolean {
    if (!isObject(value) || !isObject(schema.properties)) return true;
    for (const [name, property] of Object.entries<any>(schema.properties)) {
      if (name in value && this.skipped(property)) return false;
    }
    return true;
  }

  /** Whether a property is left out in this direction (readOnly in requests, writeOnly in responses); known per property schema once asked. */
  private skipped(property: unknown): boolean {
    if (!isObject(property)) return false;
    let known = this.skips.get(property);
    if (known === undefined) this.skips.set(property, (known = this.leftOut(property, 0)));
    return known;
  }

  private leftOut(property: unknown, depth: number): boolean {
    const flag = this.options.direction === 'request' ? 'readOnly' : 'writeOnly';
    if (!isObject(property) || depth > 8) return false;
    if (property[flag] === true) return true;
    if (typeof property.$ref === 'string') return this.leftOut(this.resolve(property.$ref), depth + 1);
    return Array.isArray(property.allOf) && property.allOf.some((s: unknown) => this.leftOut(s, depth + 1));
  }

  /** `allOf` merged into one schema: properties joined (each still locatable), required united, bounds tightened. */
  private merge(schema: Record<string, any>, at: string | undefined, followed: string[]): Record<string, any> {
    const merged: Record<string, any> = {};
    const parts: Array<{ schema: Record<string, any>; at?: string }> = [];
    const collect = (node: unknown, where: string | undefined, depth: number) => {
      if (!isObject(node) || depth > 16) return;
      if (typeof node.$ref === 'string' && !(this.options.dialect === '3.1' && Object.keys(node).length > 1)) {
        if (node[SYNTHETIC] !== true) followed.push(node.$ref);
        collect(this.resolve(node.$ref), fragment(node.$ref), depth + 1);
        return;
      }
      const { allOf, ...own } = node;
      if (typeof own.$ref === 'string') {
        collect({ $ref: own.$ref }, undefined, depth + 1);
        delete own.$ref;
      }
      parts.push({ schema: own, at: where });
      if (Array.isArray(allOf)) allOf.forEach((member, i) => collect(member, where && `${where}/allOf/${i}`, depth + 1));
    };
    collect(schema, at, 0);
    for (const { schema: part, at: where } of parts) {
      for (const [key, value] of Object.entries(part)) {
        if (key === 'properties' && isObject(value)) {
          merged.properties ??= {};
          for (const [name, property] of Object.entries(value)) {
            const located = where ? { $ref: refTo(`${where}/properties/${escapeToken(name)}`), [SYNTHETIC]: true } : property;
            merged.properties[name] = merged.properties[name] ? { allOf: [merged.properties[name], located] } : located;
          }
        } else if (key === 'required' && Array.isArray(value)) {
          merged.required = [...new Set([...(merged.required ?? []), ...value])];
        } else if (key === 'type') {
          merged.type = merged.type === undefined ? value : intersectTypes(merged.type, value);
        } else if (key === 'enum' && Array.isArray(value) && Array.isArray(merged.enum)) {
          const allowed = value.map((v) => JSON.stringify(v));
          merged.enum = merged.enum.filter((v: unknown) => allowed.includes(JSON.stringify(v)));
        } else if (/^(minimum|minLength|minItems|minProperties|exclusiveMinimum)$/.test(key) && typeof value === 'number' && typeof merged[key] === 'number') {
          merged[key] = Math.max(merged[key], value);
        } else if (/^(maximum|maxLength|maxItems|maxProperties|exclusiveMaximum)$/.test(key) && typeof value === 'number' && typeof merged[key] === 'number') {
          merged[key] = Math.min(merged[key], value);
        } else if (key === 'oneOf' || key === 'anyOf') {
          // One list of alternatives is sampled; a second one is left to the check of the whole value.
          if (merged.oneOf === undefined && merged.anyOf === undefined) {
            merged[key] = value;
            if (where) merged[BRANCHES_AT] = where;
          }
        } else if (key === CHECK_AT || key === BRANCHES_AT) {
          // Another merge's bookkeeping.
        } else if (key === 'nullable') {
          merged.nullable = merged.nullable === undefined ? value : merged.nullable && value;
        } else if (key === 'example' || key === 'examples' || key === 'default') {
          // Examples of one member rarely satisfy the whole: the merged schema is sampled.
        } else if (merged[key] === undefined) {
          merged[key] = value;
        }
      }
    }
    if (at) merged[CHECK_AT] = at;
    return merged;
  }

  private withDiscriminator(value: unknown, discriminator: unknown, via: string | undefined): unknown {
    if (!isObject(value) || !isObject(discriminator) || typeof discriminator.propertyName !== 'string' || !via) return value;
    const name = discriminatorValue(discriminator, via);
    if (name !== undefined) value[discriminator.propertyName] = name;
    return value;
  }

  /** `oneOf`/`anyOf`: the first branch (in a seeded order, cheapest first when minimal) whose value validates in context. */
  private branch(schema: Record<string, any>, key: string, at: string | undefined, state: State): unknown {
    const list: unknown[] = schema[key];
    const { [key]: _list, discriminator, [CHECK_AT]: checkAt, [BRANCHES_AT]: branchesAt, ...rest } = schema;
    const origin: string | undefined = branchesAt ?? (checkAt ? undefined : at);
    const whole: string | undefined = checkAt ?? at;
    const hasRest = Object.keys(rest).some((k) => !['description', 'title', 'nullable', 'x-stripeResource', 'externalDocs'].includes(k) && !k.startsWith('x-'));
    let order = list.map((_, i) => i);
    if (state.random && !state.minimal) order = state.random.shuffle(order);
    const cost = (i: number) => this.cost(list[i]);
    order.sort((a, b) => (state.minimal ? cost(a) - cost(b) : 0) || (isNullSchema(list[a]) ? 1 : 0) - (isNullSchema(list[b]) ? 1 : 0));
    if (state.minimal && (schema.nullable === true || list.some(isNullSchema))) return null;
    let fallback: unknown;
    for (const i of order.slice(0, 12)) {
      const branchAt = origin && `${origin}/${key}/${i}`;
      const member = list[i];
      const located = branchAt ? { $ref: refTo(branchAt), [SYNTHETIC]: true } : member;
      const candidate = hasRest ? { allOf: [rest, located] } : located;
      const via = isObject(member) && typeof member.$ref === 'string' ? member.$ref : undefined;
      let value = this.walk(candidate, hasRest ? undefined : branchAt, { ...state, depth: state.depth + 1, via: via ?? state.via });
      if (value === undefined) continue;
      if (isObject(discriminator) && via) value = this.withDiscriminator(value, discriminator, via);
      if (list.length === 1) return value;
      const ok = this.check(whole, value);
      if (ok !== false) return value;
      fallback ??= value;
    }
    return fallback;
  }

  /** Rough size of a branch's sample: primitives before arrays before objects. */
  private cost(schema: unknown, depth = 0): number {
    if (!isObject(schema) || depth > 4) return 5;
    if (typeof schema.$ref === 'string') return this.cost(this.resolve(schema.$ref), depth + 1) + 1;
    if (isNullSchema(schema)) return 0;
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    if (type === 'object' || schema.properties || schema.allOf) return 10 + (Array.isArray(schema.required) ? schema.required.length : 0);
    if (type === 'array') return 6;
    if (schema.oneOf || schema.anyOf) return 8;
    return 1;
  }

  private typed(schema: Record<string, any>, at: string | undefined, state: State): unknown {
    const declared: string[] = Array.isArray(schema.type) ? schema.type : typeof schema.type === 'string' ? [schema.type] : inferTypes(schema);
    const nullable = declared.includes('null') || (schema.nullable === true && this.options.dialect !== '3.1');
    const types = declared.filter((t) => t !== 'null');
    if (types.length === 0) return nullable ? null : declared.length === 0 ? this.any(schema) : null;
    if (state.minimal && nullable && (types.includes('object') || types.includes('array'))) return null;
    const type = state.random && !state.minimal ? state.random.pick(types) : types[0];
    switch (type) {
      case 'object':
        return this.object(schema, at, state);
      case 'array':
        return this.array(schema, at, state);
      case 'integer':
      case 'number':
        return this.number(schema, type, state);
      case 'boolean':
        return state.random ? state.random.next() < 0.5 : true;
      case 'string':
        return this.string(schema, state);
      default:
        return this.any(schema);
    }
  }

  private any(_schema: Record<string, any>): unknown {
    return 'string';
  }

  private includeOptional(state: State): boolean {
    if (state.minimal || state.depth > OPTIONAL_DEPTH) return false;
    if (this.optional === 'all') return true;
    if (this.optional === 'random') return !!state.random && state.random.next() < 0.5;
    return false;
  }

  private object(schema: Record<string, any>, at: string | undefined, state: State): unknown {
    const out: Record<string, unknown> = {};
    const properties: Record<string, any> = isObject(schema.properties) ? schema.properties : {};
    const required = new Set<string>(Array.isArray(schema.required) ? schema.required : []);
    const max = typeof schema.maxProperties === 'number' ? schema.maxProperties : Infinity;
    for (const [name, property] of Object.entries(properties)) {
      if (this.skipped(property)) continue;
      const must = required.has(name);
      if (!must && (!this.includeOptional(state) || Object.keys(out).length >= max - required.size)) continue;
      const value = this.walk(property, at && `${at}/properties/${escapeToken(name)}`, state);
      if (value !== undefined) out[name] = value;
      else if (must) return undefined;
    }
    const extra = isObject(schema.additionalProperties) ? schema.additionalProperties : schema.additionalProperties === false ? undefined : {};
    for (const name of required) {
      if (name in out || name in properties) continue;
      const value = extra ? this.walk(extra, at && isObject(schema.additionalProperties) ? `${at}/additionalProperties` : undefined, state) : 'string';
      out[name] = value === undefined ? 'string' : value;
    }
    // A map (no declared properties): one entry, when optional members are wanted.
    const wanted = Object.keys(properties).length === 0 && isObject(schema.additionalProperties) && !schema.propertyNames && max > 0 && this.includeOptional(state) ? 1 : 0;
    const min = Math.max(typeof schema.minProperties === 'number' ? schema.minProperties : 0, Math.min(wanted, max));
    const patterns = isObject(schema.patternProperties) ? Object.entries<any>(schema.patternProperties) : [];
    let k = 0;
    while (Object.keys(out).length < min && k < min + 8) {
      k++;
      const [pattern, valueSchema] = patterns[(k - 1) % Math.max(1, patterns.length)] ?? [];
      const name = pattern ? stringMatching(pattern, state.random?.fork(k), 1, 64, (s) => !(s in out)) : `property${k}`;
      if (!name || name in out) continue;
      const value = this.walk(pattern ? valueSchema : extra ?? {}, undefined, state);
      if (value !== undefined) out[name] = value;
    }
    return out;
  }

  private array(schema: Record<string, any>, at: string | undefined, state: State): unknown {
    const prefix: unknown[] = Array.isArray(schema.prefixItems) ? schema.prefixItems : Array.isArray(schema.items) ? schema.items : [];
    const items = Array.isArray(schema.items) ? (schema.additionalItems ?? {}) : schema.items ?? (prefix.length ? undefined : {});
    const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0;
    const maxItems = typeof schema.maxItems === 'number' ? schema.maxItems : Infinity;
    let count = state.minimal ? minItems : Math.max(minItems, prefix.length, 1);
    if (state.random && !state.minimal) count = state.random.int(Math.max(minItems, prefix.length), Math.max(minItems, prefix.length, Math.min(maxItems, minItems + 2)));
    count = Math.min(count, maxItems);
    const out: unknown[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) {
      const itemSchema = i < prefix.length ? prefix[i] : items;
      if (itemSchema === undefined) break;
      const where = at && (i < prefix.length ? `${at}/${Array.isArray(schema.prefixItems) ? 'prefixItems' : 'items'}/${i}` : Array.isArray(schema.items) ? undefined : `${at}/items`);
      let value: unknown;
      for (let attempt = 0; attempt < (schema.uniqueItems ? 6 : 1); attempt++) {
        const random = i === 0 && attempt === 0 ? state.random : (state.random ?? FIXED).fork(`${i}:${attempt}`);
        const candidate = this.walk(itemSchema, where, { ...state, random });
        if (candidate === undefined) break;
        if (!schema.uniqueItems) {
          value = candidate;
          break;
        }
        const key = JSON.stringify(candidate);
        if (!seen.has(key)) {
          seen.add(key);
          value = candidate;
          break;
        }
      }
      if (value === undefined) break;
      out.push(value);
    }
    if (out.length < minItems) return undefined;
    return out;
  }

  private number(schema: Record<string, any>, type: 'integer' | 'number', state: State): number {
    const integer = type === 'integer' || schema.format === 'int32' || schema.format === 'int64';
    let lo = -Infinity;
    let hi = Infinity;
    let loOpen = false;
    let hiOpen = false;
    if (typeof schema.minimum === 'number') lo = schema.minimum;
    if (typeof schema.maximum === 'number') hi = schema.maximum;
    if (schema.exclusiveMinimum === true) loOpen = true;
    if (schema.exclusiveMaximum === true) hiOpen = true;
    if (typeof schema.exclusiveMinimum === 'number' && schema.exclusiveMinimum >= lo) [lo, loOpen] = [schema.exclusiveMinimum, true];
    if (typeof schema.exclusiveMaximum === 'number' && schema.exclusiveMaximum <= hi) [hi, hiOpen] = [schema.exclusiveMaximum, true];
    if (schema.format === 'int32') [lo, hi] = [Math.max(lo, -(2 ** 31)), Math.min(hi, 2 ** 31 - 1)];
    const step = typeof schema.multipleOf === 'number' && schema.multipleOf > 0 ? schema.multipleOf : integer ? 1 : undefined;
    const inRange = (n: number) => (loOpen ? n > lo : n >= lo) && (hiOpen ? n < hi : n <= hi);
    let preferred = state.random && !state.minimal ? state.random.int(0, 100) : 0;
    if (!inRange(preferred)) preferred = Number.isFinite(lo) ? lo : Number.isFinite(hi) ? hi : 0;
    if (step === undefined) {
      if (inRange(preferred)) return preferred;
      if (Number.isFinite(lo) && Number.isFinite(hi)) return (lo + hi) / 2;
      return Number.isFinite(lo) ? lo + 1 : hi - 1;
    }
    const decimals = decimalsOf(step);
    const round = (n: number) => Number((n * step).toFixed(decimals));
    let k = Math.ceil(preferred / step - 1e-9);
    for (let tries = 0; tries < 4 && !inRange(round(k)); tries++) k += preferred >= hi ? -1 : 1;
    if (inRange(round(k))) return round(k);
    k = Math.floor(preferred / step);
    return round(k);
  }

  private string(schema: Record<string, any>, state: State): string {
    const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
    const max = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
    const pattern = typeof schema.pattern === 'string' ? schema.pattern : undefined;
    const tester = pattern ? patternTester(pattern) : undefined;
    const fits = (text: string) => [...text].length >= min && [...text].length <= max && (!tester || tester.test(text));
    const formatted = typeof schema.format === 'string' ? FORMAT_SAMPLES[schema.format] : undefined;
    if (formatted !== undefined && fits(formatted)) return formatted;
    if (pattern) {
      const matched = stringMatching(pattern, state.random, min, max);
      if (matched !== undefined) return matched;
    }
    let text = formatted ?? (state.random && !state.minimal ? randomWord(state.random) : 'string');
    if ([...text].length < min) text = text + 'x'.repeat(min - [...text].length);
    if ([...text].length > max) text = [...text].slice(0, max).join('');
    return text;
  }
}

/** The discriminator value that selects the schema behind `ref`: its mapping key, else its component name. */
export function discriminatorValue(discriminator: Record<string, any>, ref: string): string | undefined {
  const target = fragment(ref);
  if (isObject(discriminator.mapping)) {
    for (const [value, mapped] of Object.entries(discriminator.mapping)) {
      if (typeof mapped !== 'string') continue;
      if (fragment(mapped) === target || mapped === target.split('/').pop()) return value;
    }
  }
  const match = /^\/components\/schemas\/([^/]+)$/.exec(target);
  return match ? match[1].replace(/~1/g, '/').replace(/~0/g, '~') : undefined;
}

/** Varied values for uniqueItems when no PRNG was given: still deterministic. */
const FIXED: Pick<Random, 'fork'> = { fork: (label) => seeded(hash32(String(label))) };

function randomWord(random: Random): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  let out = '';
  const length = random.int(3, 10);
  for (let i = 0; i < length; i++) out += letters[random.int(0, letters.length - 1)];
  return out;
}

function decimalsOf(n: number): number {
  const text = String(n);
  if (text.includes('e-')) return Number(text.split('e-')[1]);
  const dot = text.indexOf('.');
  return dot === -1 ? 0 : text.length - dot - 1;
}

function isNullSchema(schema: unknown): boolean {
  return isObject(schema) && (schema.type === 'null' || (Array.isArray(schema.enum) && schema.enum.length === 1 && schema.enum[0] === null));
}

function inferTypes(schema: Record<string, any>): string[] {
  if (schema.properties || schema.additionalProperties || schema.required || schema.patternProperties || schema.minProperties !== undefined) return ['object'];
  if (schema.items || schema.prefixItems || schema.minItems !== undefined || schema.maxItems !== undefined) return ['array'];
  if (schema.pattern || schema.format || schema.minLength !== undefined || schema.maxLength !== undefined) {
    if (schema.format && /^(int32|int64|float|double)$/.test(schema.format)) return ['number'];
    return ['string'];
  }
  if (schema.minimum !== undefined || schema.maximum !== undefined || schema.multipleOf !== undefined) return ['number'];
  return [];
}

function intersectTypes(a: string | string[], b: string | string[]): string | string[] {
  const left = Array.isArray(a) ? a : [a];
  const right = Array.isArray(b) ? b : [b];
  const both = left.flatMap((t) => (right.includes(t) ? [t] : t === 'number' && right.includes('integer') ? ['integer'] : t === 'integer' && right.includes('number') ? ['integer'] : []));
  if (both.length === 0) return left;
  return both.length === 1 ? both[0] : both;
}

/** The media type's own examples (`example`, then each of `examples`, `$ref`s followed), in document order. */
export function mediaExamples(document: unknown, media: Pick<MediaTypeSpec, 'example' | 'examples'>): Array<{ name?: string; value: unknown }> {
  const out: Array<{ name?: string; value: unknown }> = [];
  if (media.example !== undefined) out.push({ value: media.example });
  for (const [name, raw] of Object.entries(media.examples ?? {})) {
    let example: any = raw;
    for (let hops = 0; example && typeof example.$ref === 'string' && hops < 8; hops++) example = resolvePointer(document, example.$ref);
    if (example && typeof example === 'object' && 'value' in example) out.push({ name, value: example.value });
  }
  return out;
}

/** The first example of a media type, else a canonical sample of its schema (kept for simple callers). */
export function exampleOf(document: unknown, media: MediaTypeSpec, direction: Direction = 'response'): unknown {
  const examples = mediaExamples(document, media);
  if (examples.length) return examples[0].value;
  return new Sampler(document, { direction }).sample(media.schema, media.schemaPointer);
}

/** A canonical sample of `schema` (kept for simple callers). */
export function sample(document: unknown, schema: unknown, _depth: number, direction: Direction): unknown {
  return new Sampler(document, { direction }).sample(schema);
}
