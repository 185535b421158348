// STYLE principle 9: dependencies point one way, adapters → core → {router, binding, validation,
// replies} → document. Every top-level module of src/ has a layer here, and a module may import only
// from its own layer or those below (type-only imports included: a type names what it depends on).
// A new folder fails this test until it is given a layer.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

const SRC = path.join(__dirname, '../../src');

/** Lowest first. */
const LAYERS: string[][] = [
  ['errors', 'log'],
  ['document'], // the OpenAPI document: loading, walking, names, pointers
  ['http', 'contract'], // the neutral request and response; what a handler is given and returns
  ['router', 'binding', 'validation', 'replies', 'security', 'mock', 'observability', 'handlers', 'docs'],
  ['core'], // the pipeline
  ['adapters', 'server'], // node:http, Express, Fetch, fastify; createServer
  ['index', 'cli', 'check', 'init', 'verify', 'codegen'], // the public entry and the tools
];

const layerOf = new Map(LAYERS.flatMap((names, rank) => names.map((name) => [name, rank] as const)));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return sources(full);
    return /\.m?ts$/.test(entry) && !entry.endsWith('.d.ts') ? [full] : [];
  });
}

/** `src/binding/body.ts` → `binding`; `src/server.ts` → `server`; `src/index.mts` → `index`. */
const topLevel = (file: string) => path.relative(SRC, file).split(path.sep)[0].replace(/\.m?[jt]s$/, '');

/** The source file an import names (`./x`, `./x.js` → x.ts, `./dir` → dir/index.ts); undefined for none (text in a template). */
function sourceOf(target: string): string | undefined {
  const bare = target.replace(/\.m?js$/, '');
  return [`${bare}.ts`, `${bare}.mts`, path.join(target, 'index.ts'), target].find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
}

const relativeImports = (text: string) =>
  [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)'(\.{1,2}\/[^']*)'/gm)].map((m) => m[1]);

describe('the layering of src/ (STYLE principle 9)', () => {
  const files = sources(SRC);

  it('gives every top-level module a layer', () => {
    expect([...new Set(files.map(topLevel))].filter((name) => !layerOf.has(name))).toEqual([]);
  });

  it('has no import that points up', () => {
    const upward: string[] = [];
    for (const file of files) {
      const from = topLevel(file);
      for (const specifier of relativeImports(readFileSync(file, 'utf8'))) {
        const target = sourceOf(path.resolve(path.dirname(file), specifier));
        if (!target?.startsWith(SRC + path.sep)) continue; // outside src/ (package.json), or not a module
        const to = topLevel(target);
        if (to !== from && (layerOf.get(to) ?? Infinity) > (layerOf.get(from) ?? -1)) upward.push(`${path.relative(SRC, file)} imports ${specifier} (${from} → ${to})`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('sees imports (a control: the parser finds the core importing replies)', () => {
    const pipeline = readFileSync(path.join(SRC, 'core/pipeline.ts'), 'utf8');
    expect(relativeImports(pipeline)).toEqual(expect.arrayContaining(['../replies/media', '../contract/reply']));
  });
});
