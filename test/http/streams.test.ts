// Responses that are not one JSON value: files and byte streams with backpressure, server-sent events,
// JSON Lines and json-seq with every item checked, bodies for responses that declare no content, values
// no media type can carry, and typed response headers. Over HTTP against a real server.
import { createReadStream, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import pino from 'pino';
import { createServer, type CreateServerOptions, type Handler } from '../../src';
import { start } from '../helpers/server';
import { parseSseStream } from '../helpers/sse';

const SPEC = path.join(__dirname, '../fixtures/streams/openapi.yaml');
const SPEC_32 = path.join(__dirname, '../fixtures/streams/openapi-32.yaml');
const dir = mkdtempSync(path.join(tmpdir(), 'specbind-streams-'));
const FILE = path.join(dir, 'data.bin');
const CONTENT = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
writeFileSync(FILE, CONTENT);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Open file descriptors of this process that point at `file`. */
function openDescriptors(file: string): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (require('node:fs').readlinkSync(`/proc/self/fd/${fd}`) === file) count++;
    } catch {
      // closed meanwhile
    }
  }
  return count;
}

async function until(what: string, probe: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A pino logger writing into an array (the lines specbind logs, parsed). */
function capture(): { logger: pino.Logger; lines: any[] } {
  const lines: any[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** The body as far as it came, and whether the connection was cut off before its end. */
async function readAll(response: Response): Promise<{ text: string; cut: boolean }> {
  const reader = response.body!.getReader();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text, cut: false };
      text += Buffer.from(value).toString();
    }
  } catch {
    return { text, cut: true };
  }
}

async function serve(handlers: Record<string, Handler>, options: Partial<CreateServerOptions> = {}, spec = SPEC) {
  return start({ spec, handlers, missingHandlers: 'notImplemented', ...options });
}

describe('bodies for a response that declares no content', () => {
  const handlers = (body: unknown): Record<string, Handler> => ({ nothing: () => body });

  it('strict: a 500 naming the operation and the status', async () => {
    const api = await serve(handlers({ id: 1 }));
    try {
      const answer = await api.request('GET', '/nothing');
      expect(answer.status).toBe(500);
      expect(answer.json.detail).toMatch(/nothing.*response 200 declares no content, but the handler sent a body/);
    } finally {
      await api.close();
    }
  });

  it.each([
    ['an object', { id: 1 }, 'application/json', '{"id":1}'],
    ['an array', [1, 2], 'application/json', '[1,2]'],
    ['a number', 42, 'application/json', '42'],
    ['a boolean', false, 'application/json', 'false'],
    ['a string', 'plain words', 'text/plain; charset=utf-8', 'plain words'],
    ['a Buffer', Buffer.from('bytes'), 'application/octet-stream', 'bytes'],
    ['a Uint8Array', new Uint8Array([104, 105]), 'application/octet-stream', 'hi'],
  ])('warn and off: %s is sent as what it is, and warn logs it', async (_name, body, type, text) => {
    for (const mode of ['warn', 'off'] as const) {
      const { logger, lines } = capture();
      const api = await serve(handlers(body), { responseValidation: mode, logger });
      try {
        const answer = await api.request('GET', '/nothing');
        expect(answer.status).toBe(200);
        expect(answer.headers.get('content-type')).toBe(type);
        expect(answer.text).toBe(text);
        const warned = lines.some((l) => l.level === 40 && /breaks the contract/.test(l.msg) && l.violations.some((v: string) => /declares no content/.test(v)));
        expect(warned).toBe(mode === 'warn');
      } finally {
        await api.close();
      }
    }
  });
});

