// The bundled API under Bun, from its TypeScript sources: Bun.serve with server.fetch (MODE=fetch, the
// default) or Bun's node:http with server.listen (MODE=listen). Prints {"port": n} once it listens.
import * as path from 'node:path';
import { createServer } from '../../src';
import config from '../../handlers/_app/config';

declare const Bun: { serve(options: { port: number; hostname: string; fetch: (request: Request) => Promise<Response> }): { port: number } };

const ROOT = path.join(__dirname, '../..');

(async () => {
  const server = await createServer({ ...config, spec: path.join(ROOT, 'openapi/api.yaml'), handlers: path.join(ROOT, 'handlers'), logger: { level: 'warn' } });
  if (process.env.MODE === 'listen') {
    const { port } = await server.listen(0, '127.0.0.1');
    console.log(JSON.stringify({ port, runtime: `bun ${process.versions.bun}`, mode: 'listen' }));
  } else {
    const served = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: server.fetch });
    console.log(JSON.stringify({ port: served.port, runtime: `bun ${process.versions.bun}`, mode: 'fetch' }));
  }
})();
