// A segment trie from OpenAPI path templates to a store per method. `find` is pure (no req/res) and
// its cost depends on the path's depth, not on how many operations the document has.

interface PatternChild<T> {
  /** The segment template with names erased, e.g. `{}.json`: two routes with the same shape share a child. */
  shape: string;
  regex: RegExp;
  node: TrieNode<T>;
}

interface Route<T> {
  store: T;
  paramNames: string[];
}

interface TrieNode<T> {
  statics: Map<string, TrieNode<T>>;
  patterns: PatternChild<T>[];
  param?: TrieNode<T>;
  routes?: Map<string, Route<T>>;
}

export type RouteMatch<T> =
  | { kind: 'found'; store: T; params: Record<string, string> }
  | { kind: 'methodNotAllowed'; allowed: string[] }
  | { kind: 'notFound' };

const newNode = <T>(): TrieNode<T> => ({ statics: new Map(), patterns: [] });
const TEMPLATE = /\{([^}]+)\}/g;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class Router<T> {
  private readonly root: TrieNode<T> = newNode();
  private readonly table: Array<{ method: string; template: string }> = [];

  /** Adds `method template` (e.g. `GET`, `/builds/{image-name}`); a duplicate is an error. */
  add(method: string, template: string, store: T): void {
    let node = this.root;
    const paramNames: string[] = [];
    for (const segment of splitPath(template)) {
      const names = [...segment.matchAll(TEMPLATE)].map((m) => m[1]);
      if (names.length === 0) {
        let child = node.statics.get(segment);
        if (!child) node.statics.set(segment, (child = newNode()));
        node = child;
      } else if (names.length === 1 && segment === `{${names[0]}}`) {
        node = node.param ??= newNode();
      } else {
        // A segment mixing literals and templates (`{sid}.json`, `{a}-{b}`): a regex per segment shape.
        const shape = segment.replace(TEMPLATE, '{}');
        let child = node.patterns.find((p) => p.shape === shape);
        if (!child) {
          const source = shape.split('{}').map(escapeRegex).join('(.+?)');
          child = { shape, regex: new RegExp(`^${source}$`), node: newNode() };
          node.patterns.push(child);
        }
        node = child.node;
      }
      paramNames.push(...names);
    }
    node.routes ??= new Map();
    const key = method.toUpperCase();
    if (node.routes.has(key)) throw new Error(`duplicate route ${key} ${template}`);
    node.routes.set(key, { store, paramNames });
    this.table.push({ method: key, template });
  }

  find(method: string, path: string): RouteMatch<T> {
    const segments = splitPath(path);
    const values: string[] = [];
    const leaves: TrieNode<T>[] = [];
    const key = method.toUpperCase();
    let found: Route<T> | undefined;

    const visit = (node: TrieNode<T>, index: number): boolean => {
      if (index === segments.length) {
        if (!node.routes) return false;
        const route = node.routes.get(key);
        if (route) {
          found = route;
          return true;
        }
        leaves.push(node);
        return false;
      }
      const raw = segments[index];
      const literal = node.statics.get(raw) ?? (raw.includes('%') ? node.statics.get(safeDecode(raw)) : undefined);
      if (literal && visit(literal, index + 1)) return true;
      for (const pattern of node.patterns) {
        const m = pattern.regex.exec(raw);
        if (!m) continue;
        const depth = values.length;
        values.push(...m.slice(1));
        if (visit(pattern.node, index + 1)) return true;
        values.length = depth;
      }
      if (node.param && raw !== '') {
        values.push(raw);
        if (visit(node.param, index + 1)) return true;
        values.pop();
      }
      return false;
    };

    if (visit(this.root, 0) && found) {
      // Values stay percent-encoded: splitting by style (`a,b`, `;x=1`) must happen before decoding.
      const params: Record<string, string> = {};
      found.paramNames.forEach((name, i) => (params[name] = values[i]));
      return { kind: 'found', store: found.store, params };
    }
    if (leaves.length) {
      const allowed = new Set<string>();
      for (const leaf of leaves) for (const m of leaf.routes!.keys()) allowed.add(m);
      return { kind: 'methodNotAllowed', allowed: [...allowed].sort() };
    }
    return { kind: 'notFound' };
  }

  /** The route table, for startup logs and debugging. */
  routes(): ReadonlyArray<{ method: string; template: string }> {
    return this.table;
  }
}

/** `/a/b` → ['a', 'b']; `/` → []. The leading slash is implied; a trailing slash is an empty last segment. */
function splitPath(path: string): string[] {
  const trimmed = path.startsWith('/') ? path.slice(1) : path;
  return trimmed === '' ? [] : trimmed.split('/');
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