describe('values no media type can carry are refused, in every mode', () => {
  it.each(['strict', 'warn', 'off'] as const)('%s: a file stream for application/json is a 500 naming the operation, never the stream internals, and the file is closed', async (mode) => {
    const api = await serve({ json: () => createReadStream(FILE), either: () => new Map([[1, 2]]), nothing: () => () => 1 }, { responseValidation: mode });
    try {
      const answer = await api.request('GET', '/json');
      expect(answer.status).toBe(500);
      expect(answer.json.detail).toMatch(/GET \/json \(json\): the handler gave a Node stream \(ReadStream\) for application\/json, which cannot carry a stream/);
      expect(answer.text).not.toContain(dir);
      expect(answer.text).not.toContain('_readableState');
      await until('the refused file stream to close', () => openDescriptors(FILE) === 0);
      const map = await api.request('GET', '/either', { headers: { accept: 'application/json' } });
      expect(map.status).toBe(500);
      expect(map.json.detail).toMatch(/either.*a Map for application\/json, which JSON cannot carry/);
      const fn = await api.request('GET', '/nothing');
      expect(fn.status).toBe(500);
      expect(fn.json.detail).toMatch(/nothing.*a function, which no media type can carry/);
    } finally {
      await api.close();
    }
  });

  it('a stream nested inside a JSON value is refused too', async () => {
    const api = await serve({ json: () => ({ file: Readable.from(['x']) }) }, { responseValidation: 'off' });
    try {
      const answer = await api.request('GET', '/json');
      expect(answer.status).toBe(500);
      expect(answer.json.detail).toMatch(/a Node stream \(Readable\) at member "file"/);
    } finally {
      await api.close();
    }
  });

  it('an object for a text type is refused; of several declared types, the one that carries the value is chosen', async () => {
    const api = await serve({ text: () => ({ a: 1 }), either: () => ({ a: 1 }) });
    try {
      const text = await api.request('GET', '/text');
      expect(text.status).toBe(500);
      expect(text.json.detail).toMatch(/an? Object for text\/plain, which carries text, bytes or a stream/);
      const either = await api.request('GET', '/either');
      expect(either.status).toBe(200);
      expect(either.headers.get('content-type')).toBe('application/json');
      expect(either.json).toEqual({ a: 1 });
    } finally {
      await api.close();
    }
  });

  it('a text body is held to its text schema', async () => {
    const api = await serve({ text: () => 'x'.repeat(21) });
    try {
      const answer = await api.request('GET', '/text');
      expect(answer.status).toBe(500);
      expect(answer.json.detail).toMatch(/body must NOT have more than 20 characters/);
    } finally {
      await api.close();
    }
  });
});

