// Graceful shutdown of a listening server: stop accepting, let in-flight requests finish (their
// responses carry `Connection: close`, so keep-alive clients do not send another request into a
// closing socket), bounded by a timeout, after which the connections still open are cut.
import type { Server } from 'node:http';

/** Default drain bound: below `docker stop`'s 10 s grace, leaving time for `onClose`. */
export const DEFAULT_SHUTDOWN_TIMEOUT = 8000;

/** `shutdownTimeout` option, else SPECBIND_SHUTDOWN_TIMEOUT (milliseconds), else 8000. */
export function shutdownTimeoutOf(option: number | undefined): number {
  if (option !== undefined && Number.isFinite(option) && option >= 0) return option;
  const fromEnv = Number(process.env.SPECBIND_SHUTDOWN_TIMEOUT);
  return process.env.SPECBIND_SHUTDOWN_TIMEOUT && Number.isFinite(fromEnv) && fromEnv >= 0 ? fromEnv : DEFAULT_SHUTDOWN_TIMEOUT;
}

export interface Drained {
  /** False when the timeout cut connections that still had a request in flight. */
  complete: boolean;
  ms: number;
}

/**
 * Stops `server` accepting (new connections are refused from here on), closes idle keep-alive
 * connections, and resolves once every connection has ended, or after `timeoutMs` by closing the rest.
 */
export function drain(server: Server, timeoutMs: number): Promise<Drained> {
  const started = Date.now();
  return new Promise<Drained>((resolve) => {
    let settled = false;
    let sweep: NodeJS.Timeout | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (complete: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(sweep);
      resolve({ complete, ms: Date.now() - started });
    };
    if (!server.listening) {
      server.closeAllConnections();
      return finish(true);
    }
    server.close(() => finish(true));
    server.closeIdleConnections();
    // A connection that finishes its response closes itself (Connection: close); one that was opened
    // but never sent a request is idle: sweep those.
    sweep = setInterval(() => server.closeIdleConnections(), 100);
    timer = setTimeout(() => {
      server.closeAllConnections();
      finish(false);
    }, timeoutMs);
  });
}
