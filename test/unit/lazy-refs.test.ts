// Response schemas compiled one referenced schema at a time (SchemaCompilerOptions.lazyRefs, the
// default in lazy mode): the same answers as compiling everything a schema reaches at once, with
// full instance paths, and only what the data reaches compiled. Real documents nobody here wrote.
import * as path from 'node:path';
import { loadSpec } from '../../src/document/load';
import { Sampler } from '../../src/mock/sample';
import { SchemaCompiler } from '../../src/validation/compiler';
import { SPECS } from '../helpers/server';

const escape = (token: string) => token.replace(/~/g, '~0').replace(/\//g, '~1');

/** Every string leaf replaced by 42, every number by 'x': deep violations, wherever the sample reaches. */
function spoiled(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return 42;
  if (typeof value === 'number') return 'x';
  if (depth > 12 || !value || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => spoiled(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, spoiled(member, depth + 1)]));
}

describe('lazy references in response schemas', () => {
  it.each(['production/stripe-spec3.yaml', 'production/discord-openapi.json', 'production/box-openapi.json'])(
    '%s: the same violations as the schema compiled whole, for valid and spoiled samples of 40 operations',
    async (file) => {
      const { document, dialect } = await loadSpec(path.join(SPECS, file));
      const whole = new SchemaCompiler(document, dialect);
      const lazy = new SchemaCompiler(document, dialect, undefined, undefined, { lazyRefs: true });
      const sampler = new Sampler(document, { direction: 'response', dialect, check: (p, v) => whole.validator('response', p)(structuredClone(v)) === null });
      let compared = 0;
      let nested = 0;
      for (const [template, item] of Object.entries<any>((document as any).paths).slice(0, 40)) {
        for (const [method, op] of Object.entries<any>(item)) {
          const media = op?.responses?.['200']?.content?.['application/json'];
          if (!media?.schema) continue;
          const pointer = `/paths/${escape(template)}/${method}/responses/200/content/application~1json/schema`;
          const good = sampler.sample(media.schema, pointer);
          for (const value of [good, spoiled(good), {}, [], 'text', null]) {
            const expected = whole.validator('response', pointer)(structuredClone(value));
            expect(lazy.validator('response', pointer)(structuredClone(value))).toEqual(expected);
            compared++;
            nested += (expected ?? []).filter((violation) => violation.pointer.split('/').length > 2).length;
          }
        }
      }
      expect(compared).toBeGreaterThan(30);
      // The spoiled samples reach deep: violations behind references, at nested pointers, are among those compared.
      expect(nested).toBeGreaterThan(0);
    },
    60_000,
  );

  it('reports a violation behind references at its full pointer, and compiles only the schemas the value reaches', () => {
    const document = {
      openapi: '3.0.3',
      paths: {},
      components: {
        schemas: {
          Pet: { type: 'object', properties: { owner: { $ref: '#/components/schemas/Owner' }, toys: { type: 'array', items: { $ref: '#/components/schemas/Toy' } } } },
          Owner: { type: 'object', required: ['name'], properties: { name: { $ref: '#/components/schemas/Name' } } },
          Name: { type: 'string', minLength: 3 },
          Toy: { type: 'object', properties: { kind: { type: 'string', enum: ['ball', 'rope'] } } },
        },
      },
    };
    const compiler = new SchemaCompiler(document, '3.0', undefined, undefined, { lazyRefs: true });
    const validate = compiler.validator('response', '/components/schemas/Pet');
    expect(validate({})).toBeNull();
    const compiled = () => [...(compiler as any).compiled.response.keys()].sort();
    // A value the schema walk vouches for compiles nothing (test/unit/interpreter.test.ts); a refused one compiles what it reaches.
    expect(compiled()).toEqual([]);
    expect(validate({ owner: { name: 'Al' } })).toEqual([{ pointer: '/owner/name', message: 'must NOT have fewer than 3 characters' }]);
    expect(compiled()).toEqual(['/components/schemas/Name', '/components/schemas/Owner', '/components/schemas/Pet']);
    expect(validate({ owner: { name: 'Alma' }, toys: [{ kind: 'ball' }, { kind: 'stick' }] })).toEqual([{ pointer: '/toys/1/kind', message: 'must be one of "ball", "rope"' }]);
    expect(compiled()).toEqual(['/components/schemas/Name', '/components/schemas/Owner', '/components/schemas/Pet', '/components/schemas/Toy']);
  });

  it('a response schema that is only a reference compiles its target directly', () => {
    const document = { openapi: '3.0.3', paths: {}, components: { schemas: { A: { $ref: '#/components/schemas/B' }, B: { type: 'integer' } } } };
    const compiler = new SchemaCompiler(document, '3.0', undefined, undefined, { lazyRefs: true });
    expect(compiler.validator('response', '/components/schemas/A')('x')).toEqual([{ pointer: '', message: 'must be integer' }]);
    expect([...(compiler as any).compiled.response.keys()]).toEqual(['/components/schemas/B']);
  });

  it('a reference that cannot be compiled fails the values that reach it, saying so; the others pass', () => {
    const document = { openapi: '3.0.3', paths: {}, components: { schemas: { A: { type: 'object', properties: { gone: { $ref: '#/components/schemas/Missing' } } } } } };
    const validate = new SchemaCompiler(document, '3.0', undefined, undefined, { lazyRefs: true }).validator('response', '/components/schemas/A');
    expect(validate({})).toBeNull();
    const expected = [{ pointer: '/gone', message: 'cannot be checked: the schema at #/components/schemas/Missing does not compile (no schema at #/components/schemas/Missing)' }];
    expect(validate({ gone: 1 })).toEqual(expected);
    expect(validate({ gone: 2 })).toEqual(expected);
  });

  it('is not used where a keyword sees through references (3.1 unevaluatedProperties)', () => {
    const document = {
      openapi: '3.1.0',
      paths: {},
      components: {
        schemas: {
          Closed: { allOf: [{ $ref: '#/components/schemas/Base' }], unevaluatedProperties: false },
          Base: { type: 'object', properties: { id: { type: 'integer' } } },
        },
      },
    };
    const validate = new SchemaCompiler(document, '3.1', undefined, undefined, { lazyRefs: true }).validator('response', '/components/schemas/Closed');
    expect(validate({ id: 1 })).toBeNull();
    expect(validate({ id: 1, extra: true })).toEqual([{ pointer: '/extra', message: 'is not a declared property' }]);
  });
});
