// For tests that start `specbind serve` (and its workers) as real processes.
import { execFileSync } from 'node:child_process';
import { createServer as createNetServer } from 'node:net';

/** A port free on 127.0.0.1 right now (the OS picks it; the probe closes before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** The cluster workers of `primary` (tsx's esbuild service is a child too: only the cli.ts processes). */
export function workerPids(primary: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(primary)], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes('cli.ts'))
      .map((line) => Number(line.trim().split(/\s+/)[0]))
      .filter(Boolean);
  } catch {
    return [];
  }
}

/** Polls `probe` every 50 ms until it gives a value; past `ms`, fails naming `what` (and `detail()`, e.g. the process's output). */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms: number, detail: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}\n${detail()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
