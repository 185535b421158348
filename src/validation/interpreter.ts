// A JSON Schema interpreter that only ever says "valid" when Ajv would: the first responses that reach
// a schema are checked by walking it, and Ajv compiles the schema only when it is used often enough to
// be worth its compile time, or when the walk cannot vouch for a value.
//
// Why: Ajv turns each schema into JavaScript before it checks anything, ~2–15 ms a schema on large
// documents (Stripe's `customer` 15 ms), and a real response reaches dozens of them: Stripe's first
// `/v1/customers` spent ~90 ms in Ajv, Discord's first message ~230 ms. Walking the same schemas for
// one body takes well under a millisecond.
//
// It answers ACCEPT, REJECT or UNSURE, and the caller hands everything but ACCEPT to Ajv, which gives
// the verdict and the errors users see. So the walk needs to be right only where it accepts: it
// follows Ajv's semantics for the keywords below (type tests, `required` by `!== undefined`,
// `additionalProperties` over `for…in`, lengths in code points, Ajv's own registered formats and
// pattern engine, `multipleOf` by `parseInt`) and is UNSURE about everything else: a keyword Ajv knows
// that is not handled here, a value that is not plain JSON (class instances, Dates, non-finite numbers,
// `undefined` as a value), a pattern that does not compile, a reference it cannot resolve.
// Requests' scalar schemas (parameters, mostly) are walked first too, where decidesAlone() says Ajv
// would compile them and not change the value: the walk's REJECT then also goes to Ajv, for its errors.
// test/unit/interpreter.test.ts compares it with Ajv on real documents' samples, valid and spoiled.
import type Ajv from 'ajv';
import { FORMAT_SAMPLES } from './format-samples';
import { decodeFragment, FORBIDDEN_KEYWORD, LAZY_REF_KEYWORD } from './transform';

export const ACCEPT = 0;
export const REJECT = 1;
export const UNSURE = 2;
export type Verdict = typeof ACCEPT | typeof REJECT | typeof UNSURE;

/** Keywords that never decide anything (annotations, and containers read through other keywords). */
const ANNOTATIONS = new Set([
  '$schema', '$comment', '$defs', 'definitions', '$vocabulary', 'title', 'description', 'default', 'deprecated',
  'readOnly', 'writeOnly', 'examples', 'contentMediaType', 'contentEncoding', 'contentSchema', 'then', 'else',
]);

/** Deeper than this the walk gives up (a schema that refers to itself without descending into the data). */
const MAX_DEPTH = 256;

type Schema = Record<string, unknown>;
type Pattern = { test(text: string): boolean };

export class SchemaInterpreter {
  private readonly patterns = new Map<string, Pattern | null>();

  constructor(
    /** The Ajv instance whose verdicts this stands in for: its formats, and the keywords it knows. */
    private readonly ajv: Ajv,
    /** The schema a lazy reference names (decoded JSON pointer), or undefined. */
    readonly target: (pointer: string) => unknown,
    /** How Ajv makes a pattern's RegExp (compiler.ts's patternEngine). */
    private readonly makePattern: (pattern: string, flags: string) => Pattern,
  ) {}

  /** (object or array, schema) pairs accepted, during checkRemembering() only. */
  private accepted?: WeakMap<object, Set<unknown>>;

  check(schema: unknown, data: unknown, depth = 0): Verdict {
    if (schema === true) return ACCEPT;
    if (schema === false) return REJECT;
    if (!schema || typeof schema !== 'object' || Array.isArray(schema) || depth > MAX_DEPTH || !isPlainValue(data)) return UNSURE;
    const remembered = this.accepted && typeof data === 'object' && data !== null ? this.accepted : undefined;
    if (remembered?.get(data as object)?.has(schema)) return ACCEPT;
    let verdict: Verdict = ACCEPT;
    for (const key of Object.keys(schema)) {
      const found = this.keyword(key, schema as Schema, data, depth + 1);
      if (found === REJECT) return REJECT;
      if (found === UNSURE) verdict = UNSURE;
    }
    if (remembered && verdict === ACCEPT) {
      const schemas = remembered.get(data as object);
      if (schemas) schemas.add(schema);
      else remembered.set(data as object, new Set([schema]));
    }
    return verdict;
  }

