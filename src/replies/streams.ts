// Byte streams a handler gives as a body (a Node Readable, a web ReadableStream, an async iterable of
// chunks), as the one kind of source an adapter pulls from, and closed when the body is not sent.
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { isAsyncIterable, isNodeReadable, isWebReadable, type WebReadable } from './bodies';

export type ByteSource = Readable | AsyncIterator<Uint8Array | string>;

/** The source an adapter pulls: a Node stream as it is (piped), anything else as an iterator whose `return()` closes it. */
export function byteSource(body: Readable | WebReadable | AsyncIterable<unknown>): ByteSource {
  if (isNodeReadable(body)) return body;
  if (isWebReadable(body)) return webIterator(body);
  return (body as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
}

/** A web ReadableStream read chunk by chunk; `return()` cancels it (the underlying source is told). */
function webIterator(stream: WebReadable): AsyncIterator<Uint8Array | string> {
  const reader = stream.getReader();
  return {
    async next() {
      const { done, value } = await reader.read();
      return done ? { done: true, value: undefined } : { done: false, value: value as Uint8Array | string };
    },
    async return() {
      await reader.cancel().catch(() => undefined);
      return { done: true, value: undefined };
    },
  };
}

/** Closes a body that will not be sent (a file stream keeps its descriptor open until then). */
export function discardBody(body: unknown): void {
  try {
    if (isNodeReadable(body)) body.destroy();
    else if (isWebReadable(body)) void body.cancel().catch(() => undefined);
    else if (isAsyncIterable(body)) void Promise.resolve(body[Symbol.asyncIterator]().return?.()).catch(() => undefined);
    else if (body !== null && typeof body === 'object' && typeof (body as Iterator<unknown>).return === 'function') (body as Iterator<unknown>).return!();
  } catch {
    // Nothing more can be done for a source that cannot close.
  }
}

/** Closes a source an adapter was given but will not pull (a HEAD request, a response that could not be written). */
export function closeSource(source: ByteSource): void {
  discardBody(source);
}

interface FileStream extends Readable {
  path?: string | Buffer;
  start?: number;
  end?: number;
  fd?: number | null;
}

/** The byte length of a file stream (`fs.createReadStream`), from the file's size and the stream's range; undefined for any other stream. */
export async function fileLength(source: ByteSource): Promise<number | undefined> {
  const file = source as FileStream;
  if (!isNodeReadable(file) || file.path === undefined || typeof (file as { bytesRead?: unknown }).bytesRead !== 'number') return undefined;
  try {
    const { size, isFile } = await stat(file.path).then((s) => ({ size: s.size, isFile: s.isFile() }));
    if (!isFile) return undefined;
    const start = typeof file.start === 'number' ? file.start : 0;
    const end = typeof file.end === 'number' && Number.isFinite(file.end) ? Math.min(file.end, size - 1) : size - 1;
    return Math.max(0, end - start + 1);
  } catch {
    return undefined; // the stream reports its own error when it is read
  }
}
