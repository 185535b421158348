// For tests that start `specbind serve` (and its workers) as real processes.
import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
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

/**
 * The inodes of the listening TCP sockets on `port`. Asked of the kernel with `ss` (sock_diag: only the
 * listening sockets, in a few ms), else read from /proc/net/tcp and tcp6, which list every socket: with
 * the tens of thousands in TIME_WAIT that a test run leaves, one read there takes ~45 ms of CPU.
 */
export async function listeningInodes(port: number): Promise<Set<string>> {
  const ss = await new Promise<string | undefined>((resolve) =>
    execFile('ss', ['-Htlne', `sport = :${port}`], { encoding: 'utf8' }, (error, stdout) => resolve(error ? undefined : stdout)),
  );
  if (ss !== undefined) return new Set([...ss.matchAll(/\bino:(\d+)/g)].map((m) => m[1]));
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; state 0A is LISTEN; the inode is the 10th field.
      if (fields.length > 9 && fields[3] === '0A' && parseInt(fields[1].split(':')[1], 16) === port) inodes.add(fields[9]);
    }
  }
  return inodes;
}

/** Of `inodes`, the sockets process `pid` holds (its /proc/<pid>/fd). */
export function socketsOf(pid: number, inodes: Set<string>): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        return inode && inodes.has(inode) ? [inode] : [];
      } catch {
        return []; // closed meanwhile
      }
    });
  } catch {
    return []; // gone
  }
}

/**
 * Which of `pids` hold a listening TCP socket on `port`. node:cluster's round-robin: the primary
 * alone; SO_REUSEPORT (`reusePort`): every worker, and not the primary.
 */
export async function listeningPids(port: number, pids: number[]): Promise<number[]> {
  const inodes = await listeningInodes(port);
  return pids.filter((pid) => socketsOf(pid, inodes).length > 0);
}
