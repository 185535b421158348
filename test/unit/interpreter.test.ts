// The schema walk that checks a response before Ajv has compiled its schema
// (src/validation/interpreter.ts): where it is sure, it must agree with Ajv, on real documents'
// samples and on the corners of Ajv's semantics; where it is not, Ajv decides.
import * as path from 'node:path';
import { loadSpec, type Dialect } from '../../src/document/load';
import { Sampler } from '../../src/mock/sample';
import { SchemaCompiler, WALKS_BEFORE_COMPILING } from '../../src/validation/compiler';
import { ACCEPT, REJECT, UNSURE, type Verdict, type SchemaInterpreter } from '../../src/validation/interpreter';
import { FORMAT_SAMPLES } from '../../src/validation/format-samples';
import { SPECS } from '../helpers/server';

const escape = (token: string) => token.replace(/~/g, '~0').replace(/\//g, '~1');

function walkerOf(compiler: SchemaCompiler): SchemaInterpreter {
  return (compiler as any).interpreter;
}

/** The walk's verdict on `value` against the response schema at `pointer`. */
function walk(compiler: SchemaCompiler, pointer: string, value: unknown): Verdict {
  const walker = walkerOf(compiler);
  return walker.check(walker.target(pointer), value);
}

/** Variations of a valid value that break it in the ways responses break. */
function spoilings(value: unknown): unknown[] {
  const out: unknown[] = [{}, [], 'text', null, 0, true];
  const deep = (v: unknown, change: (leaf: unknown, key: string) => unknown, depth = 0): unknown => {
    if (depth > 12 || !v || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((item) => deep(item, change, depth + 1));
    return Object.fromEntries(Object.entries(v).map(([key, member]) => [key, member && typeof member === 'object' ? deep(member, change, depth + 1) : change(member, key)]));
  };
  out.push(deep(value, (leaf) => (typeof leaf === 'string' ? 42 : typeof leaf === 'number' ? 'x' : leaf)));
  out.push(deep(value, (leaf) => (typeof leaf === 'string' ? `${leaf}\u{1F600}!` : typeof leaf === 'number' ? leaf + 0.5 : leaf)));
  out.push(deep(value, (leaf) => (typeof leaf === 'boolean' ? null : leaf)));
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length) out.push(Object.fromEntries(Object.entries(value).slice(1)));
    out.push({ ...value, unexpected_member: 1 });
  }
  if (Array.isArray(value) && value.length) out.push([...value, ...value]);
  return out;
}