  /**
   * check(), remembering which objects and arrays each schema accepted in `accepted`, and trusting what
   * it remembers. For a mock body in the making: the sampler checks each part as it builds it, then
   * the whole, whose walk would repeat every part's. Only for values nobody changes once checked; a
   * response's own check never uses it.
   */
  checkRemembering(schema: unknown, data: unknown, accepted: WeakMap<object, Set<unknown>>): Verdict {
    this.accepted = accepted;
    try {
      return this.check(schema, data);
    } finally {
      this.accepted = undefined;
    }
  }

  private keyword(key: string, schema: Schema, data: unknown, depth: number): Verdict {
    const value = schema[key];
    switch (key) {
      case 'type':
        return typeMatches(value, data);
      case 'enum':
        return Array.isArray(value) ? verdict(value.some((allowed) => equal(allowed, data))) : UNSURE;
      case 'const':
        return verdict(equal(value, data));
      case 'allOf':
        return Array.isArray(value) ? this.all(value, data, depth) : UNSURE;
      case 'anyOf':
        return Array.isArray(value) ? this.any(value, data, depth) : UNSURE;
      case 'oneOf':
        return Array.isArray(value) ? this.one(value, data, depth) : UNSURE;
      case 'not': {
        const inner = this.check(value, data, depth);
        return inner === UNSURE ? UNSURE : inner === ACCEPT ? REJECT : ACCEPT;
      }
      case 'if': {
        const condition = this.check(value, data, depth);
        if (condition === UNSURE) return UNSURE;
        const branch = condition === ACCEPT ? schema.then : schema.else;
        return branch === undefined ? ACCEPT : this.check(branch, data, depth);
      }
      case LAZY_REF_KEYWORD: {
        const target = typeof value === 'string' ? this.target(value) : undefined;
        return target === undefined ? UNSURE : this.check(target, data, depth);
      }
      case '$ref': {
        // Request schemas keep their references (only responses' are lazy): followed within the document.
        const target = typeof value === 'string' && value.startsWith('#') ? this.target(decodeFragment(value)) : undefined;
        return target === undefined ? UNSURE : this.check(target, data, depth);
      }
      case FORBIDDEN_KEYWORD:
        return REJECT;
    }
    if (isObject(data)) return this.objectKeyword(key, value, schema, data, depth);
    if (Array.isArray(data)) return this.arrayKeyword(key, value, data, depth);
    if (typeof data === 'string') return this.stringKeyword(key, value, data);
    if (typeof data === 'number') return this.numberKeyword(key, value, data);
    return this.otherKeyword(key, value);
  }

  private objectKeyword(key: string, value: unknown, schema: Schema, data: Record<string, unknown>, depth: number): Verdict {
    switch (key) {
      case 'properties': {
        if (!isObject(value)) return UNSURE;
        let found: Verdict = ACCEPT;
        for (const name of Object.keys(value)) {
          const member = data[name];
          if (member === undefined) continue;
          const inner = this.check(value[name], member, depth);
          if (inner === REJECT) return REJECT;
          if (inner === UNSURE) found = UNSURE;
        }
        return found;
      }
      case 'required':
        // A name that is not a string would stop Ajv compiling: left to Ajv.
        if (!Array.isArray(value) || !value.every(isString)) return UNSURE;
        return verdict(value.every((name) => data[name] !== undefined));
      case 'additionalProperties':
        return this.additional(value, schema, data, depth);
      case 'patternProperties': {
        if (!isObject(value)) return UNSURE;
        let found: Verdict = ACCEPT;
        for (const pattern of Object.keys(value)) {
          const regex = this.pattern(pattern);
          if (!regex) return UNSURE;
          for (const name in data) {
            if (!regex.test(name)) continue;
            const inner = this.check(value[pattern], data[name], depth);
            if (inner === REJECT) return REJECT;
            if (inner === UNSURE) found = UNSURE;
          }
        }
        return found;
      }
      case 'minProperties':
        return typeof value === 'number' ? verdict(Object.keys(data).length >= value) : UNSURE;
      case 'maxProperties':
        return typeof value === 'number' ? verdict(Object.keys(data).length <= value) : UNSURE;
    }
    return this.otherKeyword(key, value);
  }

