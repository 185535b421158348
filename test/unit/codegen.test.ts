// The schema → TypeScript printer and the generated module: each JSON Schema construct, the request /
// response variants, defaults and models as the runtime applies them, names, cycles, determinism; then a
// fixture document's module compiled (compiler API) with handlers that must and must not compile.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { generateTypes, importSpecifier, printTypes, resolveModelImports, runtimeModuleFor, SchemaPrinter, type Mode } from '../../src/codegen';
import { collectOperations } from '../../src/document/operations';
import { Person } from '../../handlers/_app/models';
import { check, compile, describeDiagnostic, diagnosticsOf, ROOT } from '../types/compile';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function printer(schemas: Record<string, unknown>, dialect: '3.0' | '3.1' = '3.0', models: Record<string, string> = {}) {
  return new SchemaPrinter({ openapi: dialect === '3.0' ? '3.0.3' : '3.1.0', components: { schemas } }, { dialect, models: new Map(Object.entries(models)), comments: false });
}

function print(schema: unknown, options: { dialect?: '3.0' | '3.1'; mode?: Mode; schemas?: Record<string, unknown>; models?: Record<string, string> } = {}): string {
  return printer(options.schemas ?? {}, options.dialect, options.models).print(schema, options.mode ?? 'response').text;
}

