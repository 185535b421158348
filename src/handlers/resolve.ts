// Resolution (pluggable, as in connexion): operationId → handler, from a directory of modules or an
// object map; what is missing is a startup error, a mock, or a 501, as `missingHandlers` says.
import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { StartupError, type StartupProblem } from '../errors';
import type { Handler } from '../core/types';
import type { OperationHead } from '../spec/operations';

export interface ResolvedHandler {
  handler: Handler;
  /** The module file it came from, for the startup route table. */
  source?: string;
}

const HANDLER_FILE = /^[^_.].*\.(c?js|ts)$/;
const NOT_HANDLER_FILE = /\.d\.ts$|\.(test|spec)\.(c?js|ts)$/;

/** Loads `dir`'s top-level modules (not `_*`, not tests) and collects their function exports by name. */
export function loadHandlerDirectory(dir: string): Map<string, ResolvedHandler> {
  const absolute = path.resolve(dir);
  let entries: string[];
  try {
    entries = readdirSync(absolute).sort();
  } catch (error) {
    throw new StartupError(`Cannot read the handlers directory ${absolute}: ${(error as Error).message}`);
  }
  const found = new Map<string, ResolvedHandler>();
  const problems: StartupProblem[] = [];
  // Prefer compiled .js over .ts of the same module when both are present.
  const modules = new Map<string, string>();
  for (const entry of entries) {
    if (!HANDLER_FILE.test(entry) || NOT_HANDLER_FILE.test(entry)) continue;
    const file = path.join(absolute, entry);
    if (!statSync(file).isFile()) continue;
    const base = entry.replace(/\.(c?js|ts)$/, '');
    if (!modules.has(base) || !entry.endsWith('.ts')) modules.set(base, file);
  }
  for (const file of modules.values()) {
    let exported: Record<string, unknown>;
    try {
      exported = requireModule(file);
    } catch (error) {
      throw new StartupError(`Cannot load handler module ${file}: ${(error as Error).message}`);
    }
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

let typeScriptLoader = false;

/**
 * Requires a handler module. TypeScript handlers run as they are: when plain node cannot parse a .ts
 * module, tsx's CommonJS loader is registered once and the module is loaded again.
 */
function requireModule(file: string): Record<string, unknown> {
  try {
    return require(file);
  } catch (error) {
    if (!file.endsWith('.ts') || typeScriptLoader || !(error instanceof SyntaxError)) throw error;
    delete require.cache[file];
    require('tsx/cjs/api').register();
    typeScriptLoader = true;
    return require(file);
  }
}

function isPlainObject(value: unknown): boolean {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

export function handlerMap(handlers: string | Record<string, Handler> | undefined): Map<string, ResolvedHandler> {
  if (handlers === undefined) return new Map();
  if (typeof handlers === 'string') return loadHandlerDirectory(handlers);
  const map = new Map<string, ResolvedHandler>();
  for (const [name, handler] of Object.entries(handlers)) map.set(name, { handler });
  return map;
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
