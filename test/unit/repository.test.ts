// The repository as a newcomer's checkout sees it: what the README's steps leave behind is ignored.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '../..');

it("npm pack's tarball (the walkthrough's first step) is ignored by git", () => {
  const run = spawnSync('git', ['check-ignore', '--no-index', 'specbind-0.1.0.tgz', 'data/specbind.db'], { cwd: ROOT, encoding: 'utf8' });
  expect(run.stdout.trim().split('\n')).toEqual(['specbind-0.1.0.tgz', 'data/specbind.db']);
});
