// Swagger UI at /docs, driven in a real browser (Debian's chromium through playwright-core; never a
// downloaded browser): the operations render, "Authorize" sets the API key, and "Try it out" →
// "Execute" on a GET, on a POST with a JSON body and on the build log (server-sent events) reaches
// this server and shows its answers.
// Run by `npm run test:browser` (jest.browser.config.js), not by `npm test`. Screenshots go to
// test/artifacts/ (ignored by git), on failure too.
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { createServer } from '../../src';
import config from '../../handlers/_app/config';
import { MemoryStore, setStore } from '../../handlers/_app/store';
import { openChromium, type OpenBrowser, requireChromium } from '../helpers/browser';

const SPEC = path.join(__dirname, '../../openapi/api.yaml');
const HANDLERS = path.join(__dirname, '../../handlers');
const ARTIFACTS = path.join(__dirname, '../artifacts');
// Not the development key: a 200 proves the key typed into "Authorize" is the one that was sent.
const KEY = 'browser-test-key';
const UI_TIMEOUT = 15_000;

let baseUrl: string;
let closeServer: (() => Promise<void>) | undefined;
let browser: OpenBrowser | undefined;
let page: Page;
const savedApiKeys = process.env.API_KEYS;
const pageErrors: string[] = [];

jest.setTimeout(60_000);

beforeAll(async () => {
  requireChromium();
  process.env.API_KEYS = KEY;
  setStore(new MemoryStore());
  const server = await createServer({ spec: SPEC, handlers: HANDLERS, ...config, logger: { level: 'silent' } });
  ({ url: baseUrl, close: closeServer } = await server.listen(0, '127.0.0.1'));

  browser = await openChromium({ viewport: { width: 1280, height: 900 } });
  browser.context.setDefaultTimeout(UI_TIMEOUT);
  page = browser.page;
  page.on('pageerror', (error) => pageErrors.push(String(error)));
});

afterAll(async () => {
  if (page && !page.isClosed()) {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'swagger-ui.png'), fullPage: true }).catch(() => undefined);
  }
  await browser?.close();
  await closeServer?.();
  if (savedApiKeys === undefined) delete process.env.API_KEYS;
  else process.env.API_KEYS = savedApiKeys;
});

/** An operation's block; Swagger UI's id (deepLinking) is operations-<first tag>-<operationId>. */
function operation(tag: string, operationId: string): Locator {
  return page.locator(`#operations-${tag}-${operationId}`);
}

/** Opens the operation, "Try it out", "Execute"; answers the live response's status, body and request URL. */
async function tryItOut(block: Locator, editBody?: (body: any) => any): Promise<{ status: string; body: string; requestUrl: string; curl: string }> {
  if (!(await block.locator('.opblock-body').isVisible())) await block.locator('.opblock-summary').first().click();
  const tryOut = block.locator('.try-out__btn');
  if ((await tryOut.textContent())?.trim() !== 'Cancel') await tryOut.click();
  if (editBody) {
    const textarea = block.locator('textarea.body-param__text');
    await textarea.fill(JSON.stringify(editBody(JSON.parse(await textarea.inputValue())), null, 2));
  }
  // A response left by an earlier execution would otherwise be read as this one's.
  const clear = block.locator('.btn-clear');
  if (await clear.isVisible()) await clear.click();
  await block.locator('.execute-wrapper .execute, button.execute').first().click();
  const live = block.locator('.live-responses-table');
  const status = live.locator('tbody .response-col_status').first();
  await status.waitFor();
  return {
    // The code, without the "Undocumented" note Swagger UI adds to a status the document does not declare.
    status: /\d{3}/.exec((await status.textContent()) ?? '')?.[0] ?? '',
    body: (await live.locator('tbody .response-col_description .highlight-code pre').first().textContent()) ?? '',
    requestUrl: (await block.locator('.request-url pre').first().textContent())?.trim() ?? '',
    curl: (await block.locator('.curl-command .curl').first().textContent()) ?? '',
  };
}

/** Saves the operation from its summary down to the live response (not the documented responses below it). */
async function screenshotOf(block: Locator, file: string): Promise<void> {
  await block.scrollIntoViewIfNeeded();
  // Bounding boxes are relative to the viewport; a full-page clip is in page coordinates.
  const scrollY = Number(await page.evaluate('window.scrollY'));
  const top = await block.boundingBox();
  const live = await block.locator('.live-responses-table').first().boundingBox();
  if (!top || !live) throw new Error(`nothing to screenshot for ${file}`);
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({
    path: path.join(ARTIFACTS, file),
    fullPage: true,
    clip: { x: top.x, y: top.y + scrollY, width: top.width, height: live.y + live.height - top.y + 8 },
  });
}

