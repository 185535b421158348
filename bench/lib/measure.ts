// One measured load run against a server process: wrk's throughput and latency, the server's CPU
// time per request (utime+stime from /proc/<pid>/stat sampled around the run), and how busy the
// cores were with other work meanwhile (the machine is shared: a noise indicator, not a correction).
import { CLK_TCK, coreTicks, cpuTicks, loadAverage, type ServerProcess } from './proc';
import { wrk, type WrkOptions } from './wrk';

export interface Measurement {
  rps: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  /** Server CPU (user + system, every thread) per completed request. */
  cpuUsPerReq: number;
  /** Share of the server's core that other processes used during the run (0..1). */
  serverCoreOthers: number;
  /** Share of the load generator's core that was busy (wrk + others). */
  loadCoreBusy: number;
  loadAverage: number;
  /** Non-2xx/3xx answers and socket errors: a run with any is not a valid figure. */
  errors: number;
}

export async function measure(server: ServerProcess, path: string, options: WrkOptions, cores = { server: 0, load: 1 }): Promise<Measurement> {
  const cpu0 = cpuTicks(server.pid);
  const c0 = coreTicks();
  const result = await wrk(server.url + path, options);
  const cpu1 = cpuTicks(server.pid);
  const c1 = coreTicks();
  const serverTicks = cpu1 - cpu0;
  const share = (core: number, minus = 0) => {
    const total = c1[core].total - c0[core].total;
    return total > 0 ? Math.max(0, (c1[core].busy - c0[core].busy - minus) / total) : NaN;
  };
  const e = result.errors;
  return {
    rps: result.rps,
    requests: result.requests,
    p50Ms: result.latencyUs.p50 / 1000,
    p99Ms: result.latencyUs.p99 / 1000,
    cpuUsPerReq: result.requests ? (serverTicks * (1e6 / CLK_TCK)) / result.requests : NaN,
    serverCoreOthers: share(cores.server, serverTicks),
    loadCoreBusy: share(cores.load),
    loadAverage: loadAverage(),
    errors: e.connect + e.read + e.write + e.status + e.timeout,
  };
}

/** Threshold of `serverCoreOthers` above which a run is measured again (once), keeping the quieter. */
export const NOISY = 0.1;

/**
 * `measure`, repeated once when other processes took more than NOISY of the server's core: on a
 * shared machine this keeps the figure about the server rather than its neighbours. `retried` says so.
 */
export async function measureQuiet(server: ServerProcess, path: string, options: WrkOptions): Promise<Measurement & { retried?: boolean }> {
  const first = await measure(server, path, options);
  if (!(first.serverCoreOthers > NOISY)) return first;
  const second = await measure(server, path, options);
  return { ...(second.serverCoreOthers < first.serverCoreOthers ? second : first), retried: true };
}
