// The document walk behind "any external $ref?", "any $id?" and "which $refs does this schema reach?".
import { SKIP, STOP, walkMembers } from '../../src/document/walk';

describe('walkMembers', () => {
  const document = { a: { $ref: '#/x', list: [{ $ref: 'other.yaml#/y' }, 3, null] }, example: { $ref: 'not a reference' } };

  it('visits every member under objects and arrays, in any depth', () => {
    const refs: unknown[] = [];
    expect(walkMembers(document, (key, value) => void (key === '$ref' && refs.push(value)))).toBe(false);
    expect(refs.sort()).toEqual(['#/x', 'not a reference', 'other.yaml#/y']);
  });

  it('does not descend where the visit says SKIP', () => {
    const refs: unknown[] = [];
    walkMembers(document, (key, value) => (key === 'example' ? SKIP : void (key === '$ref' && refs.push(value))));
    expect(refs.sort()).toEqual(['#/x', 'other.yaml#/y']);
  });

  it('ends at STOP and says so', () => {
    const visited: string[] = [];
    const found = walkMembers({ stop: 'here', rest: { deep: { deeper: 1 } } }, (key) => (visited.push(key), key === 'stop' ? STOP : undefined));
    expect(found).toBe(true);
    expect(visited).toEqual(['stop']);
  });

  it('walks 100,000 levels without overflowing the stack', () => {
    let deep: Record<string, unknown> = { $id: 'bottom' };
    for (let i = 0; i < 100_000; i++) deep = { next: deep };
    expect(walkMembers(deep, (key) => (key === '$id' ? STOP : undefined))).toBe(true);
  });
});
