// Express 5 adapter: the same core as an Express app, to mount in an existing application
// (`outer.use('/api', server.app)`). A body already parsed by the outer app's body-parser is reused.
import express, { type Express } from 'express';
import { NodeExchange, type CoreHandler } from './node';

export function expressApp(core: CoreHandler): Express {
  const app = express();
  app.disable('x-powered-by');
  // Mounted, Express would give every request this app's own request/response prototypes on the way in
  // and restore the parent's on the way out: two prototype changes per object per request, which send
  // node's own http code down slow paths (bench/README.md). Sharing the parent's prototypes makes both
  // changes no-ops; `req.app` is then the parent app, whose settings the mounted API runs under anyway.
  app.on('mount', (parent) => {
    app.request = (parent as Express).request;
    app.response = (parent as Express).response;
  });
  app.use((req, res, next) => {
    try {
      const exchange = new NodeExchange(req, res);
      core(exchange, exchange);
    } catch (error) {
      next(error);
    }
  });
  return app;
}
