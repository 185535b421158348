// Resolution (pluggable, as in connexion): operationId → handler, from a directory of modules or an
// object map; what is missing is a startup error, a mock, or a 501, as `missingHandlers` says.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { StartupError, type StartupProblem } from '../errors';
import type { Handler } from '../contract/handler';
import type { OperationHead } from '../document/operations';

export interface ResolvedHandler {
  handler: Handler;
  /** The module file it came from, for the startup route table. */
  source?: string;
}

/** How Node loads a module: as CommonJS (require) or as an ES module (import). */
export type ModuleFormat = 'commonjs' | 'module';

const HANDLER_FILE = /^[^_.].*\.[mc]?[jt]s$/;
const NOT_HANDLER_FILE = /\.d\.[mc]?ts$|\.(test|spec)\.[mc]?[jt]s$/;
const TYPESCRIPT = /\.[mc]?ts$/;

/**
 * The handler modules in `dir`, sorted: its top-level .js, .mjs, .cjs, .ts, .mts and .cts files, not
 * `_*`, not tests, not declarations. A TypeScript module is left out when JavaScript of the same name
 * sits beside it (compiled in place: `pets.ts` and `pets.js`, `pets.mts` and `pets.mjs`).
 */
export function handlerFiles(dir: string): string[] {
  const absolute = path.resolve(dir);
  let entries: string[];
  try {
    entries = readdirSync(absolute).sort();
  } catch (error) {
    throw new StartupError(`Cannot read the handlers directory ${absolute}: ${(error as Error).message}`);
  }
  const candidates = entries.filter((entry) => HANDLER_FILE.test(entry) && !NOT_HANDLER_FILE.test(entry) && statSync(path.join(absolute, entry)).isFile());
  const compiled = new Set(candidates.filter((entry) => !TYPESCRIPT.test(entry)).map(baseName));
  return candidates.filter((entry) => !TYPESCRIPT.test(entry) || !compiled.has(baseName(entry))).map((entry) => path.join(absolute, entry));
}

const baseName = (entry: string): string => entry.replace(/\.[mc]?[jt]s$/, '');

/**
 * As Node decides: .mjs and .mts are ES modules, .cjs and .cts CommonJS, and .js and .ts follow the
 * `type` of the nearest package.json ("module", else CommonJS). `scopes` caches package.json lookups.
 */
export function moduleFormat(file: string, scopes = new Map<string, ModuleFormat>()): ModuleFormat {
  if (/\.m[jt]s$/.test(file)) return 'module';
  if (/\.c[jt]s$/.test(file)) return 'commonjs';
  return packageScope(path.dirname(path.resolve(file)), scopes);
}

function packageScope(dir: string, scopes: Map<string, ModuleFormat>): ModuleFormat {
  const known = scopes.get(dir);
  if (known) return known;
  let format: ModuleFormat;
  let text: string | undefined;
  try {
    text = readFileSync(path.join(dir, 'package.json'), 'utf8');
  } catch {
    text = undefined;
  }
  if (text !== undefined) {
    try {
      format = (JSON.parse(text) as { type?: unknown })?.type === 'module' ? 'module' : 'commonjs';
    } catch {
      format = 'commonjs'; // Node refuses it when it loads the module, with its own message
    }
  } else {
    const parent = path.dirname(dir);
    format = parent === dir || path.basename(dir) === 'node_modules' ? 'commonjs' : packageScope(parent, scopes);
  }
  scopes.set(dir, format);
  return format;
}

/**
 * Loads one module as Node would run it, and gives its exports: CommonJS through require(), ES modules
 * through import() (so top-level await and import.meta work). TypeScript (.ts, .mts, .cts) runs through
 * tsx, registered once when this process does not already load TypeScript.
 */
