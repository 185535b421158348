// The two schema dialects over HTTP: OpenAPI 3.0 (draft-07 plus `nullable`, boolean exclusive bounds)
// and OpenAPI 3.1 (JSON Schema 2020-12), on requests and on responses, as a client sees them.
import * as path from 'node:path';
import type { Handler } from '../../src';
import { start, type Answer, type Started } from '../helpers/server';

const FIXTURES = path.join(__dirname, '../fixtures');
const PROBLEM_JSON = 'application/problem+json';

/** Handlers that echo the body they received and count every call, per operationId (only `ids`). */
function makeHandlers(ids: string[]) {
  const calls: Record<string, number> = {};
  const state: { counter: unknown; me: unknown; profileExtra: object } = { counter: { count: 1 }, me: { id: 1, name: 'ada' }, profileExtra: {} };
  const counted = (id: string, fn: Handler): Handler => (input, ctx) => {
    calls[id] = (calls[id] ?? 0) + 1;
    return fn(input, ctx);
  };
  const echo = (input: any) => ({ received: input.body });
  const handlers: Record<string, Handler> = {
    postNullable: counted('postNullable', echo),
    postExclusive: counted('postExclusive', echo),
    postCharge: counted('postCharge', echo),
    createProfile: counted('createProfile', (input: any, ctx) => ctx.reply.created({ id: 9, handle: input.body?.handle ?? 'anonymous', ...state.profileExtra })),
    postShape: counted('postShape', echo),
    postPet: counted('postPet', echo),
    createUser: counted('createUser', (input: any, ctx) => ctx.reply.created({ id: 7, name: input.body.name })),
    getMe: counted('getMe', () => state.me),
    getCounter: counted('getCounter', () => state.counter),
  };
  for (const id of Object.keys(handlers)) if (!ids.includes(id)) delete handlers[id];
  return { handlers, calls, state };
}

/** A 400 problem whose `errors` has a body entry at `pointer`. */
function expectBodyViolation(answer: Answer, pointer: string): void {
  expect(answer.status).toBe(400);
  expect(answer.headers.get('content-type')).toContain(PROBLEM_JSON);
  expect(answer.json.status).toBe(400);
  expect(Array.isArray(answer.json.errors)).toBe(true);
  expect(answer.json.errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'body', pointer })]));
}

/** A 500 problem from response validation whose detail contains every fragment. */
function expectContractViolation(answer: Answer, ...fragments: string[]): void {
  expect(answer.status).toBe(500);
  expect(answer.headers.get('content-type')).toContain(PROBLEM_JSON);
  expect(answer.json.status).toBe(500);
  expect(typeof answer.json.detail).toBe('string');
  for (const fragment of fragments) expect(answer.json.detail).toContain(fragment);
}