describe('byte streams', () => {
  it('a file streams with its Content-Length, headers from the reply, and HEAD sends headers only', async () => {
    const api = await serve({ download: (_input, ctx) => ctx.reply.ok(createReadStream(FILE), { headers: { 'Content-Disposition': 'attachment; filename="data.bin"' } }) });
    try {
      const answer = await fetch(`${api.url}/download`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-length')).toBe(String(CONTENT.length));
      expect(answer.headers.get('content-type')).toBe('application/octet-stream');
      expect(answer.headers.get('content-disposition')).toBe('attachment; filename="data.bin"');
      expect(Buffer.from(await answer.arrayBuffer()).equals(CONTENT)).toBe(true);
      const head = await fetch(`${api.url}/download`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(CONTENT.length));
      expect((await head.arrayBuffer()).byteLength).toBe(0);
      await until('every file stream to close', () => openDescriptors(FILE) === 0);
    } finally {
      await api.close();
    }
  });

  it('a range of a file gets the range\'s length', async () => {
    const api = await serve({ download: () => createReadStream(FILE, { start: 10, end: 109 }) });
    try {
      const answer = await fetch(`${api.url}/download`);
      expect(answer.headers.get('content-length')).toBe('100');
      expect(Buffer.from(await answer.arrayBuffer()).equals(CONTENT.subarray(10, 110))).toBe(true);
    } finally {
      await api.close();
    }
  });

  it('a web ReadableStream and an async iterable of strings and bytes stream chunked', async () => {
    let which = 0;
    const api = await serve({
      download: () =>
        which++ === 0
          ? new ReadableStream({
              start(controller) {
                controller.enqueue(new TextEncoder().encode('web '));
                controller.enqueue(new TextEncoder().encode('stream'));
                controller.close();
              },
            })
          : (async function* () {
              yield 'text, ';
              yield Buffer.from('bytes, ');
              yield new Uint8Array([33]);
            })(),
    });
    try {
      const web = await fetch(`${api.url}/download`);
      expect(web.headers.get('transfer-encoding')).toBe('chunked');
      expect(await web.text()).toBe('web stream');
      const iterable = await fetch(`${api.url}/download`);
      expect(await iterable.text()).toBe('text, bytes, !');
    } finally {
      await api.close();
    }
  });

  it('a file read into reused buffers arrives whole and in order, to a client that reads slowly, in small chunks or large; a file stream someone listens to is piped as it is', async () => {
    const random = path.join(dir, 'random.bin');
    const bytes = Buffer.from(Array.from({ length: 3 * 1024 * 1024 }, () => Math.floor(Math.random() * 256)));
    writeFileSync(random, bytes);
    let heard = 0;
    const sources = [
      () => createReadStream(random, { highWaterMark: 1000 }),
      () => createReadStream(random),
      () => createReadStream(random, { start: 12_345, end: 2_000_000 }),
      () => createReadStream(random).on('data', (chunk) => (heard += chunk.length)),
    ];
    let which = 0;
    const { logger, lines } = capture();
    const api = await serve({ download: () => sources[which++]() }, { logger });
    try {
      for (const expected of [bytes, bytes, bytes.subarray(12_345, 2_000_001), bytes]) {
        // A slow reader: paused a moment after every chunk, so writes wait on the socket while reads go on.
        const received = await new Promise<Buffer>((resolve, reject) => {
          const chunks: Buffer[] = [];
          httpRequest(`${api.url}/download`, (res) => {
            res.on('data', (chunk: Buffer) => {
              chunks.push(chunk);
              if (chunks.length % 16 === 0) {
                res.pause();
                setTimeout(() => res.resume(), 2);
              }
            });
            res.on('end', () => resolve(Buffer.concat(chunks)));
            res.on('error', reject);
          })
            .on('error', reject)
            .end();
        });
        expect(received.length).toBe(expected.length);
        expect(received.equals(expected)).toBe(true);
      }
      expect(heard).toBe(bytes.length);
      await until('the files to close', () => openDescriptors(random) === 0, 1000);
      await until('four access lines', () => lines.filter((l) => l.msg === 'request').length === 4, 1000);
      expect(lines.filter((l) => l.msg === 'request').map((l) => [l.stream, l.bytes])).toEqual([
        ['complete', bytes.length],
        ['complete', bytes.length],
        ['complete', 2_000_001 - 12_345],
        ['complete', bytes.length],
      ]);
    } finally {
      await api.close();
    }
  });

  it('a file that cannot be opened: the response is cut off, logged as failed, and the server keeps serving', async () => {
    const { logger, lines } = capture();
    let which = 0;
    const api = await serve({ download: () => (which++ === 0 ? createReadStream(path.join(dir, 'missing.bin')) : createReadStream(FILE)) }, { logger });
    try {
      const first = await fetch(`${api.url}/download`).then(readAll, (error) => ({ text: '', cut: true, error }));
      expect(first.cut).toBe(true);
      await until('the failure to be logged', () => lines.some((l) => l.stream === 'failed'), 1000);
      expect(lines.find((l) => l.stream === 'failed')).toMatchObject({ msg: 'request', status: 200 });
      const second = await fetch(`${api.url}/download`);
      expect(Buffer.from(await second.arrayBuffer()).equals(CONTENT)).toBe(true);
    } finally {
      await api.close();
    }
  });

  it('a client that goes away mid-stream: the file is closed and an iterator is returned within a second', async () => {
    const big = path.join(dir, 'big.bin');
    writeFileSync(big, Buffer.alloc(64 * 1024 * 1024, 1));
    let returned = false;
    let which = 0;
    const api = await serve({
      download: () => {
        const n = which++;
        if (n === 0) return createReadStream(big);
        if (n > 1) return 'still serving';
        return (async function* () {
          try {
            for (;;) {
              yield Buffer.alloc(64 * 1024, 2);
              await sleep(1);
            }
          } finally {
            returned = true;
          }
        })();
      },
    });
    try {
      for (let i = 0; i < 2; i++) {
        await new Promise<void>((resolve, reject) => {
          const req = httpRequest(`${api.url}/download`, (res) => {
            res.once('data', () => {
              req.destroy();
              resolve();
            });
          });
          req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
          req.end();
        });
      }
      const gone = Date.now();
      await until('the file to close', () => openDescriptors(big) === 0, 1000);
      await until('the iterator to be returned', () => returned, 1000);
      expect(Date.now() - gone).toBeLessThan(1000);
      expect((await api.request('GET', '/download')).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  it('a source that fails mid-stream cuts the body off (the client sees it incomplete), is logged with the request id and counted, and the server keeps serving', async () => {
    const { logger, lines } = capture();
    let which = 0;
    const api = await serve(
      {
        download: () => {
          const n = which++;
          if (n === 0) {
            return (async function* () {
              yield Buffer.alloc(1000, 1);
              await sleep(20);
              throw new Error('disk on fire');
            })();
          }
          const readable = new Readable({ read() {} });
          readable.push(Buffer.alloc(1000, 1));
          setTimeout(() => readable.destroy(new Error('network share gone')), 20);
          return readable;
        },
        json: () => ({ ok: true }),
      },
      { logger },
    );
    try {
      for (const reqId of ['fail-iterator', 'fail-readable']) {
        const answer = await fetch(`${api.url}/download`, { headers: { 'x-request-id': reqId } });
        expect(answer.status).toBe(200);
        await expect(answer.arrayBuffer()).rejects.toThrow();
        await until('the failure to be logged', () => lines.some((l) => l.reqId === reqId && l.level === 50 && /streamed response failed/.test(l.msg)));
      }
      const metrics = await (await fetch(`${api.url}/metrics`)).text();
      expect(metrics).toMatch(/specbind_response_stream_failures_total\{operationId="download"\} 2/);
      expect((await api.request('GET', '/json')).json).toEqual({ ok: true });
    } finally {
      await api.close();
    }
  });

  it('the handler timeout does not cut a stream that is still flowing', async () => {
    const api = await serve(
      {
        download: async () => {
          await sleep(50);
          return (async function* () {
            for (let i = 0; i < 8; i++) {
              await sleep(50);
              yield `${i}`;
            }
          })();
        },
      },
      { handlerTimeout: 150 },
    );
    try {
      const answer = await fetch(`${api.url}/download`);
      expect(await answer.text()).toBe('01234567');
    } finally {
      await api.close();
    }
  });

  it('a chunk that is neither bytes nor text fails the stream', async () => {
    const api = await serve({ download: () => (async function* () { yield 'fine'; yield 42; })() });
    try {
      const answer = await fetch(`${api.url}/download`);
      await expect(answer.text()).rejects.toThrow();
    } finally {
      await api.close();
    }
  });
});

describe('server-sent events', () => {
  it('frames each item (data as is or as JSON, several data lines, event, id, retry) with no-cache headers', async () => {
    const api = await serve({
      events: () => [
        { data: { n: 1 } },
        { n: 2 },
        { event: 'tick', id: '3', retry: 1000, data: { n: 3 } },
        { data: 'line one\nline two', event: 'note' },
      ],
    }, { responseValidation: 'warn' });
    try {
      const answer = await fetch(`${api.url}/events`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('text/event-stream');
      expect(answer.headers.get('cache-control')).toBe('no-cache');
      expect(answer.headers.get('x-accel-buffering')).toBe('no');
      const { events } = parseSseStream(await answer.text());
      expect(events).toEqual([
        { data: '{"n":1}' },
        { data: '{"n":2}' },
        { event: 'tick', id: '3', retry: '1000', data: '{"n":3}' },
        { event: 'note', data: 'line one\nline two' },
      ]);
    } finally {
      await api.close();
    }
  });

  it('strict: an item that breaks the schema is not written; an error event with a problem ends the stream; logged and counted', async () => {
    const { logger, lines } = capture();
    let closed = false;
    const api = await serve(
      {
        events: () =>
          (async function* () {
            try {
              yield { data: { n: 1 } };
              yield { data: { n: 'two' } };
              yield { data: { n: 3 } };
            } finally {
              closed = true;
            }
          })(),
      },
      { logger },
    );
    try {
      const { events } = parseSseStream(await (await fetch(`${api.url}/events`)).text());
      expect(events).toHaveLength(2);
      expect(events[0]).toEqual({ data: '{"n":1}' });
      expect(events[1].event).toBe('error');
      const problem = JSON.parse(events[1].data);
      expect(problem).toMatchObject({ status: 500, title: 'Response failed contract validation' });
      expect(problem.detail).toMatch(/events: item 1 \/n must be integer/);
      expect(closed).toBe(true);
      expect(lines.some((l) => l.level === 50 && /stream item of events breaks the contract/.test(l.msg))).toBe(true);
      const metrics = await (await fetch(`${api.url}/metrics`)).text();
      expect(metrics).toMatch(/specbind_response_validation_failures_total\{operationId="events"\} 1/);
    } finally {
      await api.close();
    }
  });

  it('a 3.0 schema that declares `data` describes the whole event: violations name the event member', async () => {
    const api = await serve({ described: () => [{ event: 'tick', data: { n: 1 } }, { event: 'oops', data: { n: 2 } }], events: () => [{ data: '{"n":1}' }, { data: 'not json' }] });
    try {
      const { events } = parseSseStream(await (await fetch(`${api.url}/described`)).text());
      expect(events.map((e) => e.event)).toEqual(['tick', 'error']);
      expect(JSON.parse(events[1].data).detail).toMatch(/item 1 \/event must be one of "tick"/);
      // A schema without `data` describes the data; data written as JSON text is checked as what it stands for.
      const data = parseSseStream(await (await fetch(`${api.url}/events`)).text()).events;
      expect(data[0]).toEqual({ data: '{"n":1}' });
      expect(data[1].event).toBe('error');
    } finally {
      await api.close();
    }
  });

  it('warn writes the bad item and logs it; off writes it', async () => {
    for (const mode of ['warn', 'off'] as const) {
      const { logger, lines } = capture();
      const api = await serve({ events: () => [{ data: { n: 'two' } }, { data: { n: 3 } }] }, { logger, responseValidation: mode });
      try {
        const { events } = parseSseStream(await (await fetch(`${api.url}/events`)).text());
        expect(events).toEqual([{ data: '{"n":"two"}' }, { data: '{"n":3}' }]);
        expect(lines.some((l) => l.level === 40 && /stream item breaks the contract/.test(l.msg))).toBe(mode === 'warn');
      } finally {
        await api.close();
      }
    }
  });

  it('an id with a line break cannot be written (it would inject an event): the stream ends, in every mode', async () => {
    const api = await serve({ events: () => [{ data: { n: 1 } }, { id: '1\ndata: injected', data: { n: 2 } }] }, { responseValidation: 'off' });
    try {
      const text = await (await fetch(`${api.url}/events`)).text();
      expect(text).not.toContain('injected');
      const { events } = parseSseStream(text);
      expect(events[1].event).toBe('error');
    } finally {
      await api.close();
    }
  });

  it('an event leaves when it is made, not when the next one comes (text is gathered only within a tick)', async () => {
    const api = await serve({
      events: () =>
        (async function* () {
          yield { data: { n: 1 } };
          await sleep(1000);
          yield { data: { n: 2 } };
        })(),
    });
    try {
      const started = Date.now();
      const reader = (await fetch(`${api.url}/events`)).body!.getReader();
      const { value } = await reader.read();
      expect(Buffer.from(value!).toString()).toBe('data: {"n":1}\n\n');
      expect(Date.now() - started).toBeLessThan(500);
      await reader.cancel();
    } finally {
      await api.close();
    }
  });

  it('sends a heartbeat comment while idle, and hands the handler the Last-Event-ID', async () => {
    let lastEventId: string | undefined;
    const api = await serve(
      {
        events: (_input, ctx) => {
          lastEventId = ctx.lastEventId;
          return (async function* () {
            await sleep(350);
            yield { id: '8', data: { n: 8 } };
          })();
        },
      },
      { sseHeartbeat: 100 },
    );
    try {
      const text = await (await fetch(`${api.url}/events`, { headers: { 'last-event-id': '7' } })).text();
      expect(lastEventId).toBe('7');
      const { events, comments } = parseSseStream(text);
      expect(comments.length).toBeGreaterThanOrEqual(2);
      expect(events).toEqual([{ id: '8', data: '{"n":8}' }]);
    } finally {
      await api.close();
    }
  });

  it('a client that goes away: the source is returned and ctx.signal aborts', async () => {
    let returned = false;
    let aborted = false;
    const api = await serve({
      events: (_input, ctx) => {
        ctx.signal.addEventListener('abort', () => (aborted = true));
        return (async function* () {
          try {
            for (let n = 0; ; n++) {
              yield { data: { n } };
              await sleep(20);
            }
          } finally {
            returned = true;
          }
        })();
      },
    });
    try {
      const controller = new AbortController();
      const answer = await fetch(`${api.url}/events`, { signal: controller.signal });
      const reader = answer.body!.getReader();
      await reader.read();
      controller.abort();
      await until('the source to be returned', () => returned && aborted, 1000);
    } finally {
      await api.close();
    }
  });

  it('a source that fails sends an error event, then cuts the stream off', async () => {
    const api = await serve({
      events: () =>
        (async function* () {
          yield { data: { n: 1 } };
          throw new Error('feed lost');
        })(),
    });
    try {
      const answer = await fetch(`${api.url}/events`);
      const reader = answer.body!.getReader();
      let text = '';
      await expect(
        (async () => {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return;
            text += Buffer.from(value).toString();
          }
        })(),
      ).rejects.toThrow();
      const { events } = parseSseStream(text);
      expect(events[0]).toEqual({ data: '{"n":1}' });
      expect(events[1].event).toBe('error');
      expect(JSON.parse(events[1].data).detail).toMatch(/feed lost/);
    } finally {
      await api.close();
    }
  });

  it('close() ends open event streams cleanly, so that clients reconnect elsewhere, and aborts ctx.signal so the source stops waiting', async () => {
    let aborted: unknown;
    const events: Handler = (_input, ctx) =>
      (async function* () {
        yield { data: { n: 1 } };
        await new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve((aborted = ctx.signal.reason))));
      })();
    const server = await createServer({ spec: SPEC, handlers: { events }, missingHandlers: 'notImplemented', logger: { level: 'silent' } });
    const { url } = await server.listen(0, '127.0.0.1');
    const answer = await fetch(`${url}/events`);
    const body = answer.text();
    await sleep(50);
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(parseSseStream(await body).events).toEqual([{ data: '{"n":1}' }]);
    expect(String(aborted)).toMatch(/shutting down/);
  });
});

describe('OpenAPI 3.2 itemSchema', () => {
  it('checks each event against itemSchema, data read as given or as the text on the wire', async () => {
    const api = await serve(
      {
        events: () => [{ event: 'progress', data: { percent: 50 } }, { event: 'done', data: { percent: 100 } }],
        wire: () => [{ data: { any: 'json' } }, { event: 'x', data: 'text' }],
        lines: () => [{ n: 1 }, { n: 2 }],
      },
      {},
      SPEC_32,
    );
    try {
      expect(parseSseStream(await (await fetch(`${api.url}/events`)).text()).events).toEqual([
        { event: 'progress', data: '{"percent":50}' },
        { event: 'done', data: '{"percent":100}' },
      ]);
      expect(parseSseStream(await (await fetch(`${api.url}/wire`)).text()).events).toEqual([{ data: '{"any":"json"}' }, { event: 'x', data: 'text' }]);
      expect(await (await fetch(`${api.url}/lines`)).text()).toBe('{"n":1}\n{"n":2}\n');
    } finally {
      await api.close();
    }
  });

  it('strict: an event outside itemSchema (an undeclared event name) ends the stream', async () => {
    const api = await serve({ events: () => [{ event: 'progress', data: { percent: 5 } }, { event: 'oops', data: { percent: 6 } }] }, {}, SPEC_32);
    try {
      const { events } = parseSseStream(await (await fetch(`${api.url}/events`)).text());
      expect(events.map((e) => e.event)).toEqual(['progress', 'error']);
      expect(JSON.parse(events[1].data).detail).toMatch(/item 1 \/event must be one of "progress", "done"/);
    } finally {
      await api.close();
    }
  });
});

describe('JSON Lines and json-seq', () => {
  it('one JSON text a line, or after a record separator; each item checked', async () => {
    const api = await serve({ lines: () => (async function* () { yield { n: 1 }; yield { n: 2, extra: new Date(0) }; yield { n: 'x' }; })() });
    try {
      const jsonl = await fetch(`${api.url}/lines`, { headers: { accept: 'application/jsonl' } });
      expect(jsonl.headers.get('content-type')).toBe('application/jsonl');
      // The third item breaks the schema: the body is cut off after the two before it.
      expect(await readAll(jsonl)).toEqual({ text: '{"n":1}\n{"n":2,"extra":"1970-01-01T00:00:00.000Z"}\n', cut: true });
      const seq = await fetch(`${api.url}/lines`, { headers: { accept: 'application/json-seq' } });
      expect(await readAll(seq)).toEqual({ text: '\u001e{"n":1}\n\u001e{"n":2,"extra":"1970-01-01T00:00:00.000Z"}\n', cut: true });
    } finally {
      await api.close();
    }
  });

  it('strict: an item that breaks the schema cuts the body off (no framing can say so), after the items before it; so does an item JSON cannot carry, in every mode', async () => {
    const api = await serve({ lines: (_input, ctx) => (ctx.header('x-case') === 'map' ? [{ n: 1 }, { n: 2, f: new Map() }] : [{ n: 1 }, { n: 'two' }, { n: 3 }]) }, { responseValidation: 'strict' });
    const off = await serve({ lines: () => [{ n: 1 }, { n: 2, f: new Map() }] }, { responseValidation: 'off' });
    try {
      for (const [url, headers] of [[api.url, {}], [api.url, { 'x-case': 'map' }], [off.url, {}]] as const) {
        expect(await readAll(await fetch(`${url}/lines`, { headers }))).toEqual({ text: '{"n":1}\n', cut: true });
      }
    } finally {
      await api.close();
      await off.close();
    }
  });

});

describe('response headers are checked as they go on the wire', () => {
  it('text is read by the header schema; numbers and booleans are written as text', async () => {
    let headers: Record<string, unknown> = {};
    const api = await serve({ flags: (_input, ctx) => ctx.reply.noContent(undefined, { headers: headers as Record<string, string> }) });
    try {
      headers = { 'X-Flag': 'true', 'x-count': '3', 'X-List': '1,2,3', 'X-Pair': 'a,1', 'X-Named': 'a=1,b=false' };
      const text = await api.request('GET', '/flags');
      expect(text.status).toBe(204);
      headers = { 'X-Flag': false, 'X-Count': 7, 'X-List': [4, 5] };
      const typed = await api.request('GET', '/flags');
      expect(typed.status).toBe(204);
      expect(typed.headers.get('x-flag')).toBe('false');
      expect(typed.headers.get('x-count')).toBe('7');
      expect(typed.headers.get('x-list')).toBe('4, 5');
      for (const bad of [{ 'X-Flag': 'yes' }, { 'X-Count': '0' }, { 'X-List': '1,b' }, { 'X-Named': 'a=x' }]) {
        headers = bad;
        const answer = await api.request('GET', '/flags');
        expect(answer.status).toBe(500);
        expect(answer.json.detail).toMatch(new RegExp(`header ${Object.keys(bad)[0].toLowerCase()}`));
      }
    } finally {
      await api.close();
    }
  });
});
