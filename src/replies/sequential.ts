// Sequential media types (OpenAPI 3.2's `itemSchema`): a handler gives an iterable of items, and each
// item is checked against the item schema and framed as it leaves, as server-sent events, JSON Lines
// or RFC 7464 JSON text sequences. The encoder is an async iterator of text chunks, pulled by the
// adapter as fast as the client reads (backpressure); closing it closes the handler's source at once.
import type { Validator } from '../validation/compiler';
import type { Framing } from './media';
import { describeValue, isAsyncIterable, isPlainJson, notJson } from './bodies';

export type ItemValidation = 'strict' | 'warn' | 'off';

export interface SequenceOptions {
  framing: Framing;
  /** The item schema's validator; undefined when the media type declares none (or validation is off). */
  validate?: Validator;
  /**
   * What the schema describes. 'item': the whole item (OpenAPI 3.2's itemSchema, a JSON Lines item, an
   * SSE event `{ data, event?, id?, retry? }` whose `data` is checked as the handler gave it or as the
   * text on the wire). 'data': only an SSE event's data (a 3.0/3.1 `schema` that declares no `data`
   * member, as most such documents write it).
   */
  schemaOf: 'item' | 'data';
  mode: ItemValidation;
  /** An item broke the contract (strict and warn): log it, count it. */
  onInvalid(violations: string[], index: number): void;
  /** An item cannot be written at all (JSON cannot carry it, an SSE field spans lines): the stream ends, in every mode. */
  onRefused(reason: string, index: number): void;
  /** The SSE `event: error` data sent before a stream ends on a refused item or a failed source. */
  errorData(detail: string, why: 'invalid' | 'failed'): string;
}

/** Why an item was refused: the stream ends after it (SSE: after an error event). */
export class RefusedItem extends Error {
  constructor(
    message: string,
    readonly index: number,
    /** True when `onInvalid` has told of it already (a strict check). */
    readonly reported = false,
  ) {
    super(message);
    this.name = 'RefusedItem';
  }
}

const SSE_FIELDS = new Set(['data', 'event', 'id', 'retry', 'comment']);
const LINE_BREAK = /\r\n|\r|\n/;

/** An SSE event as the handler gave it: an object of SSE fields, else the item is the event's data. */
interface SseEvent {
  data?: unknown;
  event?: unknown;
  id?: unknown;
  retry?: unknown;
  comment?: unknown;
}

function asEvent(item: unknown): SseEvent {
  if (typeof item === 'string') return { data: item };
  if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
    const keys = Object.keys(item);
    if (keys.length > 0 && keys.every((key) => SSE_FIELDS.has(key)) && keys.some((key) => key !== 'comment' || keys.length === 1)) return item as SseEvent;
  }
  return { data: item };
}

/** The JSON text of a value, as the client will read it; throws a RefusedItem for what JSON cannot carry. */
function jsonText(value: unknown, index: number, plain: boolean): string {
  const reason = plain ? undefined : notJson(value);
  if (reason !== undefined) throw new RefusedItem(`item ${index} is ${reason}, which JSON cannot carry`, index);
  const text = JSON.stringify(value);
  if (text === undefined) throw new RefusedItem(`item ${index} is ${describeValue(value)}, which JSON cannot carry`, index);
  return text;
}

/** The value a validator sees: the item as the client reads it back (toJSON applied, undefined members gone); `plain` when it is that already. */
function asRead(value: unknown, text: string | undefined, plain: boolean): unknown {
  if (plain || value === null || typeof value !== 'object') return value;
  return JSON.parse(text ?? JSON.stringify(value));
}