describe('schema → TypeScript', () => {
  it.each<[string, unknown, string]>([
    ['string', { type: 'string' }, 'string'],
    ['integer', { type: 'integer', format: 'int64' }, 'number'],
    ['boolean', { type: 'boolean' }, 'boolean'],
    ['empty schema', {}, 'unknown'],
    ['false schema', false, 'never'],
    ['enum', { type: 'string', enum: ['a', 'b'] }, '"a" | "b"'],
    ['enum with null and numbers', { enum: ['a', null, 1, true] }, '"a" | null | 1 | true'],
    ['const', { const: 'x' }, '"x"'],
    ['oneOf', { oneOf: [{ type: 'string' }, { type: 'integer' }] }, 'string | number'],
    ['anyOf', { anyOf: [{ type: 'boolean' }, { type: 'string', enum: ['x'] }] }, 'boolean | "x"'],
    ['array of a union', { type: 'array', items: { oneOf: [{ type: 'string' }, { type: 'integer' }] } }, '(string | number)[]'],
    ['array without items', { type: 'array' }, 'unknown[]'],
    ['bare object', { type: 'object' }, '{\n  [key: string]: unknown;\n}'],
    ['map', { type: 'object', additionalProperties: { type: 'integer' } }, '{\n  [key: string]: number;\n}'],
    ['closed empty object', { type: 'object', additionalProperties: false }, 'Record<string, never>'],
    ['properties, required and optional', { type: 'object', required: ['a'], properties: { a: { type: 'string' }, 'b-c': { type: 'integer' } } }, '{\n  a: string;\n  "b-c"?: number;\n}'],
    ['properties and additionalProperties', { properties: { a: { type: 'string' } }, additionalProperties: { type: 'integer' } }, '{\n  a?: string;\n  [key: string]: unknown;\n}'],
    ['a required name without a property', { type: 'object', required: ['x'] }, '{\n  x: unknown;\n}'],
    ['nested object', { type: 'object', properties: { a: { type: 'object', properties: { b: { type: 'string' } } } } }, '{\n  a?: {\n    b?: string;\n  };\n}'],
  ])('%s', (_name, schema, expected) => expect(print(schema)).toBe(expected));

  it('3.0 nullable: on a type, beside a $ref, beside anyOf without type (as Stripe writes it)', () => {
    const schemas = { Pet: { type: 'object', properties: { name: { type: 'string' } } } };
    expect(print({ type: 'string', nullable: true })).toBe('string | null');
    expect(print({ ...ref('Pet'), nullable: true }, { schemas })).toBe('Pet | null');
    expect(print({ anyOf: [ref('Pet')], nullable: true }, { schemas })).toBe('Pet | null');
    expect(print({ type: 'object', nullable: true, properties: { a: { type: 'string' } } })).toBe('{\n  a?: string;\n} | null');
  });

  it('3.1: type arrays, nullable ignored, const, prefixItems tuples, $ref with siblings', () => {
    const schemas = { Pet: { type: 'object', properties: { name: { type: 'string' } } } };
    expect(print({ type: ['string', 'null'] }, { dialect: '3.1' })).toBe('string | null');
    expect(print({ type: ['integer', 'string'] }, { dialect: '3.1' })).toBe('number | string');
    expect(print({ type: ['array', 'null'], items: { type: 'string' } }, { dialect: '3.1' })).toBe('string[] | null');
    expect(print({ type: 'string', nullable: true }, { dialect: '3.1' })).toBe('string');
    expect(print({ type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false }, { dialect: '3.1' })).toBe('[string, number]');
    expect(print({ type: 'array', prefixItems: [{ type: 'string' }] }, { dialect: '3.1' })).toBe('[string, ...unknown[]]');
    expect(print({ ...ref('Pet'), description: 'a pet' }, { dialect: '3.1', schemas })).toBe('Pet');
    expect(print({ ...ref('Pet'), required: ['name'] }, { dialect: '3.1', schemas })).toBe('Pet & {\n  name: unknown;\n}');
    // 3.0 ignores a $ref's siblings.
    expect(print({ ...ref('Pet'), required: ['name'] }, { schemas })).toBe('Pet');
  });

  it('allOf is an intersection; a bare `type: object` beside a composition adds nothing', () => {
    const schemas = { Base: { type: 'object', properties: { id: { type: 'integer' } } } };
    expect(print({ allOf: [ref('Base'), { type: 'object', required: ['b'], properties: { b: { type: 'string' } } }] }, { schemas })).toBe('Base & {\n  b: string;\n}');
    expect(print({ type: 'object', oneOf: [ref('Base'), { type: 'string' }] }, { schemas })).toBe('Base | string');
    expect(print({ allOf: [{ oneOf: [{ type: 'string' }, { type: 'integer' }] }, { type: 'string' }] })).toBe('(string | number) & string');
  });

  it('names components as identifiers: invalid characters, leading digits, reserved words, module names', () => {
    const p = new SchemaPrinter({ components: { schemas: { 'Foo-Bar': {}, '2fa': {}, string: {}, Input: {}, Error: {}, 'a.b': {} } } }, { dialect: '3.0', reserved: ['Input'] });
    expect(['Foo-Bar', '2fa', 'string', 'Input', 'Error', 'a.b'].map((n) => p.identifier(n))).toEqual(['Foo_Bar', '_2fa', 'string_', 'Input2', 'Error', 'a_b']);
  });

  describe('directions', () => {
    const schemas = {
      Template: {
        type: 'object',
        required: ['name', 'created'],
        properties: {
          name: { type: 'string' },
          port: { type: 'integer', default: 8888 },
          secret: { type: 'string', writeOnly: true },
          created: { $ref: '#/components/schemas/Timestamp' },
        },
      },
      Timestamp: { type: 'string', readOnly: true },
      Plain: { type: 'object', properties: { a: { type: 'string' } } },
      Wrapper: { type: 'object', properties: { template: ref('Template'), plain: ref('Plain') } },
    };

    it('responses leave out writeOnly properties; inputs leave out readOnly ones (also through $ref) and fill defaults', () => {
      const p = printer(schemas);
      expect(p.print(ref('Template'), 'response').text).toBe('Template');
      expect(p.print(ref('Template'), 'input').text).toBe('TemplateInput');
      expect(p.print(ref('Template'), 'request').text).toBe('TemplateRequest');
      // Schemas that direction does not change keep their one name.
      expect(p.print(ref('Plain'), 'input').text).toBe('Plain');
      expect(p.print(ref('Wrapper'), 'input').text).toBe('WrapperInput');
      const declarations = p.declarations();
      expect(declarations).toContain('export type Template = {\n  name: string;\n  port?: number;\n  created: Timestamp;\n};');
      expect(declarations).toContain('export type TemplateInput = {\n  name: string;\n  port: number;\n  secret?: string;\n};');
      expect(declarations).toContain('export type TemplateRequest = {\n  name: string;\n  port?: number;\n  secret?: string;\n};');
      expect(declarations).toContain('export type WrapperInput = {\n  template?: TemplateInput;\n  plain?: Plain;\n};');
    });

    it('defaults are not filled inside oneOf/anyOf (as Ajv does), so branches use the request shape', () => {
      const p = printer(schemas);
      expect(p.print({ oneOf: [ref('Template'), { type: 'string' }] }, 'input').text).toBe('TemplateRequest | string');
    });

    it('a request-only variant is FooInput when defaults change nothing', () => {
      const p = printer({ Item: { type: 'object', properties: { id: { type: 'string', readOnly: true }, name: { type: 'string' } } } });
      expect(p.print(ref('Item'), 'input').text).toBe('ItemInput');
      expect(p.print(ref('Item'), 'request').text).toBe('ItemInput');
      expect(p.declarations()).toContain('export type ItemInput = {\n  name?: string;\n};');
    });

    it('mapped models are their classes where the runtime builds them (body, properties, items, allOf), not inside oneOf', () => {
      const models = { Person: 'models.Person' };
      const p = printer(
        {
          Person: { type: 'object', properties: { name: { type: 'string' } } },
          Owner: { type: 'object', properties: { person: ref('Person'), people: { type: 'array', items: ref('Person') }, either: { oneOf: [ref('Person'), { type: 'string' }] } } },
        },
        '3.0',
        models,
      );
      expect(p.print(ref('Person'), 'input').text).toBe('models.Person');
      expect(p.print(ref('Person'), 'response').text).toBe('Person');
      expect(p.print(ref('Owner'), 'input').text).toBe('OwnerInput');
      expect(p.declarations()).toContain('export type OwnerInput = {\n  person?: models.Person;\n  people?: models.Person[];\n  either?: Person | string;\n};');
    });

    it('multipart bodies carry binary strings as uploaded files', () => {
      const p = printer({ Upload: { type: 'object', properties: { file: { type: 'string', format: 'binary' }, note: { type: 'string' } } } });
      expect(p.print(ref('Upload'), 'multipart').text).toBe('UploadMultipart');
      expect(p.declarations()).toContain('export type UploadMultipart = {\n  file?: UploadedFile;\n  note?: string;\n};');
      expect(print({ type: 'string', contentEncoding: 'binary' }, { dialect: '3.1', mode: 'multipart' })).toBe('UploadedFile');
      expect(print({ type: 'string', format: 'binary' })).toBe('string');
    });
  });

  it('recursion through properties stays; an alias cycle through unions/intersections is broken with unknown', () => {
    const p = printer({
      Tree: { type: 'object', properties: { children: { type: 'array', items: ref('Tree') } } },
      Animal: { oneOf: [ref('Cat'), ref('Dog')] },
      Cat: { allOf: [ref('Animal'), { type: 'object', properties: { meow: { type: 'boolean' } } }] },
      Dog: { allOf: [ref('Animal'), { type: 'object', properties: { bark: { type: 'boolean' } } }] },
      Self: { anyOf: [ref('Self'), { type: 'string' }] },
    });
    const out = p.declarations({ all: true });
    expect(out).toContain('export type Tree = {\n  children?: Tree[];\n};');
    expect(out).toContain('export type Animal = Cat | Dog;');
    expect(out).toContain('export type Cat = {\n  meow?: boolean;\n};');
    expect(out).toContain('export type Self = string;');
    const program = compile([], { [path.join(ROOT, 'test/.virtual/cycles.ts')]: out });
    expect(diagnosticsOf(program, path.join(ROOT, 'test/.virtual/cycles.ts')).map(describeDiagnostic)).toEqual([]);
  });
});

