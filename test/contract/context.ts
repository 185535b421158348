// What test/contract/run.ts (the runner) and test/contract/hooks.js (dredd's hooks, loaded in the same
// process) share: the server's URL and API key, the original document and its operations, the view
// dredd parses, the store switch, and the schema check every response goes through.
import { framingOf } from '../../src/replies/media';
import type { OpenApiDocument } from '../../src/document/load';
import type { OperationSpec, ResponseSpec } from '../../src/document/operations';
import type { SchemaCompiler } from '../../src/validation/compiler';
import type { DreddView } from './dredd-view';
import type { Fault } from './fault-store';
import { parseSse } from '../helpers/sse';

export { parseSse };

export interface PlannedTransaction {
  /** dredd's transaction id (`GET (200) /builds/…`), which is also the reported test's title. */
  id: string;
  name: string;
  operationId: string;
  status: string;
  /** Why the hooks skipped it, if they did. */
  skipped?: string;
}

export interface ContractContext {
  baseUrl: string;
  apiKey: string;
  document: OpenApiDocument;
  operations: OperationSpec[];
  view: DreddView;
  compiler: SchemaCompiler;
  /** A new, empty store (and no fault): every transaction starts from this. */
  resetStore(): void;
  setFault(fault: Fault): void;
  /** Filled by the hooks' beforeAll: every transaction dredd compiled, mapped to its operation. */
  plan: Map<string, PlannedTransaction>;
  /** Things the hooks tolerated but want shown in the summary (known runtime findings). */
  notes: Set<string>;
  /** Set by the hooks when they load, so the runner can tell a hookfile dredd failed to load. */
  hooksLoaded: boolean;
}

let current: ContractContext | undefined;

export function setContext(context: ContractContext): void {
  current = context;
}

export function getContext(): ContractContext {
  if (!current) throw new Error('test/contract/hooks.js runs inside test/contract/run.ts: use `npm run test:contract`');
  return current;
}

/** The original operation behind a dredd transaction (its view path template and method). */
export function operationFor(context: ContractContext, viewPath: string, method: string): OperationSpec | undefined {
  const path = context.view.originalPath.get(viewPath) ?? viewPath;
  return context.operations.find((op) => op.path === path && op.method === method.toLowerCase());
}

export function responseFor(op: OperationSpec, status: number): ResponseSpec | undefined {
  const keys = [String(status), `${String(status)[0]}XX`, 'default'];
  for (const key of keys) {
    const found = op.responses.find((r) => r.key.toUpperCase() === key);
    if (found) return found;
  }
  return undefined;
}

function isJson(mediaType: string): boolean {
  return /^application\/(?:[\w.+-]+\+)?json$/.test(mediaType);
}

/**
 * Everything dredd does not check about a response, against the original document: the status is
 * declared, the Content-Type is one the response declares, required headers are present, and the body
 * validates against its schema (types, formats, enums, patterns, additionalProperties, writeOnly, ...),
 * with the same Ajv setup specbind validates with. Returns the violations (empty when it conforms).
 */
