// Uploads as streams: a `streamBody()` handler reads a binary request body as it arrives, past the
// bodyLimit, within its own limit (413 past it), with the handler timeout waiting for the upload.
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { createServer, streamBody, type Handler } from '../../src';
import { start } from '../helpers/server';

const SPEC = path.join(__dirname, '../fixtures/streams/openapi.yaml');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function digest(body: Readable): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    hash.update(chunk);
  }
  return { size, sha256: hash.digest('hex') };
}

let calls = 0;
const putArtifact = (input: any) => {
  calls++;
  if (!Buffer.isBuffer(input.body) && typeof input.body?.pipe === 'function') return digest(input.body).then((d) => ({ ...d, from: 'stream' }));
  return { size: 0, sha256: '', from: JSON.stringify(input.body) };
};

/** A PUT whose body is written in `chunks`, `gap` ms apart, without Content-Length (chunked) unless `length` is given. */
function put(url: string, chunks: Buffer[], options: { gap?: number; length?: number; type?: string } = {}): Promise<{ status: number; body: string; connection?: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': options.type ?? 'application/octet-stream' };
    if (options.length !== undefined) headers['content-length'] = options.length;
    const req = httpRequest(url, { method: 'PUT', headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, connection: res.headers.connection }));
    });
    req.on('error', reject);
    (async () => {
      for (const chunk of chunks) {
        if (req.destroyed) return;
        req.write(chunk);
        if (options.gap) await sleep(options.gap);
      }
      req.end();
    })();
  });
}

describe('uploads as streams', () => {
  it('a body past bodyLimit streams to the handler; other media types are parsed as usual', async () => {
    const api = await start({ spec: SPEC, handlers: { putArtifact: streamBody(putArtifact) }, missingHandlers: 'notImplemented' });
    try {
      const bytes = randomBytes(5 * 1024 * 1024);
      const answer = await api.request('PUT', '/artifacts/big', { raw: bytes, headers: { 'content-type': 'application/octet-stream' } });
      expect(answer.status).toBe(201);
      expect(answer.json).toEqual({ size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), from: 'stream' });
      const json = await api.request('PUT', '/artifacts/j', { body: { url: 'https://example.com/a' } });
      expect(json.json).toEqual({ size: 0, sha256: '', from: '{"url":"https://example.com/a"}' });
      const invalid = await api.request('PUT', '/artifacts/j', { body: { nope: 1 } });
      expect(invalid.status).toBe(400);
    } finally {
      await api.close();
    }
  });

  it('past its own limit: 413, closing the connection; a Content-Length over it is refused before the handler runs', async () => {
    const api = await start({ spec: SPEC, handlers: { putArtifact: streamBody(putArtifact, { limit: 100_000 }) }, missingHandlers: 'notImplemented' });
    try {
      const chunked = await put(`${api.url}/artifacts/x`, Array.from({ length: 20 }, () => Buffer.alloc(10_000, 1)), { gap: 2 });
      expect(chunked.status).toBe(413);
      expect(chunked.connection).toBe('close');
      expect(JSON.parse(chunked.body)).toMatchObject({ status: 413, detail: 'the body is over the limit of 100000 bytes' });
      const before = calls;
      const declared = await put(`${api.url}/artifacts/x`, [Buffer.alloc(10, 1)], { length: 200_000 });
      expect(declared.status).toBe(413);
      expect(calls).toBe(before);
      expect((await api.request('PUT', '/artifacts/ok', { raw: Buffer.alloc(99_999), headers: { 'content-type': 'application/octet-stream' } })).status).toBe(201);
    } finally {
      await api.close();
    }
  });

  it('parameters are checked before the body is read: a 400 closes the connection, the body unread', async () => {
    const api = await start({ spec: SPEC, handlers: { putArtifact: streamBody(putArtifact) }, missingHandlers: 'notImplemented' });
    try {
      const answer = await put(`${api.url}/artifacts/Not_Valid`, Array.from({ length: 10 }, () => Buffer.alloc(100_000, 1)), { gap: 5 });
      expect(answer.status).toBe(400);
      expect(answer.connection).toBe('close');
    } finally {
      await api.close();
    }
  });

  it('the handler timeout starts once the upload has arrived', async () => {
    const api = await start({ spec: SPEC, handlers: { putArtifact: streamBody(putArtifact) }, missingHandlers: 'notImplemented', handlerTimeout: 150 });
    try {
      const answer = await put(`${api.url}/artifacts/slow`, Array.from({ length: 8 }, () => Buffer.alloc(1000, 1)), { gap: 60 });
      expect(answer.status).toBe(201);
      expect(JSON.parse(answer.body).size).toBe(8000);
    } finally {
      await api.close();
    }
  });

  it('a handler that answers without reading: the answer arrives, the connection closes, the server keeps serving', async () => {
    const api = await start({ spec: SPEC, handlers: { putArtifact: streamBody(() => ({ size: -1, sha256: 'unread' })) }, missingHandlers: 'notImplemented' });
    try {
      const answer = await put(`${api.url}/artifacts/unread`, Array.from({ length: 20 }, () => Buffer.alloc(100_000, 1)), { gap: 2 });
      expect(answer.status).toBe(201);
      expect(JSON.parse(answer.body).sha256).toBe('unread');
      expect((await api.request('PUT', '/artifacts/j', { body: { url: 'u' } })).status).toBe(201);
    } finally {
      await api.close();
    }
  });

  it('streamBody() on an operation without a binary request body is a startup error naming it', async () => {
    await expect(createServer({ spec: SPEC, handlers: { json: streamBody((() => ({})) as Handler) }, missingHandlers: 'notImplemented', logger: { level: 'silent' } })).rejects.toThrow(
      /GET \/json \(json\).*wrapped in streamBody\(\), but the operation declares no binary request body/,
    );
  });
});
