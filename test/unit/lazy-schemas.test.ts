// The validation copy of a document is built on demand (src/validation/transform.ts LazyDocument):
// what a compiled pointer reaches, each schema root transformed exactly as the whole-document transform does.
import * as path from 'node:path';
import { loadSpec } from '../../src/document/load';
import { SchemaCompiler } from '../../src/validation/compiler';
import { LazyDocument, transformDocument } from '../../src/validation/transform';
import { SPECS } from '../helpers/server';

const resolve = (root: any, pointer: string) => pointer.split('/').slice(1).reduce((node, token) => node?.[token.replace(/~1/g, '/').replace(/~0/g, '~')], root);

describe('schemas transformed on demand', () => {
  it.each(['production/box-openapi.json', 'production/discord-openapi.json', 'production/stripe-spec3.yaml'])('%s: every schema reached is the whole-document transform of it, in both directions', async (file) => {
    const { document, dialect } = await loadSpec(path.join(SPECS, file));
    for (const direction of ['request', 'response'] as const) {
      const whole: any = transformDocument(document, dialect, direction);
      const lazy = new LazyDocument(document, dialect, direction);
      const names = Object.keys((document as any).components.schemas);
      for (const name of names.slice(0, 40)) lazy.ensure(`/components/schemas/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      const reached = Object.keys(lazy.root.components.schemas);
      expect(reached.length).toBeGreaterThanOrEqual(Math.min(40, names.length));
      for (const name of reached) expect(lazy.root.components.schemas[name]).toEqual(whole.components.schemas[name]);
      for (const [template, item] of Object.entries<any>((document as any).paths).slice(0, 30)) {
        for (const [method, op] of Object.entries<any>(item)) {
          for (const [status, response] of Object.entries<any>(op?.responses ?? {})) {
            for (const media of Object.keys(response?.content ?? {})) {
              const at = `/paths/${template.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/responses/${status}/content/${media.replace(/\//g, '~1')}/schema`;
              lazy.ensure(at);
              expect(resolve(lazy.root, at)).toEqual(resolve(whole, at));
            }
          }
        }
      }
    }
  }, 30_000);

  it('adds only what a pointer reaches, and finds a pointer into a schema', () => {
    const document = {
      openapi: '3.0.3',
      paths: {},
      components: {
        schemas: {
          Pet: { type: 'object', required: ['name', 'id'], properties: { id: { type: 'integer', readOnly: true }, name: { $ref: '#/components/schemas/Name' } } },
          Name: { type: 'string', minLength: 2, nullable: true },
          Unrelated: { type: 'object' },
        },
      },
    };
    const compiler = new SchemaCompiler(document, '3.0');
    expect(compiler.validator('request', '/components/schemas/Pet')({ name: 'x' })).toEqual([{ pointer: '/name', message: 'must NOT have fewer than 2 characters' }]);
    expect(compiler.validator('request', '/components/schemas/Pet')({ name: 'rex', id: 1 })).toEqual([{ pointer: '/id', message: 'is readOnly and must not be sent in a request' }]);
    expect(compiler.validator('response', '/components/schemas/Pet')({ name: 'rex' })).toEqual([{ pointer: '/id', message: 'is required' }]);
    expect(compiler.validator('request', '/components/schemas/Pet/properties/name')(null)).toBeNull();
    const root = (compiler as any).lazy.request.root;
    expect(Object.keys(root.components.schemas).sort()).toEqual(['Name', 'Pet']);
    expect(() => compiler.validator('request', '/components/schemas/Nothing')).toThrow('no schema at #/components/schemas/Nothing');
  });

  it('a 3.1 document whose schemas have $id is registered whole, so a $ref may name the id', () => {
    const document = {
      openapi: '3.1.0',
      paths: {},
      components: {
        schemas: {
          Tag: { $id: 'https://example.com/schemas/tag', type: 'string', maxLength: 3 },
          Pet: { type: 'object', properties: { tag: { $ref: 'https://example.com/schemas/tag' } } },
        },
      },
    };
    const compiler = new SchemaCompiler(document, '3.1');
    expect((compiler as any).lazy.request).toBeUndefined();
    expect(compiler.validator('request', '/components/schemas/Pet')({ tag: 'long' })).toEqual([{ pointer: '/tag', message: 'must NOT have more than 3 characters' }]);
  });
});
