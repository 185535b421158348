// Handler modules of every kind Node knows, served by createServer({ handlers: dir }): ES modules (.mjs,
// .mts, and .js/.ts under "type": "module") through import(), top-level await included; CommonJS (.cjs,
// .cts, and .js/.ts under "type": "commonjs") through require(); TypeScript through tsx. The server runs
// under tsx in a child process (Jest's module system cannot import() an ES module); the compiled build,
// installed from its tarball, serves the same fixture in test/packaging/packaging.test.ts.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { handlerFiles, moduleFormat } from '../../src/handlers/resolve';
import { EXPECTED_FORMATS } from '../fixtures/module-formats/expected';

const ROOT = path.join(__dirname, '../..');
const FIXTURE = path.join(ROOT, 'test/fixtures/module-formats');
const TSX = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');

describe('handler modules: ES modules and CommonJS, JavaScript and TypeScript', () => {
  it('serves each as Node runs it: import() for ES modules (after their top-level await), require() for CommonJS', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [TSX, path.join(__dirname, 'serve-module-formats.ts'), path.join(FIXTURE, 'openapi.yaml'), path.join(FIXTURE, 'module'), path.join(FIXTURE, 'commonjs')],
      { cwd: ROOT, timeout: 60_000 },
    );
    expect(JSON.parse(stdout)).toEqual(EXPECTED_FORMATS);
  }, 70_000);

  it('tells the format as Node does: by extension, else by the nearest package.json "type"', () => {
    const formats = (dir: string) => Object.fromEntries(handlerFiles(path.join(FIXTURE, dir)).map((file) => [path.basename(file), moduleFormat(file)]));
    expect(formats('module')).toEqual({
      'via-cjs.cjs': 'commonjs', 'via-cts.cts': 'commonjs', 'via-js.js': 'module', 'via-mjs.mjs': 'module', 'via-mts.mts': 'module', 'via-ts.ts': 'module',
    });
    expect(formats('commonjs')).toEqual({
      'via-cjs.cjs': 'commonjs', 'via-cts.cts': 'commonjs', 'via-js.js': 'commonjs', 'via-mjs.mjs': 'module', 'via-mts.mts': 'module', 'via-ts.ts': 'commonjs',
    });
  });

  it('finds the package.json above nested folders, and takes CommonJS where none says "module"', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'specbind-formats-'));
    try {
      mkdirSync(path.join(dir, 'esm/deep/er'), { recursive: true });
      mkdirSync(path.join(dir, 'plain'), { recursive: true });
      writeFileSync(path.join(dir, 'esm/package.json'), '{ "type": "module" }');
      writeFileSync(path.join(dir, 'plain/package.json'), '{ "name": "plain" }');
      expect(moduleFormat(path.join(dir, 'esm/deep/er/a.js'))).toBe('module');
      expect(moduleFormat(path.join(dir, 'esm/deep/er/a.ts'))).toBe('module');
      expect(moduleFormat(path.join(dir, 'esm/deep/er/a.cjs'))).toBe('commonjs');
      expect(moduleFormat(path.join(dir, 'plain/a.js'))).toBe('commonjs');
      expect(moduleFormat(path.join(dir, 'plain/a.mjs'))).toBe('module');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads JavaScript rather than TypeScript of the same name, and leaves out declarations, tests and _helpers', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'specbind-files-'));
    try {
      for (const name of ['pets.ts', 'pets.js', 'users.mts', 'users.mjs', 'orders.cts', 'stock.ts', 'types.d.ts', 'types.d.mts', 'pets.test.ts', 'x.spec.mjs', '_store.mjs', '.hidden.js', 'notes.md']) {
        writeFileSync(path.join(dir, name), '');
      }
      mkdirSync(path.join(dir, 'folder.js'));
      expect(handlerFiles(dir).map((file) => path.basename(file))).toEqual(['orders.cts', 'pets.js', 'stock.ts', 'users.mjs']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
