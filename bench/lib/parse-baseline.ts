// The baseline of the large-document benchmark, run in its own process (pinned like the servers):
// how long reading and parsing the document takes (JSON.parse for JSON; js-yaml, and JSON.parse of
// the same document as JSON text, for YAML; every file of a multi-file document's folder), and how
// much heap the parsed document holds. Prints one JSON line.
//   node --expose-gc --import tsx bench/lib/parse-baseline.ts <file> [folder]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import yaml from 'js-yaml';

const [file, folder] = process.argv.slice(2);
const gc = (globalThis as any).gc as () => void;
const files: string[] = [];
if (folder === 'folder') {
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(ya?ml|json)$/i.test(name)) files.push(full);
    }
  };
  walk(path.dirname(file));
} else files.push(file);

gc();
const heap0 = process.memoryUsage().heapUsed;
let bytes = 0;
let readMs = 0;
let parseMs = 0;
let jsonParseMs = 0;
const kept: unknown[] = [];
for (const f of files) {
  let t = performance.now();
  const text = readFileSync(f, 'utf8');
  readMs += performance.now() - t;
  bytes += Buffer.byteLength(text);
  t = performance.now();
  const value = f.endsWith('.json') ? JSON.parse(text) : yaml.load(text);
  const ms = performance.now() - t;
  parseMs += ms;
  if (f.endsWith('.json')) jsonParseMs += ms;
  else {
    const json = JSON.stringify(value);
    t = performance.now();
    JSON.parse(json);
    jsonParseMs += performance.now() - t;
  }
  kept.push(value);
}
gc();
const heapMB = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
process.stdout.write(`${JSON.stringify({ files: files.length, bytes, readMs, parseMs, jsonParseMs, heapMB, rssMB: process.memoryUsage().rss / 2 ** 20, kept: kept.length })}\n`);
