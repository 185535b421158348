// src/replies/error-shape.ts: specbind's own error answers reshaped to the error body a document declares.
// Real declarations from ../shared/specs, each checked with the project's own response validator; then
// small inline schemas for the edges (unsatisfiable schemas, escaping, bounds, choices, media types).
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { problemBody } from '../../src/core/respond';
import type { ProblemBody } from '../../src/errors';
import { HttpError, type ViolationDetail } from '../../src/errors';
import { shapeProblem, type ShapeContext, type Shaped } from '../../src/replies/error-shape';
import { loadSpec, type Dialect } from '../../src/document/load';
import { resolvePointer } from '../../src/document/pointer';
import { SchemaCompiler, type Validator } from '../../src/validation/compiler';
import { SPECS } from '../helpers/server';

const REQUEST_ID = 'req-7';
const VIOLATIONS: ViolationDetail[] = [
  { in: 'query', name: 'limit', message: 'must be <= 100' },
  { in: 'body', pointer: '/name', message: 'must be string' },
];

function validationProblem(): ProblemBody {
  return problemBody(HttpError.of('validationFailed', 'the request has 2 invalid values', { errors: VIOLATIONS }), 400, '/pets', false);
}
function unauthorizedProblem(): ProblemBody {
  return problemBody(HttpError.of('unauthorized', 'missing or invalid API key'), 401, '/pets', false);
}
function internalProblem(): ProblemBody {
  return problemBody(HttpError.of('internalError', 'the handler failed'), 500, '/pets', false);
}
const PROBLEMS: Array<[string, () => ProblemBody]> = [
  ['400 validation (with errors)', validationProblem],
  ['401', unauthorizedProblem],
  ['500', internalProblem],
];