describe('the schema walk agrees with Ajv wherever it is sure', () => {
  it.each(['production/stripe-spec3.yaml', 'production/discord-openapi.json', 'production/box-openapi.json', 'oai-examples/v3.0/petstore-expanded.yaml'])(
    '%s: valid and spoiled samples of every operation',
    async (file) => {
      const { document, dialect } = await loadSpec(path.join(SPECS, file));
      const ajv = new SchemaCompiler(document, dialect);
      const walked = new SchemaCompiler(document, dialect, undefined, undefined, { lazyRefs: true });
      const sampler = new Sampler(document, { direction: 'response', dialect, check: (p, v) => ajv.validator('response', p)(structuredClone(v)) === null });
      const tally = { [ACCEPT]: 0, [REJECT]: 0, [UNSURE]: 0 };
      for (const [template, item] of Object.entries<any>((document as any).paths ?? {}).slice(0, 120)) {
        for (const [method, op] of Object.entries<any>(item)) {
          for (const [status, response] of Object.entries<any>(op?.responses ?? {})) {
            const media = response?.content?.['application/json'];
            if (!media?.schema) continue;
            const pointer = `/paths/${escape(template)}/${method}/responses/${escape(status)}/content/application~1json/schema`;
            const good = sampler.sample(media.schema, pointer);
            for (const value of [good, ...spoilings(good)]) {
              const verdict = walk(walked, pointer, structuredClone(value));
              const valid = ajv.validator('response', pointer)(structuredClone(value)) === null;
              tally[verdict]++;
              if (verdict === UNSURE) continue;
              if ((verdict === ACCEPT) !== valid) throw new Error(`${file} ${pointer}: the walk says ${verdict === ACCEPT ? 'valid' : 'invalid'}, Ajv ${valid ? 'valid' : 'invalid'}, for ${JSON.stringify(value).slice(0, 300)}`);
            }
          }
        }
      }
      // Not a vacuous comparison: the walk decided most values itself, both ways.
      expect(tally[ACCEPT]).toBeGreaterThan(4);
      expect(tally[REJECT]).toBeGreaterThan(20);
      expect(tally[UNSURE]).toBeLessThan((tally[ACCEPT] + tally[REJECT]) / 4);
    },
    120_000,
  );

  /** One schema under `components.schemas.S` of a document of the dialect: Ajv's verdict and the walk's on each value. */
  function compare(dialect: Dialect, schema: unknown, values: unknown[]): Array<{ value: unknown; ajv: boolean; walk: Verdict }> {
    const document = { openapi: dialect === '3.0' ? '3.0.3' : '3.1.0', paths: {}, components: { schemas: { S: schema, T: { type: 'string', maxLength: 2 } } } };
    const ajv = new SchemaCompiler(document, dialect);
    const walked = new SchemaCompiler(document, dialect, undefined, undefined, { lazyRefs: true });
    return values.map((value) => ({ value, ajv: ajv.validator('response', '/components/schemas/S')(value) === null, walk: walk(walked, '/components/schemas/S', value) }));
  }

  const cases: Array<[string, Dialect, unknown, unknown[]]> = [
    ['integer type and bounds', '3.0', { type: 'integer', minimum: 1, exclusiveMaximum: true, maximum: 10 }, [1, 1.0, 1.5, 0, 10, 9, '3', null]],
    ['3.0 nullable', '3.0', { type: 'string', nullable: true, enum: ['a', 'b'] }, ['a', null, 'c', 1]],
    ['3.1 type lists', '3.1', { type: ['string', 'null'], minLength: 2 }, ['ab', 'a', null, 3]],
    ['lengths in code points', '3.0', { type: 'string', minLength: 2, maxLength: 2 }, ['\u{1F600}\u{1F600}', '\u{1F600}', 'ab', 'abc', '\uD83D']],
    ['patterns with the u flag', '3.0', { type: 'string', pattern: '^\\p{Lu}' }, ['Ab', 'ab', 'Éa']],
    ['formats: date-time, int32, byte, uri', '3.0', { type: 'object', properties: { at: { type: 'string', format: 'date-time' }, n: { type: 'integer', format: 'int32' }, b: { type: 'string', format: 'byte' }, u: { type: 'string', format: 'uri' }, x: { type: 'string', format: 'not-a-format' } } }, [{ at: '2024-01-02T03:04:05Z' }, { at: '2024-13-02T03:04:05Z' }, { at: 'yesterday' }, { n: 2 ** 31 }, { n: -(2 ** 31) }, { b: 'aGk=' }, { b: 'aGk' }, { u: 'https://x.test/a' }, { u: 'relative/path' }, { x: 'anything' }]],
    ['multipleOf and float precision', '3.0', { type: 'number', multipleOf: 0.1 }, [0.3, 0.2, 1, 0.15]],
    ['required and undefined members', '3.0', { type: 'object', required: ['a'], properties: { a: { type: 'string' } } }, [{ a: 'x' }, {}, { a: undefined }, { a: 1 }]],
    ['additionalProperties false beside patternProperties', '3.1', { type: 'object', properties: { a: {} }, patternProperties: { '^x-': { type: 'integer' } }, additionalProperties: false }, [{ a: 1 }, { 'x-n': 1 }, { 'x-n': 'no' }, { b: 1 }, {}]],
    ['additionalProperties as a schema', '3.0', { type: 'object', additionalProperties: { type: 'integer' } }, [{ a: 1 }, { a: 'x' }, {}]],
    ['oneOf: exactly one', '3.0', { oneOf: [{ type: 'integer' }, { type: 'number', minimum: 5 }] }, [1, 6, 5.5, 'x']],
    ['anyOf, allOf, not', '3.0', { allOf: [{ anyOf: [{ type: 'string' }, { type: 'integer' }] }, { not: { enum: ['no', 3] } }] }, ['yes', 'no', 3, 4, 1.5]],
    ['enum and const of objects', '3.1', { anyOf: [{ const: { a: [1, { b: 2 }] } }, { enum: [[1, 2], 'z'] }] }, [{ a: [1, { b: 2 }] }, { a: [1, { b: 3 }] }, [1, 2], [2, 1], 'z']],
    ['uniqueItems with objects', '3.0', { type: 'array', uniqueItems: true, minItems: 1, maxItems: 3, items: { type: 'object' } }, [[{ a: 1 }, { a: 2 }], [{ a: 1 }, { a: 1 }], [], [{}, {}, {}, {}]]],
    ['uniqueItems of scalars, many (linear, as Ajv)', '3.1', { type: 'array', uniqueItems: true }, [Array.from({ length: 5_000 }, (_, i) => i), [...Array.from({ length: 5_000 }, (_, i) => i), 7], ['1', 1], [true, 'true', null], [0, -0]]],
    ['min/maxProperties', '3.0', { type: 'object', minProperties: 1, maxProperties: 2 }, [{}, { a: 1 }, { a: 1, b: 2, c: 3 }]],
    ['a discriminator', '3.0', { oneOf: [{ $ref: '#/components/schemas/T' }], discriminator: { propertyName: 'kind' } }, [{ kind: 'T' }, { kind: 'U' }, {}]],
    ['writeOnly members may not appear in responses', '3.0', { type: 'object', properties: { secret: { type: 'string', writeOnly: true }, name: { type: 'string' } } }, [{ name: 'a' }, { name: 'a', secret: 'b' }]],
    ['references', '3.0', { type: 'object', properties: { t: { $ref: '#/components/schemas/T' } } }, [{ t: 'ab' }, { t: 'abc' }, {}]],
    ['keywords for other types are ignored', '3.0', { minLength: 3, minimum: 3, required: ['a'], minItems: 2 }, [1, 5, 'ab', 'abcd', {}, [1], [1, 2], null, true]],
  ];

  it.each(cases)('%s', (_name, dialect, schema, values) => {
    const results = compare(dialect, schema, values);
    // Each value is decided by the walk (none left to Ajv), as Ajv decides it.
    expect(results.map(({ value, walk: verdict }) => ({ value, valid: verdict === UNSURE ? 'unsure' : verdict === ACCEPT }))).toEqual(results.map(({ value, ajv }) => ({ value, valid: ajv })));
  });

  it('is unsure, and leaves to Ajv, what it cannot vouch for', () => {
    class Pet {
      name = 'Rex';
    }
    const unsure = (schema: unknown, value: unknown) => {
      const document = { openapi: '3.1.0', paths: {}, components: { schemas: { S: schema } } };
      return walk(new SchemaCompiler(document, '3.1', undefined, undefined, { lazyRefs: true }), '/components/schemas/S', value);
    };
    expect(unsure({ type: 'object' }, new Pet())).toBe(UNSURE);
    expect(unsure({ type: 'string' }, new Date())).toBe(UNSURE);
    expect(unsure({ type: 'number' }, NaN)).toBe(UNSURE);
    expect(unsure({ type: 'number' }, Infinity)).toBe(UNSURE);
    expect(unsure({ type: 'object', additionalProperties: false }, { a: undefined })).toBe(REJECT);
    expect(unsure({ type: 'object', additionalProperties: { type: 'string' } }, { a: undefined })).toBe(UNSURE);
    expect(unsure({ type: 'array', items: { type: 'integer' } }, [1, , 3])).toBe(UNSURE);
    expect(unsure({ type: 'object', propertyNames: { maxLength: 3 } }, { abcd: 1 })).toBe(UNSURE);
    expect(unsure({ type: 'array', prefixItems: [{ type: 'integer' }] }, [1])).toBe(UNSURE);
    // A malformed keyword stops Ajv compiling the schema: the walk leaves it to Ajv even where it would not apply.
    expect(unsure({ minimum: 'three' }, 'a string')).toBe(UNSURE);
    expect(unsure({ pattern: '(' }, 5)).toBe(UNSURE);
    expect(unsure({ required: [1] }, {})).toBe(UNSURE);
    expect(unsure({ required: [1] }, 'not an object')).toBe(UNSURE);
  });
});

