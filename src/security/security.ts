// Security requirements per operation: OR of alternatives, AND within one; each scheme's credential read
// from where its securityScheme says, and handed to the check registered under the scheme's name.
import type { CoreRequest } from '../http/request';
import { HttpError, type StartupProblem } from '../errors';
import type { OperationInfo, SecurityCheck } from '../contract/handler';
import type { OperationSpec } from '../document/operations';
import { parseCookies, parseQuery, decodeForm } from '../binding/parameters';

interface Credential {
  credential: string;
  username?: string;
  password?: string;
}

interface SchemeRequirement {
  name: string;
  scopes: string[];
  read: (request: CoreRequest, search: string) => Credential | undefined;
  check: SecurityCheck;
  /** For a 401: the `WWW-Authenticate` challenge of http-based schemes. */
  challenge?: string;
}

/** Security schemes an operation requires that have no check, with the operations that require them. */
export type UncheckedSchemes = Map<string, string[]>;

/**
 * One startup problem per scheme without a check: how many operations use it, one of them, and the
 * option to pass (a person can act on four lines; not on one per operation and scheme).
 */
export function uncheckedSchemeProblems(unchecked: UncheckedSchemes, schemes: Record<string, any>): StartupProblem[] {
  return [...unchecked].map(([name, users]) => ({
    message: `security scheme "${name}" (${describeScheme(schemes[name])}) has no check; ${users.length} operation(s) require it, e.g. ${users[0]}`,
    fix: `pass security: { ${JSON.stringify(name)}: ${exampleCheck(schemes[name])} } to createServer (or missingHandlers: 'mock', where a credential need only be present)`,
  }));
}

function describeScheme(scheme: any): string {
  if (scheme?.type === 'apiKey') return `apiKey in ${scheme.in} "${scheme.name}"`;
  if (scheme?.type === 'http') return `http ${scheme.scheme}`;
  return String(scheme?.type);
}

function exampleCheck(scheme: any): string {
  if (scheme?.type === 'http' && String(scheme.scheme).toLowerCase() === 'basic') return '({ username, password }) => principal | false';
  return '({ credential, scopes }) => principal | false';
}

export type SecurityGate = (request: CoreRequest, search: string, operation: OperationInfo) => Promise<unknown>;

function bearer(request: CoreRequest): Credential | undefined {
  const header = request.header('authorization');
  const match = header && /^Bearer\s+(.+)$/i.exec(header);
  return match ? { credential: match[1].trim() } : undefined;
}

