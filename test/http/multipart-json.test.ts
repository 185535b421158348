// multipart/form-data parts whose `encoding` says application/json are JSON documents, parsed before
// validation: an object, or for an array property the array itself (connexion's json_validation
// fixture sends the whole array as one part) or one item per part; malformed JSON is a 400 naming the part.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { SPECS, start, type Started } from '../helpers/server';

const FIXTURE = path.join(SPECS, 'peer-fixtures/connexion/json_validation/openapi.yaml');
const suite = existsSync(FIXTURE) ? describe : describe.skip;

suite("multipart parts with a JSON encoding (connexion's json_validation fixture)", () => {
  let api: Started;
  beforeAll(async () => {
    const echo = (input: any) => input.body.x;
    api = await start({ spec: FIXTURE, handlers: { 'fakeapi.hello.post_multipart_form': echo, 'fakeapi.hello.post_multipart_form_array': echo }, missingHandlers: 'notImplemented' });
  });
  afterAll(() => api.close());

  const post = (url: string, parts: Array<{ text: string; asFile?: boolean }>) => {
    const form = new FormData();
    for (const part of parts) {
      if (part.asFile) form.append('x', new Blob([part.text], { type: 'application/json' }));
      else form.append('x', part.text);
    }
    return fetch(`${api.url}/v1.0${url}`, { method: 'POST', body: form });
  };

  it('an object part is parsed, sent as a field or as a file part', async () => {
    for (const asFile of [false, true]) {
      const answer = await post('/multipart_form_json', [{ text: JSON.stringify({ name: 'joe', age: 20 }), asFile }]);
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ name: 'joe', age: 20 });
    }
  });

  it('an array property: the array as one part, or one item per part', async () => {
    const people = [{ name: 'joe', age: 20 }, { name: 'alena', age: 28 }];
    for (const asFile of [false, true]) {
      const whole = await post('/multipart_form_json_array', [{ text: JSON.stringify(people), asFile }]);
      expect(whole.status).toBe(200);
      expect(await whole.json()).toEqual(people);
      const each = await post('/multipart_form_json_array', people.map((p) => ({ text: JSON.stringify(p), asFile })));
      expect(await each.json()).toEqual(people);
    }
  });

  it('the parsed part is validated: a wrong type is a 400 at its pointer', async () => {
    const answer = await post('/multipart_form_json_array', [{ text: JSON.stringify([{ name: 'joe', age: 'old' }]) }]);
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { errors: unknown }).errors).toEqual([{ in: 'body', pointer: '/x/0/age', message: 'must be integer' }]);
  });

  it('malformed JSON is a 400 naming the part', async () => {
    for (const asFile of [false, true]) {
      const answer = await post('/multipart_form_json', [{ text: '{"name": "joe",', asFile }]);
      expect(answer.status).toBe(400);
      expect(await answer.json()).toMatchObject({ detail: 'part "x" is not valid JSON', errors: [{ in: 'body', pointer: '/x', message: 'is not valid JSON' }] });
    }
  });
});
