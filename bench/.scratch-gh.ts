import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { collectOperations } from '../src/spec/operations';
const file = path.join(__dirname, '../node_modules/@octokit/openapi/generated/api.github.com.json');
const mode = process.argv[2];
async function main() {
  const t0 = performance.now();
  if (mode === 'phases') {
    const buf = readFileSync(file); const t1 = performance.now();
    const text = buf.toString('utf8'); const t2 = performance.now();
    const doc = JSON.parse(text); const t3 = performance.now();
    const ops = collectOperations(doc); const t4 = performance.now();
    const ops2 = collectOperations(doc); const t5 = performance.now();
    console.log(`read ${(t1-t0).toFixed(0)} decode ${(t2-t1).toFixed(0)} parse ${(t3-t2).toFixed(0)} collect ${(t4-t3).toFixed(0)} collect-again ${(t5-t4).toFixed(0)} (${ops.operations.length})`);
  } else {
    const { createServer } = await import('../src');
    const t1 = performance.now();
    await createServer({ spec: file, handlers: {}, missingHandlers: 'mock', logger: { level: 'silent' } } as any);
    const t2 = performance.now();
    console.log(`import ${(t1-t0).toFixed(0)} createServer ${(t2-t1).toFixed(0)}`);
  }
}
main();
