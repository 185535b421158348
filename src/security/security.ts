// Security requirements per operation: OR of alternatives, AND within one; each scheme's credential read
// from where its securityScheme says, and handed to the check registered under the scheme's name.
import type { IncomingMessage } from 'node:http';
import { HttpError, type StartupProblem } from '../errors';
import type { OperationInfo, SecurityCheck } from '../core/types';
import type { OperationSpec } from '../spec/operations';
import { parseCookies, parseQuery, decodeForm } from '../binding/parameters';

interface Credential {
  credential: string;
  username?: string;
  password?: string;
}

interface SchemeRequirement {
  name: string;
  scopes: string[];
  read: (request: IncomingMessage, search: string) => Credential | undefined;
  check: SecurityCheck;
  /** For a 401: the `WWW-Authenticate` challenge of http-based schemes. */
  challenge?: string;
}

export type SecurityGate = (request: IncomingMessage, search: string, operation: OperationInfo) => Promise<unknown>;

function bearer(request: IncomingMessage): Credential | undefined {
  const header = request.headers.authorization;
  const match = header && /^Bearer\s+(.+)$/i.exec(header);
  return match ? { credential: match[1].trim() } : undefined;
}

function basic(request: IncomingMessage): Credential | undefined {
  const header = request.headers.authorization;
  const match = header && /^Basic\s+(.+)$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1].trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return { credential: decoded, username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function reader(scheme: any): ((request: IncomingMessage, search: string) => Credential | undefined) | undefined {
  switch (scheme?.type) {
    case 'apiKey': {
      const name = String(scheme.name ?? '');
      if (scheme.in === 'header') {
        const header = name.toLowerCase();
        return (request) => {
          const value = request.headers[header];
          const text = Array.isArray(value) ? value[0] : value;
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
          const text = parseCookies(request.headers.cookie).get(name);
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
 * The gate for one operation, or undefined for a public one. Problems (an unknown scheme, a scheme
 * with no check) are collected for the startup error.
 */
export function planSecurity(
  op: OperationSpec,
  schemes: Record<string, any>,
  checks: Record<string, SecurityCheck>,
  problems: StartupProblem[],
  presenceOnly: boolean,
): SecurityGate | undefined {
  if (op.security.length === 0 || op.security.some((alternative) => Object.keys(alternative).length === 0)) return undefined;
  const where = { method: op.method, path: op.path, operationId: op.operationId };
  const alternatives: SchemeRequirement[][] = op.security.map((alternative) =>
    Object.entries(alternative).flatMap(([name, scopes]) => {
      const scheme = schemes[name];
      const read = reader(scheme);
      if (!read) {
        problems.push({ ...where, message: `security scheme "${name}" is not declared in components.securitySchemes or has an unsupported type`, fix: 'declare it (apiKey, http, oauth2 or openIdConnect)' });
        return [];
      }
      let check = checks[name];
      if (!check) {
        // Mock servers only ask that a credential be present; real ones must say how to check it.
        if (presenceOnly) check = () => true;
        else {
          problems.push({ ...where, message: `security scheme "${name}" has no check`, fix: `pass security: { ${JSON.stringify(name)}: (input) => principal | false } to createServer` });
          return [];
        }
      }
      return [{ name, scopes: Array.isArray(scopes) ? scopes : [], read, check, challenge: challengeOf(scheme) }];
    }),
  );

  return async (request, search, operation) => {
    let presented = false;
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
          principal = await requirement.check({ ...credential, scopes: requirement.scopes, scheme: requirement.name, request, operation });
        } catch (error) {
          if (error instanceof HttpError) throw error;
          principal = false;
        }
        if (!principal) {
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
    const challenges = [...new Set(alternatives.flat().map((r) => r.challenge).filter(Boolean))] as string[];
    const headers: Record<string, string> = challenges.length ? { 'www-authenticate': challenges.join(', ') } : {};
    const names = alternatives.map((a) => a.map((r) => r.name).join(' + ')).join(' or ');
    throw HttpError.of('unauthorized', presented ? 'the credentials were rejected' : `missing credentials (${names})`, { headers });
  };
}
