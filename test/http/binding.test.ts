// Binding in depth: coercion rules, bodies of every declared kind, discriminators, domain objects.
import * as path from 'node:path';
import { bind } from '../../src';
import { start, type Started } from '../helpers/server';

const SPEC = path.join(__dirname, '../fixtures/binding/openapi.yaml');

/** A domain class with the three construction routes DESIGN.md names. */
class Person {
  constructor(readonly name: string, readonly via: string) {}
  static fromJSON(json: { name: string }) {
    return new Person(json.name, 'fromJSON');
  }
  greet() {
    return `hello ${this.name}`;
  }
  toJSON() {
    return { name: this.name };
  }
}

class BuiltPerson {
  name = '';
  age?: number;
  via = '';
  static build(fields: { firstname: string; age?: number }) {
    return Object.assign(new BuiltPerson(), { name: fields.firstname, age: fields.age, via: 'build' });
  }
}

class PlainPerson {
  name = '';
}

const echo = (input: unknown) => ({ input });

function handlers(seen: { owner?: any; body?: any }) {
  return {
    scalars: echo,
    submitForm: echo,
    upload: (input: any) => ({
      fields: { title: input.body.title, copies: input.body.copies, meta: input.body.meta },
      file: { field: input.body.file.field, filename: input.body.file.filename, type: input.body.file.type, size: input.body.file.size, text: input.body.file.content.toString('utf8') },
      extras: (input.body.extras ?? []).map((f: any) => f.filename),
    }),
    raw: (input: any) => ({ type: Buffer.isBuffer(input.body) ? 'buffer' : typeof input.body, value: Buffer.isBuffer(input.body) ? [...input.body] : input.body }),
    addPet: echo,
    addOwner: (input: any) => {
      seen.owner = input.body;
      return { ...input.body, since: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)) };
    },
    personByName: bind(BuiltPerson, { name: 'firstname' }, (input: any) => ({ person: input.builtPerson, kind: input.builtPerson.constructor.name })),
  };
}

