// The same server mounted in an existing Express 5 application.
import * as path from 'node:path';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { createServer } from '../../src';

describe('mounted in Express', () => {
  it('serves the API under a mount path, next to the outer app\'s own routes, reusing its parsed JSON', async () => {
    const api = await createServer({
      spec: path.join(__dirname, '../fixtures/core/openapi.yaml'),
      handlers: { createItem: (input: any, ctx) => ctx.reply.created({ id: 1, name: input.body.name }, { headers: { location: '/x/1' } }) },
      missingHandlers: 'notImplemented',
      logger: { level: 'silent' },
    });
    const outer = express();
    outer.get('/hello', (_req, res) => void res.send('hi'));
    outer.use(express.json());
    outer.use('/mounted', api.app);
    outer.get('/after', (req, res) => void res.json({ outerApp: req.app === outer, query: req.query }));
    const server = outer.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(await (await fetch(`${base}/hello`)).text()).toBe('hi');
      const created = await fetch(`${base}/mounted/api/v1/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"lamp"}' });
      expect(created.status).toBe(201);
      expect(await created.json()).toEqual({ id: 1, name: 'lamp' });
      const invalid = await fetch(`${base}/mounted/api/v1/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":""}' });
      expect(invalid.status).toBe(400);
      expect(invalid.headers.get('content-type')).toBe('application/problem+json');
      expect((await fetch(`${base}/mounted/api/v1/unhandled`)).status).toBe(501);
      // The outer app's own routes keep Express's request and response (req.app, req.query, res.json) after the API served.
      expect(await (await fetch(`${base}/after?x=1`)).json()).toEqual({ outerApp: true, query: { x: '1' } });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('streams through the mounted app', () => {
  it('an event stream and a byte stream flow through Express as through the standalone server; a client that leaves closes the source', async () => {
    let returned = false;
    const api = await createServer({
      spec: path.join(__dirname, '../fixtures/streams/openapi.yaml'),
      handlers: {
        events: () => [{ data: { n: 1 } }, { event: 'last', data: { n: 2 } }],
        download: () =>
          (async function* () {
            try {
              for (;;) {
                yield Buffer.alloc(16 * 1024, 1);
                await new Promise((resolve) => setTimeout(resolve, 5));
              }
            } finally {
              returned = true;
            }
          })(),
      },
      missingHandlers: 'notImplemented',
      logger: { level: 'silent' },
    });
    const outer = express();
    outer.use('/mounted', api.app);
    const server = outer.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const events = await fetch(`${base}/mounted/events`);
      expect(events.headers.get('content-type')).toBe('text/event-stream');
      expect(await events.text()).toBe('data: {"n":1}\n\nevent: last\ndata: {"n":2}\n\n');
      const controller = new AbortController();
      const download = await fetch(`${base}/mounted/download`, { signal: controller.signal });
      await download.body!.getReader().read();
      controller.abort();
      for (let i = 0; i < 100 && !returned; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(returned).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
