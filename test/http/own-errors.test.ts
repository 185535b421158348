// The answers specbind writes itself (400, 401, 406, 413, 415, 500, 501, 504, an HttpError thrown
// without a body) take the shape and media type the operation declares for their status; problem+json
// only where nothing is declared or nothing can fit (named at startup and by `specbind check`).
import * as path from 'node:path';
import pino from 'pino';
import { HttpError, type Handler } from '../../src';
import { check } from '../../src/check/check';
import { start } from '../helpers/server';

const SPEC = path.join(__dirname, '../fixtures/own-errors/openapi.yaml');

const handlers: Record<string, Handler> = {
  findPets: (input) => (input.limit === 13 ? Promise.reject(new Error('unlucky')) : input.limit === 14 ? new Promise(() => {}) : input.limit === 15 ? 'not an array' : []),
  addPet: () => ({}),
  getFile: (input) => {
    if (input.id === 404) throw new HttpError(404, 'no file 404');
    if (input.id === 500) throw new Error('disk gone');
    return {};
  },
  getSquare: () => ' ',
  getProblem: () => ({}),
  getBare: () => ({}),
  getImpossible: () => ({}),
};

describe("specbind's own answers in the document's shapes", () => {
  const lines: any[] = [];
  let api: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    api = await start({ spec: SPEC, handlers, security: { key: ({ credential }) => credential === 'good' && { id: 'ann' } }, handlerTimeout: 300, logger });
  });
  afterAll(() => api.close());

  it("petstore's default Error: a bad parameter is {code, message}", async () => {
    const answer = await api.request('GET', '/pets?limit=many');
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.json).toEqual({ code: 400, message: expect.stringMatching(/query parameter "limit" must be integer/) });
  });

  it('a malformed body (400), an undeclared Content-Type (415), an unsatisfiable Accept (406) and a body over the limit (413), each in that shape', async () => {
    const malformed = await api.request('POST', '/pets', { raw: '{"name":', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.json).toEqual({ code: 400, message: expect.stringMatching(/not valid JSON/) });
    const type = await api.request('POST', '/pets', { raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(type.status).toBe(415);
    expect(type.json).toEqual({ code: 415, message: expect.stringMatching(/Content-Type application\/x-www-form-urlencoded is not accepted/) });
    const accept = await api.request('GET', '/pets', { headers: { accept: 'text/csv' } });
    expect(accept.status).toBe(406);
    expect(accept.json.code).toBe(406);
    const big = await api.request('POST', '/pets', { raw: JSON.stringify({ name: 'x'.repeat(1024 * 1024) }), headers: { 'content-type': 'application/json' } });
    expect(big.status).toBe(413);
    expect(big.json.code).toBe(413);
  });

  it('a handler that throws (500), one that times out (504) and a response that breaks the contract (500), each in that shape', async () => {
    const thrown = await api.request('GET', '/pets?limit=13');
    expect(thrown.status).toBe(500);
    expect(thrown.json).toEqual({ code: 500, message: expect.stringMatching(/findPets threw: unlucky/) });
    const late = await api.request('GET', '/pets?limit=14');
    expect(late.status).toBe(504);
    expect(late.json).toEqual({ code: 504, message: 'findPets did not answer within 300 ms' });
    const broken = await api.request('GET', '/pets?limit=15');
    expect(broken.status).toBe(500);
    expect(broken.json).toEqual({ code: 500, message: expect.stringMatching(/findPets.*body must be array/) });
  });

  it("Box-like 4XX/5XX ClientError: 401 without a credential, 404 thrown without a body, 500: type, status, code from its enum, message, request id", async () => {
    const missing = await api.request('GET', '/files/1', { headers: { 'x-request-id': 'req-401' } });
    expect(missing.status).toBe(401);
    expect(missing.json).toEqual({ type: 'error', status: 401, code: 'unauthorized', message: expect.any(String), request_id: 'req-401' });
    const notFound = await api.request('GET', '/files/404', { headers: { 'x-key': 'good' } });
    expect(notFound.status).toBe(404);
    expect(notFound.json).toMatchObject({ type: 'error', status: 404, code: 'not_found', message: 'no file 404' });
    const failed = await api.request('GET', '/files/500', { headers: { 'x-key': 'good' } });
    expect(failed.status).toBe(500);
    expect(failed.json).toMatchObject({ type: 'error', status: 500, code: 'internal_server_error' });
  });

  it('a 400 declared as text/html: the detail as escaped text, within maxLength, never JSON labelled html', async () => {
    const answer = await api.request('GET', '/board/<script>');
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toBe('text/html');
    expect(answer.text).not.toContain('<script>');
    expect(answer.text.length).toBeLessThanOrEqual(60);
    expect(() => JSON.parse(answer.text)).toThrow();
  });

  it('problem+json where it is declared, no body where the declaration has no content', async () => {
    const problem = await api.request('GET', '/problems/x');
    expect(problem.headers.get('content-type')).toBe('application/problem+json');
    expect(problem.json).toMatchObject({ status: 400, title: 'Request validation failed' });
    const bare = await api.request('GET', '/bare/x');
    expect(bare.status).toBe(400);
    expect(bare.text).toBe('');
    expect(bare.headers.get('content-type')).toBeNull();
  });

  it('where no body can fit the declaration: problem+json, and one startup warning names the operation', async () => {
    const answer = await api.request('GET', '/impossible/x');
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    const warnings = lines.filter((l) => /cannot take the shape their document declares/.test(l.msg));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].operations).toEqual(['GET /impossible/{id} (getImpossible): 400 under responses/400']);
  });

  it('specbind check names it too', async () => {
    const findings = await check({ spec: SPEC });
    const unshapeable = findings.filter((f) => f.code === 'error-body-unshapeable');
    expect(unshapeable.map((f) => [f.operation, f.severity])).toEqual([['GET /impossible/{id} (getImpossible)', 'warning']]);
  });
});
