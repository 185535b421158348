// The bundled API under Deno: Deno.serve with server.fetch, specbind and the handlers from their
// compiled CommonJS build (SPECBIND_BUILD), loaded through node:module's createRequire. Prints
// {"port": n} once it listens.
import { createRequire } from 'node:module';
import * as path from 'node:path';

const build = Deno.env.get('SPECBIND_BUILD');
const root = Deno.env.get('SPECBIND_ROOT');
const require = createRequire(import.meta.url);
const { createServer } = require(path.join(build, 'src/index.js'));
const config = require(path.join(build, 'handlers/_app/config.js')).default;

const server = await createServer({ ...config, spec: path.join(root, 'openapi/api.yaml'), handlers: path.join(build, 'handlers'), logger: { level: 'warn' } });
Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => console.log(JSON.stringify({ port, runtime: `deno ${Deno.version.deno}`, mode: 'fetch' })) }, server.fetch);
