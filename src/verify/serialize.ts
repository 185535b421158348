// Parameters and bodies on the wire, as OpenAPI says: path/query/header/cookie values by `style` and
// `explode` (simple, label, matrix, form, spaceDelimited, pipeDelimited, deepObject), bodies by media
// type (JSON, form-urlencoded with per-property `encoding`, multipart/form-data, text, bytes).
import type { MediaTypeSpec, ParameterSpec } from '../document/operations';

export interface WireParameters {
  /** Path template values, already encoded. */
  path: Record<string, string>;
  /** `key=value` pairs, already encoded. */
  query: string[];
  headers: Record<string, string>;
  cookies: string[];
}

export function emptyWire(): WireParameters {
  return { path: {}, query: [], headers: {}, cookies: [] };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Percent-encoding for path segments and query values (`allowReserved` keeps RFC 3986 reserved characters). */
function encode(value: string, allowReserved = false): string {
  const encoded = encodeURIComponent(value);
  if (!allowReserved) return encoded;
  return encoded.replace(/%(3A|2F|3F|23|5B|5D|40|21|24|26|27|28|29|2A|2B|2C|3B|3D)/gi, (m) => decodeURIComponent(m));
}

/** Adds one parameter's value to the wire form. */
export function serializeParameter(parameter: ParameterSpec, value: unknown, wire: WireParameters): void {
  const { name, style, explode } = parameter;
  if (parameter.contentType) {
    // A `content` parameter carries a serialised document (JSON for the JSON media types).
    const body = typeof value === 'string' && !/json/i.test(parameter.contentType) ? value : JSON.stringify(value);
    return place(parameter, body, wire, true);
  }
  switch (parameter.in) {
    case 'path':
      wire.path[name] = pathValue(name, style, explode, value);
      return;
    case 'query':
      wire.query.push(...queryPairs(parameter, value));
      return;
    case 'header':
      wire.headers[name] = simple(value, explode, (s) => s);
      return;
    case 'cookie':
      wire.cookies.push(`${name}=${simple(value, explode, (s) => encodeURIComponent(s))}`);
      return;
  }
}

function place(parameter: ParameterSpec, serialized: string, wire: WireParameters, _raw: boolean): void {
  switch (parameter.in) {
    case 'path':
      wire.path[parameter.name] = encodeURIComponent(serialized);
      return;
    case 'query':
      wire.query.push(`${encodeURIComponent(parameter.name)}=${encodeURIComponent(serialized)}`);
      return;
    case 'header':
      wire.headers[parameter.name] = serialized;
      return;
    case 'cookie':
      wire.cookies.push(`${parameter.name}=${encodeURIComponent(serialized)}`);
  }
}

/** `simple` style: `a,b,c`; objects `k,v,k2,v2` (or `k=v,k2=v2` exploded). */
function simple(value: unknown, explode: boolean, enc: (s: string) => string): string {
  if (Array.isArray(value)) return value.map((v) => enc(text(v))).join(',');
  if (isObject(value)) {
    return Object.entries(value)
      .map(([k, v]) => (explode ? `${enc(k)}=${enc(text(v))}` : `${enc(k)},${enc(text(v))}`))
      .join(',');
  }
  return enc(text(value));
}

function pathValue(name: string, style: string, explode: boolean, value: unknown): string {
  const enc = (s: string) => encodeURIComponent(s);
  if (style === 'label') {
    if (Array.isArray(value)) return `.${value.map((v) => enc(text(v))).join(explode ? '.' : ',')}`;
    if (isObject(value)) return `.${Object.entries(value).map(([k, v]) => (explode ? `${enc(k)}=${enc(text(v))}` : `${enc(k)},${enc(text(v))}`)).join(explode ? '.' : ',')}`;
    return `.${enc(text(value))}`;
  }
  if (style === 'matrix') {
    if (Array.isArray(value)) return explode ? value.map((v) => `;${name}=${enc(text(v))}`).join('') : `;${name}=${value.map((v) => enc(text(v))).join(',')}`;
    if (isObject(value)) {
      return explode ? Object.entries(value).map(([k, v]) => `;${enc(k)}=${enc(text(v))}`).join('') : `;${name}=${Object.entries(value).map(([k, v]) => `${enc(k)},${enc(text(v))}`).join(',')}`;
    }
    return `;${name}=${enc(text(value))}`;
  }
  return simple(value, explode, enc);
}

const DELIMITERS: Record<string, string> = { form: ',', spaceDelimited: '%20', pipeDelimited: '|' };

function queryPairs(parameter: ParameterSpec, value: unknown): string[] {
  const { name, style, explode, allowReserved } = parameter;
  const key = encodeURIComponent(name);
  const enc = (s: string) => encode(s, allowReserved);
  if (style === 'deepObject') return deepPairs(key, value, enc);
  if (Array.isArray(value)) {
    if (explode && style === 'form') return value.map((v) => `${key}=${enc(text(v))}`);
    return [`${key}=${value.map((v) => enc(text(v))).join(DELIMITERS[style] ?? ',')}`];
  }
  if (isObject(value)) {
    if (explode) return Object.entries(value).map(([k, v]) => `${encodeURIComponent(k)}=${enc(text(v))}`);
    return [`${key}=${Object.entries(value).map(([k, v]) => `${enc(k)},${enc(text(v))}`).join(DELIMITERS[style] ?? ',')}`];
  }
  return [`${key}=${enc(text(value))}`];
}

/** `name[k]=v`, nested objects as `name[k][j]=v`, arrays as `name[k][0]=v`. */
function deepPairs(prefix: string, value: unknown, enc: (s: string) => string): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => deepPairs(`${prefix}%5B${i}%5D`, v, enc));
  if (isObject(value)) return Object.entries(value).flatMap(([k, v]) => deepPairs(`${prefix}%5B${encodeURIComponent(k)}%5D`, v, enc));
  return [`${prefix}=${enc(text(value))}`];
}

