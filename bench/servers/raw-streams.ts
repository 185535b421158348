// raw node:http serving what bench/streams.yaml declares, by hand: the file piped with its
// Content-Length, and the events framed as SSE with no check, respecting res.write()'s backpressure.
// The reference of the streaming benchmark (bench/streams.ts).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import { HOST, PORT, ready } from './common';
import { benchFile, countOf, events } from './streams-common';

const file = benchFile();

/** Resolves when `res` can take more, or has closed. */
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

async function sse(res: ServerResponse, count: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  let closed = false;
  res.once('close', () => (closed = true));
  // The same bytes as specbind writes for { data }: `data: <JSON of data>` and a blank line.
  for await (const item of events(count)) {
    if (closed) break;
    if (!res.write('data: ' + JSON.stringify(item.data) + '\n\n')) await drained(res);
  }
  res.end();
}

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  if (url === '/file' && (req.method === 'GET' || req.method === 'HEAD')) {
    stat(file).then(
      (s) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': s.size });
        if (req.method === 'HEAD') return res.end();
        createReadStream(file).pipe(res);
      },
      () => {
        res.writeHead(500).end();
      },
    );
    return;
  }
  if (url.startsWith('/events?') && req.method === 'GET') {
    const count = countOf(url);
    if (count === undefined || count < 1) return res.writeHead(400).end();
    void sse(res, count);
    return;
  }
  res.writeHead(404).end();
});
server.listen(PORT, HOST, () => ready(server));
