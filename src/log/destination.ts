// Where specbind's own logger writes: stdout, in batches. Each line is added to a batch of at most
// 64 Ki characters (64 KiB of the ASCII access lines are) as it is logged; the batch is written with
// one synchronous write(2) when it is full or FLUSH_INTERVAL_MS after its first line, whichever comes
// first. At 70k requests a second that is one write per ~280 lines instead of one a line, and a reader
// of the pipe (Docker, systemd, a shell) is woken ~250 times a second instead of 70,000: per-line
// writes cost the benchmark's GET a fifth of its throughput (bench/README.md, "The access log").
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
/** How much a batch holds: 64 Ki UTF-16 units, 64 KiB of the ASCII an access line is. */
export const BATCH_CHARS = 64 * 1024;

/** pino's lines begin `{"level":NN`; the level's first digit sits here. */
const LEVEL_DIGIT = '{"level":'.length;
/** '5': level 50 (error) and 60 (fatal) are written at once. */
const URGENT_DIGIT = 53;

export interface LogDestination {
  write(line: string): void;
  /**
   * A line known to be below error (the access line): its level is not read. Reading a character of a
   * line built by concatenation makes V8 copy it into one flat string first, ~100 ns a line.
   */
  writeRoutine(line: string): void;
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

  writeRoutine(line: string): void {
    this.write(line);
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
  /**
   * The lines not yet written, as one string: appending a line costs ~70 ns less than encoding it into
   * a buffer on its own (node; Bun and Deno save as much or more, bench/README.md "The access log"); the batch is
   * encoded once, when it is written.
   */
  private pending = '';
  private readonly encoded = Buffer.allocUnsafe(BATCH_CHARS * 3);
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly fd: number) {
    if (!exitHooked) {
      exitHooked = true;
      process.once('exit', flushAllAtExit);
    }
  }

  write(line: string): void {
    this.writeRoutine(line);
    if (line.charCodeAt(LEVEL_DIGIT) >= URGENT_DIGIT) this.flushSync();
  }

  writeRoutine(line: string): void {
    if (this.pending.length + line.length > BATCH_CHARS) {
      this.flushSync();
      if (line.length > BATCH_CHARS) {
        writeAll(this.fd, Buffer.from(line)); // longer than a batch (a big object at debug): on its own
        return;
      }
    }
    this.pending += line;
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
    if (this.pending.length === 0) return;
    const text = this.pending;
    this.pending = '';
    // A UTF-16 unit takes at most 3 bytes in UTF-8: the buffer holds any batch.
    writeAll(this.fd, this.encoded.subarray(0, this.encoded.write(text, 0)));
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

/** Descriptors a write failed on (told once). */
const failed = new Set<number>();

const PAUSE = new Int32Array(new SharedArrayBuffer(4));
