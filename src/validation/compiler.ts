// Ajv, once per server: one instance per direction for the document's dialect (draft-07 for 3.0,
// 2020-12 for 3.1), the transformed document registered once (filled on demand with the schemas a
// compiled pointer reaches), and validators compiled per schema pointer so that a component schema
// is compiled once however many operations use it.
import Ajv, { type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import isSafeRegex from 'safe-regex2';
import type { Dialect } from '../document/load';
import { BRANCH_KEYWORD, FORBIDDEN_KEYWORD, LAZY_REF_KEYWORD, LazyDocument, transformDocument, type Direction } from './transform';
import { STOP, walkMembers } from '../document/walk';
import { ACCEPT, SchemaInterpreter, UNSURE } from './interpreter';

export interface Violation {
  /** JSON pointer into the validated value ('' for the value itself). */
  pointer: string;
  message: string;
}

export type Validator = (value: unknown) => Violation[] | null;

const DOCUMENT_ID: Record<Direction, string> = { request: 'specbind:request', response: 'specbind:response' };

/**
 * How many values a lazily referenced schema is checked by walking it (src/validation/interpreter.ts)
 * before Ajv compiles it: compiling costs as much as hundreds of walks of a small body, and a schema
 * used that often is worth it. A value the walk cannot vouch for is checked by Ajv at once.
 */
export const WALKS_BEFORE_COMPILING = 32;

/** OpenAPI's own formats; numeric ones are checked, the rest are annotations. */
const OPENAPI_FORMATS: Record<string, any> = {
  int32: { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n <= 2 ** 31 - 1 },
  int64: { type: 'number', validate: (n: number) => Number.isInteger(n) },
  float: { type: 'number', validate: () => true },
  double: { type: 'number', validate: () => true },
  byte: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
  binary: true,
  password: true,
};

/**
 * Patterns as Ajv compiles them. A pattern safe-regex2 judges safe runs on the native engine (fast);
 * one that could backtrack catastrophically (`^(a+)+$`) runs on RE2 (re2-wasm: linear time, so a
 * crafted input cannot stall the event loop). RE2 has no lookaround or backreferences: such a risky
 * pattern keeps the native engine and is reported as a startup warning.
 */
export function patternEngine(warn: (message: string) => void): { (pattern: string, flags: string): { test(text: string): boolean }; code: string } {
  // Each pattern made once: the walk and Ajv share it, and a risky one is reported once (a RegExp
  // without the g or y flag keeps no state between tests; Ajv asks with 'u' only).
  const made = new Map<string, { test(text: string): boolean }>();
  const engine = (pattern: string, flags: string) => {
    if (/[gy]/.test(flags)) return make(pattern, flags);
    const key = `${flags}/${pattern}`;
    let tester = made.get(key);
    if (!tester) made.set(key, (tester = make(pattern, flags)));
    return tester;
  };
  const make = (pattern: string, flags: string) => {
    let native: RegExp;
    try {
      native = new RegExp(pattern, flags);
    } catch {
      // Many real documents use escapes that only non-Unicode regexes accept.
      native = new RegExp(pattern, flags.replace('u', ''));
    }
    if (isSafeRegex(native)) return native;
    try {
      // Loaded on the first risky pattern only (25 ms of module loading otherwise spent at every start).
      const { RE2 } = require('re2-wasm') as typeof import('re2-wasm');
      return new RE2(pattern, flags.includes('u') ? flags : `${flags}u`);
    } catch (error) {
      warn(`pattern ${JSON.stringify(pattern)} may backtrack catastrophically and RE2 cannot run it (${(error as Error).message}); it runs on the backtracking engine`);
      return native;
    }
  };
  engine.code = 'new RegExp';
  return engine;
}

/** Keywords that name a schema from anywhere in its document (Ajv finds them by walking it all). */
const ID_KEYWORDS = new Set(['$id', '$anchor', '$dynamicAnchor', '$recursiveAnchor']);
/**
 * 2020-12 keywords whose result depends on what a `$ref`'s target evaluated (or that resolve
 * references at validation time): a `$ref` behind a lazy keyword would hide that from Ajv.
 */
const SEE_THROUGH_REFS = new Set(['unevaluatedProperties', 'unevaluatedItems', '$dynamicRef', '$recursiveRef']);

/** What one walk of a 3.1 document finds: schema ids or anchors, and keywords that see through `$ref`. */
function scan31(document: unknown): { ids: boolean; seesThroughRefs: boolean } {
  const found = { ids: false, seesThroughRefs: false };
  walkMembers(document, (key) => {
    if (ID_KEYWORDS.has(key)) found.ids = true;
    else if (SEE_THROUGH_REFS.has(key)) found.seesThroughRefs = true;
    return found.ids && found.seesThroughRefs ? STOP : undefined;
  });
  return found;
}

export interface SchemaCompilerOptions {
  /**
   * Response schemas compile one referenced schema at a time, each when validation first reaches it
   * (a `$ref` becomes a keyword that compiles its target on first use), instead of everything the
   * schema reaches at once. On Stripe's document the first response of any operation reaches most of
   * its 1,300 schemas through expandable fields, and compiling them all took ~550 ms; its own error
   * body reaches a handful. The results are the same; a schema Ajv cannot compile is found when data
   * first reaches it. Off where every schema must be proven compilable up front (eager mode, `check`),
   * and for 3.1 documents with ids or with keywords that see through `$ref` (unevaluated*, dynamic refs).
   */
  lazyRefs?: boolean;
}

export class SchemaCompiler {
  private readonly instances: Record<Direction, Ajv>;
  /** Per direction, the transformed document built on demand (undefined: transformed whole at startup). */
  private readonly lazy: Partial<Record<Direction, LazyDocument>> = {};
  private readonly cache: Record<Direction, Map<string, Validator>> = { request: new Map(), response: new Map() };
  private readonly compiled: Record<Direction, Map<string, ValidateFunction>> = { request: new Map(), response: new Map() };
  /** Response schemas (and lazy references' targets) are walked, not compiled, for their first values (lazy references only). */
  private interpreter?: SchemaInterpreter;
  /** Request schemas the walk decides alone (lazy mode): see requestWalkFirst. */
  private requestInterpreter?: SchemaInterpreter;
  /** Per schema pointer, the values walked so far (up to WALKS_BEFORE_COMPILING). */
  private readonly walks = new Map<string, number>();
  /** The parts of mock bodies the walk has accepted (satisfies()). */
  private readonly sampled = new WeakMap<object, Set<unknown>>();
  /** Mock bodies checked whole and frozen (vouchFor()): the schemas each satisfies, by the pointer validator() compiles. */
  private readonly vouched = new WeakMap<object, Set<string>>();

  /**
   * `warn` hears Ajv's own notices (unknown formats, ...); `riskyPattern` hears about patterns that may
   * backtrack catastrophically and could not be moved to RE2.
   */
  constructor(document: object, dialect: Dialect, warn: (message: string) => void = () => {}, riskyPattern: (message: string) => void = warn, compilerOptions: SchemaCompilerOptions = {}) {
    const make = (direction: Direction): Ajv => {
      const regExp = patternEngine(riskyPattern);
      const options: Options = {
        strict: false,
        validateSchema: false,
        allErrors: direction === 'request',
        useDefaults: direction === 'request',
        // Errors carry their schema, so a discriminator's failed branch can be named.
        verbose: true,
        discriminator: false,
        // A referenced schema is compiled once, as its own function, instead of being inlined at every
        // `$ref` to it; and the generated code is not rewritten by Ajv's optimizer. Both cut compile
        // time and memory several-fold on large documents (GitHub's, eager: 6.6 s -> 2.9 s, 400 -> 216 MB)
        // and validation is no slower: V8 optimizes the small functions better than one huge one.
        inlineRefs: false,
        code: { regExp: regExp as any, optimize: false },
        logger: { log: () => {}, warn: (...args: unknown[]) => warn(args.join(' ')), error: (...args: unknown[]) => warn(args.join(' ')) },
      };
      const ajv = dialect === '3.1' ? new Ajv2020(options) : new Ajv(options);
      addFormats(ajv);
      for (const [name, format] of Object.entries(OPENAPI_FORMATS)) ajv.addFormat(name, format);
      ajv.addKeyword({
        keyword: FORBIDDEN_KEYWORD,
        schemaType: 'string',
        errors: true,
        validate: function forbidden(message: string) {
          (forbidden as any).errors = [{ keyword: FORBIDDEN_KEYWORD, message, params: {} }];
          return false;
        },
      });
      const lazyRefs = onDemand && direction === 'response' && !!compilerOptions.lazyRefs && !scanned?.seesThroughRefs;
      if (lazyRefs) {
        ajv.addKeyword({
          keyword: LAZY_REF_KEYWORD,
          schemaType: 'string',
          errors: true,
          // Called with the data and Ajv's data context: the target validates at the same place in the
          // same document, so its errors carry full instance paths.
          // A target that does not compile fails the value that reaches it, saying so (as a response
          // schema that does not compile does in compileOperation), every time.
          compile: (pointer: string) => {
            let target: ValidateFunction | undefined;
            let broken: string | undefined;
            const reference = (data: unknown, cxt?: { instancePath?: string }): boolean => {
              if (!target && broken === undefined) {
                target = this.compiled[direction].get(pointer);
                if (!target && this.walked(pointer, data)) return true;
              }
              if (!target && broken === undefined) {
                try {
                  target = this.compile(direction, pointer);
                } catch (error) {
                  broken = `cannot be checked: the schema at #${pointer} does not compile (${(error as Error).message})`;
                }
              }
              if (target && (target as (data: unknown, cxt?: object) => boolean)(data, cxt)) return true;
              (reference as { errors?: unknown }).errors = target
                ? target.errors
                : [{ keyword: LAZY_REF_KEYWORD, instancePath: cxt?.instancePath ?? '', schemaPath: '', params: {}, message: broken }];
              return false;
            };
            return reference;
          },
        });
      }
      if (onDemand) {
        // Ajv resolves `#/…` pointers in the registered object when it compiles, so schemas added to
        // it later (before the compile that needs them) are found; registering it empty skips Ajv's
        // walk of the whole document for ids. 3.0 schemas have no ids (the transform drops `$id`).
        const lazy = (this.lazy[direction] = new LazyDocument(document, dialect, direction, lazyRefs));
        ajv.addSchema(lazy.root, DOCUMENT_ID[direction]);
        if (lazyRefs) {
          const targets = new Map<string, unknown>();
          const target = (pointer: string) => {
            if (!targets.has(pointer)) targets.set(pointer, lazy.schemaAt(pointer));
            return targets.get(pointer);
          };
          this.interpreter = new SchemaInterpreter(ajv, target, regExp);
        }
        if (direction === 'request' && compilerOptions.lazyRefs) this.requestInterpreter = new SchemaInterpreter(ajv, (pointer) => lazy.schemaAt(pointer), regExp);
      } else ajv.addSchema(transformDocument(document, dialect, direction), DOCUMENT_ID[direction]);
      return ajv;
    };
    // A 3.1 document whose schemas carry `$id`/`$anchor` is registered whole: a `$ref` may name them.
    const scanned = dialect === '3.0' ? undefined : scan31(document);
    const onDemand = !scanned?.ids;
    this.instances = { request: make('request'), response: make('response') };
  }

  /** The validator for the schema at `schemaPointer` in the document; compiled on first use, then cached. */
  validator(direction: Direction, schemaPointer: string): Validator {
    const cache = this.cache[direction];
    let validator = cache.get(schemaPointer);
    if (!validator) {
      const target = this.lazy[direction]?.referenceTarget(schemaPointer) ?? schemaPointer;
      if (direction === 'response' && this.interpreter) validator = this.walkFirst(target, schemaPointer);
      else validator = (direction === 'request' && this.requestWalkFirst(target)) || wrap(this.compile(direction, target));
      cache.set(schemaPointer, validator);
    }
    return validator;
  }

  /**
   * A response validator that walks the schema at `pointer` (the target of `named`, the schema asked
   * for, when that is only a reference) for its first values and compiles it when the walk
   * cannot vouch for one, or has had its WALKS_BEFORE_COMPILING. A schema Ajv cannot compile then
   * refuses every value, saying why, as one found at startup would (fail closed).
   */
  private walkFirst(pointer: string, named: string): Validator {
    let compiled: Validator | undefined;
    return (value) => {
      if (!compiled) {
        if (typeof value === 'object' && value !== null && this.vouched.get(value)?.has(pointer)) return null;
        if (this.walked(pointer, value)) return null;
        try {
          compiled = wrap(this.compile('response', pointer));
        } catch (error) {
          const message = `cannot be checked: the schema at #${named} does not compile (${(error as Error).message})`;
          compiled = () => [{ pointer: '', message }];
        }
      }
      return compiled(value);
    };
  }

  /**
   * A request validator that walks the schema for its first values, for a schema the walk decides
   * alone (interpreter.ts's decidesAlone: scalars and arrays of them, every keyword one it reads and
   * well formed, so that Ajv is sure to compile it). A parameter's first request then compiles
   * nothing: Ajv's first compile in a process costs ~6 ms, each parameter's ~1 ms more (Discord's
   * first message request had four). A value the walk does not accept, or the 33rd, is Ajv's, which
   * compiles the schema then and says what is wrong, as always. Undefined for any other schema:
   * compiled now, so that one Ajv cannot compile still fails every request to its operation.
   */
  private requestWalkFirst(pointer: string): Validator | undefined {
    const interpreter = this.requestInterpreter;
    const schema = interpreter && this.lazy.request?.schemaAt(pointer);
    if (!interpreter || schema === undefined || !interpreter.decidesAlone(schema)) return undefined;
    let walks = 0;
    let compiled: Validator | undefined;
    return (value) => {
      if (!compiled) {
        if (walks < WALKS_BEFORE_COMPILING && interpreter.check(schema, value) === ACCEPT) {
          walks++;
          return null;
        }
        compiled = wrap(this.compile('request', pointer));
      }
      return compiled(value);
    };
  }

  /** Whether the walk vouches for `data` against the lazily referenced schema at `pointer` (while it has walks left). */
  private walked(pointer: string, data: unknown): boolean {
    const walks = this.walks.get(pointer) ?? 0;
    if (!this.interpreter || walks >= WALKS_BEFORE_COMPILING) return false;
    this.walks.set(pointer, walks + 1);
    return this.interpreter.check(this.interpreter.target(pointer), data) === ACCEPT;
  }

  /**
   * Whether `value` satisfies the schema at `schemaPointer`, for a mock body in the making: the walk's
   * answer where it is sure (not counted towards compiling: the sampler tries many values once; parts
   * of the value accepted before are not walked again), else the validator's. What is finally sent is checked by the validator, as every response is.
   */
  satisfies(direction: Direction, schemaPointer: string, value: unknown): boolean {
    if (direction === 'response' && this.interpreter) {
      const verdict = this.interpreter.checkRemembering(this.interpreter.target(schemaPointer), value, this.sampled);
      if (verdict !== UNSURE) return verdict === ACCEPT;
    }
    return this.validator(direction, schemaPointer)(value) === null;
  }

  /**
   * Whether a finished mock body satisfies the response schema at `schemaPointer`, checked whole:
   * nothing remembered while it was made is trusted (satisfies() may have remembered a part that the
   * sampler changed after). One that does is frozen, deeply, and remembered, so the response's own
   * check of this very body, before it leaves, need not walk it again while its schema is walked
   * (Discord's first mock message walked its 15 KB twice, cold). Frozen, it cannot have changed since.
   */
  vouchFor(schemaPointer: string, value: unknown): boolean {
    // Remembered by the schema the pointer leads to: responses that refer to one schema share a mock body.
    const target = this.lazy.response?.referenceTarget(schemaPointer) ?? schemaPointer;
    const verdict = this.interpreter ? this.interpreter.check(this.interpreter.target(target), value) : UNSURE;
    const valid = verdict === UNSURE ? this.validator('response', schemaPointer)(value) === null : verdict === ACCEPT;
    if (valid && typeof value === 'object' && value !== null) {
      deepFreeze(value);
      const pointers = this.vouched.get(value);
      if (pointers) pointers.add(target);
      else this.vouched.set(value, new Set([target]));
    }
    return valid;
  }

  /** Ajv's function for the schema at `schemaPointer`, compiled once. */
  private compile(direction: Direction, schemaPointer: string): ValidateFunction {
    const compiled = this.compiled[direction];
    let validate = compiled.get(schemaPointer);
    if (!validate) {
      this.lazy[direction]?.ensure(schemaPointer);
      validate = this.instances[direction].getSchema(`${DOCUMENT_ID[direction]}#${encodePointer(schemaPointer)}`);
      if (!validate) throw new Error(`no schema at #${schemaPointer}`);
      compiled.set(schemaPointer, validate);
    }
    return validate;
  }
}

function deepFreeze(value: object): void {
  if (Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const member of Object.values(value)) if (typeof member === 'object' && member !== null) deepFreeze(member);
}

/** Ajv resolves `#…` fragments as URI fragments: characters outside the fragment set must be %-encoded. */
function encodePointer(schemaPointer: string): string {
  return schemaPointer.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/]/g, (c) => encodeURIComponent(c));
}

function wrap(validate: ValidateFunction): Validator {
  return (value) => (validate(value) ? null : (validate.errors ?? []).map(toViolation));
}

export function toViolation(error: ErrorObject): Violation {
  const params = error.params as Record<string, unknown>;
  let pointer = error.instancePath;
  if (error.keyword === 'required') pointer += `/${escape(String(params.missingProperty))}`;
  else if (error.keyword === 'additionalProperties') pointer += `/${escape(String(params.additionalProperty))}`;
  else if (error.keyword === 'unevaluatedProperties') pointer += `/${escape(String(params.unevaluatedProperty))}`;
  let message = error.message ?? 'is invalid';
  const branch = (error.parentSchema as Record<string, unknown> | undefined)?.[BRANCH_KEYWORD];
  if (error.keyword === 'if' && typeof branch === 'string') message = `does not match ${branch}`;
  if (error.keyword === 'required') message = 'is required';
  else if (error.keyword === 'additionalProperties' || error.keyword === 'unevaluatedProperties') message = 'is not a declared property';
  else if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) message = `must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return { pointer, message };
}

function escape(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}
