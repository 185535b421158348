// A streamed body on a node response: pulled only as fast as the client reads (write() returning
// false waits for 'drain'), the source closed as soon as the client goes away, and cut off (no final
// chunk, or fewer bytes than Content-Length) when the source fails, so the client can tell. A file
// stream nobody has touched is read into reused buffers rather than piped (pumpFile).
import { Buffer } from 'node:buffer';
import { read, ReadStream } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import type { OutgoingResponse, ResponseStream, StreamOutcome } from '../http/response';
import { describeValue, isNodeReadable } from '../replies/bodies';
import { closeSource } from '../replies/streams';

export function writeStream(res: ServerResponse, response: OutgoingResponse, stream: ResponseStream): void {
  const headers: Record<string, string | string[] | number> = response.headers;
  if (stream.length !== undefined) headers['content-length'] = stream.length;
  else delete headers['content-length'];
  res.writeHead(response.status, headers);
  let settled = false;
  const end = (outcome: StreamOutcome) => {
    if (settled) return;
    settled = true;
    stream.stop = undefined;
    stream.ended?.(outcome);
  };
  if (isUntouchedFileStream(stream.source)) pumpFile(res, stream.source, stream.length, end);
  else if (isNodeReadable(stream.source)) pipeReadable(res, stream.source, end);
  else {
    // Items may be far apart (an event stream): the client sees the response start at once.
    res.flushHeaders();
    void pumpIterator(res, stream.source, stream, end);
  }
}

