// specbind serving a large real document, for bench/large.ts and bench/first-request.ts. Env:
// BENCH_SPEC (file or folder entry), BENCH_COMPILE ('lazy' | 'eager'), BENCH_MODE (the
// missingHandlers mode: 'mock' by default, 'notImplemented', or 'fail', where every operation has a
// handler answering `{}`, or its body in BENCH_BODIES, and security checks accept any credential).
// READY carries initMs (createServer), `probe`: a request to a never-called operation (the last GET of
// the document whose required parameters are all in the path), with credentials for it, and `probes`:
// the last three such GETs.
import { readFileSync } from 'node:fs';
import { createServer } from '../../src';
import { sample } from '../../src/mock/sample';
import { HOST, loadDocument, operationIds, PORT, ready, SPEC_FILE } from './common';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function deref(document: any, value: any): any {
  for (let i = 0; value && typeof value.$ref === 'string' && value.$ref.startsWith('#/') && i < 20; i++) {
    value = value.$ref
      .slice(2)
      .split('/')
      .map((s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((node: any, key: string) => node?.[decodeURIComponent(key)], document);
  }
  return value;
}

function sampleValue(document: any, schema: any): string {
  schema = deref(document, schema) ?? {};
  if (schema.example !== undefined && typeof schema.example !== 'object') return String(schema.example);
  if (Array.isArray(schema.examples) && schema.examples.length && typeof schema.examples[0] !== 'object') return String(schema.examples[0]);
  if (Array.isArray(schema.enum) && schema.enum.length) return String(schema.enum[0]);
  if (schema.default !== undefined && typeof schema.default !== 'object') return String(schema.default);
  // specbind's own sampler (patterns, formats, bounds): the bench measures serving, not guessing values.
  const value = sample(document, schema, 0, 'request');
  if (value !== undefined && value !== null && typeof value !== 'object') return String(value);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'integer' || type === 'number') return String(Math.max(1, Number(schema.minimum ?? 1)));
  return 'abc';
}

type Probe = { method: string; path: string; headers: Record<string, string>; operationId: string };

/** The last GET whose required parameters are all path parameters: its request, credentials included. */
function probe(document: any): Probe | undefined {
  return probes(document, 1)[0];
}

/** The last `count` such GETs, last first. */
function probes(document: any, count: number): Probe[] {
  const found: Probe[] = [];
  const candidates: Array<{ path: string; item: any; op: any }> = [];
  for (const [path, rawItem] of Object.entries<any>(document.paths ?? {})) {
    const item = deref(document, rawItem);
    if (item?.get) candidates.push({ path, item, op: item.get });
  }
  for (const { path, item, op } of candidates.reverse()) {
    const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p) => deref(document, p));
    if (params.some((p) => p?.required && p.in !== 'path')) continue;
    let url = path;
    for (const p of params.filter((p) => p?.in === 'path')) url = url.split(`{${p.name}}`).join(encodeURIComponent(p.example !== undefined && typeof p.example !== 'object' ? String(p.example) : sampleValue(document, p.schema)));
    if (/[{}]/.test(url)) continue;
    const headers: Record<string, string> = { accept: 'application/json' };
    const query: string[] = [];
    const requirement = (op.security ?? document.security ?? [])[0] ?? {};
    for (const name of Object.keys(requirement)) {
      const scheme = deref(document, document.components?.securitySchemes?.[name]);
      if (scheme?.type === 'apiKey' && scheme.in === 'header') headers[scheme.name.toLowerCase()] = 'bench';
      else if (scheme?.type === 'apiKey' && scheme.in === 'query') query.push(`${encodeURIComponent(scheme.name)}=bench`);
      else if (scheme?.type === 'apiKey' && scheme.in === 'cookie') headers.cookie = `${scheme.name}=bench`;
      else if (scheme?.type === 'http' && String(scheme.scheme).toLowerCase() === 'basic') headers.authorization = `Basic ${Buffer.from('bench:bench').toString('base64')}`;
      else headers.authorization = 'Bearer bench';
    }
    const base = basePath(document);
    found.push({ method: 'GET', path: base + url + (query.length ? `?${query.join('&')}` : ''), headers, operationId: op.operationId });
    if (found.length === count) break;
  }
  return found;
}

function basePath(document: any): string {
  const server = document.servers?.[0];
  if (!server?.url) return '';
  const url = String(server.url).replace(/\{([^}]+)\}/g, (_: string, name: string) => String(server.variables?.[name]?.default ?? ''));
  try {
    return decodeURIComponent(new URL(url, 'http://x').pathname).replace(/\/+$/, '');
  } catch {
    return '';
  }
}

async function main() {
  const started = performance.now();
  const mode = (process.env.BENCH_MODE ?? 'mock') as 'mock' | 'notImplemented' | 'fail';
  // In 'fail' mode every operation gets a handler answering `{}`; outside mock mode every scheme a check accepting anything.
  const document = mode === 'mock' ? undefined : loadDocument(SPEC_FILE);
  // BENCH_BODIES (fail mode): a JSON file of { operationId: body } that those operations answer, as a
  // correct handler would; every other operation answers `{}`, which its response validation refuses.
  const bodies: Record<string, unknown> = process.env.BENCH_BODIES ? JSON.parse(readFileSync(process.env.BENCH_BODIES, 'utf8')) : {};
  const handlers = mode === 'fail' ? Object.fromEntries(operationIds(document).map((id) => [id, () => bodies[id] ?? {}])) : undefined;
  const security = document ? Object.fromEntries(Object.keys(document.components?.securitySchemes ?? {}).map((name) => [name, () => ({ bench: true })])) : undefined;
  const server = await createServer({
    spec: SPEC_FILE,
    missingHandlers: mode,
    handlers,
    security,
    compile: (process.env.BENCH_COMPILE as 'eager' | 'lazy' | undefined) ?? 'lazy',
    logger: { level: process.env.LOG_LEVEL ?? 'error' },
  });
  const initMs = performance.now() - started;
  const listening = await server.listen(PORT, HOST);
  ready(listening.server, { initMs, operations: server.operations.length, probe: probe(server.document), probes: probes(server.document, 3), heapUsedMB: process.memoryUsage().heapUsed / 2 ** 20 });
}
main().catch((error) => {
  console.error(error?.stack ?? error);
  process.exit(1);
});
