// Benchmark server processes: spawned pinned to a core (`taskset -c`), run through tsx, ready when
// they print `BENCH_READY {json}` (bench/servers/common.ts). CPU time and RSS come from /proc.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildDir } from './build';

export const ROOT = path.resolve(__dirname, '..', '..');
export const SERVERS = path.join(ROOT, 'bench', 'servers');
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux). */
export const CLK_TCK = 100;

export interface ServerProcess {
  pid: number;
  port: number;
  url: string;
  /** What the server put in its READY line (readyMs: since its process started; initMs where reported). */
  info: Record<string, any>;
  /** Wall time from spawn to the READY line, measured by the runner. */
  spawnToReadyMs: number;
  child: ChildProcess;
  stderr(): string;
  /** SIGTERM (the server exits normally; --cpu-prof then writes its profile), SIGKILL after 10 s. */
  stop(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  nodeArgs?: string[];
  /** CPU core to pin to (default 0); null: not pinned. */
  core?: number | null;
  timeoutMs?: number;
  /**
   * Another runtime (bench/runtimes.ts): its executable and the arguments before the script
   * (`deno run --allow-all`), instead of this Node. `name` may then name a file with its extension.
   */
  runtime?: { command: string; args?: string[] };
  /** Arguments after the script. */
  scriptArgs?: string[];
}

/** Starts `bench/servers/<name>.ts` and waits for READY. */
export function startServer(name: string, options: StartOptions = {}): Promise<ServerProcess> {
  // Compiled JavaScript by default (bench/lib/build.ts); BENCH_TSX=1 runs the TypeScript through tsx instead.
  const viaTsx = process.env.BENCH_TSX === '1';
  const file = path.extname(name) ? name : `${name}.${viaTsx ? 'ts' : 'js'}`;
  const script = viaTsx ? path.join(SERVERS, file) : path.join(buildDir(), 'bench', 'servers', file);
  const core = options.core === undefined ? 0 : options.core;
  const runtime = options.runtime ?? { command: process.execPath, args: [...(options.nodeArgs ?? []), ...(viaTsx ? ['--import', 'tsx'] : [])] };
  const runtimeArgs = [...(runtime.args ?? []), script, ...(options.scriptArgs ?? [])];
  const [command, args] = core === null ? [runtime.command, runtimeArgs] : ['taskset', ['-c', String(core), runtime.command, ...runtimeArgs]];
  const started = performance.now();
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, PORT: '0', BENCH_ROOT: ROOT, NODE_PATH: path.join(ROOT, 'node_modules'), ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err = (err + chunk).slice(-8000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise<ServerProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop('SIGKILL'); // still starting: busy in synchronous work, its SIGTERM handler would not run
      reject(new Error(`${name}: not ready within ${options.timeoutMs ?? 60_000} ms${err ? `\n${err.slice(-2000)}` : ''}`));
    }, options.timeoutMs ?? 60_000);
    const early = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready${err ? `\n${err.slice(-2000)}` : ''}`));
    };
    child.once('exit', early);
    // Raw Buffers, never a decoder: after READY the runner drains the access log as `cat > /dev/null`
    // would, a read(2) and nothing more, so the drain costs the machine as little as a log shipper can.
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('latin1');
      const line = out.split('\n').find((l) => l.startsWith('BENCH_READY '));
      if (!line) {
        out = out.slice(-100_000);
        return;
      }
      out = '';
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      clearTimeout(timer);
      child.removeListener('exit', early);
      const info = JSON.parse(line.slice('BENCH_READY '.length));
      if (info.pid !== child.pid) {
        void stop();
        return reject(new Error(`${name}: READY from pid ${info.pid}, spawned ${child.pid} (the CPU figures would read the wrong process)`));
      }
      resolve({
        pid: child.pid!,
        port: info.port,
        url: `http://127.0.0.1:${info.port}`,
        info,
        spawnToReadyMs: performance.now() - started,
        child,
        stderr: () => err,
        stop,
      });
    });
  });
}

/** utime + stime of a process (all its threads), in clock ticks. */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  return Number(fields[11]) + Number(fields[12]);
}

/** VmRSS and VmHWM (peak) of a process, in MB. */
export function memory(pid: number): { rssMB: number; peakMB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
}

/** Per-core busy and total ticks from /proc/stat (to see how much of a core others took). */
export function coreTicks(): Array<{ busy: number; total: number }> {
  const out: Array<{ busy: number; total: number }> = [];
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    out[Number(m[1])] = { busy: total - v[3] - v[4], total };
  }
  return out;
}

export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}
