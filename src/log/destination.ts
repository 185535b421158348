// Where specbind's own logger writes: stdout, in batches. Each line is added to a batch of at most
// 64 KiB, as UTF-8, when it is logged; the batch is written with one synchronous write(2) when it is
// full or FLUSH_INTERVAL_MS after its first line, whichever comes first. At 70k requests a second that
// is one write per ~280 lines instead of one a line, and a reader of the pipe (Docker, systemd, a
// shell) is woken ~250 times a second instead of 70,000: per-line writes cost the benchmark's GET a
// fifth of its throughput (bench/README.md, "The access log").
//
// What can be lost: only on an end that runs no code (SIGKILL, the OOM killer, a native crash, or a
// SIGTERM to a process that has no SIGTERM listener, which node does not turn into an 'exit'): the
// lines of the last FLUSH_INTERVAL_MS, at most one batch. Every other end writes them: close(),
// `specbind serve`'s SIGTERM and SIGINT (the drain ends in process.exit), an uncaught exception and
// `process.exit()` (node's 'exit' event, where a synchronous write still runs). A line at level error or
// fatal is written at once, with everything before it. `sync: true` (LOG_SYNC=1) writes every line
// when it is logged, as pino does by default. Lines stay in order; the writes stay synchronous, so a
// reader that stops reading holds the server up, as with pino's default destination and console.log.
import { writeSync } from 'node:fs';

/** How long a line may wait for the rest of its batch. */
export const FLUSH_INTERVAL_MS = 20;
/** How much a batch holds, in bytes of UTF-8. */
export const BATCH_BYTES = 64 * 1024;

/** pino's lines begin `{"level":NN`; the level's first digit sits here. */
const LEVEL_DIGIT = '{"level":'.length;
/** '5': level 50 (error) and 60 (fatal) are written at once. */
const URGENT_DIGIT = 53;

export interface LogDestination {
  write(line: string): void;
  /**
   * Room for a line of at most `bytes` bytes at the end of the batch (what is pending is written first
   * when it would not fit): where to write it in `batch`, then `advance` to where it ended. -1 when
   * lines are not kept in a batch (sync) or the line could be longer than a batch: write its string.
   */
  room(bytes: number): number;
  /** The batch `room` gave a place in. */
  readonly batch: Uint8Array;
  /** The line written in place ends at `end`. */
  advance(end: number): void;
  /** Writes what is pending now, synchronously. */
  flushSync(): void;
}

/** A destination for `fd`: batched (the default), or every line at once with `sync`. */
export function logDestination(fd: number, sync: boolean): LogDestination {
  return sync ? new LineAtOnce(fd) : new Batched(fd);
}

class LineAtOnce implements LogDestination {
  readonly batch = new Uint8Array(0);

  constructor(private readonly fd: number) {}

  write(line: string): void {
    writeAll(this.fd, Buffer.from(line));
  }

  room(): number {
    return -1;
  }

  advance(): void {}

  flushSync(): void {}
}

/** Destinations holding lines, written by node's 'exit' event (one listener for all of them). */
const holding = new Set<Batched>();
let exitHooked = false;

function flushAllAtExit(): void {
  for (const destination of holding) destination.flushSync();
}

class Batched implements LogDestination {
  /**
   * The lines not yet written, as the bytes that will be written: pino's lines encoded as they come,
   * the access line written here in place (src/log/access-bytes.ts), so no line is kept as a string.
   */
  readonly batch = Buffer.allocUnsafeSlow(BATCH_BYTES);
  private used = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly fd: number) {
    if (!exitHooked) {
      exitHooked = true;
      process.once('exit', flushAllAtExit);
    }
  }

  write(line: string): void {
    // A UTF-16 unit is at most 3 bytes of UTF-8: the exact length is counted only near the end of a batch.
    if (this.used + line.length * 3 > BATCH_BYTES) {
      const length = Buffer.byteLength(line);
      if (this.used + length > BATCH_BYTES) this.flushSync();
      if (length > BATCH_BYTES) {
        writeAll(this.fd, Buffer.from(line)); // longer than a batch (a big object at debug): on its own
        return;
      }
    }
    this.advance(this.used + utf8Write(this.batch, line, this.used));
    if (line.charCodeAt(LEVEL_DIGIT) >= URGENT_DIGIT) this.flushSync();
  }

  room(bytes: number): number {
    if (bytes > BATCH_BYTES) return -1;
    if (this.used + bytes > BATCH_BYTES) this.flushSync();
    return this.used;
  }

  advance(end: number): void {
    this.used = end;
    if (this.timer === undefined) {
      holding.add(this);
      this.timer = setTimeout(this.onInterval, FLUSH_INTERVAL_MS);
      this.timer.unref(); // pending lines never keep a process alive: 'exit' writes them
    }
  }

  private readonly onInterval = (): void => {
    this.timer = undefined;
    this.flushSync();
  };

  flushSync(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    holding.delete(this);
    if (this.used === 0) return;
    const used = this.used;
    this.used = 0;
    writeAll(this.fd, this.batch.subarray(0, used));
  }
}

/**
 * write(2) until all of `bytes` is out. EAGAIN (a non-blocking pipe that is full) is retried after a
 * short pause; any other error (EPIPE: nobody reads any more) drops the batch, as pino's destination
 * does, since a logger must not take the server down; stderr says so, once.
 */
function writeAll(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(PAUSE, 0, 0, 1);
        continue;
      }
      if (!failed.has(fd)) {
        failed.add(fd);
        try {
          writeSync(2, `specbind: log lines cannot be written to fd ${fd} (${code ?? String(error)}); they are dropped while it fails\n`);
        } catch {
          // stderr is gone too: nothing is left to tell.
        }
      }
      return;
    }
  }
}

/**
 * `buffer.write(text, offset)` without its argument checks: node's own utf8Write (Bun and Deno have it
 * too) costs less a line (78 against 83–111 ns for a 170-character line, node 20); `write` where a
 * runtime lacks it.
 */
const utf8Write: (buffer: Buffer, text: string, offset: number) => number =
  typeof (Buffer.prototype as { utf8Write?: unknown }).utf8Write === 'function'
    ? (buffer, text, offset) => (buffer as unknown as { utf8Write(text: string, offset: number): number }).utf8Write(text, offset)
    : (buffer, text, offset) => buffer.write(text, offset);

/** Descriptors a write failed on (told once). */
const failed = new Set<number>();

const PAUSE = new Int32Array(new SharedArrayBuffer(4));