function basic(request: CoreRequest): Credential | undefined {
  const header = request.header('authorization');
  const match = header && /^Basic\s+(.+)$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1].trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return { credential: decoded, username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function reader(scheme: any): ((request: CoreRequest, search: string) => Credential | undefined) | undefined {
  switch (scheme?.type) {
    case 'apiKey': {
      const name = String(scheme.name ?? '');
      if (scheme.in === 'header') {
        const header = name.toLowerCase();
        return (request) => {
          const text = request.header(header);
          return text ? { credential: text } : undefined;
        };
      }
      if (scheme.in === 'query') {
        return (_request, search) => {
          const raw = parseQuery(search).get(name)?.[0];
          const text = raw === undefined ? undefined : decodeForm(raw);
          return text ? { credential: text } : undefined;
        };
      }
      if (scheme.in === 'cookie') {
        return (request) => {
          const text = parseCookies(request.header('cookie')).get(name);
          return text ? { credential: text } : undefined;
        };
      }
      return undefined;
    }
    case 'http':
      return String(scheme.scheme).toLowerCase() === 'basic' ? basic : bearer;
    case 'oauth2':
    case 'openIdConnect':
      return bearer;
    default:
      return undefined;
  }
}

function challengeOf(scheme: any): string | undefined {
  if (scheme?.type === 'http') return String(scheme.scheme).toLowerCase() === 'basic' ? 'Basic realm="api"' : 'Bearer';
  if (scheme?.type === 'oauth2' || scheme?.type === 'openIdConnect') return 'Bearer';
  return undefined;
}

/**
 * The scopes a principal says it holds: a `scopes` array, or an OAuth2-style `scope` string
 * (space-separated, as in a JWT or a token introspection answer). undefined: the principal does not
 * say, and the check's acceptance stands.
 */
export function grantedScopes(principal: unknown): Set<string> | undefined {
  if (!principal || typeof principal !== 'object') return undefined;
  const { scopes, scope } = principal as { scopes?: unknown; scope?: unknown };
  if (Array.isArray(scopes)) return new Set(scopes.map(String));
  if (typeof scope === 'string') return new Set(scope.split(/\s+/).filter(Boolean));
  return undefined;
}


/**
 * A check's own HttpError is the answer. A bare 401 or 403 is treated as specbind's own security
 * error, so an operation that does not declare it still answers it (problem+json) instead of failing
 * strict response validation; a 401 gets the scheme's challenge.
 */
function asSecurityError(error: HttpError, requirement: SchemeRequirement, request: CoreRequest): HttpError {
  if (error.code === undefined && (error.status === 401 || error.status === 403)) error.code = error.status === 401 ? 'unauthorized' : 'forbidden';
  const headers: Record<string, string | string[]> = { ...error.options.headers };
  const named = new Set(Object.keys(headers).map((k) => k.toLowerCase()));
  if (error.status === 401 && requirement.challenge && !named.has('www-authenticate')) headers['www-authenticate'] = requirement.challenge;
  if (request.body.pending) headers.connection = 'close';
  error.options.headers = headers;
  return error;
}

function quoted(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * The gate for one operation, or undefined for a public one. Problems (an unknown scheme, a scheme
 * with no check) are collected for the startup error.
 *
 * The contract, per request: the alternatives (OR) are tried in document order; within one, every
 * scheme (AND) must present a credential that its check accepts (a truthy principal). The first
 * alternative that passes gives `ctx.principal` (the one principal, or `{ [scheme]: principal }` when
 * it has several schemes). When none passes:
 * - a check threw an HttpError: that error is the answer (e.g. `throw new HttpError(403)`);
 * - some alternative was authenticated but a principal lacks a required scope → 403 naming the
 *   missing scopes (`WWW-Authenticate: Bearer error="insufficient_scope"` for bearer schemes);
 * - a credential was presented and rejected → 401 (`Bearer error="invalid_token"` for bearer schemes);
 * - no credential → 401 with a challenge for every http, oauth2 and openIdConnect scheme.
 * A principal's scopes are checked only when it lists them (`scopes: string[]` or `scope: 'a b'`);
 * otherwise the check, which receives the required `scopes`, decides. An alternative `{}` makes the
 * operation's security optional: no credential (or too few scopes) proceeds anonymously, but a
 * rejected credential is still a 401. Any rejection answered before the body has arrived carries
 * `Connection: close`, so the server never reads an unauthenticated upload.
 */
export function planSecurity(
  op: Pick<OperationSpec, 'method' | 'path' | 'operationId' | 'security'>,
  schemes: Record<string, any>,
  checks: Record<string, SecurityCheck>,
  problems: StartupProblem[],
  presenceOnly: boolean,
  unchecked: UncheckedSchemes,
): SecurityGate | undefined {
  if (op.security.length === 0) return undefined;
  const optional = op.security.some((alternative) => Object.keys(alternative).length === 0);
  const where = { method: op.method, path: op.path, operationId: op.operationId };
  const alternatives: SchemeRequirement[][] = op.security
    .filter((alternative) => Object.keys(alternative).length > 0)
    .map((alternative) =>
      Object.entries(alternative).flatMap(([name, scopes]) => {
        const scheme = schemes[name];
        const read = reader(scheme);
        if (!read) {
          problems.push({ ...where, message: `security scheme "${name}" is not declared in components.securitySchemes or has an unsupported type`, fix: 'declare it (apiKey, http, oauth2 or openIdConnect)' });
          return [];
        }
        let check = checks[name];
        if (!check) {
          // Told once per scheme (uncheckedSchemeProblems), not per operation: Stripe's 468 made 936 lines.
          const users = unchecked.get(name) ?? [];
          users.push(`${op.method.toUpperCase()} ${op.path} (${op.operationId})`);
          unchecked.set(name, users);
          // Mock servers only ask that a credential be present; real ones must say how to check it.
          if (presenceOnly) check = () => true;
          else return [];
        }
        return [{ name, scopes: Array.isArray(scopes) ? scopes.map(String) : [], read, check, challenge: challengeOf(scheme) }];
      }),
    );
  if (alternatives.length === 0) return undefined;
  const names = alternatives.map((a) => a.map((r) => r.name).join(' + ')).join(' or ');

  const gate: SecurityGate = async (request, search, operation) => {
    let presented = false;
    const rejected = new Set<SchemeRequirement>();
    const lacking: Array<{ requirement: SchemeRequirement; scopes: string[] }> = [];
    for (const alternative of alternatives) {
      const principals: Record<string, unknown> = {};
      let accepted = true;
      for (const requirement of alternative) {
        const credential = requirement.read(request, search);
        if (!credential) {
          accepted = false;
          break;
        }
        presented = true;
        let principal: unknown;
        try {
          principal = await requirement.check({ ...credential, scopes: requirement.scopes, scheme: requirement.name, request: request.original, operation });
        } catch (error) {
          if (error instanceof HttpError) throw asSecurityError(error, requirement, request);
          principal = false;
        }
        if (!principal) {
          rejected.add(requirement);
          accepted = false;
          break;
        }
        const granted = requirement.scopes.length ? grantedScopes(principal) : undefined;
        const missing = granted ? requirement.scopes.filter((scope) => !granted.has(scope)) : [];
        if (missing.length) {
          lacking.push({ requirement, scopes: missing });
          accepted = false;
          break;
        }
        principals[requirement.name] = principal;
      }
      if (accepted) {
        const values = Object.values(principals);
        return values.length === 1 ? values[0] : principals;
      }
    }
    if (optional && rejected.size === 0) return undefined;
    const headers: Record<string, string> = request.body.pending ? { connection: 'close' } : {};
    if (lacking.length && !(optional && rejected.size)) {
      const challenges = lacking.filter((l) => l.requirement.challenge === 'Bearer').map((l) => `Bearer error="insufficient_scope", scope=${quoted(l.requirement.scopes.join(' '))}`);
      if (challenges.length) headers['www-authenticate'] = [...new Set(challenges)].join(', ');
      const detail = lacking.map((l) => `${l.requirement.name} lacks scope${l.scopes.length > 1 ? 's' : ''} ${l.scopes.join(', ')}`).join('; ');
      throw HttpError.of('forbidden', `insufficient scope: ${detail}`, { headers });
    }
    const challenges = new Set<string>();
    for (const requirement of alternatives.flat()) {
      if (!requirement.challenge) continue;
      challenges.add(rejected.has(requirement) && requirement.challenge === 'Bearer' ? 'Bearer error="invalid_token"' : requirement.challenge);
    }
    if (challenges.has('Bearer error="invalid_token"')) challenges.delete('Bearer');
    if (challenges.size) headers['www-authenticate'] = [...challenges].join(', ');
    throw HttpError.of('unauthorized', presented ? 'the credentials were rejected' : `missing credentials (${names})`, { headers });
  };
  return gate;
}
