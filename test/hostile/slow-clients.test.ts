// A sender that never finishes its request is cut off by the request timeout, and the server keeps serving.
import * as net from 'node:net';
import * as path from 'node:path';
import { start } from '../helpers/server';

const SPEC = path.join(__dirname, '../fixtures/core/openapi.yaml');

function rawExchange(port: number, send: (socket: net.Socket) => void, waitMs: number): Promise<{ received: string; closedAfterMs: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk));
    const done = () => resolve({ received, closedAfterMs: Date.now() - started });
    socket.on('close', done);
    socket.on('error', () => undefined);
    setTimeout(() => {
      socket.destroy();
    }, waitMs).unref();
    send(socket);
  });
}

describe('slow and lying clients', () => {
  it('cuts off a body that never ends (slowloris) with 408, and keeps serving others', async () => {
    const api = await start({ spec: SPEC, handlers: { createItem: () => undefined }, missingHandlers: 'notImplemented', requestTimeout: 600 });
    const port = Number(new URL(api.url).port);
    try {
      const { received, closedAfterMs } = await rawExchange(
        port,
        (socket) => socket.write('POST /api/v1/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":'),
        10_000,
      );
      expect(received).toMatch(/^HTTP\/1\.1 408/);
      expect(received).toContain('application/problem+json');
      expect(closedAfterMs).toBeLessThan(5_000);
      expect((await api.request('GET', '/api/v1/items')).status).toBe(501);
    } finally {
      await api.close();
    }
  });

  it('answers a Content-Length longer than the body with 408 once time runs out, and a shorter one (the rest is no valid request) with 400', async () => {
    const api = await start({ spec: SPEC, handlers: { createItem: () => undefined }, missingHandlers: 'notImplemented', requestTimeout: 600 });
    const port = Number(new URL(api.url).port);
    try {
      const longer = await rawExchange(port, (s) => s.write('POST /api/v1/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"name":"a"}'), 10_000);
      expect(longer.received).toMatch(/^HTTP\/1\.1 408/);
      const shorter = await rawExchange(port, (s) => s.write('POST /api/v1/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{"name":"a"}'), 10_000);
      expect(shorter.received).toMatch(/^HTTP\/1\.1 400/);
      expect(shorter.received).toContain('application/problem+json');
    } finally {
      await api.close();
    }
  });
});
