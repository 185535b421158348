// `specbind init`: the generated types, and one typed stub per operationId that has no handler yet,
// one module per tag (first tag; `default` for untagged operations). Existing handlers are never
// touched: a module that exists gets the new stubs appended, so re-running adds only what is new.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadSpec } from '../document/load';
import { collectOperations, type OperationSpec } from '../document/operations';
import { camelCase } from '../document/names';
import { DEFAULT_TYPES_FILE, importSpecifier, writeTypes } from '../codegen';

export interface InitOptions {
  spec: string;
  handlers: string;
  /** Where the generated types go (default openapi/api.types.ts). */
  typesOut?: string;
  /** Group stubs one module per tag (default) or one per operation. */
  group?: 'tag' | 'operation';
  /** Where generated code imports specbind from (default `specbind`). */
  runtimeModule?: string;
  cwd?: string;
}

export interface InitResult {
  typesFile: string;
  typesChanged: boolean;
  /** operationId → the module its new stub was written to. */
  stubs: Array<{ operationId: string; file: string }>;
  /** Operations that already had a handler. */
  existing: string[];
}

const EXPORT = /export\s+(?:async\s+)?(?:function\s*\*?\s*|const\s+|let\s+|var\s+)([A-Za-z_$][\w$]*)|\bas\s+'((?:[^'\\]|\\.)*)'|\bas\s+"((?:[^"\\]|\\.)*)"/g;

/** The names already exported by the handler modules, read as text (nothing is executed). */
function exportedNames(dir: string): Set<string> {
  const names = new Set<string>();
  if (!existsSync(dir)) return names;
  for (const entry of readdirSync(dir)) {
    if (!/^[^_.].*\.(c?js|ts)$/.test(entry) || /\.d\.ts$|\.(test|spec)\./.test(entry)) continue;
    const text = readFileSync(path.join(dir, entry), 'utf8');
    for (const match of text.matchAll(EXPORT)) names.add(match[1] ?? match[2] ?? match[3]);
  }
  return names;
}

function moduleName(op: OperationSpec, group: 'tag' | 'operation'): string {
  const base = group === 'operation' ? op.operationId : op.tags[0] ?? 'default';
  return camelCase(base) || 'default';
}

function stubSource(op: OperationSpec, file: string): string {
  const summary = typeof op.raw.summary === 'string' ? ` — ${op.raw.summary.replace(/\*\//g, '* /')}` : '';
  const doc = `/** ${op.method.toUpperCase()} ${op.path}${summary}. Replace the stub: \`async (input, ctx) => …\`. */`;
  const id = op.operationId;
  const quoted = JSON.stringify(id).slice(1, -1).replace(/'/g, "\\'");
  if (/^[A-Za-z_$][\w$]*$/.test(id)) {
    return `\n${doc}\nexport const ${id}: Handlers['${quoted}'] = notImplemented('${quoted}', '${file}');\n`;
  }
  // An operationId that is no JavaScript name ("find pet by id") is exported under its exact name.
  const local = /^[A-Za-z_$]/.test(camelCase(id)) ? camelCase(id) : `_${camelCase(id)}`;
  return `\n${doc}\nconst ${local}: Handlers['${quoted}'] = notImplemented('${quoted}', '${file}');\nexport { ${local} as '${quoted}' };\n`;
}

export async function init(options: InitOptions): Promise<InitResult> {
  const cwd = options.cwd ?? process.cwd();
  const typesOut = path.resolve(cwd, options.typesOut ?? DEFAULT_TYPES_FILE);
  const handlersDir = path.resolve(cwd, options.handlers);
  const runtimeModule = options.runtimeModule ?? 'specbind';
  const types = await writeTypes({ spec: path.resolve(cwd, options.spec), out: typesOut, runtimeModule, cwd, command: `npx specbind init --spec ${options.spec} --handlers ${options.handlers}` });

  const loaded = await loadSpec(path.resolve(cwd, options.spec));
  const { operations } = collectOperations(loaded.document, loaded.file);
  const have = exportedNames(handlersDir);
  const result: InitResult = { typesFile: typesOut, typesChanged: types.changed, stubs: [], existing: [] };
  const byModule = new Map<string, OperationSpec[]>();
  for (const op of operations) {
    if (have.has(op.operationId)) {
      result.existing.push(op.operationId);
      continue;
    }
    const name = moduleName(op, options.group ?? 'tag');
    byModule.set(name, [...(byModule.get(name) ?? []), op]);
  }
  mkdirSync(handlersDir, { recursive: true });
  for (const [name, ops] of byModule) {
    const file = path.join(handlersDir, `${name}.ts`);
    const shown = path.relative(cwd, file);
    const stubs = ops.map((op) => stubSource(op, shown)).join('');
    if (existsSync(file)) {
      appendFileSync(file, stubs);
    } else {
      const header = `// Handlers for ${name === 'default' ? 'operations without a tag' : `the "${ops[0].tags[0] ?? name}" operations`}; written by \`specbind init\`, yours to edit.
import { notImplemented } from '${runtimeModule}';
import type { Handlers } from '${importSpecifier(file, typesOut)}';
`;
      writeFileSync(file, header + stubs);
    }
    for (const op of ops) result.stubs.push({ operationId: op.operationId, file });
  }
  return result;
}
