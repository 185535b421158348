// The benchmark runs compiled JavaScript, as production does (`npm run build` → dist/), not through
// tsx: tsx's esbuild transform adds a `__name()` call for every closure created per request, which
// is not specbind's cost. Each run transpiles src/ and bench/servers/ with TypeScript's own
// transpileModule (the project's compiler options, type checking left to `npm run typecheck`) into
// a private folder under the OS temp dir; servers resolve packages through NODE_PATH.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import { ROOT } from './proc';

let built: string | undefined;

export function buildDir(): string {
  if (built) return built;
  const out = path.join(os.tmpdir(), 'specbind-bench', `build-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  transpileInto(path.join(ROOT, 'src'), out);
  transpileInto(path.join(ROOT, 'bench', 'servers'), out);
  // For Bun and Deno (bench/runtimes.ts): the build is CommonJS, and packages resolve from the
  // repository's node_modules (Deno reads neither NODE_PATH nor an extension-less guess).
  writeFileSync(path.join(out, 'package.json'), '{ "type": "commonjs" }\n');
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(out, 'node_modules'));
  process.once('exit', () => rmSync(out, { recursive: true, force: true }));
  return (built = out);
}

/** Transpiles every .ts file under `dir` (a folder of the repository) to `out`, at the same relative path; other files are copied. */
export function transpileInto(dir: string, out: string): void {
  const config = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile).config;
  const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, ROOT);
  const compilerOptions: ts.CompilerOptions = { ...options, module: ts.ModuleKind.CommonJS, sourceMap: false, inlineSourceMap: false, declaration: false, noEmit: false };
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const full = path.join(folder, name);
      const target = path.join(out, path.relative(ROOT, full));
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) {
        const { outputText } = ts.transpileModule(readFileSync(full, 'utf8'), { compilerOptions, fileName: full });
        mkdirSync(path.dirname(target), { recursive: true });
        writeFileSync(target.replace(/\.ts$/, '.js'), outputText);
      } else if (!name.endsWith('.d.ts')) {
        mkdirSync(path.dirname(target), { recursive: true });
        cpSync(full, target);
      }
    }
  };
  walk(dir);
}
