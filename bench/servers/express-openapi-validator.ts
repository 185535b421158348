// Express 5 + express-openapi-validator, requests and responses validated (validateResponses: true,
// as specbind validates both). The petstore's routes are hand-written Express routes; the scale
// benchmark's synthetic documents get one catch-all that answers from req.openapi.
import express from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { answer, HOST, loadDocument, PETSTORE, PORT, ready, SPEC_FILE } from './common';

const started = performance.now();
const app = express();
app.use(express.json());
app.use(OpenApiValidator.middleware({ apiSpec: loadDocument(), validateRequests: true, validateResponses: true }));
if (SPEC_FILE === PETSTORE) {
  app.get('/pets/:petId', (req, res) => {
    const a = answer('getPet', req.params);
    res.status(a.status).json(a.body);
  });
  app.post('/pets', (req, res) => {
    const a = answer('createPet', {}, req.body);
    res.status(a.status).json(a.body);
  });
} else {
  app.use((req: any, res) => {
    const a = answer(req.openapi.schema.operationId, req.openapi.pathParams, req.body);
    res.status(a.status).json(a.body);
  });
}
app.use((err: any, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
  res.status(err.status ?? 500).json({ message: err.message, errors: err.errors });
});
const server = app.listen(PORT, HOST, () => ready(server, { initMs: performance.now() - started }));