// ------------------------------------------------------------------------------------------------
// A fixture document, generated and compiled with handlers that must (and must not) compile.

const FIXTURE = {
  openapi: '3.0.3',
  info: { title: 'fixture', version: '1' },
  paths: {
    '/pets/{petId}': {
      parameters: [{ name: 'petId', in: 'path', required: true, schema: { type: 'integer' } }],
      get: {
        operationId: 'getPet',
        parameters: [
          { name: 'X-Request-Id', in: 'header', schema: { type: 'string' } },
          { name: 'verbose', in: 'query', schema: { type: 'boolean', default: false } },
          { name: 'session', in: 'cookie', schema: { type: 'string' } },
          { name: 'filter', in: 'query', style: 'deepObject', schema: { type: 'object', properties: { kind: { type: 'string' } } } },
        ],
        responses: {
          '200': { description: 'the pet', content: { 'application/json': { schema: ref('Pet') } } },
          '404': { $ref: '#/components/responses/NoPet' },
        },
      },
      put: {
        operationId: 'replacePet',
        requestBody: { required: true, content: { 'application/json': { schema: ref('Pet') } } },
        responses: {
          '200': { description: 'replaced', content: { 'application/json': { schema: ref('Pet') } } },
          '201': { description: 'created', content: { 'application/json': { schema: ref('Pet') } } },
        },
      },
      delete: {
        operationId: 'deletePet',
        responses: {
          '204': { description: 'gone' },
          default: { description: 'error', content: { 'application/problem+json': { schema: ref('Problem') } } },
        },
      },
    },
    '/pets': {
      post: {
        operationId: 'createPet',
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: ref('Pet') },
            'multipart/form-data': { schema: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, photo: { type: 'string', format: 'binary' } } } },
          },
        },
        responses: { '201': { description: 'created', 'x-name': 'petCreated', content: { 'application/json': { schema: ref('Pet') } } } },
      },
    },
    '/owners': {
      post: {
        operationId: 'createOwner',
        requestBody: { content: { 'application/json': { schema: ref('Owner') } } },
        responses: { '200': { description: 'the owner', content: { 'application/json': { schema: ref('Owner') } } } },
      },
    },
    '/raw': {
      post: {
        operationId: 'upload',
        requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } }, 'text/plain': { schema: { type: 'string' } } } },
        responses: { '200': { description: 'echo', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    '/elsewhere': {
      get: { responses: { '302': { description: 'moved' } } },
    },
    // Streamed bodies: server-sent events whose schema is the data, or the event (it has `data`);
    // JSON Lines and json-seq; a file.
    '/ticks': {
      get: { operationId: 'ticks', responses: { '200': { description: 'events', content: { 'text/event-stream': { schema: ref('Tick') } } } } },
    },
    '/feed': {
      get: { operationId: 'feed', responses: { '200': { description: 'typed events', content: { 'text/event-stream': { schema: ref('TickEvent') } } } } },
    },
    '/lines': {
      get: {
        operationId: 'lines',
        responses: { '200': { description: 'lines', content: { 'application/jsonl': { schema: ref('Tick') }, 'application/json-seq': { schema: ref('Tick') } } } },
      },
    },
    '/count': {
      get: { operationId: 'count', responses: { '200': { description: 'a number as text', content: { 'text/plain': { schema: { type: 'integer' } } } } } },
    },
    '/download': {
      get: {
        operationId: 'download',
        responses: {
          '200': { description: 'a file', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
          '404': { $ref: '#/components/responses/NoPet' },
        },
      },
    },
  },
  components: {
    schemas: {
      Pet: {
        type: 'object',
        required: ['id', 'name'],
        properties: {
          id: { type: 'integer', readOnly: true },
          name: { type: 'string' },
          secret: { type: 'string', writeOnly: true },
          tag: { type: 'string', nullable: true },
          status: { type: 'string', enum: ['available', 'sold'], default: 'available' },
        },
      },
      Owner: { type: 'object', required: ['person'], properties: { person: ref('Person'), pets: { type: 'array', items: ref('Person') } } },
      Person: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
      Problem: { type: 'object', required: ['title'], properties: { title: { type: 'string' }, status: { type: 'integer' } } },
      Tick: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } },
      TickEvent: { type: 'object', required: ['data'], properties: { event: { type: 'string', enum: ['tick'] }, id: { type: 'string' }, data: ref('Tick') } },
    },
    responses: {
      NoPet: { description: 'no such pet', content: { 'application/problem+json': { schema: ref('Problem') } } },
    },
  },
};

