// A build's log followed by a real browser's EventSource (Debian's chromium through playwright-core,
// as swagger-ui.test.ts runs it), from a page on the API's own origin. The page sets the `api_key`
// cookie (an EventSource cannot send X-API-Key) and opens `new EventSource('/builds/<image>/log')`.
// The connection then drops twice mid-stream: the API restarts (a new specbind instance takes over
// and the old one is closed, which ends its event streams cleanly), and later the network cuts the
// connection. Each time the browser reconnects by itself with `Last-Event-ID`, and the log goes on
// without a repeat; after the final event its reconnect gets 204 and the EventSource stops.
//
// The origin is a node:http server of this test: it serves the page at /, and hands every other
// request to specbind's `server.handler` (the current instance), so specbind runs unchanged. It also
// records each log request (its Last-Event-ID, credentials and status) and can cut its connection.
import { mkdirSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { createServer, type SpecbindServer } from '../../src';
import config from '../../handlers/_app/config';
import { MemoryStore, setStore } from '../../handlers/_app/store';
import { openChromium, type OpenBrowser, requireChromium } from '../helpers/browser';

const SPEC = path.join(__dirname, '../../openapi/api.yaml');
const HANDLERS = path.join(__dirname, '../../handlers');
const ARTIFACTS = path.join(__dirname, '../artifacts');
const KEY = 'browser-log-key';
const IMAGE = 'binder-project-example-requirements';
// Long enough that the test acts between two events (a restart, a cut) before the stream's next step.
const STEP_MS = 1500;
const saved = { API_KEYS: process.env.API_KEYS, BUILD_LOG_STEP_MS: process.env.BUILD_LOG_STEP_MS };

/** The page; `withKey: false` leaves out the cookie (a page whose user has no key). */
const logPage = (withKey: boolean) => `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>Build log</title>
<h1>Build log of ${IMAGE}</h1>
<ol id="log"></ol>
<script>
  // The key as a cookie for the log's path: the EventSource below sends it (same origin).
  ${withKey ? '' : '// '}document.cookie = 'api_key=${encodeURIComponent(KEY)}; path=/builds; SameSite=Strict';
  window.received = [];
  window.states = [];
  const source = new EventSource('/builds/${IMAGE}/log');
  window.source = source;
  source.addEventListener('open', () => window.states.push('open'));
  source.addEventListener('error', () => window.states.push(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'));
  source.addEventListener('phase', (event) => {
    const data = JSON.parse(event.data);
    window.received.push({ id: event.lastEventId, phase: data.phase, status: data.status });
    const item = document.createElement('li');
    item.textContent = event.lastEventId + ' ' + data.phase + ' (' + data.status + ')';
    document.getElementById('log').append(item);
    // A page would close the source on the final event (status not running); this one lets the
    // browser reconnect once more, to see the server's 204 stop it.
  });
</script>
</html>`;

interface LogRequest {
  lastEventId?: string;
  apiKeyHeader: boolean;
  cookie?: string;
  status?: number;
  res: ServerResponse;
}

let api: SpecbindServer;
let front: Server;
let origin: string;
let browser: OpenBrowser | undefined;
let page: Page;
const logRequests: LogRequest[] = [];
const pageErrors: string[] = [];

jest.setTimeout(60_000);

/** A specbind instance of the bundled API. The store outlives instances (as a database outlives a restart): no onClose. */
function instance(): Promise<SpecbindServer> {
  return createServer({ spec: SPEC, handlers: HANDLERS, ...config, onClose: undefined, logger: { level: 'silent' } });
}

function serve(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/' || req.url === '/no-key') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(logPage(req.url === '/'));
    return;
  }
  if (req.url?.startsWith(`/builds/${IMAGE}/log`)) {
    const entry: LogRequest = { lastEventId: req.headers['last-event-id'] as string | undefined, apiKeyHeader: 'x-api-key' in req.headers, cookie: req.headers.cookie, res };
    logRequests.push(entry);
    const writeHead = res.writeHead.bind(res) as (...args: any[]) => ServerResponse;
    res.writeHead = ((status: number, ...rest: any[]) => {
      entry.status = status;
      return writeHead(status, ...rest);
    }) as ServerResponse['writeHead'];
  }
  api.handler(req, res);
}

