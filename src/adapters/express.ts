// Express 5 adapter: the same core as an Express app, to mount in an existing application
// (`outer.use('/api', server.app)`). A body already parsed by the outer app's body-parser is reused.
import express, { type Express } from 'express';
import { writeResponse, type CoreHandler } from './node';

export function expressApp(core: CoreHandler): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    try {
      core(req, (response) => writeResponse(res, response));
    } catch (error) {
      next(error);
    }
  });
  return app;
}
