// The access log: one line a request, `msg: "request"`, at info. Through pino it costs about 1 µs a
// line (its generic field loop, serializer lookups and string escaping), as much as everything
// specbind does for a GET; for the logger specbind made itself, whose shape is known (no serializers,
// hooks, mixins or formatters), the line is put together here with the same fields in pino's order
// and handed to the same destination, so it interleaves with pino's own lines: written as bytes into
// the batch (./access-bytes.ts), or as the string `accessLine` when a field needs escaping. A logger
// the caller gave goes through its `info()` as any other line.
import type { Logger } from 'pino';
import { AccessLineWriter } from './access-bytes';
import { ownLogger } from './index';

export interface AccessFields {
  reqId: string;
  operationId: string | undefined;
  method: string;
  url: string;
  status: number;
  /** Milliseconds, rounded to the microsecond. */
  ms: number;
  /** A streamed response: the bytes that went out, and how it ended. */
  bytes?: number;
  stream?: string;
  /** The request's OpenTelemetry span, when it is traced. */
  trace_id?: string;
  span_id?: string;
}

export type AccessLog = (fields: AccessFields) => void;

/** How pino begins a line at info (level 30); the time follows. */
const HEAD = '{"level":30,"time":';

export function accessLog(logger: Logger): AccessLog {
  const made = ownLogger(logger);
  if (!made) return (fields) => logger.info(fields, 'request');
  const { destination, bindings } = made;
  const writer = new AccessLineWriter(new Uint8Array(Buffer.from(bindings))); // a plain Uint8Array, as the constants: one kind for put()
  // In place, no string made: ~980 bytes less allocated a request than building the line as a string
  // and encoding it later (bench/inprocess.ts --allocations; bench/README.md "The access log").
  return (fields) => {
    const time = Date.now();
    const at = destination.room(writer.bound(fields));
    const end = at < 0 ? -1 : writer.write(destination.batch, at, fields, time);
    if (end < 0) destination.write(accessLine(bindings, fields, time));
    else destination.advance(end);
  };
}

/** The line pino writes for `logger.info(fields, 'request')`: undefined fields left out, strings JSON-escaped. */
export function accessLine(bindings: string, f: AccessFields, time = Date.now()): string {
  let line = `${HEAD}${time}${bindings},"reqId":${quote(f.reqId)}`;
  if (f.operationId !== undefined) line += `,"operationId":${quote(f.operationId)}`;
  line += `,"method":${quote(f.method)},"url":${quote(f.url)},"status":${f.status},"ms":${milliseconds(f.ms)}`;
  if (f.bytes !== undefined) line += `,"bytes":${number(f.bytes)}`;
  if (f.stream !== undefined) line += `,"stream":${quote(f.stream)}`;
  if (f.trace_id !== undefined) line += `,"trace_id":${quote(f.trace_id)},"span_id":${quote(f.span_id ?? '')}`;
  return `${line},"msg":"request"}\n`;
}

/** Printable ASCII but `"` and `\` needs no escaping: the common case, tested before paying for JSON.stringify. */
const NEEDS_ESCAPING = /["\\\u0000-\u001f\u007f-\uffff]/;

function quote(text: string): string {
  return NEEDS_ESCAPING.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/**
 * `ms` as JSON.stringify writes it: a double's shortest form costs ~100 ns, an integer's a fraction of
 * that. A whole number of microseconds over 1000 prints as `<whole>.<up to 3 digits, no trailing 0>`,
 * which is exactly the shortest form of that double.
 */
function milliseconds(ms: number): string {
  const micros = Math.round(ms * 1000);
  if (!Number.isSafeInteger(micros) || micros < 0) return number(ms);
  const whole = Math.floor(micros / 1000);
  let fraction = micros - whole * 1000;
  if (fraction === 0) return String(whole);
  let digits = 3;
  while (fraction % 10 === 0) {
    fraction /= 10;
    digits--;
  }
  return `${whole}.${String(fraction).padStart(digits, '0')}`;
}

/** As pino writes a number: JSON has no NaN or Infinity. */
function number(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}
