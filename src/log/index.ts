// The logger: pino, JSON lines, level from LOG_LEVEL (default info); pretty-printing is left to a
// pipe (`| npx pino-pretty`) so the server never pays for it. Lines go to stdout in batches, at most
// 20 ms or 64 KiB late (src/log/destination.ts); `sync: true` or LOG_SYNC=1 writes each as it is logged.
import { hostname } from 'node:os';
import pino, { type Logger } from 'pino';
import { logDestination, type LogDestination } from './destination';

export interface LoggerOptions {
  /** pino's level (default: LOG_LEVEL, else 'info'). */
  level?: string;
  /**
   * true: every line is written when it is logged (a kill -9 loses none). Default false (env
   * LOG_SYNC=1 sets it): lines are written in batches, when 64 KiB have gathered or 20 ms after the
   * first; error and fatal lines at once, and everything on close() and process exit.
   */
  sync?: boolean;
}

/** A logger specbind made: where it writes, and the fixed fields every line of it carries (pino's order). */
export interface OwnLogger {
  destination: LogDestination;
  /** `,"pid":…,"hostname":…,"name":"specbind"`: what pino writes after `"time"`. */
  bindings: string;
}

const NAME = 'specbind';
const own = new WeakMap<Logger, OwnLogger>();

export function makeLogger(option?: Logger | LoggerOptions): Logger {
  if (option && typeof (option as Logger).child === 'function') return option as Logger;
  const options = (option ?? {}) as LoggerOptions;
  const level = options.level ?? (process.env.LOG_LEVEL || 'info');
  const sync = options.sync ?? ['1', 'true'].includes(process.env.LOG_SYNC ?? '');
  const destination = logDestination(1, sync);
  const logger = pino({ name: NAME, level }, destination);
  own.set(logger, { destination, bindings: `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())},"name":${JSON.stringify(NAME)}` });
  return logger;
}

/** The destination and bindings of a logger specbind made; undefined for a logger the caller gave. */
export function ownLogger(logger: Logger): OwnLogger | undefined {
  return own.get(logger);
}

/** Writes what a logger specbind made still holds (a no-op for a logger the caller gave). */
export function flushLogger(logger: Logger): void {
  own.get(logger)?.destination.flushSync();
}
