// What dredd 14 is given instead of openapi/api.yaml itself: the same document, with the parameter
// names dredd's OpenAPI 3 parser cannot handle made parseable. Nothing else changes, and the requests
// dredd sends are byte for byte the ones the original document describes:
//
// * a path parameter may only be named [A-Za-z0-9._] in dredd (@apielements/openapi3-parser:
//   "'name' contains unsupported characters. Only alphanumeric characters are currently supported"),
//   so `{image-name}` becomes `{image_name}`. Its value is what goes into the URL, never its name, so
//   the request is unchanged.
// * a query parameter's name goes into an RFC 6570 URI template (`{?cull-timeout}`), which does not
//   allow `-` either, and dredd drops the whole operation with a warning. Such parameters are left out
//   of the view, and the hooks put the original name with its example back into the query string.
// * a `style: deepObject` query parameter has no RFC 6570 form: dredd expands an object example as
//   `?status=running&limit=10`, which the server reads as unknown parameters (ignored), so the filter
//   would silently not be sent. It is left out too, and the hooks add it back as
//   `filter[status]=running&filter[limit]=10` (test/contract/requests.ts).
//
// Request bodies are not rewritten: dredd sends an empty body for `application/x-www-form-urlencoded`
// and `multipart/form-data` (its parser does not read their examples), and the hooks build the real
// body from the document's example (requests.ts).
//
// The hooks map every transaction back to the original document (`originalPath`), so response bodies
// are validated against the original schemas, and coverage is counted per original operation.

/** The path parameter names dredd accepts (parseParameterObject.js's pathNameAllowedRegex, minus A-z's punctuation). */
const PATH_NAME = /^[A-Za-z0-9._]+$/;
/** RFC 6570 `varname` without %-escapes (dredd looks a %-escaped name up decoded, and misses). */
const QUERY_NAME = /^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*$/;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export interface DroppedQueryParameter {
  /** The original path template and lower-case method. */
  path: string;
  method: string;
  name: string;
  /** The parameter's serialisation (`form` unless the document says otherwise). */
  style: string;
  explode: boolean;
  example: unknown;
}

/** A query parameter dredd cannot put into a request as the document means it. */
function unsendable(parameter: any): string | undefined {
  if (parameter?.in !== 'query') return undefined;
  if (!QUERY_NAME.test(parameter.name)) return `query parameter "${parameter.name}" left out (added back from its example by the hooks)`;
  if (parameter.style === 'deepObject') {
    return `query parameter "${parameter.name}" (style deepObject) left out (added back from its example by the hooks, as ${parameter.name}[member]=value)`;
  }
  return undefined;
}

export interface DreddView {
  /** The document dredd parses. */
  document: any;
  /** View path template → original path template (identical where nothing was renamed). */
  originalPath: Map<string, string>;
  /** Query parameters dredd cannot template, to be added back by the hooks from their examples. */
  dropped: DroppedQueryParameter[];
  /** Human-readable list of what was changed, printed by the runner. */
  changes: string[];
}

export function safePathName(name: string): string {
  return PATH_NAME.test(name) ? name : name.replace(/[^A-Za-z0-9._]/g, '_');
}

function resolve(document: any, node: any): any {
  let current = node;
  for (let hops = 0; current && typeof current.$ref === 'string' && current.$ref.startsWith('#/') && hops < 20; hops++) {
    current = current.$ref
      .slice(2)
      .split('/')
      .map((t: string) => decodeURIComponent(t).replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((n: any, t: string) => (n == null ? n : n[t]), document);
  }
  return current;
}

export function dreddView(original: any): DreddView {
  const document = structuredClone(original);
  const originalPath = new Map<string, string>();
  const dropped: DroppedQueryParameter[] = [];
  const changes = new Set<string>();
  const paths: Record<string, any> = {};

  for (const [template, rawItem] of Object.entries<any>(original.paths ?? {})) {
    const item = structuredClone(resolve(original, rawItem));
    const methods = METHODS.filter((m) => item && typeof item[m] === 'object');
    // Rewrites one parameter list: unsafe path names renamed (inlined, so shared components stay
    // intact), unsafe query names dropped and remembered for `forMethods`.
    const rewrite = (list: any[] | undefined, forMethods: string[]): any[] | undefined => {
      if (!Array.isArray(list)) return list;
      const out: any[] = [];
      for (const raw of list) {
        const parameter = resolve(original, raw);
        if (parameter?.in === 'path' && !PATH_NAME.test(parameter.name)) {
          out.push({ ...structuredClone(parameter), name: safePathName(parameter.name) });
          changes.add(`path parameter "${parameter.name}" named "${safePathName(parameter.name)}"`);
        } else if (unsendable(parameter)) {
          const style = parameter.style ?? 'form';
          const explode = parameter.explode ?? style === 'form';
          for (const method of forMethods) dropped.push({ path: template, method, name: parameter.name, style, explode, example: parameter.example });
          changes.add(unsendable(parameter)!);
        } else out.push(raw);
      }
      return out;
    };
    if (item.parameters) item.parameters = rewrite(item.parameters, methods);
    for (const method of methods) {
      if (item[method].parameters) item[method].parameters = rewrite(item[method].parameters, [method]);
    }
    const viewTemplate = template.replace(/\{([^}]+)\}/g, (_m, name: string) => `{${safePathName(name)}}`);
    originalPath.set(viewTemplate, template);
    paths[viewTemplate] = item;
  }
  document.paths = paths;
  // Component parameters are parsed whether referenced or not: the same changes there (the lists
  // above no longer refer to the changed ones).
  const components = document.components?.parameters ?? {};
  for (const [key, parameter] of Object.entries<any>(components)) {
    if (parameter?.in === 'path' && !PATH_NAME.test(parameter.name)) parameter.name = safePathName(parameter.name);
    else if (unsendable(parameter)) delete components[key];
  }
  return { document, originalPath, dropped, changes: [...changes] };
}
