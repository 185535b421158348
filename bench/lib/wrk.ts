// wrk (Debian's /usr/bin/wrk), pinned to its own core, one thread, fixed connections and duration;
// bench/wrk/request.lua sets the method and body and prints a JSON summary.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { ROOT } from './proc';

export const LUA = path.join(ROOT, 'bench', 'wrk', 'request.lua');

export interface WrkOptions {
  method?: 'GET' | 'POST';
  body?: string;
  seconds: number;
  connections?: number;
  /** Core to pin wrk to (default 1); null: not pinned. */
  core?: number | null;
  timeoutSeconds?: number;
}

export interface WrkResult {
  requests: number;
  durationUs: number;
  bytes: number;
  rps: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyUs: { mean: number; stdev: number; p50: number; p90: number; p99: number; max: number };
}

export function wrk(url: string, options: WrkOptions): Promise<WrkResult> {
  const core = options.core === undefined ? 1 : options.core;
  const args = ['-t1', `-c${options.connections ?? 10}`, `-d${Math.max(1, Math.round(options.seconds))}s`, `--timeout`, `${options.timeoutSeconds ?? 5}s`, '-s', LUA, url];
  const [command, argv] = core === null ? ['wrk', args] : ['taskset', ['-c', String(core), 'wrk', ...args]];
  return runWrkJson(command, argv, { WRK_METHOD: options.method ?? 'GET', WRK_BODY: options.body ?? '' }, 'WRK_JSON ').then((parsed: any) => ({
    ...parsed,
    rps: parsed.requests / (parsed.durationUs / 1e6),
  }));
}

/**
 * Runs wrk (`command` is wrk or taskset) with a Lua script that prints its results as one JSON line
 * after `marker`, and parses that line. Also the soak's runner.
 */
export function runWrkJson<T>(command: string, argv: string[], env: Record<string, string>, marker: string): Promise<T> {
  const child = spawn(command, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    // 'close', not 'exit': the output may still be in the pipe when the process has exited.
    child.once('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(marker));
      if (code !== 0 || !line) return reject(new Error(`${command} ${argv.join(' ')} failed (${code}): ${err || out}`));
      resolve(JSON.parse(line.slice(marker.length)) as T);
    });
  });
}
