// Child process of module-formats.test.ts (and, copied, of test/packaging): serves
// test/fixtures/module-formats/openapi.yaml with createServer({ handlers: dir }) for each handlers
// directory given, asks every operation once, and prints { [dir]: { [path]: answer } } as JSON.
// Run under tsx here (the repository's src/); test/packaging runs the same steps from the installed package.
import * as path from 'node:path';
import { createServer } from '../../src';

const PATHS = ['/mjs', '/js', '/cjs', '/ts', '/mts', '/cts'];

async function main(spec: string, dirs: string[]): Promise<void> {
  const answers: Record<string, Record<string, unknown>> = {};
  for (const dir of dirs) {
    const server = await createServer({ spec, handlers: dir, logger: { level: 'silent' }, docs: false });
    const { url, close } = await server.listen(0, '127.0.0.1');
    try {
      const byPath: Record<string, unknown> = {};
      for (const p of PATHS) {
        const response = await fetch(url + p);
        byPath[p] = { status: response.status, body: await response.json() };
      }
      answers[path.basename(dir)] = byPath;
    } finally {
      await close();
    }
  }
  process.stdout.write(JSON.stringify(answers) + '\n');
}

const [spec, ...dirs] = process.argv.slice(2);
main(spec, dirs).catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n${JSON.stringify((error as { problems?: unknown }).problems ?? [])}\n`);
  process.exit(1);
});