beforeAll(async () => {
  requireChromium();
  process.env.API_KEYS = KEY;
  process.env.BUILD_LOG_STEP_MS = String(STEP_MS);
  setStore(new MemoryStore());
  api = await instance();
  front = createHttpServer(serve);
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;

  browser = await openChromium();
  page = browser.page;
  page.on('pageerror', (error) => pageErrors.push(String(error)));
});

afterEach(async () => {
  if (page && !page.isClosed()) {
    mkdirSync(ARTIFACTS, { recursive: true });
    const name = expect.getState().currentTestName?.startsWith('without') ? 'build-log-no-key.png' : 'build-log.png';
    await page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true }).catch(() => undefined);
  }
});

afterAll(async () => {
  await browser?.close();
  for (const request of logRequests) request.res.destroy();
  await new Promise((resolve) => front?.close(resolve));
  await api?.close();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const received = (): Promise<Array<{ id: string; phase: string; status: string }>> => page.evaluate('window.received');
// Page-side expressions as text: this file is compiled for Node, without the DOM's types.
const waitForEvents = (count: number) => page.waitForFunction(`window.received.length >= ${count}`, undefined, { timeout: 20_000 });
const waitForClosed = () => page.waitForFunction('window.source.readyState === EventSource.CLOSED', undefined, { timeout: 10_000 });

test('an EventSource follows the log across a restart and a dropped connection: it reconnects with Last-Event-ID, and no event repeats', async () => {
  const started = await fetch(`${origin}/builds`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body: JSON.stringify({ repository: `https://github.com/binder-project/example-requirements` }) });
  expect(started.status).toBe(202);
  const start = Date.parse(((await started.json()) as { 'start-time': string })['start-time']);
  const id = (n: number) => `${start}-${n}`;

  await page.goto(`${origin}/`);
  // fetching at once; building one step later.
  await waitForEvents(2);
  expect(await received()).toEqual([
    { id: id(0), phase: 'fetching', status: 'running' },
    { id: id(1), phase: 'building', status: 'running' },
  ]);

  // 1. The API restarts: a new instance serves from now on; closing the old one ends its stream cleanly.
  const old = api;
  api = await instance();
  await old.close();
  await waitForEvents(3);
  expect(logRequests[1]?.lastEventId).toBe(id(1));

  // 2. The network drops the connection (no final chunk): the browser reconnects all the same.
  logRequests[1].res.socket?.destroy();
  await waitForEvents(4);
  expect(logRequests[2]?.lastEventId).toBe(id(2));

  // 3. The build has ended: the reconnect after the final event gets 204, and the EventSource stops.
  await waitForClosed();
  expect(await received()).toEqual([
    { id: id(0), phase: 'fetching', status: 'running' },
    { id: id(1), phase: 'building', status: 'running' },
    { id: id(2), phase: 'registering', status: 'running' },
    { id: id(3), phase: 'finished', status: 'completed' },
  ]);
  const requests = logRequests.map(({ lastEventId, status, apiKeyHeader, cookie }) => ({ lastEventId, status, apiKeyHeader, cookie }));
  expect(requests).toEqual([
    { lastEventId: undefined, status: 200, apiKeyHeader: false, cookie: `api_key=${KEY}` },
    { lastEventId: id(1), status: 200, apiKeyHeader: false, cookie: `api_key=${KEY}` },
    { lastEventId: id(2), status: 200, apiKeyHeader: false, cookie: `api_key=${KEY}` },
    { lastEventId: id(3), status: 204, apiKeyHeader: false, cookie: `api_key=${KEY}` },
  ]);
  // It stays stopped: no more requests.
  await page.waitForTimeout(1500);
  expect(logRequests).toHaveLength(4);
  expect(await page.evaluate('window.states')).toEqual(['open', 'reconnecting', 'open', 'reconnecting', 'open', 'reconnecting', 'closed']);
  expect(await page.locator('#log li').allTextContents()).toEqual([
    `${id(0)} fetching (running)`,
    `${id(1)} building (running)`,
    `${id(2)} registering (running)`,
    `${id(3)} finished (completed)`,
  ]);
  expect(pageErrors).toEqual([]);
});

test('without the cookie the EventSource is refused (401) and does not retry', async () => {
  await browser!.context.clearCookies();
  const before = logRequests.length;
  await page.goto(`${origin}/no-key`);
  await waitForClosed();
  await page.waitForTimeout(1500);
  expect(logRequests.slice(before).map((r) => [r.status, r.cookie])).toEqual([[401, undefined]]);
  expect(await page.evaluate('window.states')).toEqual(['closed']);
  expect(await received()).toEqual([]);
});