  /** `additionalProperties`: every enumerable key (Ajv iterates `for…in`) not declared nor matched by a pattern. */
  private additional(value: unknown, schema: Schema, data: Record<string, unknown>, depth: number): Verdict {
    if (value === true) return ACCEPT;
    const declared = isObject(schema.properties) ? schema.properties : {};
    const patterns: Pattern[] = [];
    if (schema.patternProperties !== undefined) {
      if (!isObject(schema.patternProperties)) return UNSURE;
      for (const pattern of Object.keys(schema.patternProperties)) {
        const regex = this.pattern(pattern);
        if (!regex) return UNSURE;
        patterns.push(regex);
      }
    }
    let found: Verdict = ACCEPT;
    for (const name in data) {
      if (Object.prototype.hasOwnProperty.call(declared, name) || patterns.some((regex) => regex.test(name))) continue;
      if (value === false) return REJECT;
      const inner = this.check(value, data[name], depth);
      if (inner === REJECT) return REJECT;
      if (inner === UNSURE) found = UNSURE;
    }
    return found;
  }

  private arrayKeyword(key: string, value: unknown, data: unknown[], depth: number): Verdict {
    switch (key) {
      case 'items': {
        // A list of schemas is a tuple (draft-07), whose rest `additionalItems` governs: left to Ajv.
        if (Array.isArray(value)) return UNSURE;
        let found: Verdict = ACCEPT;
        for (let i = 0; i < data.length; i++) {
          const inner = this.check(value, data[i], depth);
          if (inner === REJECT) return REJECT;
          if (inner === UNSURE) found = UNSURE;
        }
        return found;
      }
      case 'minItems':
        return typeof value === 'number' ? verdict(data.length >= value) : UNSURE;
      case 'maxItems':
        return typeof value === 'number' ? verdict(data.length <= value) : UNSURE;
      case 'uniqueItems':
        if (value === false) return ACCEPT;
        return value === true ? uniqueItems(data) : UNSURE;
    }
    return this.otherKeyword(key, value);
  }

  private stringKeyword(key: string, value: unknown, data: string): Verdict {
    switch (key) {
      case 'minLength':
        return typeof value === 'number' ? verdict(codePoints(data) >= value) : UNSURE;
      case 'maxLength':
        return typeof value === 'number' ? verdict(codePoints(data) <= value) : UNSURE;
      case 'pattern': {
        const regex = typeof value === 'string' ? this.pattern(value) : null;
        return regex ? verdict(regex.test(data)) : UNSURE;
      }
      case 'format':
        return this.format(value, data, 'string');
    }
    return this.otherKeyword(key, value);
  }

  private numberKeyword(key: string, value: unknown, data: number): Verdict {
    if (key === 'format') return this.format(value, data, 'number');
    if (!(key in NUMBER_LIMITS)) return this.otherKeyword(key, value);
    return typeof value === 'number' ? verdict(NUMBER_LIMITS[key](data, value)) : UNSURE;
  }

  /**
   * A keyword for another type of value (ignored, as Ajv does, when it is well formed: one that is not
   * would stop Ajv compiling the schema, so that is left to Ajv), one Ajv knows and this does not
   * (UNSURE), or an unknown one (ignored, as Ajv does with `strict` off).
   */
  private otherKeyword(key: string, value: unknown): Verdict {
    if (ANNOTATIONS.has(key)) return ACCEPT;
    const wellFormed = OTHER_TYPES_KEYWORDS[key];
    if (wellFormed) return wellFormed(value) && (key !== 'pattern' || this.pattern(value as string) !== null) ? ACCEPT : UNSURE;
    return this.ajv.RULES.keywords[key] ? UNSURE : ACCEPT;
  }

