// multipart/form-data bodies (busboy): text fields coerced like form fields, files delivered as
// objects with their bytes; per-file, file-count and total limits answered with 413.
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { HttpError } from '../errors';
import type { Shape } from './shape';
import { coerceDeep } from './shape';
import { setOwn } from './safe';

/** An uploaded file as the handler receives it. */
export interface UploadedFile {
  /** The form field it came in. */
  field: string;
  /** The client's file name, if it sent one. */
  filename?: string;
  /** Its declared media type. */
  type: string;
  size: number;
  content: Buffer;
}

export interface MultipartLimits {
  /** Largest single file, in bytes. */
  fileSize: number;
  /** Most files in one request. */
  files: number;
  /** Largest request body in all, in bytes. */
  total: number;
}

export function isUploadedFile(value: unknown): value is UploadedFile {
  return !!value && typeof value === 'object' && Buffer.isBuffer((value as UploadedFile).content) && typeof (value as UploadedFile).field === 'string';
}

/** Most parts (fields and files) one body may have. */
const MAX_PARTS = 1000;

/** Reads the parts; fields per `shape` (an array property collects repeated parts), JSON-encoded parts parsed. */
export function parseMultipart(request: Readable, contentType: string | undefined, shape: Shape, jsonFields: Set<string>, limits: MultipartLimits): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: { 'content-type': contentType }, limits: { fileSize: limits.fileSize, files: limits.files, fields: MAX_PARTS, parts: MAX_PARTS } });
    } catch (error) {
      reject(HttpError.of('malformedBody', `the multipart body cannot be read: ${(error as Error).message}`, { errors: [{ in: 'body', pointer: '', message: 'is not valid multipart/form-data' }] }));
      return;
    }
    const out: Record<string, unknown> = {};
    let total = 0;
    let failed = false;
    const fail = (error: HttpError) => {
      if (failed) return;
      failed = true;
      request.unpipe(parser);
      // A malformed body is drained so the connection can be reused; an oversized one is not read further.
      if (error.status !== 413) request.resume();
      reject(error);
    };
    // The rest of an oversized upload is not read: the 413 closes the connection.
    const tooLarge = (detail: string) => fail(HttpError.of('payloadTooLarge', detail, { headers: { connection: 'close' } }));
    /** `json`: the part was a JSON document; for an array property, a JSON array is its items (connexion sends the array as one part). */
    const add = (name: string, value: unknown, json = false) => {
      const property = shape.properties?.[name];
      const many = property?.types.includes('array');
      const existing = Object.prototype.hasOwnProperty.call(out, name) ? out[name] : undefined;
      if (many && json && Array.isArray(value)) setOwn(out, name, [...((existing as unknown[]) ?? []), ...value]);
      else if (many) setOwn(out, name, [...((existing as unknown[]) ?? []), value]);
      else if (existing === undefined) setOwn(out, name, value);
      else setOwn(out, name, Array.isArray(existing) ? [...existing, value] : [existing, value]);
    };

    parser.on('field', (name, value, info) => {
      total += Buffer.byteLength(value);
      if (total > limits.total) return tooLarge(`the body is over the limit of ${limits.total} bytes`);
      if (info.valueTruncated) return tooLarge(`field "${name}" is too long`);
      if (jsonFields.has(name) || /json/i.test(info.mimeType ?? '')) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(value);
        } catch {
          fail(HttpError.of('malformedBody', `part "${name}" is not valid JSON`, { errors: [{ in: 'body', pointer: `/${name}`, message: 'is not valid JSON' }] }));
          return;
        }
        add(name, parsed, true);
        return;
      }
      add(name, coerceDeep(value, shape.properties?.[name]?.items ?? shape.properties?.[name] ?? { types: [], hasDefault: false }));
    });
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        total += chunk.length;
        if (total > limits.total) {
          stream.resume();
          return tooLarge(`the body is over the limit of ${limits.total} bytes`);
        }
        chunks.push(chunk);
      });
      stream.on('limit', () => tooLarge(`file "${info.filename ?? name}" is over the limit of ${limits.fileSize} bytes`));
      stream.on('end', () => {
        if (failed) return;
        const content = Buffer.concat(chunks, size);
        // A part the encoding declares as JSON is a value, even when the client sent it as a file part.
        if (jsonFields.has(name)) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(content.toString('utf8'));
          } catch {
            fail(HttpError.of('malformedBody', `part "${name}" is not valid JSON`, { errors: [{ in: 'body', pointer: `/${name}`, message: 'is not valid JSON' }] }));
            return;
          }
          add(name, parsed, true);
          return;
        }
        add(name, { field: name, filename: info.filename || undefined, type: info.mimeType, size, content } satisfies UploadedFile);
      });
    });
    parser.on('filesLimit', () => tooLarge(`more than ${limits.files} files`));
    // Past these busboy drops further parts without a word: a part sent after them (a required file)
    // would be reported missing, and the handler would get a truncated body. Refuse the body instead.
    parser.on('fieldsLimit', () => tooLarge(`more than ${MAX_PARTS} fields`));
    parser.on('partsLimit', () => tooLarge(`more than ${MAX_PARTS} parts`));
    parser.on('error', (error: Error) => fail(HttpError.of('malformedBody', `the multipart body cannot be read: ${error.message}`, { errors: [{ in: 'body', pointer: '', message: 'is not valid multipart/form-data' }] })));
    parser.on('close', () => {
      if (!failed) resolve(out);
    });
    request.pipe(parser);
  });
}

/**
 * The body as the validator sees it: each file stands as its file name (schemas declare files as binary strings).
 * Files are parts (depth 1) or repeated parts (depth 2); deeper values are a JSON part's own, left as they
 * are, so a JSON part nested 10,000 levels cannot overflow the stack here.
 */
export function forValidation(value: unknown, depth = 0): unknown {
  if (isUploadedFile(value)) return value.filename ?? '';
  if (depth >= 2) return value;
  if (Array.isArray(value)) return value.map((item) => forValidation(item, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) setOwn(out, key, forValidation(member, depth + 1));
    return out;
  }
  return value;
}

/** Binary properties (`format: binary`, or arrays of them) that arrived as text fields instead of files. */
export function textWhereFileDeclared(value: Record<string, unknown>, shape: Shape): string[] {
  const wrong: string[] = [];
  for (const [name, property] of Object.entries(shape.properties ?? {})) {
    if (!Object.prototype.hasOwnProperty.call(value, name)) continue;
    const member = value[name];
    if (property.binary && !isUploadedFile(member)) wrong.push(name);
    else if (property.items?.binary && Array.isArray(member) && !member.every(isUploadedFile)) wrong.push(name);
  }
  return wrong;
}
