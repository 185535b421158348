// A `pattern` that backtracks catastrophically cannot stall the server: risky patterns run on RE2.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { patternEngine } from '../../src/validation/compiler';
import { start } from '../helpers/server';

const document = {
  openapi: '3.1.0',
  info: { title: 'redos', version: '1' },
  paths: {
    '/names': {
      get: {
        operationId: 'lookUp',
        parameters: [{ name: 'name', in: 'query', required: true, schema: { type: 'string', pattern: '^(a+)+$' } }],
        responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
    '/codes': {
      post: {
        operationId: 'addCode',
        requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { code: { type: 'string', pattern: '^([a-z0-9]+)*@$' } } } } } },
        responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
  },
};

describe('catastrophic backtracking', () => {
  it('answers crafted inputs for exponential patterns without blocking the event loop for a second', async () => {
    const api = await start({ spec: document, handlers: { lookUp: () => ({}), addCode: () => ({}) } });
    const delay = monitorEventLoopDelay({ resolution: 10 });
    try {
      // On a backtracking engine each of these takes minutes (2^40 steps).
      const crafted = 'a'.repeat(40) + '!';
      // Compiled first (lazy mode compiles on first use): the window below measures the matching alone.
      expect((await api.request('GET', '/names?name=a')).status).toBe(200);
      expect((await api.request('POST', '/codes', { body: { code: 'a1' } })).status).not.toBe(500);
      delay.enable();
      const query = await api.request('GET', `/names?name=${crafted}`);
      const body = await api.request('POST', '/codes', { body: { code: 'a1'.repeat(20) + '!' } });
      delay.disable();
      expect(query.status).toBe(400);
      expect(query.json.errors[0]).toMatchObject({ in: 'query', name: 'name', message: 'must match pattern "^(a+)+$"' });
      expect(body.status).toBe(400);
      // A backtracking engine takes minutes here. The bound is wall-clock time, which a parallel test run
      // on two cores stretches (167 ms was seen in a clean-clone CI run), so it is a second, not 100 ms.
      expect(delay.max / 1e6).toBeLessThan(1_000);
      expect((await api.request('GET', '/names?name=aaaa')).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  it('keeps safe patterns on the native engine, moves risky ones to RE2, and warns when RE2 cannot take one', () => {
    const warnings: string[] = [];
    const engine = patternEngine((m) => warnings.push(m));
    expect(engine('^[a-z]+$', 'u')).toBeInstanceOf(RegExp);
    const risky = engine('^(a+)+$', 'u');
    expect(risky).not.toBeInstanceOf(RegExp);
    expect(risky.test('aaa')).toBe(true);
    expect(warnings).toEqual([]);
    // Backreferences: RE2 refuses them, so the pattern stays native and is reported.
    engine('^((a+)+)\\1$', 'u');
    expect(warnings).toHaveLength(1);
    // Made once: the walk and Ajv, asking for it each, share it and hear of it once.
    expect(engine('^((a+)+)\\1$', 'u')).toBe(engine('^((a+)+)\\1$', 'u'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('may backtrack catastrophically');
  });
});
