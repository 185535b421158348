// The access line specbind writes itself (src/log/access.ts) must be the line pino would have written
// for `logger.info(fields, 'request')`: same keys in the same order, same values, valid JSON whatever
// the URL or request id holds.
import { Writable } from 'node:stream';
import pino from 'pino';
import { accessLine, type AccessFields } from '../../src/log/access';

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
