// Express 5 + openapi-backend: request validation, and response validation in postResponseHandler
// as openapi-backend's documentation shows it.
import express from 'express';
import { OpenAPIBackend } from 'openapi-backend';
import { answer, HOST, loadDocument, operationIds, PORT, ready } from './common';

async function main() {
  const started = performance.now();
  const document = loadDocument();
  const api = new OpenAPIBackend({ definition: document });
  for (const id of operationIds(document)) api.register(id, (c) => answer(id, c.request.params, c.request.requestBody));
  api.register({
    validationFail: (c, _req, res: express.Response) => res.status(400).json({ errors: c.validation.errors }),
    notFound: (_c, _req, res: express.Response) => res.status(404).json({ message: 'not found' }),
    methodNotAllowed: (_c, _req, res: express.Response) => res.status(405).json({ message: 'method not allowed' }),
    postResponseHandler: (c, _req, res: express.Response) => {
      const a = c.response as { status: number; body: unknown } | undefined;
      if (!a || res.headersSent) return;
      const valid = c.api.validateResponse(a.body, c.operation!, a.status);
      if (valid.errors) return res.status(502).json({ errors: valid.errors });
      return res.status(a.status).json(a.body);
    },
  });
  await api.init();
  const app = express();
  app.use(express.json());
  app.use((req, res) => api.handleRequest({ method: req.method, path: req.path, body: req.body, query: req.query as any, headers: req.headers as any }, req, res));
  const server = app.listen(PORT, HOST, () => ready(server, { initMs: performance.now() - started }));
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