export async function loadModule(file: string, format: ModuleFormat = moduleFormat(file)): Promise<Record<string, unknown>> {
  if (format === 'commonjs') return requireModule(file);
  const esm = esModuleSide(file);
  const url = pathToFileURL(file).href;
  if (!TYPESCRIPT.test(file)) return esm.importModule(url);
  if (!esmTypeScriptHooks && !typeScriptAmbient()) {
    await esm.registerTypeScriptHooks();
    esmTypeScriptHooks = true;
  }
  try {
    return await esm.importModule(url);
  } catch (error) {
    // A process that loads TypeScript through require() only (`node -r tsx/cjs`, ts-node without its
    // ESM loader): nothing was evaluated, so register tsx's ES module hooks and import again, under
    // another URL (Node keeps the failed import of this one).
    if (esmTypeScriptHooks || (error as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    await esm.registerTypeScriptHooks();
    esmTypeScriptHooks = true;
    return esm.importModule(`${url}?tsx`);
  }
}

interface EsModuleSide {
  importModule(url: string): Promise<Record<string, unknown>>;
  registerTypeScriptHooks(): Promise<void>;
}

let esmSide: EsModuleSide | undefined;

/** import-esm.mjs (import-esm.mts under tsx), loaded through Node's require(esm). */
function esModuleSide(file: string): EsModuleSide {
  if (esmSide) return esmSide;
  try {
    esmSide = require('./import-esm.mjs') as EsModuleSide;
    return esmSide;
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === 'ERR_REQUIRE_ESM' ? `ES module handlers need Node 20.19+ or 22.12+ (this is ${process.version})` : (error as Error).message;
    throw new Error(`${path.basename(file)} is an ES module, which cannot be loaded here: ${why}`);
  }
}

let esmTypeScriptHooks = false;
let cjsTypeScriptHooks = false;
let ambient: boolean | undefined;

/**
 * Whether this process runs TypeScript without specbind's help: Bun and Deno do themselves (their
 * require() and import() load .ts; tsx's hooks would get in their way, and Deno cannot run tsx's
 * CommonJS build at all); under tsx or ts-node `.ts` is in require's extension table; a test runner's
 * own module system (Jest's require has no Node extension table) transforms it. Otherwise specbind
 * registers tsx rather than leave TypeScript to Node's own type stripping (Node 22.18+), which refuses
 * enums and extensionless relative imports.
 */
function typeScriptAmbient(): boolean {
  const versions = process.versions as Record<string, string | undefined>;
  return (ambient ??= !!versions.bun || !!versions.deno || !require.extensions['.js'] || '.ts' in require.extensions);
}

/** require(), with tsx's CommonJS hooks registered first for TypeScript when nothing loads it yet. */
function requireModule(file: string): Record<string, unknown> {
  if (TYPESCRIPT.test(file) && !cjsTypeScriptHooks && !typeScriptAmbient()) {
    require('tsx/cjs/api').register();
    cjsTypeScriptHooks = true;
  }
  return require(file);
}

/** Collects the function exports of loaded modules by name; a non-function export or a name exported twice is a problem. */
function collectHandlers(modules: Array<[file: string, exported: Record<string, unknown>]>): Map<string, ResolvedHandler> {
  const found = new Map<string, ResolvedHandler>();
  const problems: StartupProblem[] = [];
  for (const [file, exported] of modules) {
    const named = { ...exported, ...(isPlainObject(exported.default) ? (exported.default as Record<string, unknown>) : {}) };
    for (const [name, value] of Object.entries(named)) {
      if (name === 'default' || name === '__esModule') continue;
      if (typeof value !== 'function') {
        problems.push({ file, message: `export "${name}" is not a function`, fix: 'handler modules export only operationId handlers; move helpers to a file starting with "_"' });
        continue;
      }
      const earlier = found.get(name);
      if (earlier) problems.push({ file, message: `handler "${name}" is also exported by ${earlier.source}`, fix: 'export each operationId once' });
      found.set(name, { handler: value as Handler, source: file });
    }
  }
  if (problems.length) throw new StartupError('The handlers directory has problems:', problems);
  return found;
}

const loadFailure = (file: string, error: unknown) => new StartupError(`Cannot load handler module ${file}: ${(error as Error)?.message ?? String(error)}`);

/**
 * Loads `dir`'s handler modules (see handlerFiles), one after another in name order, each as Node runs
 * it (see loadModule), and collects their function exports by name.
 */
export async function loadHandlerDirectory(dir: string): Promise<Map<string, ResolvedHandler>> {
  const scopes = new Map<string, ModuleFormat>();
  const modules: Array<[string, Record<string, unknown>]> = [];
  for (const file of handlerFiles(dir)) {
    try {
      modules.push([file, await loadModule(file, moduleFormat(file, scopes))]);
    } catch (error) {
      throw loadFailure(file, error);
    }
  }
  return collectHandlers(modules);
}

/** The handlers by operationId, from a directory of modules (loadHandlerDirectory) or an object map. */
export async function loadHandlers(handlers: string | Record<string, Handler> | undefined): Promise<Map<string, ResolvedHandler>> {
  if (typeof handlers === 'string') return loadHandlerDirectory(handlers);
  const map = new Map<string, ResolvedHandler>();
  for (const [name, handler] of Object.entries(handlers ?? {})) map.set(name, { handler });
  return map;
}

function isPlainObject(value: unknown): boolean {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

/** Fails on handlers that match no operation, and (unless allowed) on operations with no handler. */
export function checkHandlers(operations: OperationHead[], handlers: Map<string, ResolvedHandler>, allOperationIds: Set<string>, failOnMissing: boolean): void {
  const problems: StartupProblem[] = [];
  for (const [name, resolved] of handlers) {
    if (typeof resolved.handler !== 'function') problems.push({ operationId: name, file: resolved.source, message: `handler "${name}" is not a function` });
    else if (!allOperationIds.has(name)) {
      problems.push({ file: resolved.source, message: `handler "${name}" matches no operationId in the document`, fix: 'rename it to an operationId, or remove it' });
    }
  }
  if (failOnMissing) {
    for (const op of operations) {
      if (!handlers.has(op.operationId)) {
        problems.push({ method: op.method, path: op.path, operationId: op.operationId, message: 'has no handler', fix: `export a function named ${op.operationId} from a module in the handlers directory (or start with missingHandlers: 'notImplemented')` });
      }
    }
  }
  if (problems.length) throw new StartupError(`specbind cannot start: ${problems.length} handler problem(s):`, problems);
}
