// What every benchmark server shares: the document it serves, the answers it gives (the same for every
// variant, so only the framework differs), the hand-written checks of the two hand-routed variants,
// and the READY handshake with the runner.
//
// Env: PORT (default 0: any free port), BENCH_ROOT (the repository), BENCH_SPEC (default bench/petstore.yaml; the scale benchmark
// passes synthetic documents whose operations are all `getItem<i>`).
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import yaml from 'js-yaml';

/** The repository (set by the runner: servers run from a transpiled copy under the OS temp dir). */
export const ROOT = process.env.BENCH_ROOT ?? path.resolve(__dirname, '..', '..');
export const PETSTORE = path.join(ROOT, 'bench', 'petstore.yaml');
export const SPEC_FILE = process.env.BENCH_SPEC ? path.resolve(process.env.BENCH_SPEC) : PETSTORE;
export const PORT = Number(process.env.PORT ?? 0);
export const HOST = '127.0.0.1';

/** A fresh parse of the document (some libraries mutate what they are given). */
export function loadDocument(file = SPEC_FILE): any {
  const text = readFileSync(file, 'utf8');
  return file.endsWith('.json') ? JSON.parse(text) : yaml.load(text);
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every operationId of a document (the benchmark documents all have one). */
export function operationIds(document: any): string[] {
  const ids: string[] = [];
  for (const item of Object.values<any>(document.paths ?? {})) {
    for (const method of METHODS) if (item?.[method]?.operationId) ids.push(item[method].operationId);
  }
  return ids;
}

export interface Answer {
  status: number;
  body: unknown;
}

/** The application: identical for every variant. `params` are the path parameters (strings or numbers). */
export function answer(operationId: string, params: Record<string, unknown>, body?: any): Answer {
  if (operationId === 'createPet') return { status: 201, body: { id: 1, name: body.name, tag: body.tag } };
  if (operationId === 'getPet') return { status: 200, body: { id: Number(params.petId), name: 'Rex', tag: 'dog' } };
  // Synthetic documents of the scale benchmark: getItem<i>.
  return { status: 200, body: { id: Number(params.itemId), name: 'item', tag: operationId } };
}

/** The hand-written check of `petId` (integer ≥ 1) used by the hand-routed variants. */
export function parsePetId(raw: string): number | undefined {
  if (!/^[0-9]{1,15}$/.test(raw)) return undefined;
  const id = Number(raw);
  return id >= 1 ? id : undefined;
}

/** The hand-written check of NewPet (what the document says, written out). */
export function isNewPet(value: any): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  if (typeof value.name !== 'string' || value.name.length < 1 || value.name.length > 100) return false;
  if (value.tag !== undefined && (typeof value.tag !== 'string' || value.tag.length > 100)) return false;
  for (const key in value) if (key !== 'name' && key !== 'tag') return false;
  return true;
}

/**
 * Tells the runner the server is up: one line `BENCH_READY {json}` on stdout. `extra` carries
 * timings and anything the runner needs. SIGTERM/SIGINT exit normally, so `--cpu-prof` writes its profile.
 */
export function ready(server: Server, extra: Record<string, unknown> = {}): void {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`BENCH_READY ${JSON.stringify({ port, pid: process.pid, readyMs: performance.now(), ...extra })}\n`);
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
