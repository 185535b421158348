// The access line written as bytes straight into the log's batch: no string is made for it. The string
// version (`accessLine`) allocated ~780 bytes a request (cons strings, number strings, quoted copies),
// and the batch then copied it once more when flattening it to encode (bench/inprocess.ts
// --allocations); here the line costs no allocation at all. Same line, byte for byte: the fields are
// printable ASCII in the common case, and anything else (a quote, a backslash, a control character,
// text beyond ASCII, a number JSON would print otherwise) gives up, and the caller writes the string
// version, which escapes as pino does.
import type { AccessFields } from './access';

/** Bytes a line needs at most beyond its strings: the keys, the numbers, the punctuation. */
const FIXED_BYTES = 320;

/** An upper bound of the line's length in bytes, for fields that are all printable ASCII. */
export function accessLineBound(bindings: Uint8Array, f: AccessFields): number {
  return FIXED_BYTES + bindings.length + f.reqId.length + (f.operationId?.length ?? 0) + f.method.length + f.url.length + (f.stream?.length ?? 0) + (f.trace_id?.length ?? 0) + (f.span_id?.length ?? 0);
}

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const HEAD = ascii('{"level":30,"time":');
const REQ_ID = ascii(',"reqId":"');
const OPERATION_ID = ascii('","operationId":"');
const METHOD = ascii('","method":"');
const URL = ascii('","url":"');
const STATUS = ascii('","status":');
const MS = ascii(',"ms":');
const BYTES = ascii(',"bytes":');
const STREAM = ascii(',"stream":"');
const TRACE_ID = ascii(',"trace_id":"');
const SPAN_ID = ascii('","span_id":"');
const QUOTE = ascii('"');
const TAIL = ascii(',"msg":"request"}\n');

/**
 * Writes the line for `f` into `out` from `at`, and returns where it ends; -1 when a field needs what
 * only the string version does (escaping, a number's exponent form). `out` must hold
 * `accessLineBound(bindings, f)` bytes from `at`. `bindings` are the logger's fixed fields as UTF-8.
 */
export function writeAccessLine(out: Uint8Array, at: number, bindings: Uint8Array, f: AccessFields, time: number): number {
  let i = put(out, at, HEAD);
  i = putInteger(out, i, time);
  i = put(out, i, bindings);
  i = putPlain(out, put(out, i, REQ_ID), f.reqId);
  if (i < 0) return -1;
  if (f.operationId !== undefined) {
    i = putPlain(out, put(out, i, OPERATION_ID), f.operationId);
    if (i < 0) return -1;
  }
  i = putPlain(out, put(out, i, METHOD), f.method);
  if (i < 0) return -1;
  i = putPlain(out, put(out, i, URL), f.url);
  if (i < 0) return -1;
  i = putInteger(out, put(out, i, STATUS), f.status);
  if (i < 0) return -1;
  i = putMilliseconds(out, put(out, i, MS), f.ms);
  if (i < 0) return -1;
  if (f.bytes !== undefined) {
    i = putInteger(out, put(out, i, BYTES), f.bytes);
    if (i < 0) return -1;
  }
  if (f.stream !== undefined) {
    i = putPlain(out, put(out, i, STREAM), f.stream);
    if (i < 0) return -1;
    i = put(out, i, QUOTE);
  }
  if (f.trace_id !== undefined) {
    i = putPlain(out, put(out, i, TRACE_ID), f.trace_id);
    if (i < 0) return -1;
    i = putPlain(out, put(out, i, SPAN_ID), f.span_id ?? '');
    if (i < 0) return -1;
    i = put(out, i, QUOTE);
  }
  return put(out, i, TAIL);
}

function put(out: Uint8Array, at: number, bytes: Uint8Array): number {
  // A loop, not `out.set()`: these are a few to ~80 bytes, where the builtin's call costs more than the copy.
  for (let k = 0; k < bytes.length; k++) out[at + k] = bytes[k];
  return at + bytes.length;
}

/** `text` as its bytes, when every character is printable ASCII other than `"` and `\` (JSON needs no escape); else -1. */
function putPlain(out: Uint8Array, at: number, text: string): number {
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return -1;
    out[at + k] = c;
  }
  return at + text.length;
}

/** A non-negative safe integer's digits, as JSON prints it; -1 for anything else. */
function putInteger(out: Uint8Array, at: number, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) return -1;
  let digits = 1;
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  for (let k = at + digits - 1, rest = n; k >= at; k--, rest = Math.floor(rest / 10)) out[k] = 48 + (rest % 10);
  return at + digits;
}

/**
 * `ms` as JSON.stringify prints it, for a whole number of microseconds (the pipeline rounds it so):
 * `<whole>[.<1 to 3 digits, no trailing 0>]`, which is the shortest form of that double below 1e21.
 */
function putMilliseconds(out: Uint8Array, at: number, ms: number): number {
  const micros = Math.round(ms * 1000);
  if (!Number.isSafeInteger(micros) || micros < 0 || micros / 1000 !== ms) return -1;
  const whole = Math.floor(micros / 1000);
  let fraction = micros - whole * 1000;
  let i = putInteger(out, at, whole);
  if (fraction === 0) return i;
  out[i++] = 46; // .
  let digits = 3;
  while (fraction % 10 === 0) {
    fraction /= 10;
    digits--;
  }
  for (let k = digits - 1, rest = fraction; k >= 0; k--, rest = Math.floor(rest / 10)) out[i + k] = 48 + (rest % 10);
  return i + digits;
}