describe('OpenAPI 3.0 dialect', () => {
  let api: Started;
  let fixture: ReturnType<typeof makeHandlers>;

  beforeAll(async () => {
    fixture = makeHandlers(['postNullable', 'postExclusive', 'postCharge', 'createProfile', 'createUser', 'getMe', 'getCounter']);
    api = await start({ spec: path.join(FIXTURES, 'dialect-30/openapi.yaml'), handlers: fixture.handlers });
  });
  afterAll(() => api?.close());

  describe('nullable', () => {
    it('accepts null for a property marked nullable: true', async () => {
      const answer = await api.request('POST', '/nullable', { body: { nickname: null, name: 'ada' } });
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ received: { nickname: null, name: 'ada' } });
    });

    it('rejects null for a property without nullable, pointing at it', async () => {
      const answer = await api.request('POST', '/nullable', { body: { nickname: 'x', name: null } });
      expectBodyViolation(answer, '/name');
      expect(answer.json.errors.every((e: any) => e.pointer !== '/nickname')).toBe(true);
    });

    it('accepts null for a nullable enum even though null is not listed', async () => {
      expect((await api.request('POST', '/nullable', { body: { rank: null } })).status).toBe(200);
      expectBodyViolation(await api.request('POST', '/nullable', { body: { rank: 'middle' } }), '/rank');
    });

    it('a request that fails validation never reaches its handler', async () => {
      const before = fixture.calls.postNullable ?? 0;
      expect((await api.request('POST', '/nullable', { body: { name: null } })).status).toBe(400);
      expect((await api.request('POST', '/nullable', { body: { name: 42 } })).status).toBe(400);
      expect(fixture.calls.postNullable ?? 0).toBe(before);
      expect((await api.request('POST', '/nullable', { body: { name: 'ok' } })).status).toBe(200);
      expect(fixture.calls.postNullable).toBe(before + 1);
    });
  });

  describe('boolean exclusiveMinimum / exclusiveMaximum', () => {
    it('exclusiveMinimum: true with minimum: 0 rejects 0', async () => {
      expectBodyViolation(await api.request('POST', '/exclusive', { body: { amount: 0 } }), '/amount');
    });

    it('exclusiveMinimum: true with minimum: 0 accepts 1 (and 0.001)', async () => {
      expect((await api.request('POST', '/exclusive', { body: { amount: 1 } })).status).toBe(200);
      expect((await api.request('POST', '/exclusive', { body: { amount: 0.001 } })).status).toBe(200);
    });

    it('still rejects values below the minimum', async () => {
      expectBodyViolation(await api.request('POST', '/exclusive', { body: { amount: -1 } }), '/amount');
    });

    it('exclusiveMaximum: true with maximum: 100 rejects 100 and accepts 99.9', async () => {
      expectBodyViolation(await api.request('POST', '/exclusive', { body: { amount: 1, percent: 100 } }), '/percent');
      expect((await api.request('POST', '/exclusive', { body: { amount: 1, percent: 99.9 } })).status).toBe(200);
    });
  });

  describe('nullable beside anyOf / allOf without type (as Stripe writes it)', () => {
    it('accepts null', async () => {
      const answer = await api.request('POST', '/charges', { body: { customer: null, shipping: null } });
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ received: { customer: null, shipping: null } });
    });

    it('accepts each anyOf branch and the allOf shape', async () => {
      expect((await api.request('POST', '/charges', { body: { customer: 'cus_123' } })).status).toBe(200);
      expect((await api.request('POST', '/charges', { body: { customer: { id: 'cus_123' } } })).status).toBe(200);
      expect((await api.request('POST', '/charges', { body: { shipping: { city: 'Oslo' } } })).status).toBe(200);
    });

    it('still rejects values that match no branch', async () => {
      expectBodyViolation(await api.request('POST', '/charges', { body: { customer: 42 } }), '/customer');
      expectBodyViolation(await api.request('POST', '/charges', { body: { shipping: {} } }), '/shipping/city');
    });
  });

  describe('readOnly and writeOnly', () => {
    it('a readOnly property sent in a request is a 400 pointing at it; the handler is not called', async () => {
      const before = fixture.calls.createUser ?? 0;
      const answer = await api.request('POST', '/users', { body: { id: 3, name: 'ada', password: 'pw' } });
      expectBodyViolation(answer, '/id');
      expect(fixture.calls.createUser ?? 0).toBe(before);
    });

    it('a readOnly property is not required in a request, nor a writeOnly one in a response', async () => {
      const answer = await api.request('POST', '/users', { body: { name: 'ada', password: 'pw' } });
      expect(answer.status).toBe(201);
      expect(answer.json).toEqual({ id: 7, name: 'ada' });
    });

    it('a writeOnly property in a response is a 500 naming it', async () => {
      fixture.state.me = { id: 1, name: 'ada', password: 'hunter2' };
      const answer = await api.request('GET', '/users/me');
      expectContractViolation(answer, 'getMe', '/password', 'writeOnly');
      expect(answer.text).not.toContain('hunter2');
    });

    // A schema with `nullable: true` and no `type` is read as "null or the schema"; the readOnly and
    // writeOnly rules of its properties must survive that rewrite.
    it('nullable schema without type: readOnly is not required in a request, and is refused when sent', async () => {
      const created = await api.request('POST', '/profiles', { body: { handle: 'ada', secret: 's' } });
      expect(created.status).toBe(201);
      expect(created.json).toEqual({ id: 9, handle: 'ada' });
      expectBodyViolation(await api.request('POST', '/profiles', { body: { id: 1, handle: 'ada', secret: 's' } }), '/id');
      expect((await api.request('POST', '/profiles', { body: null })).json).toEqual({ id: 9, handle: 'anonymous' });
    });

    it('nullable schema without type: writeOnly in a response is a 500', async () => {
      fixture.state.profileExtra = { secret: 'hunter2' };
      try {
        expectContractViolation(await api.request('POST', '/profiles', { body: { handle: 'ada', secret: 's' } }), 'createProfile', '/secret', 'writeOnly');
      } finally {
        fixture.state.profileExtra = {};
      }
    });
  });

  describe('response validation', () => {
    it('a valid response is sent', async () => {
      fixture.state.counter = { count: 2 };
      const answer = await api.request('GET', '/counter');
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ count: 2 });
    });

    it('a response invalid for its schema becomes a 500 problem naming the violation', async () => {
      fixture.state.counter = { count: 'two' };
      expectContractViolation(await api.request('GET', '/counter'), 'getCounter', '/count', 'integer');
      fixture.state.counter = { count: -1 };
      expectContractViolation(await api.request('GET', '/counter'), '/count', '>= 0');
      fixture.state.counter = {};
      expectContractViolation(await api.request('GET', '/counter'), '/count', 'required');
      fixture.state.counter = { count: 1, extra: true };
      expectContractViolation(await api.request('GET', '/counter'), '/extra');
    });

    it('null in a response where the schema is not nullable is a 500', async () => {
      fixture.state.counter = { count: null };
      expectContractViolation(await api.request('GET', '/counter'), '/count');
    });
  });
});