describe('response validators walk first, then compile', () => {
  const document = {
    openapi: '3.0.3',
    paths: {},
    components: {
      schemas: {
        Pet: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, owner: { $ref: '#/components/schemas/Owner' } } },
        Owner: { type: 'object', properties: { age: { type: 'integer', minimum: 0 } } },
        Broken: { type: 'object', properties: { code: { type: 'string', pattern: '(' } } },
      },
    },
  };
  const compiled = (compiler: SchemaCompiler) => [...(compiler as any).compiled.response.keys()].sort();

  it('compiles nothing while the walk vouches for what is sent, then compiles once the schema is used often', () => {
    const compiler = new SchemaCompiler(document, '3.0', undefined, undefined, { lazyRefs: true });
    const validate = compiler.validator('response', '/components/schemas/Pet');
    for (let i = 0; i < WALKS_BEFORE_COMPILING; i++) expect(validate({ name: 'Rex', owner: { age: i } })).toBeNull();
    expect(compiled(compiler)).toEqual([]);
    expect(validate({ name: 'Rex', owner: { age: 1 } })).toBeNull();
    expect(compiled(compiler)).toContain('/components/schemas/Pet');
  });

  it("gives Ajv's violations for a value the walk refuses", () => {
    const compiler = new SchemaCompiler(document, '3.0', undefined, undefined, { lazyRefs: true });
    const validate = compiler.validator('response', '/components/schemas/Pet');
    expect(validate({ name: 'Rex', owner: { age: -1 } })).toEqual([{ pointer: '/owner/age', message: 'must be >= 0' }]);
    expect(validate({ owner: {} })).toEqual([{ pointer: '/name', message: 'is required' }]);
  });

  it("trusts what it accepted before only while a mock is made: a response's check walks the value again", () => {
    const compiler = new SchemaCompiler(document, '3.0', undefined, undefined, { lazyRefs: true });
    const owner = { age: 3 };
    expect(compiler.satisfies('response', '/components/schemas/Owner', owner)).toBe(true);
    // Changed after it was accepted (the sampler never does this): the response's own check is not misled.
    owner.age = -1;
    expect(compiler.validator('response', '/components/schemas/Pet')({ name: 'Rex', owner })).toEqual([{ pointer: '/owner/age', message: 'must be >= 0' }]);
    expect(compiler.satisfies('response', '/components/schemas/Owner', { age: -1 })).toBe(false);
  });

  it('vouches for a finished mock body by walking it whole, trusting nothing remembered while it was made; then freezes it, and its response check knows it', () => {
    const compiler = new SchemaCompiler(document, '3.0', undefined, undefined, { lazyRefs: true });
    const owner = { age: 3 };
    expect(compiler.satisfies('response', '/components/schemas/Owner', owner)).toBe(true);
    owner.age = -1;
    const spoiled = { name: 'Rex', owner };
    expect(compiler.vouchFor('/components/schemas/Pet', spoiled)).toBe(false);
    expect(Object.isFrozen(spoiled)).toBe(false);
    const body = { name: 'Rex', owner: { age: 3 } };
    expect(compiler.vouchFor('/components/schemas/Pet', body)).toBe(true);
    expect(Object.isFrozen(body) && Object.isFrozen(body.owner)).toBe(true);
    expect(() => {
      (body.owner as { age: number }).age = -1;
    }).toThrow(TypeError);
    const walker = walkerOf(compiler);
    const check = jest.spyOn(walker, 'check');
    const validate = compiler.validator('response', '/components/schemas/Pet');
    expect(validate(body)).toBeNull();
    expect(check).not.toHaveBeenCalled();
    // Any other value is walked, as before.
    expect(validate({ name: 'Rex', owner: { age: 3 } })).toBeNull();
    expect(check).toHaveBeenCalled();
    check.mockRestore();
  });

  it('refuses every value of a schema Ajv cannot compile, saying why (fail closed)', () => {
    const compiler = new SchemaCompiler(document, '3.0', undefined, undefined, { lazyRefs: true });
    const validate = compiler.validator('response', '/components/schemas/Broken');
    // The walk cannot vouch for a string against a pattern that does not compile: Ajv is asked, and cannot compile it.
    const [violation] = validate({ code: 'a' }) ?? [];
    expect(violation.message).toMatch(/^cannot be checked: the schema at #\/components\/schemas\/Broken does not compile/);
    expect(validate({})).toEqual([violation]);
  });
});

