// The CORS policy alone (src/http/cors.ts): the option checked at startup, origins matched, each path's
// preflight answer read from the document, the headers an allowed origin's answers get.
import * as path from 'node:path';
import { CorsPolicy, withOrigin } from '../../src/http/cors';
import { StartupError } from '../../src';
import { loadSpec } from '../../src/document/load';
import { inspectOperationHeads, type OperationHead } from '../../src/document/operations';

let document: any;
let heads: OperationHead[];

beforeAll(async () => {
  ({ document } = await loadSpec(path.join(__dirname, '../fixtures/cors/openapi.yaml')));
  ({ heads } = inspectOperationHeads(document));
});

const policy = (options: unknown, onError?: (error: unknown, origin: string) => void) => new CorsPolicy(options, document, heads, onError);
const split = (list: string | undefined) => (list ?? '').split(', ').map((h) => h.toLowerCase()).sort();

describe('the cors option, checked at startup', () => {
  it.each([
    [null, /cors must be an object \(got null\)/],
    [['https://a.test'], /cors must be an object/],
    [{}, /cors.origins must be a list of origins, '\*' or a function \(got undefined/],
    [{ origins: 42 }, /cors.origins must be a list of origins, '\*' or a function \(got number 42\)/],
    [{ origins: { 'https://a.test': true } }, /got an object/],
    [{ origins: [] }, /cors.origins is empty/],
    [{ origins: [7] }, /cors.origins holds number 7, not an origin/],
    [{ origins: ['https://a.test/app'] }, /"https:\/\/a.test\/app", which is not an origin/],
    [{ origins: ['a.test'] }, /"a.test", which is not an origin/],
    [{ origins: ['null'] }, /lists "null"/],
    [{ origins: ['https://a.test'], credentials: 'yes' }, /cors.credentials must be true or false/],
    [{ origins: ['https://a.test'], maxAge: -1 }, /cors.maxAge must be a whole number of seconds/],
    [{ origins: ['https://a.test'], maxAge: '600' }, /cors.maxAge must be a whole number/],
    [{ origins: ['https://a.test'], exposedHeaders: 'X-A' }, /cors.exposedHeaders must be a list of header names/],
    [{ origins: ['https://a.test'], allowedHeaders: ['X A'] }, /cors.allowedHeaders must be a list of header names/],
    [{ origin: ['https://a.test'] }, /cors.origin is not an option/],
  ])('%j is refused, saying what is expected', (options, message) => {
    let error: unknown;
    try {
      policy(options);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StartupError);
    expect((error as Error).message).toMatch(message);
  });

  it('takes a list, one origin, a wildcard or a function', () => {
    expect(() => policy({ origins: ['https://a.test', 'http://localhost:5173/'] })).not.toThrow();
    expect(() => policy({ origins: 'https://a.test' })).not.toThrow();
    expect(() => policy({ origins: '*', credentials: true, maxAge: 0 })).not.toThrow();
    expect(() => policy({ origins: () => true })).not.toThrow();
  });
});

describe('origins', () => {
  it('matches listed origins as browsers write them (lower case, no default port, no trailing slash)', () => {
    const cors = policy({ origins: ['HTTPS://App.Example.com:443/', 'http://localhost:5173', 'chrome-extension://AbC'] });
    expect(cors.allows('https://app.example.com')).toBe(true);
    expect(cors.allows('http://localhost:5173')).toBe(true);
    expect(cors.allows('chrome-extension://abc')).toBe(true);
    expect(cors.allows('http://localhost:5174')).toBe(false);
    expect(cors.allows('https://app.example.com.evil.test')).toBe(false);
    expect(cors.allows('null')).toBe(false);
  });

  it('allows by a function only when it returns true: a promise, a truthy value or a throw refuses', () => {
    const errors: string[] = [];
    const onError = (_: unknown, origin: string) => errors.push(origin);
    expect(policy({ origins: (o: string) => o.endsWith('.a.test') }).allows('https://x.a.test')).toBe(true);
    expect(policy({ origins: (o: string) => o.endsWith('.a.test') }).allows('https://x.b.test')).toBe(false);
    expect(policy({ origins: async () => true }).allows('https://x.a.test')).toBe(false);
    expect(policy({ origins: () => 'yes' }).allows('https://x.a.test')).toBe(false);
    const throwing = policy({
      origins: () => {
        throw new Error('boom');
      },
    }, onError);
    expect(throwing.allows('https://x.a.test')).toBe(false);
    expect(errors).toEqual(['https://x.a.test']);
  });
});

describe('answers to an allowed origin', () => {
  it('reflect the origin, add Origin to Vary, and expose the request id, WWW-Authenticate and the declared response headers', () => {
    const headers: Record<string, string | string[]> = { vary: 'Accept' };
    policy({ origins: ['https://a.test'], exposedHeaders: ['X-Extra'] }).decorate('https://a.test', headers);
    expect(headers['access-control-allow-origin']).toBe('https://a.test');
    expect(headers.vary).toBe('Accept, Origin');
    expect(headers['access-control-allow-credentials']).toBeUndefined();
    expect(split(headers['access-control-expose-headers'] as string)).toEqual(['www-authenticate', 'x-extra', 'x-rate-limit-remaining', 'x-request-id']);
  });

  it('leave the headers alone for another origin or none', () => {
    const cors = policy({ origins: ['https://a.test'] });
    for (const origin of ['https://b.test', undefined]) {
      const headers = { vary: 'Accept' };
      cors.decorate(origin, headers);
      expect(headers).toEqual({ vary: 'Accept' });
    }
  });

  it("with a wildcard send '*' (with Vary: Origin, since a request without Origin gets none); with credentials reflect the origin, never '*'", () => {
    const open: Record<string, string | string[]> = {};
    policy({ origins: '*' }).decorate('https://any.test', open);
    expect(open['access-control-allow-origin']).toBe('*');
    expect(open.vary).toBe('Origin');
    const credentialed: Record<string, string | string[]> = {};
    policy({ origins: ['*'], credentials: true }).decorate('https://any.test', credentialed);
    expect(credentialed['access-control-allow-origin']).toBe('https://any.test');
    expect(credentialed['access-control-allow-credentials']).toBe('true');
    expect(credentialed.vary).toBe('Origin');
  });

  it('merge Vary once, whatever was there', () => {
    expect(withOrigin(undefined)).toBe('Origin');
    expect(withOrigin('')).toBe('Origin');
    expect(withOrigin('Accept-Encoding')).toBe('Accept-Encoding, Origin');
    expect(withOrigin(['Accept', 'Cookie'])).toBe('Accept, Cookie, Origin');
    expect(withOrigin('accept, origin')).toBe('accept, origin');
    expect(withOrigin(withOrigin('Accept'))).toBe('Accept, Origin');
    expect(withOrigin('*')).toBe('*');
  });
});

describe('preflight answers, per document path', () => {
  const cors = () => policy({ origins: ['https://a.test'], credentials: true, maxAge: 600, allowedHeaders: ['X-Client-Version'] });

  it('list the methods the path declares (HEAD with GET), and the headers its operations read', () => {
    const answer = cors().preflight('https://a.test', '/pets')!;
    expect(answer['access-control-allow-methods']).toBe('GET, HEAD, OPTIONS, POST');
    // Header parameters of the path item ($ref) and of an operation, the apiKey scheme's header, Content-Type
    // for the POST body, what specbind reads (X-Request-Id), tracing, and the option's own.
    expect(split(answer['access-control-allow-headers'] as string)).toEqual(
      ['baggage', 'content-type', 'traceparent', 'tracestate', 'x-api-key', 'x-client-version', 'x-request-id', 'x-tenant', 'x-trace-note'],
    );
    expect(answer['access-control-allow-origin']).toBe('https://a.test');
    expect(answer['access-control-allow-credentials']).toBe('true');
    expect(answer['access-control-max-age']).toBe('600');
    expect(answer.vary).toBe('Origin');
  });

  it('an http or oauth2 scheme brings Authorization; an event stream Last-Event-ID; no body, no Content-Type', () => {
    const mine = split(cors().preflight('https://a.test', '/pets/mine')!['access-control-allow-headers'] as string);
    expect(mine).toContain('authorization');
    expect(mine).not.toContain('x-api-key');
    expect(mine).not.toContain('content-type');
    expect(split(cors().pathAnswer('/public/events')!.headers)).toContain('last-event-id');
    expect(cors().pathAnswer('/pets/{id}')!.methods).toBe('DELETE, GET, HEAD');
  });

  it('is nothing for an origin not allowed, or a path the document does not declare', () => {
    expect(cors().preflight('https://b.test', '/pets')).toBeUndefined();
    expect(cors().preflight('https://a.test', '/nowhere')).toBeUndefined();
  });

  it('has no Max-Age unless maxAge is set', () => {
    expect(policy({ origins: ['https://a.test'] }).preflight('https://a.test', '/pets')!['access-control-max-age']).toBeUndefined();
  });
});
