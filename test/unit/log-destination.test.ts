// The batched log destination (src/log/destination.ts), written to a real file: what reaches the file
// and when. Lines wait for their batch (at most FLUSH_INTERVAL_MS, or until it is full); an error line
// goes out at once with everything before it; nothing is reordered, re-encoded or lost.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BATCH_BYTES, FLUSH_INTERVAL_MS, logDestination, type LogDestination } from '../../src/log/destination';

let dir: string;
let file: string;
let fd: number;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'specbind-log-'));
  file = path.join(dir, 'out.log');
  fd = openSync(file, 'w');
});

afterEach(() => {
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
});

const written = () => readFileSync(file, 'utf8');
const info = (n: number, pad = '') => `{"level":30,"n":${n}${pad ? `,"pad":"${pad}"` : ''},"msg":"request"}\n`;

test('an info line waits for its batch, and is written within the flush interval', async () => {
  const destination = logDestination(fd, false);
  destination.write(info(1));
  destination.write(info(2));
  expect(written()).toBe('');
  await new Promise((resolve) => setTimeout(resolve, FLUSH_INTERVAL_MS * 5));
  expect(written()).toBe(info(1) + info(2));
});

test('an error line is written at once, after the lines before it', () => {
  const destination = logDestination(fd, false);
  destination.write(info(1));
  const error = '{"level":50,"msg":"broken"}\n';
  destination.write(error);
  expect(written()).toBe(info(1) + error);
  destination.write(info(2));
  destination.flushSync();
  expect(written()).toBe(info(1) + error + info(2));
});

test('text beyond ASCII is written as UTF-8, byte for byte', () => {
  const destination = logDestination(fd, false);
  const lines = ['{"level":30,"url":"/caf\u00e9/\u{1F600}"}\n', '{"level":30,"odd":"\ud800 alone"}\n', info(3)];
  for (const line of lines) destination.write(line);
  destination.flushSync();
  expect(readFileSync(file)).toEqual(Buffer.from(lines.join('')));
});

/** A line written in place, as the access log writes its own (src/log/access-bytes.ts). */
function writeInPlace(destination: LogDestination, line: string): void {
  const at = destination.room(line.length);
  expect(at).toBeGreaterThanOrEqual(0);
  destination.advance(at + (destination.batch as Buffer).write(line, at, 'latin1'));
}

const ADDING: Array<[string, (destination: LogDestination, line: string) => void]> = [
  ['as a string (pino\'s lines)', (destination, line) => destination.write(line)],
  ['in place (the access line)', writeInPlace],
];

test.each(ADDING)('a full batch is written before the line, added %s, that would overflow it, and order holds', (_how, add) => {
  const destination = logDestination(fd, false);
  const pad = 'x'.repeat(1000);
  const lines: string[] = [];
  for (let n = 0; lines.join('').length <= BATCH_BYTES; n++) {
    lines.push(info(n, pad));
    add(destination, lines[n]);
  }
  // The last line did not fit: everything before it is in the file, the last line still waits.
  expect(written()).toBe(lines.slice(0, -1).join(''));
  destination.flushSync();
  expect(written()).toBe(lines.join(''));
});

test('a line longer than a batch is written on its own, after what came before', () => {
  const destination = logDestination(fd, false);
  const huge = info(2, 'y'.repeat(BATCH_BYTES));
  destination.write(info(1));
  destination.write(huge);
  expect(written()).toBe(info(1) + huge);
});

test('sync: every line is written when it is logged', () => {
  const destination = logDestination(fd, true);
  destination.write(info(1));
  expect(written()).toBe(info(1));
});

test('lines written in place (the access log) wait in the same batch as pino\'s, in the order they came', () => {
  const destination = logDestination(fd, false);
  destination.write(info(1));
  writeInPlace(destination, info(2));
  destination.write(info(3));
  expect(written()).toBe('');
  const error = '{"level":50,"msg":"broken"}\n';
  destination.write(error);
  expect(written()).toBe(info(1) + info(2) + info(3) + error);
});

test('no room in place for a line longer than a batch, nor in sync mode: such lines go as strings', () => {
  expect(logDestination(fd, false).room(BATCH_BYTES + 1)).toBe(-1);
  expect(logDestination(fd, true).room(10)).toBe(-1);
});
