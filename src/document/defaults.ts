// Defaults a request may receive: of a parameter, of a request body, of any property or item inside
// them. Each one reaches the handler in place of what the client left out, so one its own schema
// rejects would hand the handler a value of the wrong type past validation (a `type: integer` with
// `default: 'error'`): such a document is refused at startup, as connexion refuses it.
import type { StartupProblem } from '../errors';
import { fragmentPointer, type OperationSpec } from './operations';
import { escapeToken, resolvePointer } from './pointer';

/** A `default` found in a request schema: the pointer of the schema that carries it, and its value. */
export interface FoundDefault {
  pointer: string;
  value: unknown;
}

const MAX_DEPTH = 48;
/** Keywords whose value is a schema, or a map or list of schemas. */
const SCHEMA_MAPS = ['properties', 'patternProperties', 'dependentSchemas'];
const SCHEMA_LISTS = ['allOf', 'oneOf', 'anyOf', 'prefixItems'];
const SCHEMA_SINGLES = ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedProperties', 'unevaluatedItems'];

/** Where a schema is, built only when a default is found there (most schemas have none). */
interface Path {
  parent?: Path;
  /** A JSON pointer (at the root of a walk or of a `$ref` target), or one token below `parent`. */
  text: string;
}

function pointerOf(path: Path): string {
  const tokens: string[] = [];
  let at: Path | undefined = path;
  for (; at.parent; at = at.parent) tokens.push(escapeToken(at.text));
  return at.text + (tokens.length ? `/${tokens.reverse().join('/')}` : '');
}

/**
 * Every default under `schema` (at `at`), `$ref`s followed into the document (a default reached
 * through a `$ref` has the pointer of where it is written). `visited` is shared by the caller across
 * schemas: a component many operations reach is walked once. readOnly properties are left out: a
 * request never carries them (the validator forbids them).
 */
export function requestDefaults(document: unknown, schema: unknown, at: string, visited = new Set<object>()): FoundDefault[] {
  const found: FoundDefault[] = [];
  const walk = (node: unknown, path: Path, depth: number): void => {
    if (!node || typeof node !== 'object' || Array.isArray(node) || depth > MAX_DEPTH || visited.has(node)) return;
    visited.add(node);
    const schemaNode = node as Record<string, any>;
    if (schemaNode.readOnly === true) return;
    if (typeof schemaNode.$ref === 'string' && schemaNode.$ref.startsWith('#/')) walk(resolvePointer(document, schemaNode.$ref), { text: fragmentPointer(schemaNode.$ref) }, depth + 1);
    if (Object.prototype.hasOwnProperty.call(schemaNode, 'default')) found.push({ pointer: pointerOf(path), value: schemaNode.default });
    for (const key of SCHEMA_MAPS) {
      const map = schemaNode[key];
      if (map && typeof map === 'object') {
        const keyPath = { parent: path, text: key };
        for (const name in map) walk(map[name], { parent: keyPath, text: name }, depth + 1);
      }
    }
    for (const key of SCHEMA_LISTS) {
      const list = schemaNode[key];
      if (Array.isArray(list)) for (let i = 0; i < list.length; i++) walk(list[i], { parent: { parent: path, text: key }, text: String(i) }, depth + 1);
    }
    for (const key of SCHEMA_SINGLES) {
      const value = schemaNode[key];
      if (value && typeof value === 'object') {
        if (Array.isArray(value)) for (let i = 0; i < value.length; i++) walk(value[i], { parent: { parent: path, text: key }, text: String(i) }, depth + 1);
        else walk(value, { parent: path, text: key }, depth + 1);
      }
    }
  };
  walk(schema, { text: at }, 0);
  return found;
}


/**
 * The defaults of an operation's parameters and request body that their own schema rejects, as startup
 * problems naming the operation and the pointer. `validatorAt` checks a value against the schema at a
 * pointer (the request validator), or throws when that schema cannot be compiled (reported elsewhere).
 */
export function invalidDefaults(
  spec: OperationSpec,
  document: unknown,
  validatorAt: (pointer: string) => (value: unknown) => ReadonlyArray<{ pointer: string; message: string }> | null,
  visited = new Set<object>(),
): StartupProblem[] {
  const problems: StartupProblem[] = [];
  const sites: FoundDefault[] = [];
  for (const parameter of spec.parameters) if (parameter.schemaPointer) sites.push(...requestDefaults(document, parameter.schema, parameter.schemaPointer, visited));
  for (const media of spec.requestBody?.content ?? []) if (media.schemaPointer) sites.push(...requestDefaults(document, media.schema, media.schemaPointer, visited));
  for (const site of sites) {
    let violations: ReturnType<ReturnType<typeof validatorAt>>;
    try {
      // A copy: the request validator fills nested defaults into what it checks.
      violations = validatorAt(site.pointer)(structuredClone(site.value));
    } catch {
      continue;
    }
    if (violations) {
      const first = violations[0];
      problems.push({
        method: spec.method,
        path: spec.path,
        operationId: spec.operationId,
        pointer: `${site.pointer}/default`,
        message: `the default ${JSON.stringify(site.value)} is not valid against its own schema (${first.pointer ? `${first.pointer} ` : ''}${first.message}): a request that leaves the value out would hand it to the handler`,
        fix: 'correct the default, or the schema',
      });
    }
  }
  return problems;
}
