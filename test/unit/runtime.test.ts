// Which Node runs the tests. `.ci/run` runs `npm test` twice: on the machine's Node 20, then on Node 24
// (scripts/node-version.sh, first on PATH). It sets SPECBIND_EXPECT_NODE to the major version each run
// is meant to test, and this file fails if any of the ways tests start code runs another one: jest's
// own worker, children spawned with process.execPath (the servers of the CLI tests), `node` found on
// PATH (npm scripts), and node_modules/.bin/tsx (its `#!/usr/bin/env node`; test/cli/check.test.ts).
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '../..');
const PRINT = 'process.stdout.write(process.version)';

describe('the Node.js that runs the tests', () => {
  const versions = {
    'jest worker': process.version,
    'process.execPath child': execFileSync(process.execPath, ['-e', PRINT], { encoding: 'utf8' }),
    '`node` on PATH': execFileSync('node', ['-e', PRINT], { encoding: 'utf8' }),
    'node_modules/.bin/tsx': execFileSync(path.join(ROOT, 'node_modules/.bin/tsx'), ['-e', PRINT], { encoding: 'utf8', cwd: ROOT }),
  };

  it('is one version everywhere a test starts code', () => {
    process.stdout.write(`node under test: ${Object.entries(versions).map(([where, version]) => `${where} ${version}`).join(', ')}\n`);
    expect(new Set(Object.values(versions))).toEqual(new Set([process.version]));
  });

  const expected = process.env.SPECBIND_EXPECT_NODE;
  (expected ? it : it.skip)(expected ? `is Node ${expected}, as SPECBIND_EXPECT_NODE asks` : 'is the major version SPECBIND_EXPECT_NODE names (unset: not checked)', () => {
    expect(process.versions.node.split('.')[0]).toBe(expected);
  });
});
