// Graceful shutdown of a listening server: stop accepting, let in-flight requests finish (their
// responses carry `Connection: close`, so keep-alive clients do not send another request into a
// closing socket), bounded by a timeout, after which the connections still open are cut.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

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

/** The sockets of each listening server (tracked from `listen()`): the drain answers the ones still mid-request. */
const SOCKETS = new WeakMap<Server, Set<Socket>>();

export function trackSockets(server: Server): void {
  const sockets = new Set<Socket>();
  SOCKETS.set(server, sockets);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
}

/** How long the drain waits before it closes idle connections: bytes that reached the kernel before the signal are read by then. */
export const FIRST_SWEEP_MS = 50;
/** How long the listener accepts after shutdown begins: connections already in the kernel's accept queue are taken, not reset. */
export const ACCEPT_GRACE_MS = 20;

/**
 * Stops `server` accepting (new connections are refused ACCEPT_GRACE_MS after), closes idle keep-alive
 * connections, and resolves once every connection has ended, or after `timeoutMs`. Then a connection
 * whose request has not all arrived is answered `late(socket)` (a 408) and closed; one still writing
 * its response is cut.
 */
export function drain(server: Server, timeoutMs: number, late?: (socket: Socket) => void): Promise<Drained> {
  const started = Date.now();
  return new Promise<Drained>((resolve) => {
    let settled = false;
    let sweep: NodeJS.Timeout | undefined;
    let timer: NodeJS.Timeout | undefined;
    let stop: NodeJS.Timeout | undefined;
    const finish = (complete: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(stop);
      clearTimeout(timer);
      clearInterval(sweep);
      resolve({ complete, ms: Date.now() - started });
    };
    if (!server.listening) {
      server.closeAllConnections();
      return finish(true);
    }
    // The listener closes after ACCEPT_GRACE_MS: a connection the kernel completed just before the
    // signal waits in the accept queue, and closing the listener at once would reset it, its request
    // already sent. New connections in that moment are served (their answers close them).
    stop = setTimeout(() => server.close(() => finish(true)), ACCEPT_GRACE_MS);
    // Not at once: a request whose first bytes reached the kernel just before the signal has not been
    // read yet, so its connection looks idle, and closing it would reset the client (1 run in 2 under
    // load). After a few polls it is under way, and only truly idle connections (and ones opened but
    // never used) are swept, now and every 100 ms.
    sweep = setTimeout(() => {
      server.closeIdleConnections();
      sweep = setInterval(() => server.closeIdleConnections(), 100);
    }, FIRST_SWEEP_MS);
    timer = setTimeout(() => {
      if (server.listening) server.close();
      const sockets = SOCKETS.get(server);
      if (late && sockets) {
        for (const socket of sockets) {
          // Still receiving its request (no response under way): told so, not reset; a response under way is cut.
          if (!(socket as Socket & { _httpMessage?: unknown })._httpMessage && socket.writable) {
            late(socket);
            setTimeout(() => socket.destroy(), 1_000).unref();
          } else socket.destroy();
        }
      } else server.closeAllConnections();
      finish(false);
    }, timeoutMs);
  });
}
