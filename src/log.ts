// The logger: pino, JSON lines, level from LOG_LEVEL (default info); pretty-printing is left to a
// pipe (`| npx pino-pretty`) so the server never pays for it.
import pino, { type Logger } from 'pino';

export function makeLogger(option?: Logger | { level?: string }): Logger {
  if (option && typeof (option as Logger).child === 'function') return option as Logger;
  const level = (option as { level?: string } | undefined)?.level ?? process.env.LOG_LEVEL ?? 'info';
  return pino({ name: 'specbind', level });
}
