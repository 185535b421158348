// Where specbind's own logger writes: stdout, in batches. Each line goes into a 64 KiB buffer as it is
// logged; the buffer is written with one synchronous write(2) when it is full or FLUSH_INTERVAL_MS
// after its first line, whichever comes first. At 70k requests a second that is one write per ~280
// lines instead of one a line, and a reader of the pipe (Docker, systemd, a shell) is woken ~250 times a
// second instead of 70,000: per-line writes cost the benchmark's GET a fifth of its throughput
// (bench/README.md, "The access log").
//
// What can be lost: only on an end that runs no code (SIGKILL, the OOM killer, a native crash, or a
// SIGTERM to a process that has no SIGTERM listener, which node does not turn into an 'exit'): the
// lines of the last FLUSH_INTERVAL_MS, at most 64 KiB. Every other end writes them: close(),
// `specbind serve`'s SIGTERM and SIGINT (the drain ends in process.exit), an uncaught exception and
// `process.exit()` (node's 'exit' event, where a synchronous write still runs). A line at level error or
// fatal is written at once, with everything before it. `sync: true` (LOG_SYNC=1) writes every line
// when it is logged, as pino does by default. Lines stay in order; the writes stay synchronous, so a
// reader that stops reading holds the server up, as with pino's default destination and console.log.
import { writeSync } from 'node:fs';

/** How long a line may wait for the rest of its batch. */
export const FLUSH_INTERVAL_MS = 20;
const BATCH_BYTES = 64 * 1024;

/** pino's lines begin `{"level":NN`; the level's first digit sits here. */
const LEVEL_DIGIT = '{"level":'.length;
/** '5': level 50 (error) and 60 (fatal) are written at once. */
const URGENT_DIGIT = 53;

export interface LogDestination {
  write(line: string): void;
  /** Writes what is pending now, synchronously. */
  flushSync(): void;
}

/** A destination for `fd`: batched (the default), or every line at once with `sync`. */
export function logDestination(fd: number, sync: boolean): LogDestination {
  return sync ? new LineAtOnce(fd) : new Batched(fd);
}

class LineAtOnce implements LogDestination {
  constructor(private readonly fd: number) {}

  write(line: string): void {
    writeAll(this.fd, Buffer.from(line));
  }

  flushSync(): void {}
}

/** Destinations holding lines, written by node's 'exit' event (one listener for all of them). */
const holding = new Set<Batched>();
let exitHooked = false;

function flushAllAtExit(): void {
  for (const destination of holding) destination.flushSync();
}

class Batched implements LogDestination {
  private readonly batch = Buffer.allocUnsafe(BATCH_BYTES);
  private length = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly fd: number) {
    if (!exitHooked) {
      exitHooked = true;
      process.once('exit', flushAllAtExit);
    }
  }

  write(line: string): void {
    // A UTF-16 unit takes at most 3 bytes in UTF-8: checked without measuring the line.
    if (this.length + line.length * 3 > BATCH_BYTES) {
      this.flushSync();
      if (line.length * 3 > BATCH_BYTES) {
        writeAll(this.fd, Buffer.from(line)); // longer than a batch (a big object at debug): on its own
        return;
      }
    }
    this.length += utf8Write(this.batch, line, this.length);
    if (line.charCodeAt(LEVEL_DIGIT) >= URGENT_DIGIT) this.flushSync();
    else if (this.timer === undefined) {
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
    if (this.length === 0) return;
    const length = this.length;
    this.length = 0;
    writeAll(this.fd, this.batch.subarray(0, length));
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
 * too) costs a third as much a line; `write` where a runtime lacks it.
 */
const utf8Write: (buffer: Buffer, text: string, offset: number) => number =
  typeof (Buffer.prototype as { utf8Write?: unknown }).utf8Write === 'function'
    ? (buffer, text, offset) => (buffer as unknown as { utf8Write(text: string, offset: number): number }).utf8Write(text, offset)
    : (buffer, text, offset) => buffer.write(text, offset);

/** Descriptors a write failed on (told once). */
const failed = new Set<number>();

const PAUSE = new Int32Array(new SharedArrayBuffer(4));
