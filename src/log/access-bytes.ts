// The access line written as bytes straight into the log's batch: no string is made for it. The string
// version (`accessLine`) allocated ~780 bytes a request (cons strings, number strings, quoted copies),
// and the batch then copied it once more when flattening it to encode (bench/inprocess.ts
// --allocations); here the line costs no allocation at all. Same line, byte for byte: the fields are
// printable ASCII in the common case, and anything else (a quote, a backslash, a control character,
// text beyond ASCII, a number JSON would print otherwise) gives up, and the caller writes the string
// version, which escapes as pino does.
//
// Where the time went (node 20, the benchmark's GET line in a loop): ~650 ns a line at first, most of
// it `rest % 10` on the 13-digit time, a double, for which V8 calls C's fmod. Now a digit is
// `rest - 10 * quotient`, and a line's first ~95 bytes (level, time, pid, hostname, name, the reqId
// key) are built once a millisecond and copied: ~215 ns a line, against ~445 for the string line
// encoded into the batch (bench/access-line.ts). What is left is the byte-by-byte copying.
import type { AccessFields } from './access';

/** Bytes a line needs at most beyond its strings and the logger's bindings: the keys, the numbers, the punctuation. */
const FIXED_BYTES = 320;

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

/** Writes access lines for one logger, whose fixed fields (`bindings`, as UTF-8) follow the time. */
export class AccessLineWriter {
  /** `{"level":30,"time":<headTime>` + bindings + `,"reqId":"`: shared by every line of a millisecond. */
  private head = new Uint8Array(0);
  private headTime = -1;

  constructor(private readonly bindings: Uint8Array) {}

  /** An upper bound of the line's length in bytes, for fields that are all printable ASCII. */
  bound(f: AccessFields): number {
    return FIXED_BYTES + this.bindings.length + f.reqId.length + (f.operationId?.length ?? 0) + f.method.length + f.url.length + (f.stream?.length ?? 0) + (f.trace_id?.length ?? 0) + (f.span_id?.length ?? 0);
  }

  /**
   * Writes the line for `f` into `out` from `at`, and returns where it ends; -1 when a field needs what
   * only the string version does (escaping, a number's exponent form). `out` must hold `bound(f)` bytes
   * from `at`.
   */
  write(out: Uint8Array, at: number, f: AccessFields, time: number): number {
    if (time !== this.headTime && !this.rebuildHead(time)) return -1;
    out.set(this.head, at); // ~95 bytes: one memmove beats a loop from here up
    let i = putPlain(out, at + this.head.length, f.reqId);
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

  /** The head for a new millisecond (false for a time JSON would not print as plain digits). */
  private rebuildHead(time: number): boolean {
    const head = new Uint8Array(HEAD.length + 16 + this.bindings.length + REQ_ID.length);
    let i = putInteger(head, put(head, 0, HEAD), time);
    if (i < 0) return false;
    i = put(head, put(head, i, this.bindings), REQ_ID);
    this.head = head.subarray(0, i);
    this.headTime = time;
    return true;
  }
}

function put(out: Uint8Array, at: number, bytes: Uint8Array): number {
  // A loop, not `out.set()`: these are a few to ~20 bytes, where the builtin's call costs more than the copy.
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
  return putDigits(out, at, n, digits);
}

/**
 * `n`'s last `digits` digits, zero-padded. A digit is `rest - 10 * quotient`, never `rest % 10`: beyond
 * 2^31 the number is a double, and V8 computes a double's `%` by calling C's fmod (~25 ns a digit).
 */
function putDigits(out: Uint8Array, at: number, n: number, digits: number): number {
  for (let k = at + digits - 1, rest = n; k >= at; k--) {
    const quotient = Math.floor(rest / 10);
    out[k] = 48 + rest - quotient * 10;
    rest = quotient;
  }
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
  let fraction = micros - whole * 1000; // 0..999, a small integer
  let i = putInteger(out, at, whole);
  if (fraction === 0) return i;
  out[i++] = 46; // .
  let digits = 3;
  while (fraction % 10 === 0) {
    fraction /= 10;
    digits--;
  }
  return putDigits(out, i, fraction, digits);
}
