// `specbind types` (and `init`) as a library: load a document, find where the model classes live,
// print the module, write it only when it changed.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { StartupError } from '../errors';
import type { ModelClass } from '../contract/handler';
import { loadSpec } from '../document/load';
import { collectOperations } from '../document/operations';
import { printTypes, type ModelImport } from './generate';

export { printTypes, MODULE_NAMES, type ModelImport, type PrintTypesOptions } from './generate';
export { SchemaPrinter, type Mode, type PrinterOptions } from './printer';

export const DEFAULT_TYPES_FILE = 'openapi/api.types.ts';

export interface GenerateTypesOptions {
  /** The document: a path (YAML or JSON), or a parsed object. */
  spec: string | object;
  /** The file to write (default openapi/api.types.ts); imports in it are relative to it. */
  out?: string;
  /** Schema name → model class, as `createServer({ models })` takes them. */
  models?: Record<string, ModelClass>;
  /**
   * Where the model classes are exported from: one module for all, or one per schema name (paths
   * relative to `cwd`). Default: found among the modules already loaded (e.g. by the config file).
   */
  modelsModule?: string | Record<string, string>;
  /** The module to import specbind's types from. Default `specbind` (inside specbind's own repository, its src/). */
  runtimeModule?: string;
  /** Descriptions as JSDoc (default true). */
  comments?: boolean;
  /** The command that regenerates the file, written in its header. */
  command?: string;
  cwd?: string;
}

export interface GeneratedTypes {
  /** Absolute path of the file the source is meant for. */
  out: string;
  source: string;
  operations: number;
}

export async function generateTypes(options: GenerateTypesOptions): Promise<GeneratedTypes> {
  const cwd = options.cwd ?? process.cwd();
  const out = path.resolve(cwd, options.out ?? DEFAULT_TYPES_FILE);
  const loaded = await loadSpec(typeof options.spec === 'string' ? path.resolve(cwd, options.spec) : options.spec);
  const { operations } = collectOperations(loaded.document, loaded.file);
  const schemas = loaded.document.components?.schemas ?? {};
  const models = resolveModelImports(options.models ?? {}, options.modelsModule, out, cwd).filter((m) => Object.prototype.hasOwnProperty.call(schemas, m.schema));
  const source = printTypes(loaded, operations, {
    source: loaded.file ? toPosix(path.relative(cwd, loaded.file)) : undefined,
    command: options.command,
    runtimeModule: options.runtimeModule ?? runtimeModuleFor(out),
    models,
    comments: options.comments,
  });
  return { out, source, operations: operations.length };
}

/** Writes the file when its content changed. `check` only compares (for CI: stale types fail). */
export async function writeTypes(options: GenerateTypesOptions & { check?: boolean }): Promise<GeneratedTypes & { changed: boolean }> {
  const generated = await generateTypes(options);
  const current = existsSync(generated.out) ? readFileSync(generated.out, 'utf8') : undefined;
  const changed = current !== generated.source;
  if (changed && !options.check) {
    mkdirSync(path.dirname(generated.out), { recursive: true });
    writeFileSync(generated.out, generated.source);
  }
  return { ...generated, changed };
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

/** An import specifier for `file` as seen from `fromFile`: `./x`, `../a/b` (no extension). */
export function importSpecifier(fromFile: string, file: string): string {
  let relative = toPosix(path.relative(path.dirname(fromFile), file)).replace(/\.(d\.)?(ts|tsx|mts|cts|js|mjs|cjs)$/, '');
  if (!relative.startsWith('.')) relative = `./${relative}`;
  return relative;
}

/**
 * `specbind`, unless the generated file is inside specbind's own repository (package name `specbind`
 * with src/index.ts), where the package cannot import itself by name: then a relative path to src/.
 */
export function runtimeModuleFor(out: string): string {
  let dir = path.dirname(out);
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const name = JSON.parse(readFileSync(manifest, 'utf8')).name;
        if (name === 'specbind' && existsSync(path.join(dir, 'src', 'index.ts'))) return importSpecifier(out, path.join(dir, 'src', 'index.ts')).replace(/\/index$/, '');
      } catch {
        // An unreadable manifest is not ours.
      }
      return 'specbind';
    }
    const parent = path.dirname(dir);
    if (parent === dir) return 'specbind';
    dir = parent;
  }
}

/** Which module exports each model class, and under what name. */
export function resolveModelImports(models: Record<string, ModelClass>, modelsModule: string | Record<string, string> | undefined, out: string, cwd: string): ModelImport[] {
  const imports: ModelImport[] = [];
  for (const schema of Object.keys(models).sort()) {
    const Model = models[schema];
    if (typeof Model !== 'function') continue;
    const explicit = typeof modelsModule === 'string' ? modelsModule : modelsModule?.[schema];
    let found: { file: string; exportName: string } | undefined;
    if (explicit) {
      const file = path.resolve(cwd, explicit);
      found = { file, exportName: exportNameIn(file, Model) ?? Model.name };
    } else found = findLoadedExport(Model);
    if (!found) {
      throw new StartupError(`Cannot tell which module exports the model class ${Model.name || '(anonymous)'} (models.${schema})`, [
        { message: 'the generated types import each model class from its module', fix: 'pass --models-module <file> (or modelsModule in the config)' },
      ]);
    }
    imports.push({ schema, module: importSpecifier(out, found.file), exportName: found.exportName });
  }
  return imports;
}

/** The export of a module (loaded with require) that holds `value`, if it can be loaded. */
function exportNameIn(file: string, value: unknown): string | undefined {
  try {
    const loaded = require(file);
    if (loaded === value) return 'default';
    for (const [name, exported] of Object.entries(loaded ?? {})) if (exported === value) return name;
  } catch {
    // Not loadable here (no TypeScript loader): fall back to the class name.
  }
  return undefined;
}

/** Among modules already loaded (not from node_modules), the one exporting `value`, preferring its own name. */
function findLoadedExport(value: ModelClass): { file: string; exportName: string } | undefined {
  const candidates: Array<{ file: string; exportName: string }> = [];
  const cache: Record<string, NodeJS.Module | undefined> = typeof require !== 'undefined' && require.cache ? require.cache : {};
  for (const module of Object.values(cache)) {
    if (!module || !module.filename || /[\\/]node_modules[\\/]/.test(module.filename)) continue;
    const exports = module.exports;
    if (!exports || (typeof exports !== 'object' && typeof exports !== 'function')) continue;
    for (const name of Object.keys(exports)) {
      let exported: unknown;
      try {
        exported = exports[name];
      } catch {
        continue;
      }
      if (exported === value && name !== 'default') candidates.push({ file: module.filename, exportName: name });
    }
  }
  candidates.sort((a, b) => Number(b.exportName === value.name) - Number(a.exportName === value.name) || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return candidates[0];
}
