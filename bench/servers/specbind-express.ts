// specbind mounted in an Express 5 app (`app.use(server.app)`), same options as specbind.ts.
import express from 'express';
import { createServer } from '../../src';
import { HOST, PORT, ready, SPEC_FILE } from './common';
import { handlers } from './specbind';

async function main() {
  const started = performance.now();
  const server = await createServer({ spec: SPEC_FILE, handlers: handlers(), responseValidation: 'strict', logger: { level: process.env.LOG_LEVEL ?? 'warn' } });
  const app = express();
  app.use(server.app);
  const initMs = performance.now() - started;
  const http = app.listen(PORT, HOST, () => ready(http, { initMs }));
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
