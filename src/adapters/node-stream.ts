// A streamed body on a node response: pulled only as fast as the client reads (write() returning
// false waits for 'drain'), the source closed as soon as the client goes away, and cut off (no final
// chunk, or fewer bytes than Content-Length) when the source fails, so the client can tell.
import { Buffer } from 'node:buffer';
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
  if (isNodeReadable(stream.source)) pipeReadable(res, stream.source, end);
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
