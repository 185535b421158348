// Media-type matching for `Content-Type` (request bodies) and `Accept` (responses), wildcards included.

/** `Application/JSON; charset=utf-8` → `application/json`. */
export function essence(mediaType: string): string {
  const semi = mediaType.indexOf(';');
  return (semi === -1 ? mediaType : mediaType.slice(0, semi)).trim().toLowerCase();
}

export function isJsonMediaType(mediaType: string): boolean {
  let json = JSON_TYPES.get(mediaType);
  if (json === undefined) {
    const type = essence(mediaType);
    json = type === 'application/json' || type.endsWith('+json') || type === '*/*' || type === 'application/*';
    // Media types come from the document (and rarely a handler's contentType): few, so kept; bounded anyway.
    if (JSON_TYPES.size < 1024) JSON_TYPES.set(mediaType, json);
  }
  return json;
}

const JSON_TYPES = new Map<string, boolean>();

/** Whether `pattern` (which may be `type/*` or `*\/*`) admits the concrete `type`. */
export function mediaMatches(pattern: string, type: string): boolean {
  if (pattern === type || pattern === '*/*') return true;
  if (pattern.endsWith('/*')) return type.startsWith(pattern.slice(0, -1));
  return false;
}

interface AcceptEntry {
  type: string;
  q: number;
}

// Clients send the same few Accept headers again and again (`*/*`, `application/json`, a browser's):
// parsed once each. Bounded: a client sending a new one per request only refills it.
const ACCEPT_CACHE_SIZE = 256;
const parsedAccepts = new Map<string, readonly AcceptEntry[]>();

export function parseAccept(header: string | undefined): readonly AcceptEntry[] | undefined {
  if (!header) return undefined;
  let entries = parsedAccepts.get(header);
  if (!entries) {
    if (parsedAccepts.size >= ACCEPT_CACHE_SIZE) parsedAccepts.clear();
    parsedAccepts.set(header, (entries = Object.freeze(parseAcceptHeader(header))));
  }
  return entries;
}

function parseAcceptHeader(header: string): AcceptEntry[] {
  const entries: AcceptEntry[] = [];
  for (const part of header.split(',')) {
    const [type, ...params] = part.split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (type.trim() && q > 0) entries.push({ type: type.trim().toLowerCase(), q: Number.isFinite(q) ? q : 0 });
  }
  return entries.sort((a, b) => b.q - a.q);
}

/**
 * The first of `offered` (declared media types, in document order) that `accept` admits, by preference.
 * Undefined when nothing is acceptable; the first offered when there is no Accept header.
 */
export function negotiate(offered: string[], accept: readonly AcceptEntry[] | undefined): string | undefined {
  if (offered.length === 0) return undefined;
  if (!accept || accept.length === 0) return offered[0];
  for (const entry of accept) {
    const hit = offered.find((type) => mediaMatches(entry.type, essence(type)) || mediaMatches(essence(type), entry.type));
    if (hit) return hit;
  }
  return undefined;
}

/** How the items of a sequential media type are framed: server-sent events, one JSON text a line, or RFC 7464 records. */
export type Framing = 'sse' | 'jsonl' | 'json-seq';

const FRAMINGS: Record<string, Framing> = {
  'text/event-stream': 'sse',
  'application/jsonl': 'jsonl',
  'application/x-ndjson': 'jsonl',
  'application/x-jsonlines': 'jsonl',
  'application/jsonlines': 'jsonl',
  'application/json-seq': 'json-seq',
};

/** The framing of a sequential media type (OpenAPI 3.2's `itemSchema` media types), else undefined. */
export function framingOf(mediaType: string): Framing | null {
  let framing = FRAMING_CACHE.get(mediaType);
  if (framing === undefined) {
    framing = FRAMINGS[essence(mediaType)] ?? null;
    // Media types come from the document (and rarely a handler's contentType): few; bounded anyway.
    if (FRAMING_CACHE.size < 1024) FRAMING_CACHE.set(mediaType, framing);
  }
  return framing;
}

const FRAMING_CACHE = new Map<string, Framing | null>();

/** Text a body of this media type may be written as: `text/*`, XML, YAML, form data. */
export function isTextMediaType(mediaType: string): boolean {
  const type = essence(mediaType);
  return type.startsWith('text/') || type.endsWith('+xml') || type === 'application/xml' || type.endsWith('yaml') || type === 'application/x-www-form-urlencoded' || type === 'application/javascript';
}