export interface WireBody {
  contentType: string;
  bytes: Buffer;
}

/** A concrete media type for a declared one (`*\/*` → application/octet-stream, `image/*` → image/png). */
export function concreteMediaType(declared: string): string {
  const [type, ...params] = declared.split(';');
  const essence = type.trim().toLowerCase();
  let concrete = essence;
  if (essence === '*/*' || essence === 'application/*') concrete = 'application/octet-stream';
  else if (essence.endsWith('/*')) concrete = `${essence.slice(0, -2)}/${{ image: 'png', text: 'plain', audio: 'mpeg', video: 'mp4' }[essence.slice(0, -2)] ?? 'octet-stream'}`;
  return [concrete, ...params.map((p) => p.trim())].join('; ');
}

export function bodyKind(mediaType: string): 'json' | 'form' | 'multipart' | 'text' | 'binary' {
  const type = mediaType.split(';')[0].trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) return 'json';
  if (type === 'application/x-www-form-urlencoded') return 'form';
  if (type === 'multipart/form-data') return 'multipart';
  if (type.startsWith('text/') || type.endsWith('+xml') || type === 'application/xml') return 'text';
  return 'binary';
}

/** The body's bytes for its media type. `boundary` makes multipart bodies reproducible. */
export function serializeBody(media: MediaTypeSpec, value: unknown, boundary: string): WireBody {
  const contentType = concreteMediaType(media.mediaType);
  switch (bodyKind(contentType)) {
    case 'json':
      return { contentType, bytes: Buffer.from(JSON.stringify(value ?? null)) };
    case 'form':
      return { contentType, bytes: Buffer.from(formBody(value, media.encoding ?? {})) };
    case 'multipart':
      return { contentType: `multipart/form-data; boundary=${boundary}`, bytes: multipartBody(value, media, boundary) };
    case 'text':
      return { contentType, bytes: Buffer.from(typeof value === 'string' ? value : value === undefined ? 'specbind verify' : JSON.stringify(value)) };
    default:
      return { contentType, bytes: Buffer.isBuffer(value) ? value : Buffer.from(typeof value === 'string' ? value : 'specbind verify\n') };
  }
}

/** `application/x-www-form-urlencoded` by each property's encoding (form/explode by default). */
function formBody(value: unknown, encoding: NonNullable<MediaTypeSpec['encoding']>): string {
  if (!isObject(value)) return '';
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  const pairs: string[] = [];
  for (const [name, member] of Object.entries(value)) {
    if (member === undefined) continue;
    const rule = encoding[name] ?? {};
    const key = enc(name);
    if (rule.contentType && /json/i.test(rule.contentType)) {
      pairs.push(`${key}=${enc(JSON.stringify(member))}`);
      continue;
    }
    const style = rule.style ?? 'form';
    const explode = rule.explode ?? style === 'form';
    if (style === 'deepObject') pairs.push(...deepPairs(key, member, enc));
    else if (Array.isArray(member)) {
      if (explode && style === 'form') pairs.push(...member.map((m) => `${key}=${enc(text(m))}`));
      else pairs.push(`${key}=${member.map((m) => enc(text(m))).join(style === 'spaceDelimited' ? '+' : style === 'pipeDelimited' ? '|' : ',')}`);
    } else if (isObject(member)) {
      // Objects: members as their own keys when exploded (form), `k,v` pairs otherwise.
      if (explode) pairs.push(...Object.entries(member).map(([k, v]) => `${enc(k)}=${enc(text(v))}`));
      else pairs.push(`${key}=${Object.entries(member).map(([k, v]) => `${enc(k)},${enc(text(v))}`).join(',')}`);
    } else pairs.push(`${key}=${enc(text(member))}`);
  }
  return pairs.join('&');
}

function multipartBody(value: unknown, media: MediaTypeSpec, boundary: string): Buffer {
  const parts: Buffer[] = [];
  const encoding = media.encoding ?? {};
  const properties: Record<string, any> = (media.schema && typeof media.schema === 'object' && media.schema.properties) || {};
  const add = (name: string, content: Buffer | string, contentType?: string, filename?: string) => {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${name.replace(/"/g, '%22')}"${filename ? `; filename="${filename}"` : ''}\r\n`;
    if (contentType) head += `Content-Type: ${contentType}\r\n`;
    parts.push(Buffer.from(`${head}\r\n`), Buffer.isBuffer(content) ? content : Buffer.from(content), Buffer.from('\r\n'));
  };
  if (isObject(value)) {
    for (const [name, member] of Object.entries(value)) {
      if (member === undefined) continue;
      const declared = properties[name] ?? {};
      const rule = encoding[name] ?? {};
      const isFile = declared.format === 'binary' || declared.format === 'base64' || declared.contentMediaType !== undefined || (declared.items && (declared.items.format === 'binary' || declared.items.contentMediaType !== undefined));
      if (isFile) {
        const type = rule.contentType?.split(',')[0].trim() ?? declared.contentMediaType ?? 'application/octet-stream';
        const files = Array.isArray(member) ? member : [member];
        files.forEach((file, i) => add(name, typeof file === 'string' ? file : 'specbind verify\n', concreteMediaType(type), `file${i}.bin`));
      } else if (rule.contentType && /json/i.test(rule.contentType)) add(name, JSON.stringify(member), rule.contentType);
      else if (Array.isArray(member) && member.every((m) => m === null || typeof m !== 'object')) member.forEach((m) => add(name, text(m)));
      else if (member !== null && typeof member === 'object') add(name, JSON.stringify(member), 'application/json');
      else add(name, text(member));
    }
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(parts);
}
