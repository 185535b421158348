// CORS in a real browser (Debian's chromium through playwright-core; never a downloaded browser): a
// page served from one origin (a tiny node:http server on 127.0.0.1, port A) calls the bundled API on
// another port with its X-API-Key, so the browser sends a preflight first, and reads the answers
// (a 200, a 201 with its Location, a 401), with CORS_ORIGINS naming the page's origin as
// handlers/_app/config.ts reads it. Served to an API that does not allow that origin, the page's
// fetch fails after the preflight, and no request reaches an operation.
// Run by `npm run test:browser` (jest.browser.config.js), not by `npm test`.
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { createServer } from '../../src';
import config, { corsFrom } from '../../handlers/_app/config';
import { MemoryStore, setStore } from '../../handlers/_app/store';
import { openChromium, type OpenBrowser, requireChromium } from '../helpers/browser';

const SPEC = path.join(__dirname, '../../openapi/api.yaml');
const HANDLERS = path.join(__dirname, '../../handlers');
const KEY = 'browser-cors-key';

/** An API on its own port, and every request it saw (method and path), preflights included. */
interface Api {
  url: string;
  seen: string[];
  close: () => Promise<void>;
}

let pageServer: Server;
let pageOrigin: string;
let allowing: Api;
let refusing: Api;
let caching: Api;
let browser: OpenBrowser | undefined;
let page: Page;
const savedApiKeys = process.env.API_KEYS;

jest.setTimeout(60_000);

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * The bundled API with the CORS_ORIGINS it is given, behind a node:http server that notes each request.
 * `maxAge` 0 by default: the browser then asks before every call (without it, Chrome keeps an answer 5 s).
 */
async function api(corsOrigins: string, maxAge = 0): Promise<Api> {
  const server = await createServer({ spec: SPEC, handlers: HANDLERS, ...config, cors: { ...corsFrom(corsOrigins)!, maxAge }, logger: { level: 'silent' } });
  const seen: string[] = [];
  const http = createHttpServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    server.handler(req, res);
  });
  const url = await listen(http);
  return { url, seen, close: () => new Promise<void>((resolve) => http.close(() => resolve())) };
}

beforeAll(async () => {
  requireChromium();
  process.env.API_KEYS = KEY;
  setStore(new MemoryStore());
  pageServer = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>front end</title><p>A page on another origin than the API.</p>');
  });
  pageOrigin = await listen(pageServer);
  allowing = await api(`https://elsewhere.example, ${pageOrigin}`);
  refusing = await api('https://elsewhere.example');
  caching = await api(pageOrigin, 600);

  browser = await openChromium();
  page = browser.page;
  await page.goto(pageOrigin);
});

afterAll(async () => {
  await browser?.close();
  await allowing?.close();
  await refusing?.close();
  await caching?.close();
  await new Promise((resolve) => pageServer?.close(resolve));
  if (savedApiKeys === undefined) delete process.env.API_KEYS;
  else process.env.API_KEYS = savedApiKeys;
});

/** What the page's own fetch() gets: the status, the headers a script may read, and the body; or the error it throws. */
interface PageAnswer {
  status?: number;
  body?: any;
  requestId?: string | null;
  location?: string | null;
  error?: string;
}

function pageFetch(url: string, init: { method?: string; headers?: Record<string, string>; body?: string }): Promise<PageAnswer> {
  return page.evaluate(
    async ({ url, init }) => {
      try {
        const response = await fetch(url, init);
        const text = await response.text();
        return { status: response.status, body: text ? JSON.parse(text) : undefined, requestId: response.headers.get('x-request-id'), location: response.headers.get('location') };
      } catch (error) {
        return { error: String(error) };
      }
    },
    { url, init },
  );
}

it('runs the page on another origin than the API (a control: else no CORS would be needed)', async () => {
  expect(new URL(page.url()).origin).toBe(pageOrigin);
  expect(new URL(allowing.url).origin).not.toBe(pageOrigin);
});

it('lets a page on an allowed origin call the API with its X-API-Key: the browser preflights, then reads the answer', async () => {
  const answer = await pageFetch(`${allowing.url}/templates`, { headers: { 'X-API-Key': KEY } });
  expect(answer.error).toBeUndefined();
  expect(answer.status).toBe(200);
  expect(Array.isArray(answer.body)).toBe(true);
  // Exposed by default: the page can quote the request id in a bug report.
  expect(answer.requestId).toMatch(/^[\w.:@/+=-]+$/);
  // The browser asked first (X-API-Key is no safelisted header), then sent the GET.
  expect(allowing.seen).toEqual(['OPTIONS /templates', 'GET /templates']);
});

it('lets it send a JSON body and read a header the document declares (Location on a 201)', async () => {
  const template = { name: 'cors-from-the-browser', 'image-source': 'binder/example', port: 8888 };
  const answer = await pageFetch(`${allowing.url}/templates`, {
    method: 'POST',
    headers: { 'X-API-Key': KEY, 'Content-Type': 'application/json' },
    body: JSON.stringify(template),
  });
  expect(answer.error).toBeUndefined();
  expect(answer.status).toBe(201);
  expect(answer.body.name).toBe(template.name);
  expect(answer.location).toBe('/templates/cors-from-the-browser');
  expect(allowing.seen.slice(-2)).toEqual(['OPTIONS /templates', 'POST /templates']);
});

it("lets it read specbind's own error answers: a 401 for a wrong key is a status, not a network error", async () => {
  const answer = await pageFetch(`${allowing.url}/templates/any-name`, { headers: { 'X-API-Key': 'wrong-key' } });
  expect(answer.error).toBeUndefined();
  expect(answer.status).toBe(401);
  expect(answer.body).toMatchObject({ status: 401, type: 'urn:specbind:problem:unauthorized' });
  expect(allowing.seen.slice(-2)).toEqual(['OPTIONS /templates/any-name', 'GET /templates/any-name']);
});

it('makes the fetch of a page on an origin the API does not allow fail after the preflight, and no request reaches an operation', async () => {
  const answer = await pageFetch(`${refusing.url}/templates`, { headers: { 'X-API-Key': KEY } });
  expect(answer.status).toBeUndefined();
  expect(answer.error).toMatch(/TypeError: Failed to fetch/);
  expect(refusing.seen).toEqual(['OPTIONS /templates']);
});

it('lets the browser keep a preflight answer for maxAge seconds: two calls, one preflight', async () => {
  for (let i = 0; i < 2; i++) expect((await pageFetch(`${caching.url}/templates`, { headers: { 'X-API-Key': KEY } })).status).toBe(200);
  expect(caching.seen).toEqual(['OPTIONS /templates', 'GET /templates', 'GET /templates']);
});
