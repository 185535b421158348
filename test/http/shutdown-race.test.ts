// A request whose first bytes arrived before shutdown began is answered in full, however the race
// falls: its connection looked idle until node read those bytes, and closing idle connections at once
// reset it (1 run in 2 under load, in the outside check). The race is repeated 30 times: a 1-in-10
// failure slips through all of them 4 % of the time. A request that does not finish arriving within
// the drain timeout is answered 408 and closed, not reset.
import { connect, type Socket } from 'node:net';
import * as path from 'node:path';
import { createServer } from '../../src';

const SPEC = path.join(__dirname, '../fixtures/core/openapi.yaml');
const ROUNDS = 30;
const PARTIAL = 5;

/** Everything the server sends on a socket until it closes it (or `ms` pass). */
function received(socket: Socket, ms: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => resolve(`${text}[still open after ${ms} ms]`), ms);
    socket.on('data', (chunk) => (text += chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(`${text}[${error.code}]`);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

async function round(): Promise<string[]> {
  const server = await createServer({ spec: SPEC, handlers: { listItems: () => ({ items: [] }) }, missingHandlers: 'notImplemented', logger: { level: 'silent' }, shutdownTimeout: 3000 });
  const { port, close } = await server.listen(0, '127.0.0.1');
  // Each connection sends its request line and Host as soon as it is up, and shutdown begins in the same
  // tick as the last: the kernel has the connections (some not yet accepted by node) and the bytes (unread).
  const sockets = await Promise.all(
    Array.from({ length: PARTIAL }, () =>
      new Promise<Socket>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write('GET /api/v1/items HTTP/1.1\r\nHost: x\r\n');
          resolve(socket);
        });
      }),
    ),
  );
  const answers = sockets.map((socket) => received(socket, 5000));
  const closed = close();
  // The rest of each request arrives after shutdown began.
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (const socket of sockets) socket.write('\r\n');
  const texts = await Promise.all(answers);
  await closed;
  return texts.filter((text) => !/^HTTP\/1\.1 200 OK\r\n[\s\S]*connection: close\r\n[\s\S]*\r\n\r\n\{"items":\[\]\}$/i.test(text));
}

it(`answers every request whose first bytes arrived before shutdown (${ROUNDS} rounds of ${PARTIAL})`, async () => {
  const failures: string[] = [];
  for (let i = 0; i < ROUNDS; i++) failures.push(...(await round()).map((text) => `round ${i}: ${JSON.stringify(text.slice(0, 120))}`));
  expect(failures).toEqual([]);
}, 120_000);

it('a request that does not finish arriving within the drain timeout gets a 408 and the connection closes', async () => {
  const server = await createServer({ spec: SPEC, handlers: { listItems: () => ({ items: [] }) }, missingHandlers: 'notImplemented', logger: { level: 'silent' }, shutdownTimeout: 300 });
  const { port, close } = await server.listen(0, '127.0.0.1');
  const socket = await new Promise<Socket>((resolve) => { const s = connect(port, '127.0.0.1', () => resolve(s)); });
  const answer = received(socket, 5000);
  socket.write('GET /api/v1/items HTTP/1.1\r\nHost: x\r\n');
  await new Promise((resolve) => setTimeout(resolve, 50));
  await close();
  const text = await answer;
  expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  expect(text).toContain('"status":408');
});