describe('OpenAPI 3.1 dialect', () => {
  let api: Started;
  let fixture: ReturnType<typeof makeHandlers>;

  beforeAll(async () => {
    fixture = makeHandlers(['postNullable', 'postShape', 'postPet', 'postExclusive', 'createUser', 'getMe', 'getCounter']);
    api = await start({ spec: path.join(FIXTURES, 'dialect-31/openapi.yaml'), handlers: fixture.handlers });
  });
  afterAll(() => api?.close());

  describe("type: [string, 'null']", () => {
    it('accepts null and strings', async () => {
      expect((await api.request('POST', '/nullable', { body: { nickname: null } })).status).toBe(200);
      expect((await api.request('POST', '/nullable', { body: { nickname: 'x' } })).status).toBe(200);
    });

    it('rejects other types, and null where only string is allowed', async () => {
      expectBodyViolation(await api.request('POST', '/nullable', { body: { nickname: 5 } }), '/nickname');
      expectBodyViolation(await api.request('POST', '/nullable', { body: { name: null } }), '/name');
    });

    it('3.0 `nullable: true` means nothing in 3.1: the type decides', async () => {
      // `legacy` is `{ type: string, nullable: true }`: in 3.1 `nullable` is an unknown keyword (an annotation).
      const before = fixture.calls.postNullable ?? 0;
      expectBodyViolation(await api.request('POST', '/nullable', { body: { legacy: null } }), '/legacy');
      expect(fixture.calls.postNullable ?? 0).toBe(before);
      expect((await api.request('POST', '/nullable', { body: { legacy: 'x' } })).status).toBe(200);
    });
  });

  describe('const', () => {
    it('accepts the constant and rejects anything else', async () => {
      expect((await api.request('POST', '/shapes', { body: { kind: 'circle', point: [1, 'a'] } })).status).toBe(200);
      expectBodyViolation(await api.request('POST', '/shapes', { body: { kind: 'square', point: [1, 'a'] } }), '/kind');
    });
  });

  describe('prefixItems', () => {
    it('checks each position, and items: false refuses extra items', async () => {
      expectBodyViolation(await api.request('POST', '/shapes', { body: { kind: 'circle', point: ['1', 'a'] } }), '/point/0');
      expectBodyViolation(await api.request('POST', '/shapes', { body: { kind: 'circle', point: [1, 2] } }), '/point/1');
      expectBodyViolation(await api.request('POST', '/shapes', { body: { kind: 'circle', point: [1, 'a', 3] } }), '/point');
      expect((await api.request('POST', '/shapes', { body: { kind: 'circle', point: [1.5] } })).status).toBe(200);
    });
  });

  describe('unevaluatedProperties: false with allOf', () => {
    it('accepts the properties declared in any allOf member', async () => {
      const answer = await api.request('POST', '/pets', { body: { name: 'rex', age: 3 } });
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ received: { name: 'rex', age: 3 } });
    });

    it('rejects a property no member declares, pointing at it', async () => {
      const answer = await api.request('POST', '/pets', { body: { name: 'rex', colour: 'brown' } });
      expectBodyViolation(answer, '/colour');
    });

    it('still applies the members: a missing required property', async () => {
      expectBodyViolation(await api.request('POST', '/pets', { body: { age: 3 } }), '/name');
    });
  });

  describe('numeric exclusiveMinimum', () => {
    it('exclusiveMinimum: 0 rejects 0 and -1, accepts 0.5 and 1', async () => {
      expectBodyViolation(await api.request('POST', '/exclusive', { body: { amount: 0 } }), '/amount');
      expectBodyViolation(await api.request('POST', '/exclusive', { body: { amount: -1 } }), '/amount');
      expect((await api.request('POST', '/exclusive', { body: { amount: 0.5 } })).status).toBe(200);
      expect((await api.request('POST', '/exclusive', { body: { amount: 1 } })).status).toBe(200);
    });
  });

  it('a request that fails validation never reaches its handler', async () => {
    const before = { ...fixture.calls };
    const invalid: Array<[string, unknown]> = [
      ['/nullable', { nickname: 5 }],
      ['/shapes', { kind: 'square', point: [1, 'a'] }],
      ['/pets', { name: 'rex', colour: 'brown' }],
      ['/exclusive', { amount: 0 }],
      ['/users', { id: 1, name: 'ada', password: 'pw' }],
    ];
    for (const [where, body] of invalid) expect((await api.request('POST', where, { body })).status).toBe(400);
    expect(fixture.calls).toEqual(before);
  });

  describe('readOnly and writeOnly', () => {
    it('a readOnly property sent in a request is a 400 pointing at it', async () => {
      expectBodyViolation(await api.request('POST', '/users', { body: { id: 3, name: 'ada', password: 'pw' } }), '/id');
    });

    it('without it, the request is accepted and the reply (without the writeOnly password) is sent', async () => {
      const answer = await api.request('POST', '/users', { body: { name: 'ada', password: 'pw' } });
      expect(answer.status).toBe(201);
      expect(answer.json).toEqual({ id: 7, name: 'ada' });
    });

    it('a writeOnly property in a response is a 500 naming it', async () => {
      fixture.state.me = { id: 1, name: 'ada', password: 'hunter2' };
      const answer = await api.request('GET', '/users/me');
      expectContractViolation(answer, 'getMe', '/password', 'writeOnly');
      expect(answer.text).not.toContain('hunter2');
    });
  });

  describe('response validation', () => {
    it("a valid response (with type: [string, 'null'] null) is sent", async () => {
      fixture.state.counter = { count: 0, label: null };
      const answer = await api.request('GET', '/counter');
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ count: 0, label: null });
    });

    it('a response invalid for its schema becomes a 500 problem naming the violation', async () => {
      fixture.state.counter = { count: 1.5 };
      expectContractViolation(await api.request('GET', '/counter'), 'getCounter', '/count', 'integer');
      fixture.state.counter = { count: 1, label: 3 };
      expectContractViolation(await api.request('GET', '/counter'), '/label');
      fixture.state.counter = { count: 1, extra: true };
      expectContractViolation(await api.request('GET', '/counter'), '/extra');
    });
  });
});
