// The benchmark runs compiled JavaScript, as production does (`npm run build` → dist/), not through
// tsx: tsx's esbuild transform adds a `__name()` call for every closure created per request, which
// is not specbind's cost. Each run transpiles src/ and bench/servers/ with TypeScript's own
// transpileModule (the project's compiler options, type checking left to `npm run typecheck`) into
// a private folder under the OS temp dir; servers resolve packages through NODE_PATH.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import { ROOT } from './proc';

let built: string | undefined;

export function buildDir(): string {
  if (built) return built;
  const out = path.join(os.tmpdir(), 'specbind-bench', `build-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  const config = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile).config;
  const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, ROOT);
  const compilerOptions: ts.CompilerOptions = { ...options, module: ts.ModuleKind.CommonJS, sourceMap: false, inlineSourceMap: false, declaration: false, noEmit: false };
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
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
  walk(path.join(ROOT, 'src'));
  walk(path.join(ROOT, 'bench', 'servers'));
  process.once('exit', () => rmSync(out, { recursive: true, force: true }));
  return (built = out);
}
