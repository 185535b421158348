// Loading an OpenAPI document: a file (YAML or JSON, `$ref`s across relative files) or an object,
// into one self-contained document whose `$ref`s are all internal.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { StartupError, type StartupProblem } from '../errors';
import { jsonText, parseJsonText } from './json-text';
import { pointer, resolvePointer } from './pointer';
import { STOP, walkMembers } from './walk';

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
  const { parsed, text } = parseFile(file);
  const dialect = dialectOf(parsed, file);
  const document = !onlyLocalRefs(text) && hasExternalRef(parsed) ? await bundleFile(file, parsed as object) : (parsed as OpenApiDocument);
  return { document, file, dialect };
}

/**
 * YAML 1.2's core schema (as the OpenAPI specification asks, and as the multi-file bundler reads), plus
 * merge keys: no YAML 1.1 timestamps, so `example: 2024-01-01` stays the string it is in JSON, not a Date.
 */
const OPENAPI_YAML = yaml.CORE_SCHEMA.extend({ implicit: [(yaml as any).types.merge] });

function parseFile(file: string): { parsed: unknown; text: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new StartupError(`Cannot read the OpenAPI document ${file}: ${(error as Error).message}`);
  }
  try {
    // JSON.parse is several times faster than the YAML parser on large JSON documents, and faster
    // still on one-byte text (src/document/json-text.ts).
    if (file.endsWith('.json')) {
      const json = jsonText(bytes);
      return { parsed: parseJsonText(json, bytes), text: json };
    }
    // A Buffer decoded in one step is faster than readFileSync(file, 'utf8').
    const text = bytes.toString('utf8');
    return { parsed: yaml.load(text, { filename: file, schema: OPENAPI_YAML }), text };
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

/**
 * `$ref` written as a key whose value starts `#/`: quoted (`"$ref": "#/…"`, `$ref: '#/…'`) or as a YAML
 * block scalar (`$ref: >-` then `#/…` on the next line, as Stripe writes long ones). An unquoted `#` in
 * YAML starts a comment, so it does not count.
 */
const LOCAL_REF = /\$ref['"]?[ \t]*:[ \t]*(?:['"]|[>|][-+]?[ \t]*\r?\n[ \t]+)#\//y;

/**
 * True when every `$ref` in the file's text is a key whose value is `#/…` on the same line: then no
 * `$ref` leaves the file, and the walk of the parsed document (65 ms on GitHub's) is not needed.
 * Conservative: a `$ref` anywhere else (in a description, a flow key, an escaped key) says "maybe".
 */
function onlyLocalRefs(text: string): boolean {
  // An escaped `$` could spell a `$ref` key the scan below would not see. Found backslash by backslash:
  // V8 searches a two-byte string for a one-character needle far faster than for '\\u0024' (2 ms
  // against 20 on GitHub's 13 MB).
  for (let at = text.indexOf('\\'); at !== -1; at = text.indexOf('\\', at + 2)) {
    if (text.startsWith('u0024', at + 1) || text.startsWith('x24', at + 1) || text.startsWith('U00000024', at + 1)) return false;
  }
  for (let at = text.indexOf('$ref'); at !== -1; at = text.indexOf('$ref', at + 4)) {
    // JSON as written by JSON.stringify (pretty or not) first: no regex for those.
    if (text.startsWith('": "#/', at + 4) || text.startsWith('":"#/', at + 4)) continue;
    LOCAL_REF.lastIndex = at;
    if (!LOCAL_REF.test(text)) return false;
  }
  return true;
}

/** True when some `$ref` leaves the file; only then is the (slower) multi-file bundler needed. */
function hasExternalRef(node: unknown): boolean {
  return walkMembers(node, (key, value) => (key === '$ref' && typeof value === 'string' && !value.startsWith('#') ? STOP : undefined));
}

async function bundleFile(file: string, parsed: unknown): Promise<OpenApiDocument> {
  try {
    // The bundler rewrites every cross-file `$ref` into an internal pointer to one inlined copy.
    // `continueOnError` collects every broken `$ref`, each with the path where it sits.
    // Loaded only for multi-file documents (32 ms of module loading otherwise spent at every start).
    const { bundleDocument } = await import('./bundle');
    return (await bundleDocument(file, { resolve: { http: false }, continueOnError: true })) as OpenApiDocument;
  } catch (error) {
    const errors: any[] = Array.isArray((error as any)?.errors) ? (error as any).errors : [error];
    const problems: StartupProblem[] = errors.map((e) => refProblem(e, file, parsed));
    throw new StartupError(`Cannot resolve the $refs of ${file}: ${problems.length} problem(s):`, problems);
  }
}

/** One bundler error as a startup problem: where the `$ref` is (file#pointer), the `$ref` as written, and why. */
function refProblem(error: any, file: string, parsed: unknown): StartupProblem {
  const message = String(error?.message ?? error);
  if (!Array.isArray(error?.path)) return { file, message };
  const at = pointer(...error.path);
  const node = resolvePointer(parsed, at) as any;
  const ref = node && typeof node.$ref === 'string' ? node.$ref : undefined;
  return { file, pointer: at, message: ref ? `$ref "${ref}" cannot be resolved: ${message}` : message, fix: 'fix the reference or add the target' };
}
