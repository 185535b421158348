// specbind mounted in an Express 5 app (`app.use(server.app)`), at the defaults as specbind.ts (access log included).
import express from 'express';
import { createServer } from '../../src';
import { HOST, PORT, ready, SPEC_FILE } from './common';
import { handlers } from './specbind';

async function main() {
  const started = performance.now();
  const server = await createServer({ spec: SPEC_FILE, handlers: handlers() });
  const app = express();
  app.use(server.app);
  const initMs = performance.now() - started;
  const http = app.listen(PORT, HOST, () => ready(http, { initMs }));
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