describe('request validators of scalar schemas walk first, then compile', () => {
  const document = {
    openapi: '3.0.3',
    paths: {},
    components: {
      schemas: {
        Id: { type: 'string', pattern: '^(0|[1-9][0-9]*)$', maxLength: 20 },
        Limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
        Ids: { type: 'array', items: { $ref: '#/components/schemas/Id' }, maxItems: 3 },
        Name: { type: 'string', minLength: 3, pattern: '^[a-z]+$' },
        Filter: { type: 'object', properties: { size: { type: 'integer', default: 10 } } },
        Malformed: { type: 'string', minLength: 'three' },
        Dangling: { $ref: '#/components/schemas/Nowhere' },
        BadPattern: { type: 'string', pattern: '(' },
      },
    },
  };
  const compiled = (compiler: SchemaCompiler) => [...(compiler as any).compiled.request.keys()].sort();
  const lazy = () => new SchemaCompiler(document, '3.0', undefined, undefined, { lazyRefs: true });

  it('compiles nothing while the walk accepts what requests carry, then compiles once the schema is used often', () => {
    const compiler = lazy();
    const id = compiler.validator('request', '/components/schemas/Id');
    const ids = compiler.validator('request', '/components/schemas/Ids');
    const limit = compiler.validator('request', '/components/schemas/Limit');
    for (let i = 0; i < WALKS_BEFORE_COMPILING; i++) {
      expect(id(String(i))).toBeNull();
      expect(ids(['1', '2'])).toBeNull();
    }
    expect(limit(50)).toBeNull();
    expect(compiled(compiler)).toEqual([]);
    expect(id('7')).toBeNull();
    expect(compiled(compiler)).toEqual(['/components/schemas/Id']);
  });

  it("gives Ajv's violations, every one of them, for a value the walk does not accept", () => {
    const eager = new SchemaCompiler(document, '3.0');
    const compiler = lazy();
    for (const [name, value] of [['Name', 'A'], ['Name', 'abc1'], ['Id', '007'], ['Ids', ['1', 'x', '2', '3']], ['Limit', 0], ['Limit', 2.5]] as const) {
      const pointer = `/components/schemas/${name}`;
      const violations = compiler.validator('request', pointer)(value);
      expect(violations).not.toBeNull();
      expect(violations).toEqual(eager.validator('request', pointer)(value));
    }
    // 'A' breaks both minLength and pattern: requests report every violation.
    expect(compiler.validator('request', '/components/schemas/Name')('A')).toHaveLength(2);
  });

  it('compiles at once what it does not decide alone: objects (Ajv fills in their defaults), and schemas Ajv may not compile', () => {
    const compiler = lazy();
    const filter = compiler.validator('request', '/components/schemas/Filter');
    expect(compiled(compiler)).toEqual(['/components/schemas/Filter']);
    const value: Record<string, unknown> = {};
    expect(filter(value)).toBeNull();
    expect(value).toEqual({ size: 10 });
    // Found when the operation is compiled, as before: its every request is then a 500 that names the schema.
    expect(() => compiler.validator('request', '/components/schemas/Dangling')).toThrow();
    expect(() => compiler.validator('request', '/components/schemas/BadPattern')).toThrow();
    const walker: SchemaInterpreter = (compiler as any).requestInterpreter;
    for (const name of ['Malformed', 'Dangling', 'BadPattern', 'Filter']) expect(walker.decidesAlone((compiler as any).lazy.request.schemaAt(`/components/schemas/${name}`))).toBe(false);
  });

  it.each(['production/discord-openapi.json', 'production/stripe-spec3.yaml', 'production/box-openapi.json'])(
    "%s: every parameter schema the walk decides alone compiles, and the walk accepts only what Ajv accepts",
    async (file) => {
      const { document: real, dialect } = await loadSpec(path.join(SPECS, file));
      const ajv = new SchemaCompiler(real, dialect);
      const compiler = new SchemaCompiler(real, dialect, undefined, undefined, { lazyRefs: true });
      const walker: SchemaInterpreter = (compiler as any).requestInterpreter;
      const sampler = new Sampler(real, { direction: 'request', dialect });
      let alone = 0;
      let accepted = 0;
      for (const [template, item] of Object.entries<any>((real as any).paths ?? {})) {
        for (const [key, op] of Object.entries<any>(item)) {
          if (key === 'parameters' || !Array.isArray(op?.parameters)) continue;
          op.parameters.forEach((parameter: any, i: number) => {
            if (!parameter?.schema) return;
            const pointer = `/paths/${escape(template)}/${key}/parameters/${i}/schema`;
            const schema = (compiler as any).lazy.request.schemaAt(pointer);
            if (!walker.decidesAlone(schema)) return;
            alone++;
            const validate = ajv.validator('request', pointer);
            const good = sampler.sample(parameter.schema, pointer);
            for (const value of [good, '', 'x', '0', '-1', 1.5, 0, -1, 2 ** 40, true, 'A\u{1F600}', ['a'], [1, 2], [], null]) {
              if (walker.check(schema, value) !== ACCEPT) continue;
              accepted++;
              if (validate(structuredClone(value)) !== null) throw new Error(`${file} ${pointer}: the walk accepts ${JSON.stringify(value)}, Ajv does not`);
            }
          });
        }
      }
      expect(alone).toBeGreaterThan(20);
      expect(accepted).toBeGreaterThan(alone);
    },
    120_000,
  );
});

describe('the sample value of each format', () => {
  it.each(['3.0', '3.1'] as const)('passes the compiler\'s own check of that format (%s), so the walk may accept it unchecked', (dialect) => {
    const schemas = Object.fromEntries(Object.keys(FORMAT_SAMPLES).map((format, i) => [`F${i}`, { type: 'string', format }]));
    const compiler = new SchemaCompiler({ openapi: dialect === '3.0' ? '3.0.3' : '3.1.0', paths: {}, components: { schemas } }, dialect);
    Object.entries(FORMAT_SAMPLES).forEach(([format, value], i) => {
      expect({ format, violations: compiler.validator('response', `/components/schemas/F${i}`)(value) }).toEqual({ format, violations: null });
      // Not vacuous: the format is checked.
      if (['date-time', 'date', 'uri', 'email', 'uuid', 'ipv4', 'byte'].includes(format)) expect(compiler.validator('response', `/components/schemas/F${i}`)(`${value} x`)).not.toBeNull();
    });
  });
});