  /** Ajv's registered format, applied when the value has the format's type; an unknown format is ignored, as Ajv (strict off) does. */
  private format(name: unknown, data: string | number, type: 'string' | 'number'): Verdict {
    if (typeof name !== 'string') return UNSURE;
    if (data === FORMAT_SAMPLES[name]) return ACCEPT;
    const format = (this.ajv.formats as Record<string, unknown>)[name];
    if (format === undefined || format === true) return ACCEPT;
    let check: unknown = format;
    let formatType = 'string';
    if (typeof format === 'object' && format !== null && !(format instanceof RegExp)) {
      const definition = format as { type?: string; validate?: unknown; async?: boolean };
      if (definition.async) return UNSURE;
      formatType = definition.type ?? 'string';
      check = definition.validate;
    }
    if (formatType !== type) return ACCEPT;
    if (check instanceof RegExp) return verdict(check.test(data as string));
    if (typeof check === 'function') return verdict(!!(check as (value: unknown) => unknown)(data));
    return UNSURE;
  }

  /**
   * Whether the schema is one this walk may stand in for before Ajv has compiled it, for a request's
   * value: every keyword in it (and in what its references reach) is one the walk reads, well formed
   * (so Ajv compiles it: a schema that does not compile must still fail every request, as
   * compileOperation makes it), and none has Ajv change the value it checks (`useDefaults` fills in
   * objects' members, so objects are left to Ajv). Scalars and arrays of them: parameters, mostly.
   */
  decidesAlone(schema: unknown, depth = 0): boolean {
    if (typeof schema === 'boolean') return true;
    if (!isObject(schema) || depth > 32) return false;
    for (const key of Object.keys(schema)) {
      const value = schema[key];
      switch (key) {
        case 'type':
          if (!(Array.isArray(value) ? value : [value]).every((type) => SCALAR_TYPES.has(type as string))) return false;
          break;
        case 'enum':
          if (!Array.isArray(value) || value.length === 0) return false;
          break;
        case 'const':
          break;
        case 'items':
          if (Array.isArray(value) || !this.decidesAlone(value, depth + 1)) return false;
          break;
        case 'allOf':
        case 'anyOf':
        case 'oneOf':
          if (!Array.isArray(value) || value.length === 0 || !value.every((member) => this.decidesAlone(member, depth + 1))) return false;
          break;
        case 'not':
          if (!this.decidesAlone(value, depth + 1)) return false;
          break;
        case '$ref':
          if (typeof value !== 'string' || !value.startsWith('#') || !this.decidesAlone(this.target(decodeFragment(value)), depth + 1)) return false;
          break;
        case 'pattern':
          if (typeof value !== 'string' || this.pattern(value) === null) return false;
          break;
        default:
          if (ANNOTATIONS.has(key)) break;
          if (SCALAR_KEYWORDS.has(key)) {
            if (!OTHER_TYPES_KEYWORDS[key](value)) return false;
            break;
          }
          // A keyword Ajv does not know is ignored by both; one it knows that is not read here is Ajv's.
          if (this.ajv.RULES.keywords[key]) return false;
      }
    }
    return true;
  }

  private pattern(source: string): Pattern | null {
    let regex = this.patterns.get(source);
    if (regex === undefined) {
      try {
        // Ajv asks its engine for every pattern with the `u` flag (unicodeRegExp, on by default).
        regex = this.makePattern(source, 'u');
      } catch {
        regex = null;
      }
      this.patterns.set(source, regex);
    }
    return regex;
  }

  private all(schemas: unknown[], data: unknown, depth: number): Verdict {
    let found: Verdict = ACCEPT;
    for (const schema of schemas) {
      const inner = this.check(schema, data, depth);
      if (inner === REJECT) return REJECT;
      if (inner === UNSURE) found = UNSURE;
    }
    return found;
  }

  private any(schemas: unknown[], data: unknown, depth: number): Verdict {
    let found: Verdict = REJECT;
    for (const schema of schemas) {
      const inner = this.check(schema, data, depth);
      if (inner === ACCEPT) return ACCEPT;
      if (inner === UNSURE) found = UNSURE;
    }
    return found;
  }

  /** Exactly one branch: sure only when every branch is. */
  private one(schemas: unknown[], data: unknown, depth: number): Verdict {
    let accepted = 0;
    let unsure = false;
    for (const schema of schemas) {
      const inner = this.check(schema, data, depth);
      if (inner === ACCEPT && ++accepted > 1) return REJECT;
      if (inner === UNSURE) unsure = true;
    }
    return unsure ? UNSURE : verdict(accepted === 1);
  }
}

