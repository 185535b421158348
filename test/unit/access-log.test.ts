// The access line specbind writes itself (src/log/access.ts) must be the line pino would have written
// for `logger.info(fields, 'request')`: same keys in the same order, same values, valid JSON whatever
// the URL or request id holds. The logger specbind makes writes the line as bytes straight into its
// batch (src/log/access-bytes.ts): the same bytes, or it declines and the string version is written.
import { Writable } from 'node:stream';
import pino from 'pino';
import { accessLine, type AccessFields } from '../../src/log/access';
import { AccessLineWriter } from '../../src/log/access-bytes';

const BINDINGS = `,"pid":${process.pid},"hostname":"host \\"one\\"","name":"specbind"`;

/** The line pino writes for these fields, with the same bindings. */
function pinoLine(fields: AccessFields): string {
  let written = '';
  const sink = new Writable({ write: (chunk, _enc, done) => ((written += chunk), done()) });
  const logger = pino({ name: 'specbind', base: { pid: process.pid, hostname: 'host "one"' } }, sink);
  logger.info(fields, 'request');
  return written;
}

const withoutTime = (line: string) => {
  const parsed = JSON.parse(line);
  delete parsed.time;
  return parsed;
};

const CASES: Array<[string, AccessFields]> = [
  ['a plain GET', { reqId: 'nfo77q41', operationId: 'getPet', method: 'GET', url: '/pets/7', status: 200, ms: 0.123 }],
  ['no operation (a 404)', { reqId: 'abc', operationId: undefined, method: 'DELETE', url: '/nowhere', status: 404, ms: 12 }],
  ['a URL with quotes, a backslash, unicode and a control character', { reqId: 'r"1', operationId: 'op', method: 'GET', url: '/a"b\\c/é/\u2028/\u0001?q=ü', status: 400, ms: 1.5 }],
  ['a streamed response', { reqId: 'r', operationId: 'download', method: 'GET', url: '/f', status: 200, ms: 1234.56, bytes: 1073741824, stream: 'complete' }],
  ['durations that round oddly', { reqId: 'r', operationId: 'op', method: 'GET', url: '/', status: 200, ms: 0.1 + 0.2 }],
  ['a long duration', { reqId: 'r', operationId: 'op', method: 'GET', url: '/', status: 200, ms: 86_400_000.001 }],
  ['a traced request', { reqId: 'r', operationId: 'op', method: 'GET', url: '/', status: 200, ms: 2, trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' }],
  ['a traced stream', { reqId: 'r', operationId: 'op', method: 'GET', url: '/', status: 200, ms: 2, bytes: 10, stream: 'aborted', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' }],
  ['untraced, the ids undefined as the pipeline passes them', { reqId: 'r', operationId: 'op', method: 'GET', url: '/', status: 200, ms: 2, trace_id: undefined, span_id: undefined }],
];

describe('the access line', () => {
  it.each(CASES)('is the line pino writes: %s', (_name, fields) => {
    const ours = accessLine(BINDINGS, { ...fields, ms: Math.round(fields.ms * 1000) / 1000 });
    const theirs = pinoLine({ ...fields, ms: Math.round(fields.ms * 1000) / 1000 });
    expect(ours.endsWith('\n')).toBe(true);
    expect(Object.keys(JSON.parse(ours))).toEqual(Object.keys(JSON.parse(theirs)));
    expect(withoutTime(ours)).toEqual(withoutTime(theirs));
  });

  it('writes every duration as JSON.stringify does', () => {
    for (let i = 0; i < 100_000; i++) {
      const ms = Math.round(Math.random() * 10 ** (1 + (i % 9))) / 1000;
      const line = accessLine(BINDINGS, { reqId: 'r', operationId: 'o', method: 'GET', url: '/', status: 200, ms });
      const written = /"ms":([^,]+),/.exec(line)![1];
      if (written !== JSON.stringify(ms)) throw new Error(`${ms} written as ${written}`);
    }
  });
});

/** The line as the byte writer writes it after 7 bytes of something else, or undefined when it declines. */
function bytesLine(fields: AccessFields, time: number, writer = new AccessLineWriter(Buffer.from(BINDINGS))): string | undefined {
  const out = Buffer.alloc(7 + writer.bound(fields), 0xff);
  const end = writer.write(out, 7, fields, time);
  if (end < 0) return undefined;
  expect(end).toBeLessThanOrEqual(out.length);
  return out.subarray(7, end).toString('utf8');
}

describe('the access line written as bytes', () => {
  const TIME = 1_765_000_000_123;

  it.each(CASES)('is the string line, byte for byte, or declines when a field needs escaping: %s', (_name, fields) => {
    const rounded = { ...fields, ms: Math.round(fields.ms * 1000) / 1000 };
    const line = bytesLine(rounded, TIME);
    const needsEscaping = [rounded.reqId, rounded.operationId, rounded.method, rounded.url].some((text) => text !== undefined && JSON.stringify(text) !== `"${text}"`);
    if (needsEscaping) expect(line).toBeUndefined();
    else expect(line).toBe(accessLine(BINDINGS, rounded, TIME));
  });

  it('agrees with the string line on random fields, and declines exactly what needs escaping or is no plain number', () => {
    const plainChars = 'abcXYZ019/-_.?=&%:@~ ';
    const needEscaping = '"\\\u0001\u007f\u00e9\u2028';
    const pick = (chars: string) => chars[Math.floor(Math.random() * chars.length)];
    const text = (n: number) => Array.from({ length: n }, () => pick(Math.random() < 0.01 ? needEscaping : plainChars)).join('');
    let written = 0;
    const writer = new AccessLineWriter(Buffer.from(BINDINGS)); // one writer, as a logger has: its head is kept for a millisecond
    for (let i = 0; i < 20_000; i++) {
      const time = TIME + Math.floor(i / 3);
      const fields: AccessFields = {
        reqId: text(1 + (i % 12)),
        operationId: i % 5 ? text(i % 9) : undefined,
        method: ['GET', 'POST', 'PATCH'][i % 3],
        url: `/${text(i % 40)}`,
        status: 100 + (i % 500),
        ms: Math.round(Math.random() * 10 ** (i % 9)) / 1000,
        ...(i % 7 === 0 ? { bytes: Math.floor(Math.random() * 2 ** 40), stream: ['complete', 'aborted'][i % 2] } : {}),
      };
      const line = bytesLine(fields, time, writer);
      const plain = [fields.reqId, fields.operationId, fields.url].every((t) => t === undefined || /^[\x20-\x7e]*$/.test(t) && !/["\\]/.test(t));
      if (!plain) {
        expect(line).toBeUndefined();
        continue;
      }
      written++;
      if (line !== accessLine(BINDINGS, fields, time)) throw new Error(`differs for ${JSON.stringify(fields)}: ${line}`);
      JSON.parse(line!);
    }
    expect(written).toBeGreaterThan(10_000);
  });

  it('keeps each writer to its own bindings and time, the same millisecond or the next', () => {
    const fields: AccessFields = { reqId: 'r1', operationId: 'o', method: 'GET', url: '/', status: 200, ms: 0.5 };
    const other = `,"pid":1,"hostname":"h","name":"other"`;
    const ours = new AccessLineWriter(Buffer.from(BINDINGS));
    const theirs = new AccessLineWriter(Buffer.from(other));
    for (const time of [TIME, TIME, TIME + 1, 999, 2 ** 31 + 5, TIME + 1]) {
      expect(bytesLine(fields, time, ours)).toBe(accessLine(BINDINGS, fields, time));
      expect(bytesLine(fields, time, theirs)).toBe(accessLine(other, fields, time));
    }
  });

  it('declines numbers JSON prints otherwise than as digits', () => {
    const base: AccessFields = { reqId: 'r', operationId: 'o', method: 'GET', url: '/', status: 200, ms: 1 };
    expect(bytesLine({ ...base, ms: 0.1 + 0.2 }, TIME)).toBeUndefined(); // not a whole number of microseconds
    expect(bytesLine({ ...base, ms: Number.NaN }, TIME)).toBeUndefined();
    expect(bytesLine({ ...base, bytes: Number.POSITIVE_INFINITY, stream: 'complete' }, TIME)).toBeUndefined();
    expect(bytesLine({ ...base, ms: 1e21 }, TIME)).toBeUndefined();
  });
});
