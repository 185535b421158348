// The router is pure: templates in, matches out; no request objects involved.
import { Router } from '../../src/router/router';

function router(...routes: Array<[string, string]>): Router<string> {
  const r = new Router<string>();
  for (const [method, template] of routes) r.add(method, template, `${method} ${template}`);
  return r;
}

describe('Router', () => {
  it('prefers a literal segment over a template, and backtracks when the method is only on the template', () => {
    const r = router(['GET', '/pets/mine'], ['GET', '/pets/{id}'], ['DELETE', '/pets/{id}']);
    expect(r.find('GET', '/pets/mine')).toMatchObject({ kind: 'found', store: 'GET /pets/mine' });
    expect(r.find('GET', '/pets/7')).toMatchObject({ kind: 'found', store: 'GET /pets/{id}', params: { id: '7' } });
    expect(r.find('DELETE', '/pets/mine')).toMatchObject({ kind: 'found', store: 'DELETE /pets/{id}', params: { id: 'mine' } });
  });

  it('reports the allowed methods of every template that matches the path', () => {
    const r = router(['GET', '/pets/{id}'], ['PUT', '/pets/{id}'], ['POST', '/pets']);
    expect(r.find('PATCH', '/pets/1')).toEqual({ kind: 'methodNotAllowed', allowed: ['GET', 'PUT'] });
    expect(r.find('GET', '/owners')).toEqual({ kind: 'notFound' });
  });

  it('matches segments that mix literals and templates', () => {
    const r = router(['GET', '/Accounts/{AccountSid}/Calls.json'], ['GET', '/Accounts/{AccountSid}/Calls/{Sid}.json'], ['GET', '/range/{from}-{to}']);
    expect(r.find('GET', '/Accounts/AC1/Calls.json')).toMatchObject({ params: { AccountSid: 'AC1' } });
    expect(r.find('GET', '/Accounts/AC1/Calls/CA9.json')).toMatchObject({ params: { AccountSid: 'AC1', Sid: 'CA9' } });
    expect(r.find('GET', '/range/1-5')).toMatchObject({ params: { from: '1', to: '5' } });
  });

  it('keeps a %2F inside one segment and hands values back still encoded', () => {
    const r = router(['GET', '/files/{name}'], ['GET', '/files/{name}/meta']);
    expect(r.find('GET', '/files/a%2Fb')).toMatchObject({ kind: 'found', store: 'GET /files/{name}', params: { name: 'a%2Fb' } });
    expect(r.find('GET', '/files/a%2Fb/meta')).toMatchObject({ store: 'GET /files/{name}/meta' });
  });

  it('finds literal segments exactly, by prefix never, and percent-encoded, with few children and with many', () => {
    for (const count of [2, 20]) {
      const r = router(['GET', '/pets/{id}'], ...Array.from({ length: count }, (_, i): [string, string] => ['GET', `/s${i}/items`]), ['GET', '/café/menu']);
      expect(r.find('GET', `/s${count - 1}/items`)).toMatchObject({ kind: 'found', store: `GET /s${count - 1}/items` });
      expect(r.find('GET', '/s1x/items').kind).toBe('notFound');
      expect(r.find('GET', '/s/items').kind).toBe('notFound');
      expect(r.find('GET', '/%73%31/items')).toMatchObject({ store: 'GET /s1/items' });
      expect(r.find('GET', '/caf%C3%A9/menu')).toMatchObject({ store: 'GET /café/menu' });
      expect(r.find('GET', '/pets/s1')).toMatchObject({ params: { id: 's1' } });
    }
  });

  it('hands back only the values of the branch that matched after backtracking', () => {
    const r = router(['GET', '/a/{x}.json/deep'], ['GET', '/a/{y}/other'], ['GET', '/a/{y}/{z}/{w}']);
    expect(r.find('GET', '/a/v.json/other')).toEqual({ kind: 'found', store: 'GET /a/{y}/other', params: { y: 'v.json' } });
    expect(r.find('GET', '/a/v.json/p/q')).toEqual({ kind: 'found', store: 'GET /a/{y}/{z}/{w}', params: { y: 'v.json', z: 'p', w: 'q' } });
    expect(r.find('GET', '/a/v.json/deep')).toEqual({ kind: 'found', store: 'GET /a/{x}.json/deep', params: { x: 'v' } });
  });

  it('does not match an empty segment to a template, and treats a trailing slash as a different path', () => {
    const r = router(['GET', '/pets/{id}'], ['GET', '/pets']);
    expect(r.find('GET', '/pets/').kind).toBe('notFound');
    expect(r.find('GET', '/pets').kind).toBe('found');
  });

  it('hands back parameters under any name as own properties: quotes, dashes, __proto__, a lower-case method', () => {
    const r = router(['GET', '/q/{a"b}/{x-y}'], ['GET', '/p/{__proto__}/{constructor}']);
    expect(r.find('GET', '/q/1/2')).toEqual({ kind: 'found', store: 'GET /q/{a"b}/{x-y}', params: { 'a"b': '1', 'x-y': '2' } });
    const found = r.find('get', '/p/evil/c');
    if (found.kind !== 'found') throw new Error(`not found: ${found.kind}`);
    expect(Object.getPrototypeOf(found.params)).toBe(Object.prototype);
    expect(Object.keys(found.params)).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(found.params, '__proto__')?.value).toBe('evil');
    expect(found.params.constructor).toBe('c');
  });

  it('refuses a duplicate route', () => {
    expect(() => router(['GET', '/a/{x}'], ['GET', '/a/{y}'])).toThrow('duplicate route GET /a/{y}');
  });

  it('costs the same for the first and the last of many routes (no per-route scan)', () => {
    const r = new Router<number>();
    for (let i = 0; i < 3000; i++) r.add('GET', `/resource${i}/{id}`, i);
    expect(r.find('GET', '/resource2999/5')).toMatchObject({ store: 2999, params: { id: '5' } });
    expect(r.routes()).toHaveLength(3000);
  });
});