function json(shaped: Shaped | undefined): any {
  if (shaped?.kind !== 'json') throw new Error(`expected a JSON body, got ${JSON.stringify(shaped)}`);
  return shaped.value;
}
function text(shaped: Shaped | undefined): string {
  if (shaped?.kind !== 'text') throw new Error(`expected a text body, got ${JSON.stringify(shaped)}`);
  return shaped.text;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

// -------------------------------------------------------------------------------------------------
// Real documents.

interface Loaded {
  document: any;
  dialect: Dialect;
  compiler: SchemaCompiler;
}

const loaded = new Map<string, Promise<Loaded>>();
function load(file: string): Promise<Loaded> {
  let found = loaded.get(file);
  if (!found) {
    found = loadSpec(file).then(({ document, dialect }) => ({ document, dialect, compiler: new SchemaCompiler(document, dialect) }));
    loaded.set(file, found);
  }
  return found;
}

/** Shapes `problem` for the media type whose schema sits at `pointer`, and validates the result with the document's own validator. */
async function shapeAt(file: string, pointer: string, problem: ProblemBody): Promise<{ shaped: Shaped | undefined; validate: Validator }> {
  const { document, dialect, compiler } = await load(file);
  const mediaType = pointer.split('/content/')[1].split('/')[0].replace(/~1/g, '/').replace(/~0/g, '~');
  const validate = compiler.validator('response', pointer);
  const shaped = shapeProblem(problem, { mediaType, schema: resolvePointer(document, pointer) }, { document, dialect, validate, requestId: REQUEST_ID });
  return { shaped, validate };
}

function expectValid(shaped: Shaped | undefined, validate: Validator): void {
  expect(shaped).toBeDefined();
  expect(validate(shaped!.kind === 'json' ? shaped!.value : shaped!.text)).toBeNull();
}

interface RealCase {
  name: string;
  file: string;
  pointer: string;
  /** What the shaped body must say about `problem`, beyond validating. */
  meaning(shaped: Shaped | undefined, problem: ProblemBody): void;
}

const BUNDLED = path.join(__dirname, '../../openapi/api.yaml');
const specs = (file: string) => path.join(SPECS, file);

const BOX_CODE: Record<number, string> = { 400: 'bad_request', 401: 'unauthorized', 500: 'internal_server_error' };
const STRIPE_TYPE: Record<number, string> = { 400: 'invalid_request_error', 401: 'invalid_request_error', 500: 'api_error' };

const boxClientError = (shaped: Shaped | undefined, problem: ProblemBody) => {
  const body = json(shaped);
  expect(body.type).toBe('error');
  expect(body.status).toBe(problem.status);
  expect(body.code).toBe(BOX_CODE[problem.status]);
  expect(body.message).toBe(problem.detail);
  expect(body.request_id).toBe(REQUEST_ID);
  // Optional members are kept only when mapped: nothing invented from examples.
  expect(body).not.toHaveProperty('help_url');
  expect(body).not.toHaveProperty('context_info');
};

const theProblemItself = (shaped: Shaped | undefined, problem: ProblemBody) => expect(json(shaped)).toBe(problem);

const SHARED_CASES: RealCase[] = [
  {
    name: 'petstore-expanded default Error {code, message}',
    file: 'oai-learn/v3.0/petstore-expanded.yaml',
    pointer: '/paths/~1pets/get/responses/default/content/application~1json/schema',
    meaning(shaped, problem) {
      const body = json(shaped);
      expect(Object.keys(body).sort()).toEqual(['code', 'message']);
      expect(body.code).toBe(problem.status);
      expect(body.message).toContain(problem.detail);
    },
  },
  {
    name: "Discord's 4XX ClientErrorResponse (ErrorResponse: allOf Error + errors)",
    file: 'production/discord-openapi.json',
    pointer: '/components/responses/ClientErrorResponse/content/application~1json/schema',
    meaning(shaped, problem) {
      const body = json(shaped);
      expect(body.code).toBe(problem.status);
      expect(body.message).toBe(problem.detail);
      // `errors` is Discord's nested field map, not a list: optional, so left out rather than invented.
      expect(body).not.toHaveProperty('errors');
    },
  },
  {
    name: "Discord's 429 ClientRatelimitedResponse (required retry_after, global)",
    file: 'production/discord-openapi.json',
    pointer: '/components/responses/ClientRatelimitedResponse/content/application~1json/schema',
    meaning(shaped, problem) {
      const body = json(shaped);
      expect(body.code).toBe(problem.status);
      expect(body.message).toBe(problem.detail);
      expect(typeof body.retry_after).toBe('number');
      expect(typeof body.global).toBe('boolean');
    },
  },
  {
    name: "Box's ClientError (GET /files/{file_id} 401)",
    file: 'production/box-openapi.json',
    pointer: '/paths/~1files~1{file_id}/get/responses/401/content/application~1json/schema',
    meaning: boxClientError,
  },
  {
    name: "Box's ClientError (GET /files/{file_id} default)",
    file: 'production/box-openapi.json',
    pointer: '/paths/~1files~1{file_id}/get/responses/default/content/application~1json/schema',
    meaning: boxClientError,
  },
  {
    name: "Box's ConflictError (allOf ClientError + context_info)",
    file: 'production/box-openapi.json',
    pointer: '/paths/~1files~1content/options/responses/409/content/application~1json/schema',
    meaning: boxClientError,
  },
  {
    name: "Box's OAuth2Error (no required members: the problem already validates)",
    file: 'production/box-openapi.json',
    pointer: '/paths/~1oauth2~1token/post/responses/400/content/application~1json/schema',
    meaning: theProblemItself,
  },
  {
    name: "Box's text/html default (format: html)",
    file: 'production/box-openapi.json',
    pointer: '/paths/~1authorize/get/responses/default/content/text~1html/schema',
    meaning(shaped, problem) {
      expect(text(shaped)).toBe(escapeHtml(problem.detail!));
    },
  },
  {
    name: "Adyen's ServiceError (additionalProperties: false)",
    file: 'production/adyen-CheckoutService-v71.yaml',
    pointer: '/paths/~1cancels/post/responses/400/content/application~1json/schema',
    meaning(shaped, problem) {
      const body = json(shaped);
      expect(body.status).toBe(problem.status);
      expect(body.errorCode).toBe(String(problem.status));
      expect(body.message).toBe(problem.detail);
      expect(body.errorType).toBe(problem.type);
      expect(Object.keys(body).every((k) => ['additionalData', 'errorCode', 'errorType', 'message', 'pspReference', 'status'].includes(k))).toBe(true);
    },
  },
  {
    name: "Adyen's DefaultErrorResponseEntity (RFC 7807-like: the problem validates)",
    file: 'production/adyen-CheckoutService-v71.yaml',
    pointer: '/paths/~1validateShopperId/post/responses/400/content/application~1json/schema',
    meaning: theProblemItself,
  },
  {
    name: "Stripe's error {error: api_errors}",
    file: 'production/stripe-spec3.yaml',
    pointer: '/paths/~1v1~1account/get/responses/default/content/application~1json/schema',
    meaning(shaped, problem) {
      const body = json(shaped);
      expect(Object.keys(body)).toEqual(['error']);
      expect(body.error.message).toBe(problem.detail);
      expect(body.error.type).toBe(STRIPE_TYPE[problem.status]);
    },
  },
  {
    name: "Twilio's inline 408 {code, message, more_info, status} (the problem validates)",
    file: 'production/twilio_api_v2010.yaml',
    pointer: '/paths/~12010-04-01~1Accounts~1{AccountSid}~1Calls~1{CallSid}~1Recordings~1{Sid}.json/post/responses/408/content/application~1json/schema',
    meaning: theProblemItself,
  },
  {
    name: "tictactoe's text/html 400 (errorMessage: string, maxLength 256)",
    file: 'oai-learn/v3.1/tictactoe.yaml',
    pointer: '/paths/~1board~1{row}~1{column}/get/responses/400/content/text~1html/schema',
    meaning(shaped, problem) {
      expect(text(shaped)).toBe(escapeHtml(problem.detail!));
    },
  },
];

const BUNDLED_CASES: RealCase[] = ['MalformedRequest', 'Unauthorized', 'BadDatabase'].map((name) => ({
  name: `the bundled API's ${name} (application/problem+json)`,
  file: BUNDLED,
  pointer: `/components/responses/${name}/content/application~1problem+json/schema`,
  meaning: theProblemItself,
}));

const available = existsSync(specs(SHARED_CASES[0].file));
if (!available) console.warn(`error-shape: ${SPECS} is missing; the shared-document cases are skipped (the bundled API's still run)`);

describe('real error declarations', () => {
  const cases = [...BUNDLED_CASES, ...(available ? SHARED_CASES.map((c) => ({ ...c, file: specs(c.file) })) : [])];
  describe.each(cases)('$name', (real) => {
    it.each(PROBLEMS)('%s: validates against the declared schema and keeps the meaning', async (_label, make) => {
      const problem = make();
      const { shaped, validate } = await shapeAt(real.file, real.pointer, problem);
      expectValid(shaped, validate);
      real.meaning(shaped, problem);
    });
  });

  (available ? it : it.skip)('without a validator, the structural check gives the same bodies as the real validator', async () => {
    for (const real of SHARED_CASES) {
      const { document, dialect } = await load(specs(real.file));
      const mediaType = real.pointer.split('/content/')[1].split('/')[0].replace(/~1/g, '/');
      for (const [label, make] of PROBLEMS) {
        const problem = make();
        const { shaped } = await shapeAt(specs(real.file), real.pointer, problem);
        const unchecked = shapeProblem(problem, { mediaType, schema: resolvePointer(document, real.pointer) }, { document, dialect, requestId: REQUEST_ID });
        expect({ declaration: real.name, problem: label, body: unchecked }).toEqual({ declaration: real.name, problem: label, body: shaped });
      }
    }
  });

  (available ? it : it.skip)('tictactoe: a detail longer than maxLength 256 is cut, and still validates', async () => {
    const problem = problemBody(new HttpError(400, 'x'.repeat(300)), 400, undefined, false);
    const { shaped, validate } = await shapeAt(specs('oai-learn/v3.1/tictactoe.yaml'), '/paths/~1board~1{row}~1{column}/get/responses/400/content/text~1html/schema', problem);
    expectValid(shaped, validate);
    expect([...text(shaped)]).toHaveLength(256);
    expect(text(shaped).endsWith('…')).toBe(true);
  });

  (available ? it : it.skip)('Box: a status without its own code (413) picks the closest client code, and a 504 a server one', async () => {
    const pointer = '/paths/~1files~1{file_id}/get/responses/default/content/application~1json/schema';
    const tooLarge = await shapeAt(specs('production/box-openapi.json'), pointer, problemBody(HttpError.of('payloadTooLarge', 'over 1 MB'), 413, undefined, false));
    expectValid(tooLarge.shaped, tooLarge.validate);
    expect(json(tooLarge.shaped)).toMatchObject({ status: 413, code: 'bad_request' });
    const timeout = await shapeAt(specs('production/box-openapi.json'), pointer, problemBody(HttpError.of('handlerTimeout'), 504, undefined, false));
    expectValid(timeout.shaped, timeout.validate);
    expect(json(timeout.shaped)).toMatchObject({ status: 504, code: 'unavailable', message: 'Handler Timeout' });
  });
});

// -------------------------------------------------------------------------------------------------
// Inline schemas.

/** A 3.x document with `schema` at #/components/schemas/Body, and its response validator. */
function inline(schema: unknown, dialect: Dialect = '3.0', extra: Record<string, unknown> = {}): { context: ShapeContext; schema: unknown } {
  const document = { openapi: dialect === '3.1' ? '3.1.0' : '3.0.3', paths: {}, components: { schemas: { Body: schema, ...extra } } };
  const validate = new SchemaCompiler(document, dialect).validator('response', '/components/schemas/Body');
  return { context: { document, dialect, validate, requestId: REQUEST_ID }, schema: { $ref: '#/components/schemas/Body' } };
}

function shapeJson(schema: unknown, problem: ProblemBody = validationProblem(), dialect: Dialect = '3.0', extra?: Record<string, unknown>): Shaped | undefined {
  const { context, schema: ref } = inline(schema, dialect, extra);
  const shaped = shapeProblem(problem, { mediaType: 'application/json', schema: ref }, context);
  if (shaped?.kind === 'json') expect(context.validate!(shaped.value)).toBeNull();
  return shaped;
}

describe('no body can satisfy the schema', () => {
  it.each<[string, unknown, Dialect]>([
    ['a required member with an empty enum', { type: 'object', required: ['x'], properties: { x: { type: 'string', enum: [] } } }, '3.0'],
    ['`not: {}`', { not: {} }, '3.0'],
    ['a required member that is `not: {}`', { type: 'object', required: ['message'], properties: { message: { not: {} } } }, '3.0'],
    ['a required member `false` (3.1)', { type: 'object', required: ['message'], properties: { message: false } }, '3.1'],
    ['contradictory allOf types', { allOf: [{ type: 'string' }, { type: 'integer' }] }, '3.0'],
  ])('%s: undefined, with and without a validator', (_label, schema, dialect) => {
    const { context, schema: ref } = inline(schema, dialect);
    expect(shapeProblem(validationProblem(), { mediaType: 'application/json', schema: ref }, context)).toBeUndefined();
    expect(shapeProblem(validationProblem(), { mediaType: 'application/json', schema: ref }, { ...context, validate: undefined })).toBeUndefined();
  });
});

describe('media types', () => {
  const schema = { type: 'object', required: ['code', 'message'], properties: { code: { type: 'integer' }, message: { type: 'string' } } };

  it('application/problem+json: the problem, whatever the schema says', () => {
    const problem = validationProblem();
    expect(shapeProblem(problem, { mediaType: 'application/problem+json; charset=utf-8', schema }, { document: {} })).toEqual({ kind: 'json', value: problem });
  });

  it('a JSON type without a schema, or whose schema takes a problem: the problem', () => {
    const problem = unauthorizedProblem();
    expect(json(shapeProblem(problem, { mediaType: 'application/json' }, { document: {} }))).toBe(problem);
    expect(json(shapeJson({ type: 'object', properties: { code: { type: 'string' } } }, problem))).toBe(problem);
  });

  it.each(['application/json', 'application/vnd.api+json', '*/*', 'application/*'])('%s with a {code, message} schema: shaped', (mediaType) => {
    const { context, schema: ref } = inline(schema);
    expect(json(shapeProblem(unauthorizedProblem(), { mediaType, schema: ref }, context))).toEqual({ code: 401, message: 'missing or invalid API key' });
  });

  it.each(['application/octet-stream', 'image/png', 'multipart/form-data', 'application/x-www-form-urlencoded'])('%s: undefined', (mediaType) => {
    expect(shapeProblem(unauthorizedProblem(), { mediaType }, { document: {} })).toBeUndefined();
  });

  it('application/xml (and +xml, text/xml) without a schema: an RFC 7807 problem document, escaped', () => {
    const problem = problemBody(new HttpError(400, 'bad <name> & "value"\u0000'), 400, '/a?b=<c>', false);
    for (const mediaType of ['application/xml', 'application/problem+xml', 'text/xml']) {
      const xml = text(shapeProblem(problem, { mediaType }, { document: {} }));
      expect(xml).toContain('<problem xmlns="urn:ietf:rfc:7807">');
      expect(xml).toContain('<status>400</status>');
      expect(xml).toContain('<title>Bad Request</title>');
      expect(xml).toContain('<detail>bad &lt;name&gt; &amp; &quot;value&quot;\uFFFD</detail>');
      expect(xml).toContain('<instance>/a?b=&lt;c&gt;</instance>');
      expect(xml).not.toContain('<name>');
    }
    expect(shapeProblem(problem, { mediaType: 'application/xml', schema: { type: 'object' } }, { document: {} })).toBeUndefined();
  });
});

describe('text bodies', () => {
  const attack = () => problemBody(new HttpError(400, 'no such board <script>alert(1)</script>'), 400, undefined, false);

  it('text/html escapes what the detail echoes', () => {
    const html = text(shapeProblem(attack(), { mediaType: 'text/html; charset=utf-8', schema: { type: 'string' } }, { document: {} }));
    expect(html).toBe('no such board &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(text(shapeProblem(attack(), { mediaType: 'text/html' }, { document: {} }))).not.toContain('<script>');
  });

  it('text/plain keeps the text as it is; the title stands in for a missing detail', () => {
    expect(text(shapeProblem(attack(), { mediaType: 'text/plain' }, { document: {} }))).toBe('no such board <script>alert(1)</script>');
    expect(text(shapeProblem(problemBody(new HttpError(404), 404, undefined, false), { mediaType: 'text/plain' }, { document: {} }))).toBe('Not Found');
  });

  it('maxLength cuts the escaped text between entities, never inside one', () => {
    const problem = problemBody(new HttpError(400, '<'.repeat(40)), 400, undefined, false);
    const html = text(shapeProblem(problem, { mediaType: 'text/html', schema: { type: 'string', maxLength: 18 } }, { document: {} }));
    expect([...html].length).toBeLessThanOrEqual(18);
    expect(html).toBe('&lt;&lt;&lt;&lt;…');
    const plain = text(shapeProblem(problem, { mediaType: 'text/plain', schema: { type: 'string', maxLength: 10 } }, { document: {} }));
    expect(plain).toBe('<'.repeat(10));
  });

  it('an enum: the value that names the condition; a const: the const', () => {
    const unauthorized = unauthorizedProblem();
    expect(text(shapeProblem(unauthorized, { mediaType: 'text/plain', schema: { type: 'string', enum: ['Bad Request', 'Unauthorized', 'Server Error'] } }, { document: {} }))).toBe('Unauthorized');
    expect(text(shapeProblem(unauthorized, { mediaType: 'text/plain', schema: { const: 'error' } }, { document: {} }))).toBe('error');
  });

  it('a pattern or format the text cannot meet: undefined', () => {
    const problem = unauthorizedProblem();
    expect(shapeProblem(problem, { mediaType: 'text/plain', schema: { type: 'string', pattern: '^[0-9]+$' } }, { document: {} })).toBeUndefined();
    expect(shapeProblem(problem, { mediaType: 'text/plain', schema: { type: 'string', format: 'uuid' } }, { document: {} })).toBeUndefined();
    expect(shapeProblem(problem, { mediaType: 'text/plain', schema: { type: 'integer' } }, { document: {} })).toBeUndefined();
  });

  it("the caller's validator has the last word", () => {
    const problem = unauthorizedProblem();
    expect(shapeProblem(problem, { mediaType: 'text/plain', schema: { type: 'string' } }, { document: {}, validate: () => [{ pointer: '', message: 'no' }] })).toBeUndefined();
  });
});

describe('JSON bodies shaped to the schema', () => {
  it('maxLength truncates a mapped message (marked with an ellipsis); minLength pads it', () => {
    const long = problemBody(new HttpError(400, 'a detail that is far longer than twenty characters'), 400, undefined, false);
    const body = json(shapeJson({ type: 'object', required: ['message'], properties: { message: { type: 'string', maxLength: 20 } } }, long));
    expect(body.message).toBe('a detail that is fa…');
    const short = problemBody(new HttpError(400, 'no'), 400, undefined, false);
    expect(json(shapeJson({ type: 'object', required: ['message'], properties: { message: { type: 'string', minLength: 5 } } }, short)).message).toBe('no...');
  });

  it('oneOf: the first branch whose whole body validates (a constraint the plan does not read rejects the first)', () => {
    const schema = {
      oneOf: [
        { type: 'object', required: ['message'], properties: { message: { type: 'string' } }, additionalProperties: false, minProperties: 2 },
        { type: 'object', required: ['code', 'message'], properties: { code: { type: 'integer' }, message: { type: 'string' } }, additionalProperties: false },
      ],
    };
    expect(json(shapeJson(schema, unauthorizedProblem()))).toEqual({ code: 401, message: 'missing or invalid API key' });
  });

  it('oneOf without a validator: the structural check picks the branch', () => {
    const schema = {
      oneOf: [
        { type: 'object', required: ['kind'], properties: { kind: { type: 'string', enum: ['a'] }, count: { type: 'integer' } }, additionalProperties: false },
        { type: 'object', required: ['code', 'message'], properties: { code: { type: 'integer' }, message: { type: 'string' } }, additionalProperties: false },
      ],
    };
    // The first branch shapes to {kind: 'a'}, which validates: the first that fits wins.
    expect(json(shapeProblem(unauthorizedProblem(), { mediaType: 'application/json', schema }, { document: {} }))).toEqual({ kind: 'a' });
    const second = { oneOf: [{ ...schema.oneOf[0], required: ['kind', 'count'], properties: { kind: { enum: ['a'] }, count: { type: 'integer', minimum: 5, maximum: 1 } } }, schema.oneOf[1]] };
    expect(json(shapeProblem(unauthorizedProblem(), { mediaType: 'application/json', schema: second }, { document: {} }))).toEqual({ code: 401, message: 'missing or invalid API key' });
  });

  it('a nested oneOf (the items of `errors`): the branch whose value passes the structural check', () => {
    const items = {
      oneOf: [
        // Shapes to {message}, which its own `not` then refuses.
        { type: 'object', properties: { message: { type: 'string' } }, not: { required: ['message'] } },
        { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
      ],
    };
    const body = json(shapeJson({ type: 'object', required: ['errors'], properties: { errors: { type: 'array', items } }, additionalProperties: false }));
    expect(body).toEqual({ errors: [{ field: 'limit', message: 'must be <= 100' }, { field: '/name', message: 'must be string' }] });
  });

  it('oneOf with a discriminator: the branch carries its discriminator value', () => {
    const shaped = json(
      shapeJson(
        { oneOf: [{ $ref: '#/components/schemas/Auth' }, { $ref: '#/components/schemas/Plain' }], discriminator: { propertyName: 'kind', mapping: { auth: '#/components/schemas/Auth', plain: '#/components/schemas/Plain' } } },
        unauthorizedProblem(),
        '3.0',
        {
          Auth: { type: 'object', required: ['kind', 'realm'], properties: { kind: { type: 'string' }, realm: { type: 'string', enum: ['api'] } } },
          Plain: { type: 'object', required: ['kind', 'message'], properties: { kind: { type: 'string' }, message: { type: 'string' } } },
        },
      ),
    );
    expect(shaped).toEqual({ kind: 'auth', realm: 'api' });
  });

  it('errors are mapped item by item; an item that cannot be shaped is dropped', () => {
    const body = json(
      shapeJson({
        type: 'object',
        required: ['message', 'errors'],
        properties: {
          message: { type: 'string' },
          errors: { type: 'array', items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string', pattern: '^[a-z]+$' }, message: { type: 'string' }, in: { type: 'string' } } } },
        },
      }),
    );
    // The body violation's pointer (/name) does not match the field pattern: that item is dropped.
    expect(body).toEqual({ message: 'the request has 2 invalid values', errors: [{ field: 'limit', message: 'must be <= 100', in: 'query' }] });
  });

  it('a required errors list is empty when the problem has none; an optional one is left out', () => {
    const item = { type: 'object', properties: { param: { type: 'string' }, msg: { type: 'string' } } };
    const required = json(shapeJson({ type: 'object', required: ['errors', 'msg'], properties: { msg: { type: 'string' }, errors: { type: 'array', items: item } }, additionalProperties: false }, unauthorizedProblem()));
    expect(required).toEqual({ errors: [], msg: 'missing or invalid API key' });
    const optional = json(shapeJson({ type: 'object', required: ['msg'], properties: { msg: { type: 'string' }, errors: { type: 'array', items: item } }, additionalProperties: false }, unauthorizedProblem()));
    expect(optional).toEqual({ msg: 'missing or invalid API key' });
    const withErrors = json(shapeJson({ type: 'object', required: ['msg'], properties: { msg: { type: 'string' }, invalid_params: { type: 'array', items: item } }, additionalProperties: false }));
    expect(withErrors.invalid_params).toEqual([{ param: 'limit', msg: 'must be <= 100' }, { param: '/name', msg: 'must be string' }]);
  });

  it("OAuth-style: `error` carries the title beside `error_description`; a body that is a list has one item per violation", () => {
    const oauth = json(shapeJson({ type: 'object', required: ['error', 'error_description'], properties: { error: { type: 'string' }, error_description: { type: 'string' } }, additionalProperties: false }, unauthorizedProblem()));
    expect(oauth).toEqual({ error: 'Unauthorized', error_description: 'missing or invalid API key' });
    expect(json(shapeJson({ type: 'array', items: { type: 'string' } }))).toEqual(['limit: must be <= 100', '/name: must be string']);
    expect(json(shapeJson({ type: 'array', items: { type: 'string' } }, unauthorizedProblem()))).toEqual(['missing or invalid API key']);
    expect(json(shapeJson({ type: 'string' }, unauthorizedProblem()))).toBe('missing or invalid API key');
  });

  it('request ids, instances, timestamps and title members are filled; unmapped optional members are not invented', () => {
    const body = json(
      shapeJson(
        {
          type: 'object',
          required: ['traceId', 'timestamp'],
          properties: { traceId: { type: 'string' }, timestamp: { type: 'string', format: 'date-time' }, path: { type: 'string' }, summary: { type: 'string' }, hint: { type: 'string', example: 'try again' } },
          additionalProperties: false,
        },
        unauthorizedProblem(),
      ),
    );
    expect(Object.keys(body).sort()).toEqual(['path', 'summary', 'timestamp', 'traceId']);
    expect(body).toMatchObject({ traceId: REQUEST_ID, path: '/pets', summary: 'Unauthorized' });
    expect(Math.abs(Date.parse(body.timestamp) - Date.now())).toBeLessThan(60_000);
  });

  it('required members nothing maps: const, single enum, default, example, then a sample', () => {
    const body = json(
      shapeJson(
        {
          type: 'object',
          required: ['message', 'object', 'version', 'retryable', 'hint', 'count'],
          properties: {
            message: { type: 'string' },
            object: { type: 'string', enum: ['error'] },
            version: { type: 'string', default: 'v1' },
            retryable: { type: 'boolean', example: false },
            hint: { type: 'string', examples: ['try again'] },
            count: { type: 'integer', minimum: 3 },
          },
        },
        unauthorizedProblem(),
        '3.1',
      ),
    );
    expect(body).toEqual({ message: 'missing or invalid API key', object: 'error', version: 'v1', retryable: false, hint: 'try again', count: 3 });
  });

  it('an example that is a reason phrase names this problem\'s status the same way (DigitalOcean\'s `id`)', () => {
    const schema = { type: 'object', required: ['id', 'message'], properties: { id: { type: 'string', example: 'not_found' }, message: { type: 'string' } } };
    expect(json(shapeJson(schema, unauthorizedProblem()))).toEqual({ id: 'unauthorized', message: 'missing or invalid API key' });
    expect(json(shapeJson({ ...schema, properties: { ...schema.properties, id: { type: 'string', example: 'NotFound' } } }, validationProblem())).id).toBe('BadRequest');
  });

  it('a status member out of its bounds (int32, maximum) is left out when optional and completed when required', () => {
    const optional = json(shapeJson({ type: 'object', required: ['message'], properties: { message: { type: 'string' }, code: { type: 'integer', maximum: 99 } }, additionalProperties: false }, unauthorizedProblem()));
    expect(optional).toEqual({ message: 'missing or invalid API key' });
    const required = json(shapeJson({ type: 'object', required: ['message', 'code'], properties: { message: { type: 'string' }, code: { type: 'integer', format: 'int32', minimum: 1000, example: 1001 } }, additionalProperties: false }, unauthorizedProblem()));
    expect(required).toEqual({ message: 'missing or invalid API key', code: 1001 });
    // int32/int64 are number formats: on a string they are annotations (as Ajv reads them), not a bar.
    expect(json(shapeJson({ type: 'object', required: ['code'], properties: { code: { type: 'string', format: 'int64' } }, additionalProperties: false }, unauthorizedProblem()))).toEqual({ code: '401' });
  });

  it('a string status with an enum: the value that names the condition (Stripe/Box style); a numeric enum: the status', () => {
    const codes = { type: 'string', enum: ['resource_missing', 'not_found', 'forbidden', 'rate_limited', 'server_error'] };
    const schema = { type: 'object', required: ['code', 'message'], properties: { code: codes, message: { type: 'string' } }, additionalProperties: false };
    expect(json(shapeJson(schema, problemBody(new HttpError(404, 'no pet 7'), 404, undefined, false))).code).toBe('not_found');
    expect(json(shapeJson(schema, problemBody(new HttpError(429), 429, undefined, false))).code).toBe('rate_limited');
    expect(json(shapeJson(schema, internalProblem())).code).toBe('server_error');
    const numeric = { ...schema, properties: { ...schema.properties, code: { type: 'integer', enum: [400, 401, 404, 500] } } };
    expect(json(shapeJson(numeric, unauthorizedProblem())).code).toBe(401);
  });

  it('3.0 nullable and 3.1 type arrays accept the mapped values', () => {
    const body30 = json(shapeJson({ type: 'object', required: ['message', 'code'], properties: { message: { type: 'string', nullable: true }, code: { type: 'integer', nullable: true } }, additionalProperties: false }, unauthorizedProblem(), '3.0'));
    expect(body30).toEqual({ message: 'missing or invalid API key', code: 401 });
    const body31 = json(shapeJson({ type: 'object', required: ['message', 'code'], properties: { message: { type: ['string', 'null'] }, code: { type: ['null', 'integer'] } }, additionalProperties: false }, unauthorizedProblem(), '3.1'));
    expect(body31).toEqual({ message: 'missing or invalid API key', code: 401 });
  });

  it('Stripe-style nested error: shaped from the same problem; an optional nested error only when it says something', () => {
    const inner = { type: 'object', required: ['type'], properties: { type: { type: 'string', enum: ['api_error', 'invalid_request_error'] }, message: { type: 'string' } } };
    expect(json(shapeJson({ type: 'object', required: ['error'], properties: { error: inner } }, validationProblem()))).toEqual({ error: { type: 'invalid_request_error', message: 'the request has 2 invalid values' } });
    const optional = { type: 'object', required: ['ok'], properties: { ok: { type: 'boolean', enum: [false] }, error: { type: 'object', properties: { unrelated: { type: 'string' } } } }, additionalProperties: false };
    expect(json(shapeJson(optional, unauthorizedProblem()))).toEqual({ ok: false });
  });

  it('extension members of the problem fill the members named after them', () => {
    const problem = problemBody(new HttpError(429, 'slow down', { extensions: { retry_after: 2.5 } }), 429, undefined, false);
    const body = json(shapeJson({ type: 'object', required: ['message', 'retry_after'], properties: { message: { type: 'string' }, retry_after: { type: 'number' } }, additionalProperties: false }, problem));
    expect(body).toEqual({ message: 'slow down', retry_after: 2.5 });
  });

  it('never throws: broken $refs, self-referencing allOf, a validator that throws', () => {
    const problem = unauthorizedProblem();
    const document = { openapi: '3.0.3', components: { schemas: { Loop: { allOf: [{ $ref: '#/components/schemas/Loop' }], required: ['message'], properties: { message: { type: 'string' } } } } } };
    expect(() => shapeProblem(problem, { mediaType: 'application/json', schema: { $ref: '#/components/schemas/Missing' } }, { document })).not.toThrow();
    expect(json(shapeProblem(problem, { mediaType: 'application/json', schema: { $ref: '#/components/schemas/Loop', additionalProperties: false } }, { document }))).toEqual({ message: 'missing or invalid API key' });
    const throwing = () => {
      throw new Error('validator bug');
    };
    expect(shapeProblem(problem, { mediaType: 'application/json', schema: { type: 'object', required: ['x'] } }, { document, validate: throwing })).toBeUndefined();
    expect(shapeProblem(problem, { mediaType: 'application/json', schema: 42 }, { document: null })).toEqual({ kind: 'json', value: problem });
  });

  it('the plan is reused: shaping the same schema again gives the same body, and is fast', () => {
    const { context, schema } = inline({ type: 'object', required: ['code', 'message'], properties: { code: { type: 'integer', format: 'int32' }, message: { type: 'string' } } });
    const first = json(shapeProblem(unauthorizedProblem(), { mediaType: 'application/json', schema }, context));
    const started = process.hrtime.bigint();
    for (let i = 0; i < 5000; i++) expect(json(shapeProblem(unauthorizedProblem(), { mediaType: 'application/json', schema }, context))).toEqual(first);
    // Generous: a plan rebuilt per call (or a validator per call) would still pass; this guards against something far worse.
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(5000);
  });
});
