// RFC 6901 JSON pointers: building them for error messages and following them inside a document.

export function escapeToken(token: string | number): string {
  const text = String(token);
  return text.includes('~') || text.includes('/') ? text.replace(/~/g, '~0').replace(/\//g, '~1') : text;
}

export function unescapeToken(token: string): string {
  return token.includes('~') ? token.replace(/~1/g, '/').replace(/~0/g, '~') : token;
}

export function pointer(...tokens: Array<string | number>): string {
  return tokens.map((t) => `/${escapeToken(t)}`).join('');
}

/** Follows `#/a/b` (or `/a/b`) inside `root`; undefined when any step is missing. */
export function resolvePointer(root: unknown, ref: string): unknown {
  const path = ref.startsWith('#') ? ref.slice(1) : ref;
  if (path === '') return root;
  let node: any = root;
  for (const raw of path.split('/').slice(1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = node[unescapeToken(raw.includes('%') ? decodeURIComponent(raw) : raw)];
  }
  return node;
}