describe('binding', () => {
  let api: Started;
  const seen: { owner?: any } = {};
  beforeAll(async () => {
    api = await start({ spec: SPEC, handlers: handlers(seen), models: { Person } });
  });
  afterAll(() => api.close());

  describe('coercion of query parameters', () => {
    it('coerces by schema type, applies defaults (arrays and deepObject members too), and lets operation parameters override path-item ones', async () => {
      const answer = await api.request('GET', '/scalars?n=1e3&int=-4&flag=true&text=&filter[min]=3');
      expect(answer.status).toBe(200);
      expect(answer.json.input).toEqual({ n: 1000, int: -4, flag: true, text: '', maybe: 7, sizes: [1, 2], shared: 'from-path-item', filter: { min: 3, status: 'open' }, page: { size: 20 } });
    });

    it.each([
      ['int=0.1', 'int', 'must be integer'],
      ['flag=yes', 'flag', 'must be boolean'],
      ['int=', 'int', 'is empty; expected integer'],
      ['n=abc', 'n', 'must be number'],
      ['sizes=1&sizes=two', 'sizes', 'must be integer'],
      ['filter[min]=x', 'filter', 'must be integer'],
    ])('?%s is a 400 naming %s', async (query, name, message) => {
      const answer = await api.request('GET', `/scalars?${query}`);
      expect(answer.status).toBe(400);
      expect(answer.json.errors).toEqual([expect.objectContaining({ in: 'query', name, message })]);
    });

    it('treats an empty value as not sent when allowEmptyValue is set', async () => {
      const answer = await api.request('GET', '/scalars?maybe=');
      expect(answer.json.input.maybe).toBe(7);
    });

    it('coerces a oneOf of primitive types to the first type that validates', async () => {
      expect((await api.request('GET', '/scalars?either=12')).json.input.either).toBe(12);
      expect((await api.request('GET', '/scalars?either=5')).json.input.either).toBe('5'); // 5 < minimum 10: the string branch
      expect((await api.request('GET', '/scalars?either=abc')).json.input.either).toBe('abc');
    });

    it('ignores unknown query parameters by default, and rejects them when asked', async () => {
      expect((await api.request('GET', '/scalars?surprise=1')).status).toBe(200);
      const strict = await start({ spec: SPEC, handlers: handlers({}), models: { Person }, unknownQueryParameters: 'reject' });
      try {
        const answer = await strict.request('GET', '/scalars?surprise=1&filter[min]=2&int=1');
        expect(answer.status).toBe(400);
        expect(answer.json.errors).toEqual([{ in: 'query', name: 'surprise', message: 'is not a declared parameter' }]);
      } finally {
        await strict.close();
      }
    });
  });

  describe('bodies', () => {
    it('binds a form body by each property\'s encoding', async () => {
      const form = 'name=Ann+Lee&age=41&tags=a&tags=b&codes=1|2|3&where[lat]=51.5&where[lng]=-0.1&meta=%7B%22ok%22%3Atrue%7D';
      const answer = await api.request('POST', '/forms', { raw: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(answer.status).toBe(200);
      expect(answer.json.input.body).toEqual({ name: 'Ann Lee', age: 41, tags: ['a', 'b'], codes: [1, 2, 3], where: { lat: 51.5, lng: -0.1 }, meta: { ok: true } });
    });

    it('validates a form body like a JSON one', async () => {
      const answer = await api.request('POST', '/forms', { raw: 'age=old', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(answer.status).toBe(400);
      expect(answer.json.errors.map((e: any) => e.pointer).sort()).toEqual(['/age', '/name']);
    });

    it('delivers multipart fields coerced and files with name, type, size and content', async () => {
      const form = new FormData();
      form.append('title', 'report');
      form.append('copies', '3');
      form.append('meta', new Blob(['{"ok":true}'], { type: 'application/json' }));
      form.append('file', new Blob(['hello file'], { type: 'text/plain' }), 'hello.txt');
      form.append('extras', new Blob(['a']), 'a.bin');
      form.append('extras', new Blob(['b']), 'b.bin');
      const response = await fetch(`${api.url}/uploads`, { method: 'POST', body: form });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        fields: { title: 'report', copies: 3, meta: { ok: true } },
        file: { field: 'file', filename: 'hello.txt', type: 'text/plain', size: 10, text: 'hello file' },
        extras: ['a.bin', 'b.bin'],
      });
    });

    it('rejects a multipart body missing a required file, and one with a wrongly typed field', async () => {
      const form = new FormData();
      form.append('title', 'report');
      form.append('copies', 'many');
      const response = await fetch(`${api.url}/uploads`, { method: 'POST', body: form });
      expect(response.status).toBe(400);
      const problem: any = await response.json();
      expect(problem.errors.map((e: any) => e.pointer).sort()).toEqual(['/copies', '/file']);
    });

    it('refuses a text field where the schema declares a file', async () => {
      const form = new FormData();
      form.append('title', 'report');
      form.append('file', 'just text, no filename');
      const response = await fetch(`${api.url}/uploads`, { method: 'POST', body: form });
      expect(response.status).toBe(400);
      expect(((await response.json()) as any).errors).toContainEqual({ in: 'body', pointer: '/file', message: 'must be a file (a part with a filename)' });
    });

    it('answers 413 for a file over the per-file limit and for too many files', async () => {
      const limited = await start({ spec: SPEC, handlers: handlers({}), models: { Person }, multipart: { fileSize: 16, files: 2 } });
      try {
        const big = new FormData();
        big.append('title', 't');
        big.append('file', new Blob(['x'.repeat(100)]), 'big.bin');
        const tooBig = await fetch(`${limited.url}/uploads`, { method: 'POST', body: big });
        expect(tooBig.status).toBe(413);
        expect(((await tooBig.json()) as any).detail).toContain('big.bin');
        const many = new FormData();
        many.append('title', 't');
        for (const name of ['1', '2', '3']) many.append('extras', new Blob(['x']), name);
        expect((await fetch(`${limited.url}/uploads`, { method: 'POST', body: many })).status).toBe(413);
        // The server keeps serving after refusing.
        expect((await limited.request('GET', '/scalars')).status).toBe(200);
      } finally {
        await limited.close();
      }
    });

    it('delivers text/plain as a string, octet-stream as a Buffer, and honours a declared wildcard', async () => {
      const text = await api.request('POST', '/raw', { raw: 'just words', headers: { 'content-type': 'text/plain; charset=utf-8' } });
      expect(text.json).toEqual({ type: 'string', value: 'just words' });
      const bytes = await api.request('POST', '/raw', { raw: Buffer.from([0, 1, 255]), headers: { 'content-type': 'application/octet-stream' } });
      expect(bytes.json).toEqual({ type: 'buffer', value: [0, 1, 255] });
      const wild = await api.request('POST', '/raw', { raw: 'x,y', headers: { 'content-type': 'application/csv' } });
      expect(wild.json).toEqual({ type: 'buffer', value: [...Buffer.from('x,y')] });
      expect((await api.request('POST', '/raw', { raw: 'x', headers: { 'content-type': 'image/png' } })).status).toBe(415);
      const tooLong = await api.request('POST', '/raw', { raw: 'x'.repeat(30), headers: { 'content-type': 'text/plain' } });
      expect(tooLong.status).toBe(400);
    });
  });

  describe('discriminator', () => {
    it('reports a bad body against the branch the discriminator selects, not every branch', async () => {
      const answer = await api.request('POST', '/pets', { body: { petType: 'dog', name: 'Rex', barks: 'loudly' } });
      expect(answer.status).toBe(400);
      const messages = answer.json.errors.map((e: any) => `${e.pointer} ${e.message}`);
      expect(messages).toContain('/barks must be boolean');
      expect(messages.join(' ')).not.toContain('indoor');
      expect(messages.join(' ')).toContain('does not match Dog (chosen by petType = "dog")');
    });

    it('names the allowed discriminator values for an unknown one, and accepts a valid branch', async () => {
      const unknown = await api.request('POST', '/pets', { body: { petType: 'fish', name: 'Nemo' } });
      expect(unknown.status).toBe(400);
      expect(unknown.json.errors).toContainEqual({ in: 'body', pointer: '/petType', message: 'must be one of "cat", "dog"' });
      expect((await api.request('POST', '/pets', { body: { petType: 'cat', name: 'Tom', indoor: true } })).status).toBe(200);
    });
  });

  describe('domain objects', () => {
    it('builds mapped schemas as instances wherever they appear (nested property, array items), after validation', async () => {
      const answer = await api.request('POST', '/owners', { body: { person: { name: 'Ann' }, friends: [{ name: 'Bo' }, { name: 'Cy' }] } });
      expect(answer.status).toBe(200);
      expect(seen.owner.person).toBeInstanceOf(Person);
      expect(seen.owner.person.greet()).toBe('hello Ann');
      expect(seen.owner.friends.map((f: Person) => f instanceof Person && f.via)).toEqual(['fromJSON', 'fromJSON']);
      // toJSON() and Date are honoured when the reply is serialised, and the result is validated.
      expect(answer.json).toEqual({ person: { name: 'Ann' }, friends: [{ name: 'Bo' }, { name: 'Cy' }], since: '2024-01-02T03:04:05.000Z' });
    });

    it('never constructs from an invalid body', async () => {
      seen.owner = undefined;
      const answer = await api.request('POST', '/owners', { body: { person: { name: 3 }, friends: [] } });
      expect(answer.status).toBe(400);
      expect(seen.owner).toBeUndefined();
    });

    it('bind() builds an instance from parameters, renaming parameter → field, under the class name camelCased', async () => {
      const answer = await api.request('GET', '/people/fred?age=30');
      expect(answer.json).toEqual({ person: { name: 'fred', age: 30, via: 'build' }, kind: 'BuiltPerson' });
    });

    it('bind() can assign properties to a new instance instead of calling a factory', async () => {
      const assigning = await start({
        spec: SPEC,
        handlers: { ...handlers({}), personByName: bind(PlainPerson, { name: 'name' }, (input: any) => ({ kind: input.plainPerson.constructor.name, name: input.plainPerson.name }), { mode: 'properties' }) },
        models: { Person },
      });
      try {
        expect((await assigning.request('GET', '/people/zoe')).json).toEqual({ kind: 'PlainPerson', name: 'zoe' });
      } finally {
        await assigning.close();
      }
    });
  });
});
