// Bun and Deno for the tests, from the npm registry (the `bun` and `deno` packages carry the binaries),
// installed on first use into a cache outside the repository.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';

export const RUNTIME_VERSIONS = { bun: '1.4.5', deno: '2.9.6' };

const CACHE = process.env.SPECBIND_RUNTIMES_DIR ?? path.join(homedir(), '.cache/specbind/runtimes');
/** One directory a pair of versions: a change of version installs beside, never over, a running binary. */
const DIR = path.join(CACHE, `bun-${RUNTIME_VERSIONS.bun}-deno-${RUNTIME_VERSIONS.deno}`);

/**
 * The runtimes' binaries. Installed into a directory of its own, then moved into place, so that two
 * test files asking at once (jest runs files in parallel) never install into one directory: the
 * second move fails harmlessly, its copy is removed.
 */
export function runtimes(): { bun: string; deno: string } {
  const bin = (dir: string, name: string) => path.join(dir, 'node_modules/.bin', name);
  const works = (dir: string) =>
    (['bun', 'deno'] as const).every((name) => {
      try {
        return execFileSync(bin(dir, name), ['--version'], { encoding: 'utf8' }).includes(RUNTIME_VERSIONS[name]);
      } catch {
        return false;
      }
    });
  if (!works(DIR)) {
    mkdirSync(CACHE, { recursive: true });
    const tmp = mkdtempSync(path.join(CACHE, '.install-'));
    try {
      execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--no-package-lock', '--prefix', tmp, `bun@${RUNTIME_VERSIONS.bun}`, `deno@${RUNTIME_VERSIONS.deno}`], { stdio: 'ignore' });
      if (!existsSync(DIR)) renameSync(tmp, DIR);
    } catch (error) {
      if (!works(DIR)) throw error; // another file's install won the race otherwise
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return { bun: bin(DIR, 'bun'), deno: bin(DIR, 'deno') };
}
