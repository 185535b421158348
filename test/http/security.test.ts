// Security: every securitySchemes type, global and per-operation requirements, scopes (403), the
// 401 challenges, and proof that an unauthenticated request never makes the server read its body.
// (The basics — public operations, ctx.principal, OR/AND, a missing check at startup — are in startup.test.ts.)
import { connect } from 'node:net';
import pino from 'pino';
import { HttpError, type SecurityCheckInput } from '../../src';
import { start, type Started } from '../helpers/server';

const ok = { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } } };
const get = (operationId: string, security?: unknown[], extra: object = {}) => ({ get: { operationId, ...(security ? { security } : {}), responses: ok, ...extra } });

const SPEC = {
  openapi: '3.0.3',
  info: { title: 'Security', version: '1.0.0' },
  security: [{ apiKey: [] }],
  paths: {
    '/global': get('globalDefault', undefined, { parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer' } }] }),
    '/public': get('publicOne', []),
    '/override': get('bearerOnly', [{ bearer: [] }]),
    '/query-key': get('queryKey', [{ queryKey: [] }]),
    '/cookie-key': get('cookieKey', [{ cookieKey: [] }]),
    '/basic': get('basicOnly', [{ basic: [] }]),
    '/scoped': get('scoped', [{ oauth: ['read', 'write'] }], {
      responses: {
        ...ok,
        '403': { description: 'forbidden', content: { 'application/problem+json': { schema: { type: 'object', required: ['title', 'status'] } } } },
      },
    }),
    '/admin-or-key': get('adminOrKey', [{ oauth: ['admin'] }, { apiKey: [] }]),
    '/oidc': get('oidcProfile', [{ oidc: ['profile'] }]),
    '/optional': get('optionalAuth', [{}, { bearer: [] }]),
    '/tenant': get('tenant', [{ tenant: [] }]),
    '/upload': {
      post: {
        operationId: 'upload',
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
        responses: ok,
      },
    },
  },
  components: {
    securitySchemes: {
      apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      queryKey: { type: 'apiKey', in: 'query', name: 'api_key' },
      cookieKey: { type: 'apiKey', in: 'cookie', name: 'session' },
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      basic: { type: 'http', scheme: 'basic' },
      oauth: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: 'https://auth.example/token', scopes: { read: 'r', write: 'w', admin: 'a' } } } },
      oidc: { type: 'openIdConnect', openIdConnectUrl: 'https://auth.example/.well-known/openid-configuration' },
      tenant: { type: 'apiKey', in: 'header', name: 'X-Tenant' },
    },
  },
};

/** Tokens the bearer-type checks know: their principals list scopes as an array, a string, or not at all. */
const TOKENS: Record<string, object> = {
  'read-only': { sub: 'reader', scopes: ['read'] },
  'read-write': { sub: 'writer', scopes: ['read', 'write'] },
  'as-string': { sub: 'jwt', scope: 'read write admin profile' },
  unlisted: { sub: 'trusted' },
};

