// The command line's logger: JSON lines (one object per line, for log shippers), except at a terminal,
// where pino-pretty prints them for people. LOG_FORMAT=json or LOG_FORMAT=pretty forces one. The
// library itself (createServer) always logs JSON; pretty-printing is the CLI's concern only.
import pino, { type Logger } from 'pino';
import type { PrettyOptions } from 'pino-pretty';

type LoggerOption = Logger | { level?: string } | undefined;

/** True when the CLI should pretty-print: LOG_FORMAT=pretty, or stdout is a terminal and LOG_FORMAT is not json. */
export function wantsPretty(stdout: { isTTY?: boolean } = process.stdout, format = process.env.LOG_FORMAT): boolean {
  if (format === 'json') return false;
  return format === 'pretty' || stdout.isTTY === true;
}

/**
 * A pretty logger for the CLI when `wantsPretty()`, else the option unchanged. A logger instance
 * given by a config file is kept as it is.
 */
export function cliLogger(option: LoggerOption, stdout: NodeJS.WriteStream = process.stdout): LoggerOption {
  if (option && typeof (option as Logger).child === 'function') return option;
  if (!wantsPretty(stdout)) return option;
  let pretty: (options: PrettyOptions) => NodeJS.WritableStream;
  try {
    pretty = require('pino-pretty');
  } catch {
    return option; // not installed (a trimmed production image): JSON it is
  }
  const level = (option as { level?: string } | undefined)?.level ?? (process.env.LOG_LEVEL || 'info');
  const stream = pretty({
    colorize: stdout.isTTY === true,
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,name',
    // A request line reads `GET /pets/1 → 200 in 1.2 ms`, its reqId and operationId below.
    messageFormat: (log, messageKey) => {
      const message = String(log[messageKey] ?? '');
      if (message !== 'request' || log.status === undefined) return message;
      const line = `${log.method} ${log.url} → ${log.status} in ${log.ms} ms`;
      for (const key of ['method', 'url', 'status', 'ms']) delete log[key];
      return line;
    },
  });
  return pino({ name: 'specbind', level }, stream);
}
