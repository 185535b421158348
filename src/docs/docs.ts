// Swagger UI and the document itself, served from the installed swagger-ui-dist (no network needed).
// The UI reads a copy of the document whose `servers` point at this server, so "Try it out" works
// on whatever host and port it runs.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import type { OutgoingResponse } from '../http/response';

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css',
  'index.css': 'text/css',
  'swagger-ui-bundle.js': 'application/javascript',
  'swagger-ui-standalone-preset.js': 'application/javascript',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
  'oauth2-redirect.html': 'text/html',
  'oauth2-redirect.js': 'application/javascript',
};

export interface DocsRoutes {
  /** Answers GET/HEAD for the docs and document paths, or undefined when the path is not one of them. */
  serve(method: string, path: string): OutgoingResponse | undefined;
}

export function docsRoutes(document: any, docsPath: string | false, basePath: string): DocsRoutes {
  // Serialised on first request, then kept: the loaded document is never mutated, and a large one
  // (GitHub's: 13 MB) costs 60 ms and tens of MB per copy that most servers never serve.
  let json: string | undefined;
  let yamlText: string | undefined;
  const files = new Map<string, () => OutgoingResponse>();
  files.set('/openapi.json', () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: (json ??= JSON.stringify(document, null, 2)) }));
  files.set('/openapi.yaml', () => ({ status: 200, headers: { 'content-type': 'application/yaml' }, body: (yamlText ??= yaml.dump(document, { noRefs: true, lineWidth: -1 })) }));

  if (docsPath !== false) {
    const root = docsPath.replace(/\/$/, '');
    const dist = path.dirname(require.resolve('swagger-ui-dist/package.json'));
    const cache = new Map<string, Buffer>();
    let forUi: string | undefined;
    const uiDocument = () => JSON.stringify({ ...document, servers: [{ url: basePath || '/', description: 'this server' }, ...(document.servers ?? [])] });
    files.set(`${root}/openapi.json`, () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: (forUi ??= uiDocument()) }));
    const page = indexPage(document?.info?.title ?? 'API', `${root}/openapi.json`, root);
    const index = () => ({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: page });
    files.set(root, index);
    files.set(`${root}/`, index);
    files.set(`${root}/index.html`, index);
    for (const [asset, type] of Object.entries(ASSETS)) {
      files.set(`${root}/${asset}`, () => {
        let bytes = cache.get(asset);
        if (!bytes) cache.set(asset, (bytes = readFileSync(path.join(dist, asset))));
        return { status: 200, headers: { 'content-type': type, 'cache-control': 'public, max-age=3600' }, body: bytes };
      });
    }
  }
  return {
    serve(method, requestPath) {
      if (method !== 'GET' && method !== 'HEAD') return undefined;
      return files.get(requestPath)?.();
    },
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function indexPage(title: string, specUrl: string, root: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${escapeHtml(String(title))} — specbind</title>
  <link rel="stylesheet" href="${root}/swagger-ui.css">
  <link rel="stylesheet" href="${root}/index.css">
  <link rel="icon" type="image/png" href="${root}/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${root}/swagger-ui-bundle.js"></script>
  <script src="${root}/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: ${JSON.stringify(specUrl)},
      dom_id: '#swagger-ui',
      deepLinking: true,
      persistAuthorization: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: 'StandaloneLayout',
      oauth2RedirectUrl: location.origin + ${JSON.stringify(`${root}/oauth2-redirect.html`)}
    });
  </script>
</body>
</html>
`;
}