/** A Node stream: piped (pipeline destroys the source when the response closes early, and the response when the source fails). */
function pipeReadable(res: ServerResponse, source: Readable, end: (outcome: StreamOutcome) => void): void {
  let bytes = 0;
  pipeline(source, res, (error) => {
    if (!error) end({ kind: 'complete', bytes });
    // The first error wins: the source's own, or the premature close of a client that went away.
    else if ((error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') end({ kind: 'closed', bytes });
    else end({ kind: 'failed', bytes, error });
  });
  source.on('data', (chunk: Buffer | string) => {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
  });
}

/**
 * Node itself: a buffer is read into again when node's write callback says it has gone to the socket.
 * Bun's and Deno's node:http are left their pipe: whether their callbacks promise as much is not tested.
 */
const NODE = !process.versions.bun && !('Deno' in globalThis);

/** The reads a file pump has in flight or on the wire at once, each into its own buffer. */
const FILE_BUFFERS = 3;

/**
 * A file stream (`fs.createReadStream`) nobody has read from or listens to: its bytes can be read into
 * a few buffers that are used again, instead of through the stream. Piped, each 64 KiB chunk is a new
 * buffer outside V8's heap, and V8 answers that churn with mark-compacts of the whole live heap (~40 a
 * GiB, bench/README.md, "Streamed responses"): in specbind's heap, larger than a bare server's, they
 * cost a sixth of a download's CPU.
 */
function isUntouchedFileStream(source: unknown): source is ReadStream {
  if (!NODE || !(source instanceof ReadStream)) return false;
  const file = source as ReadStream & { start?: number; end?: number; fd?: number | null };
  return (
    !file.destroyed &&
    file.bytesRead === 0 &&
    file.readableFlowing === null &&
    file.readableLength === 0 &&
    file.readableEncoding === null &&
    (file.start === undefined || Number.isSafeInteger(file.start)) &&
    (file.end === undefined || file.end === Infinity || Number.isSafeInteger(file.end)) &&
    ['data', 'readable', 'end'].every((event) => file.listenerCount(event) === 0)
  );
}

/**
 * A file stream's bytes, read with fs.read into FILE_BUFFERS buffers and written to the response; a
 * buffer is read into again once its write has gone to the socket, so at most FILE_BUFFERS × 64 KiB
 * are pending (backpressure, as a pipe's). The stream is only the file's descriptor here: destroyed
 * at the end, when the client goes away, or when a read fails (its 'error' and 'close' are emitted as
 * when piped, to whoever listens).
 */
function pumpFile(res: ServerResponse, source: ReadStream, length: number | undefined, end: (outcome: StreamOutcome) => void): void {
  const file = source as ReadStream & { start?: number; end?: number; fd?: number | null };
  let position = typeof file.start === 'number' ? file.start : 0;
  // The Content-Length sent (the file's size when it was asked) is what is read, no more.
  let last = typeof file.end === 'number' && Number.isFinite(file.end) ? file.end : Infinity;
  if (length !== undefined) last = Math.min(last, position + length - 1);
  // Buffers no larger than the file, made as they are needed: a small file costs one small buffer.
  const chunk = Math.max(1, Math.min(source.readableHighWaterMark || 64 * 1024, last - position + 1));
  let bytes = 0;
  let reading = false;
  let atEnd = false;
  let done = false;
  let inFlight = 0;
  let made = 0;
  const free: Buffer[] = [];
  const finish = (outcome: StreamOutcome) => {
    if (done) return;
    done = true;
    res.off('close', onClose);
    source.destroy();
    end(outcome);
  };
  const fail = (error: unknown) => {
    if (done) return;
    cutOff(res);
    finish({ kind: 'failed', bytes, error });
  };
  const onClose = () => {
    if (!res.writableFinished) finish({ kind: 'closed', bytes });
  };
  // Errors are this pump's to report (the response is cut off); a listener of the caller's hears them too.
  source.on('error', fail);
  res.on('close', onClose);
  const pump = () => {
    if (done || reading) return;
    if (atEnd) {
      if (inFlight === 0) {
        res.end();
        finish({ kind: 'complete', bytes });
      }
      return;
    }
    const wanted = Math.min(chunk, last - position + 1);
    if (wanted <= 0) {
      atEnd = true;
      pump();
      return;
    }
    let buffer = free.pop();
    if (!buffer && made < FILE_BUFFERS) {
      made++;
      buffer = Buffer.allocUnsafeSlow(chunk);
    }
    if (!buffer) return; // a write's callback brings one back
    reading = true;
    read(file.fd as number, buffer, 0, wanted, position, (error, n) => {
      reading = false;
      if (done) return;
      if (error) return fail(error);
      if (n === 0) {
        free.push(buffer);
        // Shorter than the Content-Length sent: cut off, so the client can tell.
        if (length !== undefined && bytes < length) return fail(new RangeError(`the file ended after ${bytes} of the ${length} bytes its Content-Length announced`));
        atEnd = true;
        return pump();
      }
      position += n;
      bytes += n;
      inFlight++;
      res.write(n === buffer.length ? buffer : buffer.subarray(0, n), () => {
        inFlight--;
        free.push(buffer);
        pump();
      });
      pump();
    });
  };
  if (typeof file.fd === 'number') pump();
  else source.once('ready', pump);
}

/** Text written at most this much at a time: a chunk the items of one tick share. */
const BATCH_CHARS = 16 * 1024;

/**
 * Any other source: an iterator of chunks, pulled one at a time. Text chunks produced in one tick
 * (an event stream's events) go out as one write, on the next tick or at 16 KiB: each write is an
 * HTTP chunk whose framing node handles buffer by buffer, which cost more than the events themselves
 * (bench/README.md, "Streamed responses"); an event still leaves in the tick it was made in. Closing
 * the source calls its `return()` at once, even while a `next()` is still pending (an event stream
 * waiting for its next event).
 */
async function pumpIterator(res: ServerResponse, source: AsyncIterator<Uint8Array | string>, stream: ResponseStream, end: (outcome: StreamOutcome) => void): Promise<void> {
  let bytes = 0;
  let done = false;
  let writes = 0;
  let pending = '';
  let flushing = false;
  let heartbeat: NodeJS.Timeout | undefined;
  const finish = (outcome: StreamOutcome) => {
    if (done) return;
    done = true;
    clearInterval(heartbeat);
    res.off('close', onClose);
    end(outcome);
  };
  const write = (chunk: string | Uint8Array) => {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    if (stream.length !== undefined && bytes > stream.length) throw new RangeError(`the stream gave more than the ${stream.length} bytes its Content-Length announced`);
    writes++;
    res.write(chunk);
  };
  /** Writes the text gathered so far (a no-op once the stream is over). */
  const flush = () => {
    flushing = false;
    if (!pending || done) return;
    const text = pending;
    pending = '';
    write(text);
  };
  const flushSoon = () => {
    try {
      flush();
    } catch (error) {
      fail(error);
    }
  };
  const fail = (error: unknown) => {
    if (done) return;
    closeSource(source);
    cutOff(res);
    finish({ kind: 'failed', bytes, error });
  };
  const onClose = () => {
    if (done || res.writableFinished) return;
    closeSource(source);
    finish({ kind: 'closed', bytes });
  };
  res.on('close', onClose);
  // Shutdown: end between two chunks, cleanly (only streams of whole items are stopped so).
  stream.stop = () => {
    if (done) return;
    closeSource(source);
    flush();
    res.end();
    finish({ kind: 'closed', bytes });
  };
  if (stream.heartbeat) {
    const { ms, chunk } = stream.heartbeat;
    let seen = 0;
    // One timer a stream: each tick writes the comment if nothing was written since the last tick.
    heartbeat = setInterval(() => {
      if (writes === seen && !pending && !done && res.writable) res.write(chunk);
      seen = writes;
    }, ms);
    heartbeat.unref();
  }
  try {
    for (;;) {
      const result = await source.next();
      if (done) return;
      if (result.done) break;
      const chunk = result.value;
      if (typeof chunk === 'string') {
        pending += chunk;
        if (pending.length >= BATCH_CHARS) flush();
        else if (!flushing) {
          flushing = true;
          process.nextTick(flushSoon);
        }
      } else if (chunk instanceof Uint8Array) {
        flush();
        write(chunk);
      } else throw new TypeError(`the stream gave ${describeValue(chunk)}, not bytes or text`);
      if (res.writableNeedDrain) await drained(res);
      if (done) return;
    }
    flush();
    if (stream.length !== undefined && bytes !== stream.length) throw new RangeError(`the stream ended after ${bytes} of the ${stream.length} bytes its Content-Length announced`);
    res.end();
    finish({ kind: 'complete', bytes });
  } catch (error) {
    // What came before the failure is sent, then the body is cut off.
    if (!done) {
      try {
        flush();
      } catch {
        // The failure at hand is the one reported.
      }
    }
    fail(error);
  }
}

/**
 * Ends the connection without ending the response: what was written is flushed, but no final chunk
 * (or fewer bytes than Content-Length) follows, so the client can tell the body is incomplete.
 */
function cutOff(res: ServerResponse): void {
  const socket = res.socket;
  if (!socket || socket.destroyed) {
    res.destroy();
    return;
  }
  // Node 24 holds a chunked response's writes of this tick in the response itself (it corks the
  // response, not the socket, until the next tick): hand them to the socket first, or they are lost.
  for (let corked = res.writableCorked; corked > 0; corked--) res.uncork();
  socket.end();
  // A client that stops reading does not get to hold the socket.
  setTimeout(() => socket.destroy(), 5_000).unref();
}

/** Resolves when the response can take more, or has closed. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const go = () => {
      res.off('drain', go);
      res.off('close', go);
      resolve();
    };
    res.on('drain', go);
    res.on('close', go);
  });
}
