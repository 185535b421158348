// Loading an OpenAPI document: a file (YAML or JSON, `$ref`s across relative files) or an object,
// into one self-contained document whose `$ref`s are all internal.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { bundle } from '@apidevtools/json-schema-ref-parser';
import { StartupError } from '../errors';

export type Dialect = '3.0' | '3.1';

export interface LoadedSpec {
  /** The document with every `$ref` internal (`#/...`). Never mutated after loading. */
  document: OpenApiDocument;
  /** The file it came from, when it came from a file. */
  file?: string;
  /** '3.0' (JSON Schema draft-07 + `nullable`) or '3.1' (JSON Schema 2020-12; also used for 3.2). */
  dialect: Dialect;
}

export interface OpenApiDocument {
  openapi: string;
  info?: { title?: string; version?: string; [k: string]: unknown };
  servers?: Array<{ url: string; [k: string]: unknown }>;
  paths?: Record<string, any>;
  components?: Record<string, any>;
  security?: Array<Record<string, string[]>>;
  [k: string]: unknown;
}

export async function loadSpec(spec: string | object): Promise<LoadedSpec> {
  if (typeof spec !== 'string') {
    const document = structuredClone(spec) as OpenApiDocument;
    return { document, dialect: dialectOf(document, undefined) };
  }
  const file = path.resolve(spec);
  const parsed = parseFile(file) as OpenApiDocument;
  const dialect = dialectOf(parsed, file);
  const document = hasExternalRef(parsed) ? await bundleFile(file) : parsed;
  return { document, file, dialect };
}

function parseFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new StartupError(`Cannot read the OpenAPI document ${file}: ${(error as Error).message}`);
  }
  try {
    // JSON.parse is several times faster than the YAML parser on large JSON documents.
    if (file.endsWith('.json')) return JSON.parse(text);
    return yaml.load(text, { filename: file });
  } catch (error) {
    throw new StartupError(`Cannot parse the OpenAPI document ${file}: ${(error as Error).message}`);
  }
}

function dialectOf(document: any, file: string | undefined): Dialect {
  const where = file ?? 'the document object';
  if (!document || typeof document !== 'object') {
    throw new StartupError(`${where} is not an OpenAPI document (expected an object at #)`);
  }
  const version = document.openapi;
  if (typeof version !== 'string') {
    const hint = document.swagger ? ' It is Swagger 2.0: convert it to OpenAPI 3 (e.g. with swagger2openapi).' : '';
    throw new StartupError(`${where}#/openapi: missing the "openapi" version field.${hint}`);
  }
  if (/^3\.0\.\d+/.test(version)) return '3.0';
  if (/^3\.[12]\.\d+/.test(version)) return '3.1';
  throw new StartupError(`${where}#/openapi: unsupported OpenAPI version "${version}" (supported: 3.0.x, 3.1.x)`);
}

/** True when some `$ref` leaves the file; only then is the (slower) multi-file bundler needed. */
function hasExternalRef(node: unknown): boolean {
  const stack: unknown[] = [node];
  while (stack.length) {
    const current = stack.pop();
    if (Array.isArray(current)) {
      for (const item of current) if (item && typeof item === 'object') stack.push(item);
    } else if (current && typeof current === 'object') {
      for (const [key, value] of Object.entries(current)) {
        if (key === '$ref' && typeof value === 'string' && !value.startsWith('#')) return true;
        if (value && typeof value === 'object') stack.push(value);
      }
    }
  }
  return false;
}

async function bundleFile(file: string): Promise<OpenApiDocument> {
  try {
    // The bundler rewrites every cross-file `$ref` into an internal pointer to one inlined copy.
    return (await bundle(file, { resolve: { http: false } } as any)) as OpenApiDocument;
  } catch (error) {
    const message = (error as Error).message;
    throw new StartupError(`Cannot resolve the $refs of ${file}: ${message}`);
  }
}
