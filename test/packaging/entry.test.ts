// src/index.mts, the ES module entry, names each value src/index.ts exports (it cannot re-export them
// with `export *` without also exporting `__esModule`). Checked here in a second, without a build;
// packaging.test.ts checks the same on the installed package with Node itself.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as specbind from '../../src';

it('the ES module entry names every value the CommonJS entry exports', () => {
  const text = readFileSync(path.join(__dirname, '../../src/index.mts'), 'utf8');
  const named = [...text.matchAll(/^export \{([^}]*)\} from '\.\/index\.js';$/gm)].flatMap((m) => m[1].split(',').map((name) => name.trim()).filter(Boolean));
  expect(named.sort()).toEqual(Object.keys(specbind).filter((name) => name !== '__esModule').sort());
  expect(text).toMatch(/^export type \* from '\.\/index\.js';$/m);
});
