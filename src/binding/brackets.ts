// Bracketed keys, as deepObject query parameters and form bodies write nested values:
// `card[address][city]=x` → { card: { address: { city: 'x' } } }; `expand[]=a&expand[]=b` and
// `items[0]=a&items[1]=b` → arrays (OpenAPI leaves arrays in deepObject undefined; Stripe relies on them).
import { setOwn } from './safe';

/**
 * Deepest nesting a bracketed key may ask for. The nested value is built and walked recursively
 * (arrays, coercion, validation): `a[x][x]…` 10,000 levels deep, a 30 KB key, overflowed the stack.
 * A deeper key is no bracket path: it stays a literal name (an undeclared field or query key).
 */
export const MAX_BRACKET_DEPTH = 32;

/** `[address][city]` → ['address', 'city']; undefined unless the whole rest is brackets (at most MAX_BRACKET_DEPTH). */
export function bracketPath(rest: string): string[] | undefined {
  if (!rest.startsWith('[')) return undefined;
  const parts: string[] = [];
  const pattern = /\[([^\][]*)\]/y;
  let end = 0;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(rest))) {
    if (parts.length === MAX_BRACKET_DEPTH) return undefined;
    parts.push(match[1]);
    end = pattern.lastIndex;
  }
  return end === rest.length && parts.length ? parts : undefined;
}

/** Sets `values` at `path` inside `root` (several values, or a `[]` member, make a list). */
export function setAtPath(root: Record<string, unknown>, path: string[], values: string[]): void {
  let node: Record<string, unknown> = root;
  for (let i = 0; i < path.length - 1; i++) {
    const existing = Object.prototype.hasOwnProperty.call(node, path[i]) ? node[path[i]] : undefined;
    if (!existing || typeof existing !== 'object' || Array.isArray(existing)) setOwn(node, path[i], {});
    node = node[path[i]] as Record<string, unknown>;
  }
  const leaf = path[path.length - 1];
  const previous = Object.prototype.hasOwnProperty.call(node, leaf) ? node[leaf] : undefined;
  if (leaf === '') setOwn(node, leaf, [...(Array.isArray(previous) ? previous : []), ...values]);
  else setOwn(node, leaf, values.length > 1 ? values : values[0]);
}

/** Objects whose keys are all indexes (`0`, `1`) or `[]` become arrays, at every depth. */
export function indexedToArrays(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const out: Record<string, unknown> = {};
  for (const key of keys) setOwn(out, key, indexedToArrays((value as Record<string, unknown>)[key]));
  if (keys.length === 0 || !keys.every((k) => k === '' || /^\d+$/.test(k))) return out;
  const indexed = keys.filter((k) => k !== '').sort((a, b) => Number(a) - Number(b)).map((k) => out[k]);
  const appended = out[''] === undefined ? [] : Array.isArray(out['']) ? (out[''] as unknown[]) : [out['']];
  return [...indexed, ...appended];
}
