// The event-stream client of the streaming benchmark (bench/streams.ts), run as its own process pinned
// to the load core: opens C connections at once, each `GET <path>` (HTTP/1.1, `Connection: close`,
// `Accept: text/event-stream`), reads every byte as it comes and counts the events: a blank line ends an
// event (`\n\n`; chunked framing is `\r\n` only, and JSON data has no raw line break, so the count needs
// no parsing). It checks the status, that each stream ends with the last chunk, and that its last event
// is the one expected, then prints one JSON line: events, bytes, ms from the first connect to the last end.
//   node sse.js <port> <path> <connections> <expected events per stream> <expected last event text>
import { connect } from 'node:net';

const [portText, path, connectionsText, expectedText, lastText] = process.argv.slice(2);
const port = Number(portText);
const connections = Number(connectionsText);
const expected = Number(expectedText);

interface StreamResult {
  events: number;
  bytes: number;
  status: string;
  complete: boolean;
  lastOk: boolean;
  ms: number;
}

function one(): Promise<StreamResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect({ port, host: '127.0.0.1' });
    let head = '';
    let inBody = false;
    let previous = 0;
    let events = 0;
    let bytes = 0;
    let tail = '';
    socket.on('connect', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      let from = 0;
      if (!inBody) {
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) return;
        from = chunk.length - (head.length - end - 4);
        head = head.slice(0, end);
        inBody = true;
      }
      bytes += chunk.length - from;
      let p = previous;
      for (let i = from; i < chunk.length; i++) {
        const b = chunk[i];
        if (b === 10 && p === 10) events++;
        p = b;
      }
      previous = p;
      tail = (tail + chunk.toString('latin1', Math.max(from, chunk.length - 256))).slice(-256);
    });
    socket.on('error', reject);
    socket.on('end', () => {
      const ms = performance.now() - started;
      const status = head.slice(0, head.indexOf('\r\n'));
      resolve({ events, bytes, status, complete: tail.endsWith('\r\n0\r\n\r\n'), lastOk: tail.includes(`data: ${lastText}\n\n`), ms });
    });
  });
}

async function main() {
  const started = performance.now();
  const streams = await Promise.all(Array.from({ length: connections }, one));
  const ms = performance.now() - started;
  const problems: string[] = [];
  for (const s of streams) {
    if (!/^HTTP\/1\.1 200 /.test(s.status)) problems.push(`status "${s.status}"`);
    if (s.events !== expected) problems.push(`${s.events} events, expected ${expected}`);
    if (!s.complete) problems.push('no last chunk: the stream was cut off');
    if (!s.lastOk) problems.push(`the last event is not "data: ${lastText}"`);
  }
  const events = streams.reduce((n, s) => n + s.events, 0);
  const bytes = streams.reduce((n, s) => n + s.bytes, 0);
  process.stdout.write(`SSE_JSON ${JSON.stringify({ events, bytes, ms, streamMs: streams.map((s) => s.ms), problems })}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