test('/docs renders every operation of the document from this server', async () => {
  const response = await page.goto(`${baseUrl}/docs`);
  expect(response?.status()).toBe(200);
  await page.locator('.opblock').first().waitFor();
  const document: any = await (await fetch(`${baseUrl}/openapi.json`)).json();
  const operationIds = Object.values<any>(document.paths).flatMap((item) =>
    ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'].filter((m) => item[m]).map((m) => item[m].operationId),
  );
  expect(await page.locator('.opblock').count()).toBe(operationIds.length);
  await page.locator('#operations-health-getHealth').waitFor();
  await page.locator('#operations-build-startBuild').waitFor();
  // The streamed operations: the build log (text/event-stream) and the JSON Lines export.
  await page.locator('#operations-build-streamBuildLog').waitFor();
  await page.locator('#operations-registry-exportTemplates').waitFor();
  // "Try it out" goes to the first server: the one serving this page.
  const selected = await page.locator('.servers select').inputValue();
  expect(new URL(selected, baseUrl).origin).toBe(baseUrl);
  expect(pageErrors).toEqual([]);
});

test('a locked operation answers 401 before "Authorize"', async () => {
  const shown = await tryItOut(operation('health', 'getHealth'));
  expect(shown.status).toBe('401');
  expect(shown.requestUrl).toBe(`${baseUrl}/health`);
  expect(shown.curl).not.toContain('X-API-Key');
});

test('"Authorize" takes the API key for apiKey', async () => {
  const authorize = page.locator('.auth-wrapper .btn.authorize');
  await authorize.click();
  const dialog = page.locator('.dialog-ux .modal-ux');
  await dialog.waitFor();
  // Not apiKeyCookie, the build log's cookie alternative (listed below it).
  const scheme = dialog.locator('.auth-container').filter({ has: page.locator('h4', { hasText: /^apiKey\s*\(/ }) });
  await scheme.locator('input').first().fill(KEY);
  await scheme.locator('button.authorize, button[type=submit]').first().click();
  // Authorized: the scheme now offers "Logout" instead of an input.
  await scheme.locator('button', { hasText: 'Logout' }).waitFor();
  mkdirSync(ARTIFACTS, { recursive: true });
  await dialog.locator('.modal-dialog-ux').screenshot({ path: path.join(ARTIFACTS, 'swagger-ui-authorize.png') });
  await dialog.locator('button.btn-done, button.close-modal').first().click();
  await dialog.waitFor({ state: 'detached' });
  await expect(authorize.getAttribute('class')).resolves.toMatch(/\blocked\b/);
});

test('GET /health: "Try it out" → "Execute" sends the key and shows 200 with every component', async () => {
  const block = operation('health', 'getHealth');
  const shown = await tryItOut(block);
  expect(shown.requestUrl).toBe(`${baseUrl}/health`);
  expect(shown.curl).toContain(`X-API-Key: ${KEY}`);
  expect(shown.status).toBe('200');
  const body = JSON.parse(shown.body);
  expect(body.map((c: any) => c.name)).toEqual(['build', 'registry', 'deploy']);
  expect(body.every((c: any) => c.status === 'running')).toBe(true);
  await screenshotOf(block, 'swagger-ui-get-health.png');
});

test('POST /builds: the example JSON body is sent with the key and shows 202 with the new build', async () => {
  const block = operation('build', 'startBuild');
  const shown = await tryItOut(block);
  expect(shown.requestUrl).toBe(`${baseUrl}/builds`);
  expect(shown.curl).toContain(`X-API-Key: ${KEY}`);
  expect(shown.curl).toContain('Content-Type: application/json');
  expect(shown.status).toBe('202');
  const body = JSON.parse(shown.body);
  expect(body).toMatchObject({
    name: 'binder-project-example-requirements',
    repository: 'https://github.com/binder-project/example-requirements',
    phase: 'fetching',
    status: 'running',
  });
  // The declared Location header is shown too.
  await expect(block.locator('.live-responses-table tbody .response-col_description').first().textContent()).resolves.toContain(
    'location: /builds/binder-project-example-requirements',
  );
  await screenshotOf(block, 'swagger-ui-post-builds.png');
});

test('GET /builds/{image-name}/log: "Execute" shows the build\'s whole log as server-sent events', async () => {
  // The build POST /builds started above is running: the stream moves it to `finished`, then ends.
  const block = operation('build', 'streamBuildLog');
  const shown = await tryItOut(block);
  expect(shown.requestUrl).toBe(`${baseUrl}/builds/binder-project-example-requirements/log`);
  expect(shown.curl).toContain(`X-API-Key: ${KEY}`);
  expect(shown.status).toBe('200');
  const phases = [...shown.body.matchAll(/"phase":"(\w+)"/g)].map((m) => m[1]);
  expect(phases).toEqual(['fetching', 'building', 'registering', 'finished']);
  expect(shown.body).toContain('event: phase');
  await screenshotOf(block, 'swagger-ui-build-log.png');
});

test('POST /person: an edited body that breaks the schema shows the 400 problem', async () => {
  const shown = await tryItOut(operation('accounts', 'createPerson'), () => ({ name: 'fred', age: 3 }));
  expect(shown.requestUrl).toBe(`${baseUrl}/person`);
  expect(shown.status).toBe('400');
  expect(JSON.parse(shown.body)).toMatchObject({ status: 400, errors: [expect.objectContaining({ in: 'body' })] });
  expect(pageErrors).toEqual([]);
});
