// What a person with a browser sees: Swagger UI at /docs with its assets served from the package
// (no network), the document at /openapi.json and /openapi.yaml, health and readiness probes.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { start, type Started } from '../helpers/server';

const SPEC = path.join(__dirname, '../fixtures/docs/openapi.yaml');
/** The fixture as OpenAPI reads YAML (1.2 core schema: no timestamps). */
const DOCUMENT = yaml.load(readFileSync(SPEC, 'utf8'), { schema: yaml.JSON_SCHEMA }) as any;
const SWAGGER_UI_DIST = path.dirname(require.resolve('swagger-ui-dist/package.json'));

const handlers = {
  ping: () => ({ pong: true, since: '2024-02-29' }),
  echo: (input: any) => input.word,
};

/** Every `src="…"` and `href="…"` in a page. */
function assetUrls(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
}

describe('Swagger UI at /docs (default options)', () => {
  let api: Started;
  beforeAll(async () => {
    api = await start({ spec: SPEC, handlers });
  });
  afterAll(() => api?.close());

  it.each(['/docs', '/docs/', '/docs/index.html'])('GET %s returns the Swagger UI page', async (where) => {
    const answer = await api.request('GET', where);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    expect(answer.text).toContain('<div id="swagger-ui"></div>');
    expect(answer.text).toContain('<script src="/docs/swagger-ui-bundle.js"></script>');
    expect(answer.text).toContain('SwaggerUIBundle({');
    expect(answer.text).toContain('url: "/docs/openapi.json"');
  });

  it('puts the document title in the page, HTML-escaped', async () => {
    const { text } = await api.request('GET', '/docs');
    expect(text).not.toContain('<fixture>');
    expect(text).toMatch(/<title>Docs &#60;fixture&#62; &#38; &#34;friends&#34;/);
  });

  it('every asset the page loads is served from /docs/ with its content type (no network, no CDN)', async () => {
    const { text } = await api.request('GET', '/docs');
    const urls = assetUrls(text);
    expect(urls.length).toBeGreaterThanOrEqual(4);
    for (const url of urls) expect(url.startsWith('/docs/')).toBe(true);
    expect(text).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    const expected: Record<string, RegExp> = { '.js': /javascript/, '.css': /^text\/css/, '.png': /^image\/png/ };
    for (const url of urls) {
      const answer = await fetch(api.url + url);
      expect({ url, status: answer.status }).toEqual({ url, status: 200 });
      const type = expected[path.extname(url)];
      if (type) expect(answer.headers.get('content-type')).toMatch(type);
      const bytes = Buffer.from(await answer.arrayBuffer());
      expect(bytes.equals(readFileSync(path.join(SWAGGER_UI_DIST, path.basename(url))))).toBe(true);
    }
  });

  it('serves the JS bundle, the preset and the CSS with JS/CSS content types', async () => {
    const bundle = await api.request('GET', '/docs/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/^application\/javascript/);
    expect(bundle.text.length).toBeGreaterThan(100_000);
    expect(bundle.text).toContain('SwaggerUIBundle');
    const preset = await api.request('GET', '/docs/swagger-ui-standalone-preset.js');
    expect(preset.status).toBe(200);
    expect(preset.headers.get('content-type')).toMatch(/^application\/javascript/);
    const css = await api.request('GET', '/docs/swagger-ui.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(css.text).toContain('.swagger-ui');
  });

  it('HEAD /docs answers 200 without a body', async () => {
    const answer = await fetch(`${api.url}/docs`, { method: 'HEAD' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await answer.text()).toBe('');
  });

  it('an unknown file under /docs is a 404', async () => {
    expect((await api.request('GET', '/docs/nope.js')).status).toBe(404);
  });

  it("/docs/openapi.json points servers[0] at this server's base path, so Try it out works on any port", async () => {
    const answer = await api.request('GET', '/docs/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    const forUi = answer.json;
    // Relative: the browser resolves it against whatever host and port served the page.
    expect(forUi.servers[0].url).toBe('/v2');
    // The document's own servers are still listed after it.
    expect(forUi.servers.slice(1)).toEqual(DOCUMENT.servers);
    expect(forUi.paths).toEqual(DOCUMENT.paths);
    // What Try it out would do: resolve servers[0] against the page's URL and call an operation.
    const base = new URL(forUi.servers[0].url, `${api.url}/docs/`).href.replace(/\/$/, '');
    const tried = await fetch(`${base}/ping`);
    expect(tried.status).toBe(200);
    expect(await tried.json()).toEqual({ pong: true, since: '2024-02-29' });
    const echoed = await fetch(`${base}/echo/hello`);
    expect(await echoed.text()).toBe('hello');
  });

  it('GET /openapi.json returns the document as written (servers untouched)', async () => {
    const answer = await api.request('GET', '/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.json).toEqual(DOCUMENT);
    expect(answer.json.servers).toEqual([{ url: 'https://api.example.com/v2', description: 'production' }]);
  });

  it('an unquoted YAML date stays the string it was written as (YAML 1.2, as OpenAPI reads it)', async () => {
    const { json } = await api.request('GET', '/openapi.json');
    expect(json.paths['/ping'].get.responses['200'].content['application/json'].schema.properties.since.example).toBe('2024-02-29');
  });

  it('GET /openapi.yaml returns YAML that parses to the same document', async () => {
    const answer = await api.request('GET', '/openapi.yaml');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/yaml/);
    expect(answer.text).toContain('openapi: 3.0.3');
    // Parsed as a user's tool would: js-yaml's default schema, and OpenAPI's YAML 1.2 core schema.
    expect(yaml.load(answer.text)).toEqual(DOCUMENT);
    expect(yaml.load(answer.text, { schema: yaml.JSON_SCHEMA })).toEqual(DOCUMENT);
    expect(yaml.load(answer.text)).toEqual((await api.request('GET', '/openapi.json')).json);
  });

  it('the document routes answer HEAD and refuse other methods', async () => {
    expect((await fetch(`${api.url}/openapi.json`, { method: 'HEAD' })).status).toBe(200);
    expect([404, 405]).toContain((await api.request('POST', '/openapi.json', { body: {} })).status);
  });

  it('GET /healthz is 200', async () => {
    const answer = await api.request('GET', '/healthz');
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ status: 'ok' });
  });

  it('GET /readyz is 200 without a ready option', async () => {
    const answer = await api.request('GET', '/readyz');
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ status: 'ready' });
  });

  it("the document's own routes live under its base path; /docs is outside it", async () => {
    expect((await api.request('GET', '/v2/ping')).status).toBe(200);
    expect((await api.request('GET', '/ping')).status).toBe(404);
    expect((await api.request('GET', '/v2/docs')).status).toBe(404);
  });
});

describe('readiness', () => {
  it('/readyz follows the ready option: 200 when it says true, 503 when false, 503 when it throws', async () => {
    let ready: boolean | 'throw' = true;
    const api = await start({
      spec: SPEC,
      handlers,
      ready: async () => {
        if (ready === 'throw') throw new Error('database down');
        return ready;
      },
    });
    try {
      expect((await api.request('GET', '/readyz')).status).toBe(200);
      ready = false;
      const notReady = await api.request('GET', '/readyz');
      expect(notReady.status).toBe(503);
      expect(notReady.json).toEqual({ status: 'not ready' });
      // Liveness does not depend on readiness.
      expect((await api.request('GET', '/healthz')).status).toBe(200);
      ready = 'throw';
      expect((await api.request('GET', '/readyz')).status).toBe(503);
      ready = true;
      expect((await api.request('GET', '/readyz')).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  it('a ready option that never answers gives 503 within readyTimeout, and the server keeps serving', async () => {
    const api = await start({ spec: SPEC, handlers, ready: () => new Promise<boolean>(() => {}), readyTimeout: 150 });
    try {
      const started = Date.now();
      const answer = await api.request('GET', '/readyz');
      expect(answer.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect((await api.request('GET', '/healthz')).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  it('a synchronous ready option returning false gives 503', async () => {
    const api = await start({ spec: SPEC, handlers, ready: () => false });
    try {
      expect((await api.request('GET', '/readyz')).status).toBe(503);
    } finally {
      await api.close();
    }
  });
});

describe('docs options', () => {
  it('docs: false turns Swagger UI off (404) but keeps the document routes and probes', async () => {
    const api = await start({ spec: SPEC, handlers, docs: false });
    try {
      for (const where of ['/docs', '/docs/', '/docs/swagger-ui-bundle.js', '/docs/openapi.json']) {
        const answer = await api.request('GET', where);
        expect({ where, status: answer.status }).toEqual({ where, status: 404 });
        expect(answer.headers.get('content-type')).toContain('application/problem+json');
      }
      expect((await api.request('GET', '/openapi.json')).status).toBe(200);
      expect((await api.request('GET', '/openapi.yaml')).status).toBe(200);
      expect((await api.request('GET', '/healthz')).status).toBe(200);
      expect((await api.request('GET', '/v2/ping')).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  it.each(['/reference', '/api/reference/'])('a custom docs path (%s) serves the UI and its assets there, and /docs is a 404', async (docsPath) => {
    const api = await start({ spec: SPEC, handlers, docs: docsPath });
    const root = docsPath.replace(/\/$/, '');
    try {
      for (const where of [root, `${root}/`]) {
        const page = await api.request('GET', where);
        expect(page.status).toBe(200);
        expect(page.headers.get('content-type')).toMatch(/^text\/html/);
        expect(page.text).toContain(`<script src="${root}/swagger-ui-bundle.js"></script>`);
        expect(page.text).toContain(`url: "${root}/openapi.json"`);
      }
      const { text } = await api.request('GET', root);
      for (const url of assetUrls(text)) {
        expect(url.startsWith(`${root}/`)).toBe(true);
        expect({ url, status: (await fetch(api.url + url)).status }).toEqual({ url, status: 200 });
      }
      expect((await api.request('GET', `${root}/openapi.json`)).json.servers[0].url).toBe('/v2');
      expect((await api.request('GET', '/docs')).status).toBe(404);
      expect((await api.request('GET', '/docs/swagger-ui-bundle.js')).status).toBe(404);
    } finally {
      await api.close();
    }
  });

  it("without servers in the document, /docs/openapi.json's servers[0] is '/' (this server's root)", async () => {
    const { servers, ...withoutServers } = DOCUMENT;
    const api = await start({ spec: withoutServers, handlers });
    try {
      const forUi = (await api.request('GET', '/docs/openapi.json')).json;
      expect(forUi.servers).toEqual([{ url: '/', description: 'this server' }]);
      expect((await api.request('GET', '/openapi.json')).json.servers).toBeUndefined();
      expect((await api.request('GET', '/ping')).status).toBe(200);
    } finally {
      await api.close();
    }
  });
});
