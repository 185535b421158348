// Requests as the document means them, where dredd 14 cannot build them (used by hooks.js):
//
// * query parameters dredd-view.ts left out (dashed names, `style: deepObject`), serialised from
//   their examples by their style: `cull-timeout=3600`, `filter[status]=running&filter[limit]=10`;
// * request bodies dredd sends empty: its OpenAPI 3 parser reads no example for
//   `application/x-www-form-urlencoded` or `multipart/form-data` ("'example' is not supported for
//   media type"), and it cannot make a multipart boundary. The hooks build them from the document's
//   example: `name=fred`, or a real multipart body whose Content-Type names its boundary.
import { randomBytes } from 'node:crypto';
import type { OperationSpec } from '../../src/document/operations';
import type { ContractContext } from './context';
import type { DroppedQueryParameter } from './dredd-view';

const enc = encodeURIComponent;

/** `name=value` pairs (unencoded) for one query parameter's value, by its style (OpenAPI 3.0 §Style Values). */
export function queryPairs(p: Pick<DroppedQueryParameter, 'name' | 'style' | 'explode'>, value: unknown): Array<[string, string]> {
  if (value === undefined) return [];
  if (p.style === 'deepObject') {
    const pairs: Array<[string, string]> = [];
    const walk = (prefix: string, node: unknown) => {
      if (node && typeof node === 'object' && !Array.isArray(node)) {
        for (const [key, member] of Object.entries(node)) walk(`${prefix}[${key}]`, member);
      } else pairs.push([prefix, String(node)]);
    };
    walk(p.name, value);
    return pairs;
  }
  if (Array.isArray(value)) {
    const delimiter = p.style === 'spaceDelimited' ? ' ' : p.style === 'pipeDelimited' ? '|' : ',';
    return p.explode ? value.map((v) => [p.name, String(v)]) : [[p.name, value.map(String).join(delimiter)]];
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, String(v)] as [string, string]);
    return p.explode ? entries : [[p.name, entries.flat().join(',')]];
  }
  return [[p.name, String(value)]];
}

/** The query string (without `?`) for the dropped parameters' examples. Brackets stay literal, as clients send them. */
export function queryString(dropped: DroppedQueryParameter[]): string {
  return dropped
    .flatMap((d) => queryPairs(d, d.example))
    .map(([name, value]) => `${enc(name).replace(/%5B/g, '[').replace(/%5D/g, ']')}=${enc(value)}`)
    .join('&');
}

export interface Part {
  name: string;
  value: string;
  /** Makes the part a file (`Content-Disposition: ...; filename=`). */
  filename?: string;
  type?: string;
}

/** A multipart/form-data body and the Content-Type that names its boundary. */
export function multipart(parts: Part[]): { body: string; contentType: string } {
  const boundary = `contract-${randomBytes(12).toString('hex')}`;
  const chunks: string[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename}"\r\nContent-Type: ${part.type ?? 'application/octet-stream'}`;
    chunks.push(`${head}\r\n\r\n${part.value}\r\n`);
  }
  chunks.push(`--${boundary}--\r\n`);
  return { body: chunks.join(''), contentType: `multipart/form-data; boundary=${boundary}` };
}

function resolve(context: ContractContext, node: any): any {
  let current = node;
  for (let hops = 0; current && typeof current.$ref === 'string' && current.$ref.startsWith('#/') && hops < 20; hops++) {
    current = current.$ref
      .slice(2)
      .split('/')
      .map((t: string) => decodeURIComponent(t).replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((n: any, t: string) => (n == null ? n : n[t]), context.document);
  }
  return current;
}

/** The parts of a multipart example: properties the schema declares binary become file parts (named after the property). */
export function exampleParts(context: ContractContext, op: OperationSpec, example: Record<string, unknown> = exampleOf(op, 'multipart/form-data') as any): Part[] {
  const media = op.requestBody?.content.find((m) => m.mediaType === 'multipart/form-data');
  const properties = resolve(context, media?.schema)?.properties ?? {};
  return Object.entries(example).map(([name, value]) => {
    const schema = resolve(context, properties[name]) ?? {};
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return schema.type === 'string' && schema.format === 'binary' ? { name, value: text, filename: name } : { name, value: text };
  });
}

export function exampleOf(op: OperationSpec, mediaType: string): unknown {
  return op.requestBody?.content.find((m) => m.mediaType === mediaType)?.example;
}

/**
 * The body dredd should have sent for the request's (declared, parameterless) Content-Type, built from
 * the document's example; undefined for media types dredd serialises itself (JSON).
 */
export function exampleBody(context: ContractContext, op: OperationSpec, contentType: string): { body: string; contentType: string } | undefined {
  const type = contentType.split(';')[0].trim().toLowerCase();
  const example = exampleOf(op, type);
  if (example === undefined) return undefined;
  if (type === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(example as Record<string, unknown>)) {
      for (const [key, v] of queryPairs({ name, style: 'form', explode: true }, value)) form.append(key, v);
    }
    return { body: form.toString(), contentType: type };
  }
  if (type === 'multipart/form-data') return multipart(exampleParts(context, op, example as Record<string, unknown>));
  return undefined;
}