const VIRTUAL = path.join(ROOT, 'test/.virtual');

const MODELS = `export class Person {
  constructor(readonly name: string) {}
  static fromJSON(json: { name: string }): Person { return new Person(json.name); }
  greet(): string { return 'hello ' + this.name; }
}
`;

const USAGE = `import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { Handlers, Input, Pet, Replies, Tick } from './fixture.types';
import { Person } from './models';

export const getPet: Handlers['getPet'] = async (input, ctx) => {
  const id: number = input.petId;
  const requestId: string | undefined = input.xRequestId;
  const verbose: boolean = input.verbose;
  const session: string | undefined = input.session;
  const kind: string | undefined = input.filter?.kind;
  if (!verbose) return ctx.reply.noPet({ title: 'no pet ' + requestId + session + kind });
  return { id, name: 'rex', tag: null, status: 'sold' };
};

export const deletePet: Handlers['deletePet'] = async (_input, ctx) => {
  if (Math.random() > 0.5) return ctx.reply.noContent();
};
export const deletePetToo: Handlers['deletePet'] = async () => {};

export const replacePet: Handlers['replacePet'] = async (input, ctx) => ctx.reply.created({ id: 1, name: input.body.name, status: input.body.status });

export const createPet: Handlers['createPet'] = async (input, ctx) => {
  const body = input.body;
  if ('photo' in body && body.photo) {
    const bytes: Buffer = body.photo.content;
    return ctx.reply.petCreated({ id: bytes.length, name: body.name });
  }
  return { id: 1, name: body.name };
};

export const createOwner: Handlers['createOwner'] = (input) => {
  if (!input.body) return { person: { name: 'nobody' } };
  const person: Person = input.body.person;
  person.greet();
  const pets: Person[] | undefined = input.body.pets;
  return { person, pets };
};

export const upload: Handlers['upload'] = async (input) => (Buffer.isBuffer(input.body) ? input.body : input.body.toUpperCase());

export const getElsewhere: Handlers['getElsewhere'] = async (_input, ctx) => ctx.reply.found();

type StatusOnly = Replies<'deletePet'>['noContent'];
const nothing: StatusOnly = undefined;
export const unused: Input<'getPet'> | Pet | StatusOnly = nothing;

// Server-sent events: an async generator (plain return: one 2xx) of events or of their data alone.
export const ticks: Handlers['ticks'] = async (_input, ctx) =>
  (async function* () {
    yield { n: 1 };
    yield { data: { n: 2 }, event: 'tick', id: '2', retry: 1000 };
    if (ctx.signal.aborted) return;
  })();
export const ticksFromArray: Handlers['ticks'] = () => [{ n: 1 }, { data: { n: 2 } }];
export const ticksReplied: Handlers['ticks'] = (_input, ctx) => ctx.reply.ok(new Set<Tick>([{ n: 1 }]));
// A schema that describes the event: each item is one.
export const feed: Handlers['feed'] = async function* () {
  yield { event: 'tick', id: '1', data: { n: 1 } };
};
// JSON Lines / json-seq: the items themselves.
export const lines: Handlers['lines'] = async function* () {
  yield { n: 1 };
};
export const linesFromGenerator: Handlers['lines'] = () =>
  (function* () {
    yield { n: 1 };
  })();
// A file: text, bytes, a Node stream, a web stream, an async iterable of chunks.
export const download: Handlers['download'] = async (_input, ctx) => {
  const pick = Math.floor(Math.random() * 6);
  if (pick === 0) return 'text';
  if (pick === 1) return Buffer.from('bytes');
  if (pick === 2) return ctx.reply.ok(createReadStream('/dev/null'), { headers: { 'Content-Disposition': 'attachment' } });
  if (pick === 3) return new ReadableStream<Uint8Array>();
  if (pick === 4) return Readable.from(['a']);
  return (async function* () {
    yield 'chunk';
    yield new Uint8Array([1]);
  })();
};

export const count: Handlers['count'] = (_input, ctx) => (ctx.signal.aborted ? 'none' : 42);
// expect-error: TS2322 Type 'boolean' is not assignable
export const badCount: Handlers['count'] = () => true;

export const badTicks: Handlers['ticks'] = (_input, ctx) =>
  // expect-error: TS2345 Type 'string' is not assignable to type 'number'
  ctx.reply.ok([{ n: 1 }, { data: { n: 'two' } }]);
// expect-error: TS2322 Type '"tock"' is not assignable to type '"tick"'
export const badFeed: Handlers['feed'] = async function* () {
  yield { event: 'tock' as const, data: { n: 1 } };
};
export const badFeedData: Handlers['feed'] = (_input, ctx) =>
  // expect-error: TS2345 'n' does not exist in type 'TickEvent'
  ctx.reply.ok([{ n: 1 }]);
// expect-error: TS2322 Type 'Pet' is not assignable to type
export const badLines: Handlers['lines'] = async () => ({ id: 1, name: 'x' }) as Pet;
export const badDownload: Handlers['download'] = (_input, ctx) =>
  // expect-error: TS2353 'name' does not exist in type 'Uint8Array
  ctx.reply.ok({ name: 'x' });

export const bad: Handlers['getPet'] = async (input, ctx) => {
  // expect-error: TS2551 Property 'petID' does not exist
  if (input.petID) return ctx.reply.ok({ id: 1, name: 'x' });
  // expect-error: TS2353 'a' does not exist in type 'Problem | { toJSON(): Problem; }'
  if (input.verbose) return ctx.reply.noPet({ a: 1 });
  // (404 answers to both its component name and its status name.)
  if (input.session) return ctx.reply.notFound({ title: 'x' });
  // expect-error: TS2339 Property 'conflict' does not exist
  return ctx.reply.conflict({ title: 'x' });
};

export const badDelete: Handlers['deletePet'] = async (_input, ctx) =>
  // expect-error: TS2345 Argument of type '{ a: number; }' is not assignable to parameter of type 'undefined'
  ctx.reply.noContent({ a: 1 });

export const badReplace: Handlers['replacePet'] = async (input, ctx) => {
  // expect-error: TS2339 Property 'id' does not exist on type 'PetInput'
  const id = input.body.id;
  // expect-error: TS2353 'secret' does not exist in type 'Pet | { toJSON(): Pet; }'
  return ctx.reply.ok({ id, name: 'x', secret: 'hidden' });
};

// expect-error: TS2322 Type 'Promise<undefined>' is not assignable
export const badElsewhere: Handlers['getElsewhere'] = async () => undefined;

export const badOwner: Handlers['createOwner'] = (input) => {
  // expect-error: TS18048 'input.body' is possibly 'undefined'
  return { person: input.body.person };
};
`;