const NUMBER_LIMITS: Record<string, (data: number, limit: number) => boolean> = {
  minimum: (data, limit) => data >= limit,
  maximum: (data, limit) => data <= limit,
  exclusiveMinimum: (data, limit) => data > limit,
  exclusiveMaximum: (data, limit) => data < limit,
  // As Ajv's generated code tests it (no multipleOfPrecision).
  multipleOf: (data, divisor) => {
    const ratio = data / divisor;
    return ratio === parseInt(ratio as unknown as string);
  },
};

/** What decidesAlone() admits: values Ajv checks without changing them. */
const SCALAR_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null', 'array']);
const SCALAR_KEYWORDS = new Set(['minLength', 'maxLength', 'format', 'minItems', 'maxItems', 'uniqueItems', ...Object.keys(NUMBER_LIMITS)]);

const isNumber = (value: unknown) => typeof value === 'number';
const isString = (value: unknown) => typeof value === 'string';
const isSchema = (value: unknown) => typeof value === 'boolean' || isObject(value);

/** Keywords of one value type, each with the form its value must have: a value of another type passes them. */
const OTHER_TYPES_KEYWORDS: Record<string, (value: unknown) => boolean> = {
  properties: isObject,
  patternProperties: isObject,
  additionalProperties: isSchema,
  required: (value) => Array.isArray(value) && value.every(isString),
  minProperties: isNumber,
  maxProperties: isNumber,
  items: (value) => isSchema(value) || Array.isArray(value),
  minItems: isNumber,
  maxItems: isNumber,
  uniqueItems: (value) => typeof value === 'boolean',
  minLength: isNumber,
  maxLength: isNumber,
  pattern: isString,
  format: isString,
  ...Object.fromEntries(Object.keys(NUMBER_LIMITS).map((key) => [key, isNumber])),
};

function verdict(ok: boolean): Verdict {
  return ok ? ACCEPT : REJECT;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON's values as JSON.parse makes them: what the walk can vouch for. */
function isPlainValue(data: unknown): boolean {
  switch (typeof data) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(data);
    case 'object': {
      if (data === null || Array.isArray(data)) return true;
      // Object.prototype of any realm (a vm context's, a test runner's), or none: not a class instance.
      const prototype = Object.getPrototypeOf(data);
      return prototype === null || Object.getPrototypeOf(prototype) === null;
    }
    default:
      return false;
  }
}

/** Ajv's type test (dataType.ts's checkDataType) for each named type. */
function typeMatches(type: unknown, data: unknown): Verdict {
  if (typeof type === 'string') return verdict(hasType(type, data));
  if (Array.isArray(type)) return verdict(type.some((one) => typeof one === 'string' && hasType(one, data)));
  return UNSURE;
}

function hasType(type: string, data: unknown): boolean {
  switch (type) {
    case 'null':
      return data === null;
    case 'array':
      return Array.isArray(data);
    case 'object':
      return isObject(data);
    case 'integer':
      return typeof data === 'number' && !(data % 1) && !isNaN(data);
    case 'number':
      return typeof data === 'number';
    default:
      return typeof data === type;
  }
}

/** Whether no two items are equal: scalars through a set, as Ajv does (linear); objects pairwise, in Ajv's way too, while that stays small. */
function uniqueItems(data: unknown[]): Verdict {
  if (data.every((item) => item === null || typeof item !== 'object')) {
    const seen = new Set<unknown>();
    for (const item of data) {
      if (seen.has(item)) return REJECT;
      seen.add(item);
    }
    return ACCEPT;
  }
  if (data.length > 1000) return UNSURE;
  for (let i = 1; i < data.length; i++) for (let j = 0; j < i; j++) if (equal(data[i], data[j])) return REJECT;
  return ACCEPT;
}

/** Characters as Ajv counts them for minLength/maxLength (ucs2length: a surrogate pair is one). */
function codePoints(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      length--;
      i++;
    }
  }
  return length;
}

/** Deep equality of JSON values (what fast-deep-equal, Ajv's `equal`, decides for them). */
function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return a !== a && b !== b;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equal(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    if (!Object.prototype.hasOwnProperty.call(b, key) || !equal((a as Schema)[key], (b as Schema)[key])) return false;
  }
  return true;
}