export function checkResponse(
  context: ContractContext,
  op: OperationSpec,
  real: { statusCode: number; headers: Record<string, string | string[] | undefined>; body?: string },
): string[] {
  const response = responseFor(op, real.statusCode);
  if (!response) return [`status ${real.statusCode} is not declared for ${op.operationId}`];
  const violations: string[] = [];
  const header = (name: string) => {
    const value = Object.entries(real.headers).find(([k]) => k.toLowerCase() === name)?.[1];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  for (const h of response.headers) {
    if (h.required && header(h.name) === undefined) violations.push(`required header ${h.name} is missing`);
  }
  const body = real.body ?? '';
  if (response.content.length === 0) {
    if (body !== '') violations.push(`response ${response.key} declares no content, but a body was sent`);
    return violations;
  }
  const contentType = (header('content-type') ?? '').split(';')[0].trim().toLowerCase();
  const media = response.content.find((m) => m.mediaType.toLowerCase() === contentType);
  if (!media) {
    violations.push(`Content-Type "${contentType}" is not declared for ${response.key} (declared: ${response.content.map((m) => m.mediaType).join(', ')})`);
    return violations;
  }
  const sequence = readItems(media.mediaType, body);
  if (sequence) {
    violations.push(...sequence.errors);
    const pointer = media.itemSchemaPointer ?? media.schemaPointer;
    if (!pointer) return violations;
    const validate = context.compiler.validator('response', pointer);
    sequence.items.forEach((item, index) => {
      if (sequence.framing === 'sse' && (item as SseItem).event === 'error') return; // reported by readItems
      // A 3.0/3.1 schema of a text/event-stream may describe the event or only its data (as the runtime reads it).
      const data = (item as SseItem).data;
      const readings = sequence.framing === 'sse' && !media.itemSchemaPointer && data !== undefined ? [item, data] : [item];
      const results = readings.map((reading) => validate(reading));
      if (results.some((errors) => !errors)) return;
      for (const e of results[0] ?? []) violations.push(`item ${index}${e.pointer ? ` at ${e.pointer}` : ''}: ${e.message} (schema #${pointer})`);
    });
    return violations;
  }
  if (!isJson(media.mediaType) || !media.schemaPointer) return violations;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    violations.push(`body is not JSON: ${(error as Error).message}`);
    return violations;
  }
  const errors = context.compiler.validator('response', media.schemaPointer)(value);
  for (const e of errors ?? []) violations.push(`body${e.pointer ? ` at ${e.pointer}` : ''}: ${e.message} (schema #${media.schemaPointer})`);
  return violations;
}

/** A server-sent event as a client reads it: its fields, `retry` as a number, `data` parsed when it is JSON. */
export interface SseItem {
  event?: string;
  id?: string;
  retry?: number;
  data?: unknown;
}


/**
 * The items of a body of a sequential media type, as a client reads them: SSE events (SseItem),
 * JSON Lines or json-seq values; with what is wrong with the framing itself (a line that is not JSON,
 * an unterminated last line, an `error` event, which the runtime sends when it ends a stream on a
 * failure). Undefined for any other media type.
 */
export function readItems(mediaType: string, text: string): { framing: 'sse' | 'jsonl' | 'json-seq'; items: unknown[]; errors: string[] } | undefined {
  const framing = framingOf(mediaType);
  if (!framing) return undefined;
  const errors: string[] = [];
  const json = (raw: string, index: number): unknown => {
    try {
      return JSON.parse(raw);
    } catch (error) {
      errors.push(`item ${index} is not JSON: ${(error as Error).message}`);
      return undefined;
    }
  };
  if (framing === 'sse') {
    const items = parseSse(text).map((fields, index) => {
      const item: SseItem = {};
      if (fields.event !== undefined) item.event = fields.event;
      if (fields.id !== undefined) item.id = fields.id;
      if (fields.retry !== undefined) item.retry = /^\d+$/.test(fields.retry) ? Number(fields.retry) : (errors.push(`event ${index}: retry "${fields.retry}" is not a number`), undefined);
      if (fields.data !== undefined) {
        try {
          item.data = JSON.parse(fields.data);
        } catch {
          item.data = fields.data; // text data, as is
        }
      }
      if (item.event === 'error') errors.push(`event ${index} is an error event (the stream failed): ${fields.data}`);
      return item;
    });
    return { framing, items, errors };
  }
  if (text === '') return { framing, items: [], errors };
  const separator = framing === 'jsonl' ? '\n' : '\u001e';
  if (framing === 'jsonl' && !text.endsWith('\n')) errors.push('the last line is not terminated by a newline (an incomplete body?)');
  const records = text.split(separator).filter((record, i) => (framing === 'jsonl' ? record !== '' : i > 0 || record !== ''));
  return { framing, items: records.map((record, index) => json(record, index)), errors };
}

/** A response body as the hooks' scenarios read it: parsed JSON, the items of a sequential media type, else the text. */
export function bodyOf(real: { headers: Record<string, string | string[] | undefined>; body?: string }): unknown {
  const text = real.body ?? '';
  const header = Object.entries(real.headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
  const sequence = readItems(String(Array.isArray(header) ? header[0] : header ?? ''), text);
  if (sequence) return sequence.items;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