describe('the generated module (fixture document)', () => {
  let source: string;
  beforeAll(() => {
    const { operations } = collectOperations(FIXTURE as any);
    source = printTypes({ document: FIXTURE as any, dialect: '3.0' }, operations, {
      source: 'fixture.yaml',
      runtimeModule: '../../src',
      models: [{ schema: 'Person', module: './models', exportName: 'Person' }],
    });
  });

  it('starts with the do-not-edit header and imports the runtime and the models', () => {
    const lines = source.split('\n');
    expect(lines[0]).toBe('// Generated by `specbind types` from fixture.yaml — do not edit.');
    expect(source).toContain('import type * as specbind from "../../src";');
    expect(source).toContain('import type * as models from "./models";');
  });

  it('types each operation: input keys, optionality, body by media type, replies by name, success', () => {
    expect(source).toContain('      petId: number;');
    expect(source).toContain('      xRequestId?: string;');
    expect(source).toContain('      verbose: boolean;');
    expect(source).toContain('      session?: string;');
    expect(source).toMatch(/ {6}body: PetInput \| \{\n {8}name: string;\n {8}photo\?: specbind\.UploadedFile;\n {6}\};/);
    expect(source).toContain('      body?: OwnerInput;');
    expect(source).toContain('      body: Buffer | string;');
    expect(source).toMatch(/deletePet: \{\n {4}input: \{\n {6}\/\*\* path parameter "petId" \*\/\n {6}petId: number;\n {4}\};\n {4}replies: \{\n(.*\n)* {6}noContent: undefined;\n(.*\n)* {6}default: Problem;\n {4}\};\n {4}success: undefined;/);
    expect(source).toMatch(/replacePet: \{[^]*?success: never;/);
    expect(source).toMatch(/upload: \{[^]*?ok: string \| Uint8Array \| NodeJS\.ReadableStream \| ReadableStream<Uint8Array> \| AsyncIterable<Uint8Array \| string>;/);
    expect(source).toMatch(/getElsewhere: \{[^]*?found: undefined;[^]*?success: never;/);
    expect(source).toMatch(/createPet: \{[^]*?petCreated: Pet;\n[^]*?created: Pet;/);
  });

  it('types streamed bodies: items of a sequential media type, and text, bytes or a stream for any other', () => {
    const event = '{ data: Tick; event?: string; id?: string; retry?: number } | Tick';
    // SSE whose schema is the data: an event with that data, or the data alone.
    expect(source).toContain(`ticks: {\n    input: {};\n    replies: {\n      /** 200: events */\n      ok: Iterable<${event}> | AsyncIterable<${event}>;\n    };\n    success: Iterable<${event}> | AsyncIterable<${event}>;`);
    // SSE whose schema has `data`: it describes the event.
    expect(source).toMatch(/feed: \{[^]*?ok: Iterable<TickEvent> \| AsyncIterable<TickEvent>;/);
    // JSON Lines and json-seq (the same items): one union member.
    expect(source).toMatch(/lines: \{[^]*?ok: Iterable<Tick> \| AsyncIterable<Tick>;\n/);
    expect(source).toMatch(/download: \{[^]*?ok: string \| Uint8Array \| NodeJS\.ReadableStream \| ReadableStream<Uint8Array> \| AsyncIterable<Uint8Array \| string>;\n[^]*?noPet: Problem;/);
    // A text media type whose schema is a number: the number too (the runtime writes it as text).
    expect(source).toMatch(/count: \{[^]*?ok: string \| Uint8Array \| NodeJS\.ReadableStream \| ReadableStream<Uint8Array> \| AsyncIterable<Uint8Array \| string> \| number;/);
  });

  it('OpenAPI 3.2 itemSchema describes the whole item (an SSE event), with or without a schema beside it', () => {
    const document = {
      openapi: '3.2.0',
      info: { title: 'items', version: '1' },
      paths: {
        '/events': {
          get: {
            operationId: 'events',
            responses: {
              '200': {
                description: 'events',
                content: {
                  'text/event-stream': { itemSchema: { type: 'object', required: ['data'], properties: { event: { const: 'progress' }, data: { type: 'object', properties: { percent: { type: 'integer' } } } } } },
                  'application/jsonl': { itemSchema: { type: 'integer' } },
                },
              },
            },
          },
        },
        '/bare': { get: { operationId: 'bare', responses: { '200': { description: 'no schema', content: { 'text/event-stream': {}, 'application/x-ndjson': {} } } } } },
      },
    };
    const { operations } = collectOperations(document as any);
    const out = printTypes({ document: document as any, dialect: '3.1' }, operations, { comments: false });
    expect(out).toContain('ok: Iterable<{\n        event?: "progress";\n        data: {\n          percent?: number;\n        };\n      }> | AsyncIterable<{');
    expect(out).toMatch(/ \| Iterable<number> \| AsyncIterable<number>;/);
    // No schema at all: items of any kind.
    expect(out).toContain('bare: {\n    input: {};\n    replies: {\n      ok: Iterable<unknown> | AsyncIterable<unknown>;');
  });

  it('is deterministic', () => {
    const { operations } = collectOperations(FIXTURE as any);
    const again = printTypes({ document: structuredClone(FIXTURE) as any, dialect: '3.0' }, operations, {
      source: 'fixture.yaml',
      runtimeModule: '../../src',
      models: [{ schema: 'Person', module: './models', exportName: 'Person' }],
    });
    expect(again).toBe(source);
  });

  it('compiles, and handlers written against it compile or fail exactly where expected', () => {
    const files = {
      [path.join(VIRTUAL, 'fixture.types.ts')]: source,
      [path.join(VIRTUAL, 'models.ts')]: MODELS,
      [path.join(VIRTUAL, 'usage.ts')]: USAGE,
    };
    const program = compile([], files);
    expect(diagnosticsOf(program, path.join(VIRTUAL, 'fixture.types.ts')).map(describeDiagnostic)).toEqual([]);
    const result = check(program, path.join(VIRTUAL, 'usage.ts'), USAGE);
    expect({ ...result, all: result.unmet.length ? diagnosticsOf(program, path.join(VIRTUAL, 'usage.ts')).map(describeDiagnostic) : [] }).toEqual({ unmet: [], unexpected: [], all: [] });
  }, 30_000);
});

describe('generateTypes and `specbind types`', () => {
  it('imports relative to the generated file, and the runtime from src/ inside this repository', () => {
    expect(importSpecifier(path.join(ROOT, 'openapi/api.types.ts'), path.join(ROOT, 'handlers/_app/models.ts'))).toBe('../handlers/_app/models');
    expect(importSpecifier(path.join(ROOT, 'api.types.ts'), path.join(ROOT, 'models.ts'))).toBe('./models');
    expect(runtimeModuleFor(path.join(ROOT, 'openapi/api.types.ts'))).toBe('../src');
    expect(runtimeModuleFor(path.join(tmpdir(), 'no-package-here', 'api.types.ts'))).toBe('specbind');
  });

  it('finds the export that holds a model class in a given module', () => {
    const imports = resolveModelImports({ Person }, path.join(ROOT, 'handlers/_app/models.ts'), path.join(ROOT, 'openapi/api.types.ts'), ROOT);
    expect(imports).toEqual([{ schema: 'Person', module: '../handlers/_app/models', exportName: 'Person' }]);
  });

  it('generateTypes produces the committed bundled types from the document and the models module', async () => {
    const generated = await generateTypes({
      spec: path.join(ROOT, 'openapi/api.yaml'),
      out: path.join(ROOT, 'openapi/api.types.ts'),
      models: { Person },
      modelsModule: path.join(ROOT, 'handlers/_app/models.ts'),
      cwd: ROOT,
      command: 'npx specbind types --spec openapi/api.yaml --out openapi/api.types.ts --config handlers/_app/config.ts',
    });
    expect(generated.operations).toBe(17);
    expect(generated.source).toBe(readFileSync(path.join(ROOT, 'openapi/api.types.ts'), 'utf8'));
  });

  it('the CLI writes a file, leaves an unchanged one alone, and --check reports staleness', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'specbind-types-'));
    try {
      writeFileSync(path.join(dir, 'api.json'), JSON.stringify(FIXTURE));
      const cli = (...args: string[]) =>
        spawnSync(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'src/cli.ts'), 'types', '--spec', 'api.json', '--out', 'types/api.types.ts', ...args], { cwd: dir, encoding: 'utf8' });
      const first = cli();
      expect(first.stderr).toBe('');
      expect(first.stdout).toBe('specbind: wrote types/api.types.ts (12 operations)\n');
      const written = readFileSync(path.join(dir, 'types/api.types.ts'), 'utf8');
      expect(written).toContain('import type * as specbind from "specbind";');
      expect(written).toContain('      body: PetInput | {\n');
      expect(cli().stdout).toBe('specbind: unchanged types/api.types.ts (12 operations)\n');
      expect(cli('--check').status).toBe(0);
      writeFileSync(path.join(dir, 'types/api.types.ts'), written.replace('petId: number', 'petId: string'));
      const stale = cli('--check');
      expect(stale.status).toBe(1);
      expect(stale.stderr).toContain('types/api.types.ts is out of date');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
