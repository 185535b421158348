// What a handler gave as a response body, told apart before anything is written: bytes, text, a
// stream of bytes (a Node Readable, a web ReadableStream, an async iterable), a sequence of items, or
// a JSON value. A value that no media type can carry (a socket, a function, a Map) is named, so that
// it is refused instead of being written as the JSON of its internals.
import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';

/** A web ReadableStream (Fetch API bodies, Bun, Deno), recognised without depending on its global. */
export interface WebReadable {
  getReader(): { read(): Promise<{ done: boolean; value?: unknown }>; cancel(reason?: unknown): Promise<void>; releaseLock(): void };
  cancel(reason?: unknown): Promise<void>;
}

export function isNodeReadable(value: unknown): value is Readable {
  if (value instanceof Readable) return true;
  // Readables from another copy of the stream module (readable-stream, a bundled dependency).
  const v = value as Partial<Readable> | null;
  return typeof v === 'object' && v !== null && typeof v.pipe === 'function' && typeof v.read === 'function' && typeof v.on === 'function' && typeof v.destroy === 'function';
}

export function isWebReadable(value: unknown): value is WebReadable {
  const v = value as Partial<WebReadable> | null;
  return typeof v === 'object' && v !== null && typeof v.getReader === 'function' && typeof v.cancel === 'function';
}

export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/** A source of chunks read over time: what streams, never what is serialised. */
export function isStreamSource(value: unknown): boolean {
  return isNodeReadable(value) || isWebReadable(value) || isAsyncIterable(value);
}

/** Bytes as the body: a Buffer, any typed array or DataView, an ArrayBuffer. */
export function asBytes(value: unknown): Buffer | undefined {
  if (Buffer.isBuffer(value)) return value;
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  return undefined;
}

/** A sequence of items for a sequential media type: anything iterable but text and bytes (an array, a generator, a Set). */
export function isItemSequence(value: unknown): value is Iterable<unknown> | AsyncIterable<unknown> {
  if (value === null || typeof value !== 'object') return false;
  if (asBytes(value) || isNodeReadable(value) || isWebReadable(value)) return false;
  return isAsyncIterable(value) || typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';
}

/** True when `value` is plain JSON already (no class instances, toJSON, Dates, undefined members or array holes). */
export function isPlainJson(value: unknown, depth = 0): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'undefined' && typeof value !== 'function' && typeof value !== 'bigint' && typeof value !== 'symbol' && (typeof value !== 'number' || Number.isFinite(value));
  if (depth > 64) return false;
  if (Array.isArray(value)) {
    // By index: a hole reads as undefined (JSON.stringify writes null there; `every` would skip it).
    for (let i = 0; i < value.length; i++) if (!isPlainJson(value[i], depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || typeof (value as any).toJSON === 'function') return false;
  for (const key in value) if (!isPlainJson((value as any)[key], depth + 1)) return false;
  return true;
}

/** Constructor name for messages: `ReadStream`, `Map`, `a function`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'bigint') return 'a BigInt';
  if (value === null || typeof value !== 'object') return typeof value;
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name;
  if (isNodeReadable(value)) return `a Node stream (${name || 'Readable'})`;
  if (isWebReadable(value)) return 'a web ReadableStream';
  if (isAsyncIterable(value)) return `an async iterable (${name || 'object'})`;
  return name ? `a ${name}` : 'an object';
}

/**
 * Why JSON cannot carry `value` (JSON.stringify would write its internals, `{}`, or nothing), or
 * undefined when it can. Looks at the value and, for plain objects and arrays, at what they hold (to
 * `depth` levels); a value with `toJSON` is judged by what that gives.
 */
export function notJson(value: unknown, depth = 0, seen?: Set<object>): string | undefined {
  if (value === null) return undefined;
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return undefined;
    case 'number':
      return undefined;
    case 'function':
    case 'symbol':
    case 'bigint':
      return describeValue(value);
  }
  const object = value as object;
  if (depth > 64) return undefined;
  if (typeof (object as { toJSON?: unknown }).toJSON === 'function') {
    // Buffers have a toJSON that writes every byte as a number: bytes are not JSON.
    if (asBytes(object)) return describeValue(object);
    try {
      const json = (object as { toJSON(key: string): unknown }).toJSON('');
      return json === object ? undefined : notJson(json, depth + 1, seen);
    } catch {
      return undefined; // JSON.stringify will throw it: the caller reports that
    }
  }
  if (Array.isArray(object)) {
    if ((seen ??= new Set()).has(object)) return undefined; // a cycle: JSON.stringify reports it
    seen.add(object);
    for (let i = 0; i < object.length; i++) {
      const reason = notJson(object[i], depth + 1, seen);
      if (reason) return `${reason} at index ${i}`;
    }
    seen.delete(object);
    return undefined;
  }
  if (isStreamSource(object) || object instanceof EventEmitter || object instanceof Promise || typeof (object as PromiseLike<unknown>).then === 'function') return describeValue(object);
  if (object instanceof Map || object instanceof Set || object instanceof WeakMap || object instanceof WeakSet || object instanceof Error || asBytes(object) || object instanceof RegExp) return describeValue(object);
  if ((seen ??= new Set()).has(object)) return undefined;
  seen.add(object);
  for (const key of Object.keys(object)) {
    const member = (object as Record<string, unknown>)[key];
    // A method or a symbol as a member is left out by JSON, as in any JavaScript object.
    if (typeof member === 'function' || typeof member === 'symbol') continue;
    const reason = notJson(member, depth + 1, seen);
    if (reason) return `${reason} at member "${key}"`;
  }
  seen.delete(object);
  return undefined;
}
