// The serializer compiled from a response schema (src/replies/serializer.ts): what it keeps of a schema,
// and that for every value the schema accepts it writes JSON that parses to what JSON.stringify's does,
// on real documents' response schemas with sampled values.
import * as path from 'node:path';
import { compileSerializer, serializerSchema } from '../../src/replies/serializer';
import { loadSpec } from '../../src/document/load';
import { SchemaCompiler } from '../../src/validation/compiler';
import { Sampler } from '../../src/mock/sample';
import { seeded } from '../../src/mock/random';
import { SPECS } from '../helpers/server';

const DOC = {
  openapi: '3.0.3',
  components: {
    schemas: {
      Pet: { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'integer', minimum: 1 }, name: { type: 'string', maxLength: 9 }, tag: { type: 'string', nullable: true } } },
      Node: { type: 'object', properties: { value: { type: 'number' }, next: { $ref: '#/components/schemas/Node' } } },
    },
  },
};

describe('serializerSchema', () => {
  it('keeps types, properties and items, inlines local refs, drops constraints', () => {
    expect(serializerSchema({ type: 'array', items: { $ref: '#/components/schemas/Pet' } }, DOC)).toEqual({
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: { id: { type: 'integer' }, name: { type: 'string' }, tag: { type: 'string', nullable: true } },
      },
    });
  });

  it('leaves to JSON.stringify ({}) what it cannot write exactly: cycles, combinators, several types, remote refs, prototype names', () => {
    const node: any = serializerSchema({ $ref: '#/components/schemas/Node' }, DOC);
    expect(node.properties.next).toEqual({});
    for (const schema of [
      { oneOf: [{ type: 'string' }, { type: 'integer' }] },
      { type: 'object', allOf: [{ $ref: '#/components/schemas/Pet' }] },
      { type: ['string', 'integer'] },
      { $ref: 'other.yaml#/Pet' },
      { $ref: '#/components/schemas/Pet', properties: { extra: { type: 'string' } } },
      { type: 'object', properties: { constructor: { type: 'string' } } },
      { type: 'object', properties: { toString: { type: 'string' } } },
      { type: 'array', items: [{ type: 'string' }] },
      { nullable: true },
    ]) {
      expect(serializerSchema(schema, DOC)).toEqual({});
    }
    expect(serializerSchema({ type: ['string', 'null'] }, DOC)).toEqual({ type: 'string', nullable: true });
    expect(serializerSchema({ type: 'null' }, DOC)).toEqual({ type: 'null' });
  });

  it('writes members the schema does not name unless additionalProperties is false without patternProperties', () => {
    expect(serializerSchema({ type: 'object', properties: {} }, DOC)).toMatchObject({ additionalProperties: true });
    expect(serializerSchema({ type: 'object', additionalProperties: false, patternProperties: { '^x-': {} } }, DOC)).toMatchObject({ additionalProperties: true });
    expect(serializerSchema({ type: 'object', additionalProperties: { type: 'integer' } }, DOC)).toMatchObject({ additionalProperties: true });
  });

  it('stops inlining after a bounded number of subschemas', () => {
    const wide = { type: 'object', properties: Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`p${i}`, { type: 'object', properties: { v: { type: 'integer' } } }])) };
    const converted: any = serializerSchema(wide, DOC);
    expect(converted.properties.p0).toEqual({ type: 'object', properties: { v: { type: 'integer' } }, additionalProperties: true });
    expect(converted.properties.p599).toEqual({});
  });
});

describe('compileSerializer', () => {
  it('compiles a component once, however many responses name it', () => {
    const first = compileSerializer({ $ref: '#/components/schemas/Pet' }, DOC);
    expect(first).toBeDefined();
    expect(compileSerializer({ $ref: '#/components/schemas/Pet', description: 'another response' }, DOC)).toBe(first);
    expect(compileSerializer(DOC.components.schemas.Pet, DOC)).toBe(first);
    // A copy of the document is another document.
    expect(compileSerializer({ $ref: '#/components/schemas/Pet' }, structuredClone(DOC))).not.toBe(first);
  });

  it('is undefined where it would only call JSON.stringify', () => {
    expect(compileSerializer({ anyOf: [{ type: 'string' }] }, DOC)).toBeUndefined();
    expect(compileSerializer({}, DOC)).toBeUndefined();
  });

  it('writes what JSON.stringify writes, up to member order: escapes, lone surrogates, -0, large numbers, extra members, nulls', () => {
    const serialize = compileSerializer({ type: 'object', properties: { s: { type: 'string' }, n: { type: 'number' }, i: { type: 'integer' }, o: { type: 'object', nullable: true, properties: { b: { type: 'boolean' } } }, list: { type: 'array', items: { type: 'string' } }, any: {} } }, DOC)!;
    const values = [
      { s: 'q"\\\n\u2028\u0000\ud800x', n: -0, i: 1e21 },
      { extra: [1, { y: null }], 10: 'ten', s: 'é😀', o: null, list: ['\udc00', 'x'.repeat(100) + '\ud83d'], any: { deep: true } },
      { o: { b: false, more: 'kept' }, n: 1.5e-7, i: -5, s: '' },
    ];
    for (const value of values) {
      const text = serialize(value);
      expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
    }
    // The schema's properties first, in its order; members it does not name after them, in the value's.
    expect(serialize({ extra: 1, i: 2, s: 'a' })).toBe('{"s":"a","i":2,"extra":1}');
  });
});

describe('on real documents: sampled values each response schema accepts', () => {
  const documents: Array<[string, string]> = [
    ['Stripe (3.0)', path.join(SPECS, 'production/stripe-spec3.yaml')],
    ['Discord (3.1)', path.join(SPECS, 'production/discord-openapi.json')],
    ['Box (3.0)', path.join(SPECS, 'production/box-openapi.json')],
    ['the bundled API', path.resolve(__dirname, '../../openapi/api.yaml')],
  ];

  it.each(documents)('%s: the compiled serializer and JSON.stringify give the same JSON', async (_name, file) => {
    const { document, dialect } = await loadSpec(file);
    const compiler = new SchemaCompiler(document, dialect);
    let compared = 0;
    let compiled = 0;
    let responses = 0;
    for (const [template, item] of Object.entries<any>(document.paths ?? {})) {
      for (const [method, op] of Object.entries<any>(item ?? {})) {
        for (const [status, response] of Object.entries<any>(op?.responses ?? {})) {
          const media = response?.content?.['application/json'];
          if (!media?.schema || responses >= 120) continue;
          responses++;
          const pointer = `/paths/${template.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/responses/${status}/content/application~1json/schema`;
          const validate = compiler.validator('response', pointer);
          const serialize = compileSerializer(media.schema, document);
          if (!serialize) continue;
          compiled++;
          for (const seed of [1, 2, 3]) {
            const check = (p: string, v: unknown) => compiler.validator('response', p)(structuredClone(v)) === null;
            const value = new Sampler(document, { direction: 'response', dialect, random: seeded(seed), optional: 'random', check }).sample(media.schema, pointer);
            if (value === undefined || validate(structuredClone(value)) !== null) continue;
            expect(JSON.parse(serialize(value))).toEqual(JSON.parse(JSON.stringify(value)));
            compared++;
          }
        }
      }
    }
    // Not vacuous: most response schemas compile and most samples are valid.
    expect(compiled).toBeGreaterThan(responses / 3);
    expect(compared).toBeGreaterThan(compiled);
  }, 60_000);
});
