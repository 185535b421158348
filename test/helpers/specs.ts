// The OpenAPI documents under ../shared/specs, found by walking the folder (shared by several suites).
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { SPECS } from './server';

const ROOT = SPECS;

/** Not OpenAPI documents: spec statistics and Stripe's fixture set. */
const NOT_SPECS = new Set(['stats.json', 'production/stripe-fixtures3.json']);
/** Of multi-file/, only the root documents (the rest are the files they reference). */
export const MULTI_FILE_ROOTS = ['multi-file/digitalocean/DigitalOcean-public.v2.yaml', 'multi-file/connexion-relative-refs/openapi.yaml'];

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return walk(full);
      return /\.(ya?ml|json)$/.test(entry.name) ? [full] : [];
    })
    .sort();
}

/** 'openapi' or 'swagger': the top-level version key (parsed for small files, matched for large ones). */
export function kindOf(file: string): 'openapi' | 'swagger' | 'unknown' {
  const text = readFileSync(file, 'utf8');
  let top: any;
  if (text.length < 512 * 1024) top = file.endsWith('.json') ? JSON.parse(text) : yaml.load(text, { schema: yaml.JSON_SCHEMA });
  else top = { openapi: /^\s{0,2}"?openapi"?\s*:/m.test(text) ? 'x' : undefined, swagger: /^\s{0,2}"?swagger"?\s*:/m.test(text) ? 'x' : undefined };
  if (top?.openapi !== undefined) return 'openapi';
  if (top?.swagger !== undefined) return 'swagger';
  return 'unknown';
}

export const ALL = walk(ROOT)
  .map((file) => path.relative(ROOT, file).split(path.sep).join('/'))
  .filter((rel) => !NOT_SPECS.has(rel) && (!rel.startsWith('multi-file/') || MULTI_FILE_ROOTS.includes(rel)));
export const KINDS = new Map(ALL.map((rel) => [rel, kindOf(path.join(ROOT, rel))]));
export const OPENAPI = ALL.filter((rel) => KINDS.get(rel) === 'openapi');
export const SWAGGER = ALL.filter((rel) => KINDS.get(rel) === 'swagger');