describe('security', () => {
  let api: Started;
  const seen: SecurityCheckInput[] = [];
  let handlerRuns = 0;
  const echo = (_input: unknown, ctx: { principal: unknown }) => {
    handlerRuns++;
    return { principal: ctx.principal ?? null };
  };
  const bearerCheck = (input: SecurityCheckInput) => {
    seen.push(input);
    return TOKENS[input.credential] ?? false;
  };

  beforeAll(async () => {
    api = await start({
      spec: SPEC,
      unknownQueryParameters: 'reject',
      handlers: Object.fromEntries(
        ['globalDefault', 'publicOne', 'bearerOnly', 'queryKey', 'cookieKey', 'basicOnly', 'scoped', 'adminOrKey', 'oidcProfile', 'optionalAuth', 'tenant', 'upload'].map((id) => [id, echo]),
      ),
      security: {
        apiKey: ({ credential }) => credential === 'k1' && { key: 'k1' },
        queryKey: ({ credential }) => credential === 'q 1' && { key: 'query' },
        cookieKey: ({ credential }) => credential === 's1' && { key: 'cookie' },
        bearer: bearerCheck,
        oauth: bearerCheck,
        oidc: bearerCheck,
        basic: ({ username, password }) => username === 'ann' && password === 'p:w' && { user: 'ann' },
        tenant: ({ credential }) => {
          if (credential === 'db-down') throw new Error('lookup failed');
          if (credential === 'other') throw new HttpError(403, 'this key belongs to another tenant');
          if (credential === 'expired') throw new HttpError(401, 'the key expired');
          return credential === 't1' && { tenant: 't1' };
        },
      },
    });
  });
  afterAll(() => api.close());

  describe('global security and per-operation overrides', () => {
    it('applies the document-level requirement to operations that declare none', async () => {
      expect((await api.request('GET', '/global')).status).toBe(401);
      expect((await api.request('GET', '/global', { headers: { 'x-api-key': 'k1' } })).json).toEqual({ principal: { key: 'k1' } });
    });

    it('makes `security: []` public: no check runs, ctx.principal is undefined even when a key is sent', async () => {
      expect((await api.request('GET', '/public')).json).toEqual({ principal: null });
      expect((await api.request('GET', '/public', { headers: { 'x-api-key': 'wrong' } })).json).toEqual({ principal: null });
    });

    it('lets an operation replace the global requirement: the global API key no longer opens it', async () => {
      expect((await api.request('GET', '/override', { headers: { 'x-api-key': 'k1' } })).status).toBe(401);
      expect((await api.request('GET', '/override', { headers: { authorization: 'Bearer unlisted' } })).json).toEqual({ principal: { sub: 'trusted' } });
    });

    it('treats an empty alternative `{}` as optional security: anonymous without a credential, the principal with one, 401 for a bad one', async () => {
      expect((await api.request('GET', '/optional')).json).toEqual({ principal: null });
      expect((await api.request('GET', '/optional', { headers: { authorization: 'Bearer read-only' } })).json).toEqual({ principal: { sub: 'reader', scopes: ['read'] } });
      const bad = await api.request('GET', '/optional', { headers: { authorization: 'Bearer forged' } });
      expect(bad.status).toBe(401);
      expect(bad.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    });
  });

  describe('where credentials are read from', () => {
    it('apiKey in the query (form-decoded; not an unknown query parameter) and in a cookie', async () => {
      expect((await api.request('GET', '/query-key?api_key=q+1')).json).toEqual({ principal: { key: 'query' } });
      expect((await api.request('GET', '/query-key?api_key=q1')).status).toBe(401);
      expect((await api.request('GET', '/cookie-key', { headers: { cookie: 'theme=dark; session=s1' } })).json).toEqual({ principal: { key: 'cookie' } });
      expect((await api.request('GET', '/cookie-key', { headers: { cookie: 'session=s2' } })).status).toBe(401);
    });

    it('http basic: username and password split at the first colon; a malformed header counts as missing', async () => {
      const basic = (text: string) => ({ authorization: `Basic ${Buffer.from(text).toString('base64')}` });
      expect((await api.request('GET', '/basic', { headers: basic('ann:p:w') })).json).toEqual({ principal: { user: 'ann' } });
      const wrong = await api.request('GET', '/basic', { headers: basic('ann:nope') });
      expect([wrong.status, wrong.json.detail]).toEqual([401, 'the credentials were rejected']);
      expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="api"');
      const malformed = await api.request('GET', '/basic', { headers: basic('no-colon') });
      expect([malformed.status, malformed.json.detail]).toEqual([401, 'missing credentials (basic)']);
    });

    it('oauth2 and openIdConnect take a bearer token and hand the check the required scopes', async () => {
      seen.length = 0;
      expect((await api.request('GET', '/oidc', { headers: { authorization: 'bearer as-string' } })).status).toBe(200);
      expect(seen.map((s) => [s.scheme, s.credential, s.scopes])).toEqual([['oidc', 'as-string', ['profile']]]);
      expect(seen[0].operation.operationId).toBe('oidcProfile');
    });
  });

  describe('401: missing or rejected credentials', () => {
    it('challenges with WWW-Authenticate for http, oauth2 and openIdConnect schemes when the credential is missing', async () => {
      for (const path of ['/override', '/scoped', '/oidc']) {
        const answer = await api.request('GET', path);
        expect([path, answer.status, answer.headers.get('www-authenticate')]).toEqual([path, 401, 'Bearer']);
        expect(answer.json.detail).toMatch(/^missing credentials/);
      }
    });

    it('sends no challenge for an apiKey scheme (there is no standard one), but still a problem naming the scheme', async () => {
      const answer = await api.request('GET', '/global');
      expect(answer.headers.get('www-authenticate')).toBeNull();
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      expect(answer.json).toMatchObject({ status: 401, title: 'Unauthorized', detail: 'missing credentials (apiKey)' });
    });

    it('answers a present but rejected credential with 401 and error="invalid_token" for bearer schemes', async () => {
      const answer = await api.request('GET', '/scoped', { headers: { authorization: 'Bearer forged' } });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(answer.json.detail).toBe('the credentials were rejected');
    });

    it('treats a check that throws an ordinary error as a rejection (401), and an HttpError(401) as the answer, challenge added', async () => {
      expect((await api.request('GET', '/tenant', { headers: { 'x-tenant': 'db-down' } })).status).toBe(401);
      const expired = await api.request('GET', '/tenant', { headers: { 'x-tenant': 'expired' } });
      expect([expired.status, expired.json.detail]).toEqual([401, 'the key expired']);
    });
  });

  describe('403: authenticated, but not allowed', () => {
    it('answers 403 naming the missing scopes when the principal lists too few', async () => {
      const answer = await api.request('GET', '/scoped', { headers: { authorization: 'Bearer read-only' } });
      expect(answer.status).toBe(403);
      // /scoped declares its 403 as problem+json: the declaration is used.
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      expect(answer.json).toMatchObject({ status: 403, title: 'Forbidden', detail: 'insufficient scope: oauth lacks scope write' });
      expect(answer.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="read write"');
    });

    it('accepts a principal holding every scope, as an array or as an OAuth2 `scope` string', async () => {
      expect((await api.request('GET', '/scoped', { headers: { authorization: 'Bearer read-write' } })).json.principal.sub).toBe('writer');
      expect((await api.request('GET', '/scoped', { headers: { authorization: 'Bearer as-string' } })).json.principal.sub).toBe('jwt');
    });

    it('leaves scopes to the check when the principal does not list any', async () => {
      expect((await api.request('GET', '/scoped', { headers: { authorization: 'Bearer unlisted' } })).status).toBe(200);
    });

    it('with alternatives, another satisfied alternative wins over a scope shortfall; else the shortfall is a 403, not a 401', async () => {
      const lacking = { authorization: 'Bearer read-only' };
      expect((await api.request('GET', '/admin-or-key', { headers: { ...lacking, 'x-api-key': 'k1' } })).json).toEqual({ principal: { key: 'k1' } });
      const forbidden = await api.request('GET', '/admin-or-key', { headers: lacking });
      expect([forbidden.status, forbidden.json.detail]).toEqual([403, 'insufficient scope: oauth lacks scope admin']);
      // A rejected API key beside an authenticated-but-lacking token: still 403 (the client is known).
      expect((await api.request('GET', '/admin-or-key', { headers: { ...lacking, 'x-api-key': 'bad' } })).status).toBe(403);
      expect((await api.request('GET', '/admin-or-key', { headers: { authorization: 'Bearer as-string' } })).status).toBe(200);
    });

    it('lets a check answer 403 itself by throwing HttpError(403), even where the operation declares no 403', async () => {
      const answer = await api.request('GET', '/tenant', { headers: { 'x-tenant': 'other' } });
      expect(answer.status).toBe(403);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      expect(answer.json).toMatchObject({ status: 403, title: 'Forbidden', detail: 'this key belongs to another tenant' });
    });
  });

  describe('security runs first', () => {
    it('before parameter validation: a bad parameter without a credential is a 401, not a 400', async () => {
      expect((await api.request('GET', '/global?limit=many')).status).toBe(401);
      expect((await api.request('GET', '/global?limit=many', { headers: { 'x-api-key': 'k1' } })).status).toBe(400);
    });

    it('before the body: an unauthenticated upload is answered at once, the body unread and the connection closed', async () => {
      handlerRuns = 0;
      // 1 GiB declared, not a byte of it sent: the 401 comes anyway (not a 413, not a wait for the body).
      const huge = await rawExchange(api.url, ['POST /upload HTTP/1.1', 'Host: x', 'Content-Type: application/json', `Content-Length: ${2 ** 30}`]);
      expect(huge.head).toMatch(/^HTTP\/1\.1 401 /);
      expect(huge.head).toMatch(/\r\nconnection: close\r\n/i);
      expect(huge.closedByServer).toBe(true);
      expect(handlerRuns).toBe(0);
      // Chunked, endless: the same.
      const chunked = await rawExchange(api.url, ['POST /upload HTTP/1.1', 'Host: x', 'Content-Type: application/json', 'Transfer-Encoding: chunked', 'X-API-Key: wrong'], '10000\r\n' + 'x'.repeat(0x10000) + '\r\n');
      expect(chunked.head).toMatch(/^HTTP\/1\.1 401 /);
      expect(chunked.closedByServer).toBe(true);
    });

    it('whereas an authenticated upload of the same size is read (the server waits for the body)', async () => {
      const waiting = await rawExchange(api.url, ['POST /upload HTTP/1.1', 'Host: x', 'Content-Type: application/json', 'X-API-Key: k1', `Content-Length: ${500_000}`], '', 400);
      expect(waiting.head).toBe(''); // no answer yet: it is reading the body
    });

    it('keeps the connection when a small body had fully arrived with the rejected request', async () => {
      const small = await rawExchange(api.url, ['POST /upload HTTP/1.1', 'Host: x', 'Content-Type: application/json', 'Content-Length: 2', 'X-API-Key: wrong'], '{}', 400);
      expect(small.head).toMatch(/^HTTP\/1\.1 401 /);
      expect(small.head).not.toMatch(/connection: close/i);
      expect(small.closedByServer).toBe(false);
    });
  });
});

/**
 * Writes a request head (and an optional start of a body) on a raw socket; resolves with the response
 * head and whether the server closed the connection, within `waitMs`.
 */
function rawExchange(url: string, head: string[], body = '', waitMs = 2000): Promise<{ head: string; closedByServer: boolean }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const end = received.indexOf('\r\n\r\n');
      resolve({ head: end === -1 ? received : received.slice(0, end + 2), closedByServer });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.write(`${head.join('\r\n')}\r\n\r\n${body}`);
  });
}

describe('credentials in the query stay out of the access log', () => {
  it('writes an apiKey sent in the query as [redacted], other query parameters as sent', async () => {
    const lines: any[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const allow = () => ({ ok: true });
    const security = Object.fromEntries(['apiKey', 'queryKey', 'cookieKey', 'bearer', 'oauth', 'oidc', 'basic', 'tenant'].map((scheme) => [scheme, allow]));
    const keyed = await start({ spec: SPEC, handlers: { queryKey: () => ({ principal: null }) }, missingHandlers: 'notImplemented', security, logger });
    try {
      expect((await keyed.request('GET', '/query-key?api_key=sekret%201&other=kept')).status).toBe(200);
      const line = lines.find((l) => l.msg === 'request');
      expect(line.url).toBe('/query-key?api_key=[redacted]&other=kept');
      expect(JSON.stringify(lines)).not.toContain('sekret');
    } finally {
      await keyed.close();
    }
  });
});