/** An event object whose fields are plain already (its data judged apart), so a validator may see it as it is. */
function plainEvent(event: SseEvent, dataPlain: boolean): boolean {
  if (!dataPlain || Object.getPrototypeOf(event) !== Object.prototype) return false;
  for (const key in event) {
    if (key === 'data') continue;
    const value = (event as Record<string, unknown>)[key];
    if (value !== undefined && typeof value !== 'string' && typeof value !== 'number') return false;
  }
  return true;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A single-line SSE field value; a line break would start another field (an injected event). */
function fieldValue(name: string, value: unknown, index: number): string {
  const text = typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
  if (text === undefined || LINE_BREAK.test(text) || text.includes('\0')) throw new RefusedItem(`item ${index}: the SSE field "${name}" must be one line of text`, index);
  return text;
}

/** One SSE event, framed: `event:`, `id:`, `retry:`, a `data:` line per line of data, then a blank line. */
export function frameEvent(event: SseEvent, dataText: string | undefined, index: number): string {
  let out = '';
  if (event.comment !== undefined) for (const line of String(event.comment).split(LINE_BREAK)) out += `: ${line}\n`;
  if (event.event !== undefined) out += `event: ${fieldValue('event', event.event, index)}\n`;
  if (event.id !== undefined) out += `id: ${fieldValue('id', event.id, index)}\n`;
  if (event.retry !== undefined) {
    if (typeof event.retry !== 'number' || !Number.isInteger(event.retry) || event.retry < 0) throw new RefusedItem(`item ${index}: the SSE field "retry" must be a non-negative integer (ms)`, index);
    out += `retry: ${event.retry}\n`;
  }
  if (dataText !== undefined) {
    // One `data:` line per line: the client joins them with \n again.
    if (dataText.indexOf('\n') === -1 && dataText.indexOf('\r') === -1) out += `data: ${dataText}\n`;
    else for (const line of dataText.split(LINE_BREAK)) out += `data: ${line}\n`;
  }
  return `${out}\n`;
}

/** The SSE comment written when a stream has been quiet for the heartbeat interval (proxies keep it open). */
export const SSE_HEARTBEAT = ': keep-alive\n\n';

/**
 * The framed, checked chunks of a sequence of items. `return()` closes the source iterator at once
 * (its `return()` is called), whatever the encoder was waiting for.
 */
export class ItemStream implements AsyncIterableIterator<string> {
  private readonly source: Iterator<unknown> | AsyncIterator<unknown>;
  private index = 0;
  private finished = false;
  /** Items are validated (a schema, and a mode other than off). */
  private readonly checking: boolean;
  /** A failure to report on the next pull, after the SSE error event that announced it. */
  private failure?: unknown;

  constructor(
    items: Iterable<unknown> | AsyncIterable<unknown>,
    private readonly options: SequenceOptions,
  ) {
    this.source = isAsyncIterable(items) ? items[Symbol.asyncIterator]() : (items as Iterable<unknown>)[Symbol.iterator]();
    this.checking = options.validate !== undefined && options.mode !== 'off';
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<string>> {
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      this.finished = true;
      throw failure;
    }
    if (this.finished) return { done: true, value: undefined };
    let result: IteratorResult<unknown>;
    try {
      result = await this.source.next();
    } catch (error) {
      return this.fail(error, `the stream's source failed: ${(error as Error)?.message ?? String(error)}`);
    }
    if (this.finished) return { done: true, value: undefined }; // closed while the source was pulled
    if (result.done) {
      this.finished = true;
      return { done: true, value: undefined };
    }
    const index = this.index++;
    try {
      return { done: false, value: this.encode(result.value, index) };
    } catch (error) {
      this.closeSource();
      if (error instanceof RefusedItem) {
        if (!error.reported) this.options.onRefused(error.message, index);
        this.finished = true;
        // SSE can say so: an error event, then a clean end (EventSource reconnects). JSON Lines and
        // json-seq cannot: the body is cut off, so that the client can tell it is incomplete.
        if (this.options.framing === 'sse') return { done: false, value: frameEvent({ event: 'error' }, this.options.errorData(error.message, 'invalid'), index) };
      }
      throw error;
    }
  }

  async return(): Promise<IteratorResult<string>> {
    if (!this.finished) {
      this.finished = true;
      this.closeSource();
    }
    return { done: true, value: undefined };
  }

  /** The source failed: SSE announces it with an error event; the next pull rethrows, so the adapter ends the response as incomplete. */
  private fail(error: unknown, detail: string): IteratorResult<string> {
    if (this.options.framing !== 'sse') {
      this.finished = true;
      throw error;
    }
    this.failure = error ?? new Error('the source failed');
    return { done: false, value: frameEvent({ event: 'error' }, this.options.errorData(detail, 'failed'), this.index) };
  }

  private closeSource(): void {
    const source = this.source as { return?: () => unknown };
    if (typeof source.return !== 'function') return;
    try {
      // Not awaited: an async generator waiting inside its own body settles its return() only later.
      const closing = source.return();
      if (closing && typeof (closing as Promise<unknown>).then === 'function') (closing as Promise<unknown>).then(undefined, () => undefined);
    } catch {
      // A source that cannot close is left to the garbage collector.
    }
  }

  /** One item framed, after its check: strict refuses it (RefusedItem), warn reports it, off writes it. */
  private encode(item: unknown, index: number): string {
    const { framing } = this.options;
    if (framing !== 'sse') {
      // Walked once: whether the item is plain JSON decides both its text and what the validator sees.
      const plain = isPlainJson(item);
      const text = jsonText(item, index, plain);
      if (this.checking) this.check(index, () => [asRead(item, text, plain)]);
      return framing === 'jsonl' ? `${text}\n` : `\u001e${text}\n`;
    }
    const event = asEvent(item);
    const data = event.data;
    const dataPlain = data === undefined || typeof data === 'string' || isPlainJson(data);
    const dataText = typeof data === 'string' ? data : data === undefined ? undefined : jsonText(data, index, dataPlain);
    if (this.checking) this.check(index, () => {
      if (this.options.schemaOf === 'data') {
        // Data the handler wrote as JSON text already is checked as the value it stands for, too.
        if (typeof data !== 'string') return [asRead(data, dataText, dataPlain)];
        const parsed = parseJson(data);
        return parsed === undefined ? [data] : [data, parsed];
      }
      const read = (plainEvent(event, dataPlain) ? event : asRead(event, undefined, false)) as SseEvent;
      // The event as the handler gave it, and as a client parses it: `data` the text on the wire (OpenAPI's generic SSE schema).
      return dataText !== undefined && typeof data !== 'string' ? [read, { ...read, data: dataText }] : [read];
    });
    return frameEvent(event, dataText, index);
  }

  /** Holds an item to its schema: valid when any of its readings is; else the violations of the first reading that came closest (fewest). */
  private check(index: number, readings: () => unknown[]): void {
    const { validate, mode } = this.options;
    if (!validate || mode === 'off') return;
    let closest: NonNullable<ReturnType<Validator>> | undefined;
    for (const value of readings()) {
      const errors = validate(value);
      if (!errors) return;
      if (!closest || errors.length < closest.length) closest = errors;
    }
    const violations = closest!.slice(0, 10).map((e) => `item ${index}${e.pointer ? ` ${e.pointer}` : ''} ${e.message}`);
    this.options.onInvalid(violations, index);
    if (mode === 'strict') throw new RefusedItem(violations.join('; '), index, true);
  }
}
