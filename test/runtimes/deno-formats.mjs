// Handler modules of every kind under Deno (test/fixtures/module-formats): serves the document with
// createServer({ handlers: dir }) from specbind's compiled build (SPECBIND_BUILD), for each handlers
// directory given, asks every operation once, and prints { [dir as given]: { [path]: answer } } as JSON, or
// { [dir]: { startupError } } when the directory does not load.
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const { createServer } = require(path.join(Deno.env.get('SPECBIND_BUILD'), 'src/index.js'));
const [spec, ...dirs] = Deno.args;
const answers = {};
for (const dir of dirs) {
  let server;
  try {
    server = await createServer({ spec, handlers: dir, logger: { level: 'silent' }, docs: false });
  } catch (error) {
    answers[dir] = { startupError: error.message, problems: error.problems ?? [] };
    continue;
  }
  const { url, close } = await server.listen(0, '127.0.0.1');
  const byPath = {};
  for (const p of ['/mjs', '/js', '/cjs', '/ts', '/mts', '/cts']) {
    const response = await fetch(url + p);
    byPath[p] = { status: response.status, body: await response.json() };
  }
  answers[dir] = byPath;
  await close();
}
console.log(JSON.stringify(answers));
Deno.exit(0);
