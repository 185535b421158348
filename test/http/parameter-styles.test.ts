// One row per location × style × explode × type: the request as a client serialises it (OpenAPI
// 3.0/3.1 style tables), and the value the handler must receive.
import { start, type Started } from '../helpers/server';

type Location = 'path' | 'query' | 'header' | 'cookie';
const INT = { type: 'integer' };
const ARRAY = { type: 'array', items: INT };
const OBJECT = { type: 'object', properties: { R: INT, G: INT } };
const NESTED = { type: 'object', properties: { a: { type: 'object', properties: { b: INT } } } };

interface Row {
  in: Location;
  style: string;
  explode: boolean;
  schema: object;
  /** The path segment, query string, header value or cookie value as sent. */
  sent: string;
  expected: unknown;
}

const ROWS: Row[] = [
  { in: 'path', style: 'simple', explode: false, schema: INT, sent: '5', expected: 5 },
  { in: 'path', style: 'simple', explode: false, schema: ARRAY, sent: '3,4,5', expected: [3, 4, 5] },
  { in: 'path', style: 'simple', explode: true, schema: ARRAY, sent: '3,4,5', expected: [3, 4, 5] },
  { in: 'path', style: 'simple', explode: false, schema: OBJECT, sent: 'R,100,G,200', expected: { R: 100, G: 200 } },
  { in: 'path', style: 'simple', explode: true, schema: OBJECT, sent: 'R=100,G=200', expected: { R: 100, G: 200 } },
  { in: 'path', style: 'simple', explode: false, schema: { type: 'string' }, sent: 'a%2Fb%20c', expected: 'a/b c' },
  { in: 'path', style: 'label', explode: false, schema: INT, sent: '.5', expected: 5 },
  { in: 'path', style: 'label', explode: false, schema: ARRAY, sent: '.3,4,5', expected: [3, 4, 5] },
  { in: 'path', style: 'label', explode: true, schema: ARRAY, sent: '.3.4.5', expected: [3, 4, 5] },
  { in: 'path', style: 'label', explode: false, schema: OBJECT, sent: '.R,100,G,200', expected: { R: 100, G: 200 } },
  { in: 'path', style: 'label', explode: true, schema: OBJECT, sent: '.R=100.G=200', expected: { R: 100, G: 200 } },
  { in: 'path', style: 'matrix', explode: false, schema: INT, sent: ';v=5', expected: 5 },
  { in: 'path', style: 'matrix', explode: false, schema: ARRAY, sent: ';v=3,4,5', expected: [3, 4, 5] },
  { in: 'path', style: 'matrix', explode: true, schema: ARRAY, sent: ';v=3;v=4;v=5', expected: [3, 4, 5] },
  { in: 'path', style: 'matrix', explode: false, schema: OBJECT, sent: ';v=R,100,G,200', expected: { R: 100, G: 200 } },
  { in: 'path', style: 'matrix', explode: true, schema: OBJECT, sent: ';R=100;G=200', expected: { R: 100, G: 200 } },
  { in: 'query', style: 'form', explode: true, schema: INT, sent: 'v=5', expected: 5 },
  { in: 'query', style: 'form', explode: true, schema: ARRAY, sent: 'v=3&v=4&v=5', expected: [3, 4, 5] },
  { in: 'query', style: 'form', explode: false, schema: ARRAY, sent: 'v=3,4,5', expected: [3, 4, 5] },
  { in: 'query', style: 'form', explode: true, schema: OBJECT, sent: 'R=100&G=200', expected: { R: 100, G: 200 } },
  { in: 'query', style: 'form', explode: false, schema: OBJECT, sent: 'v=R,100,G,200', expected: { R: 100, G: 200 } },
  { in: 'query', style: 'spaceDelimited', explode: false, schema: ARRAY, sent: 'v=3%204%205', expected: [3, 4, 5] },
  { in: 'query', style: 'spaceDelimited', explode: true, schema: ARRAY, sent: 'v=3&v=4', expected: [3, 4] },
  { in: 'query', style: 'pipeDelimited', explode: false, schema: ARRAY, sent: 'v=3|4|5', expected: [3, 4, 5] },
  { in: 'query', style: 'pipeDelimited', explode: true, schema: ARRAY, sent: 'v=3&v=4', expected: [3, 4] },
  { in: 'query', style: 'deepObject', explode: true, schema: OBJECT, sent: 'v[R]=100&v[G]=200', expected: { R: 100, G: 200 } },
  { in: 'query', style: 'deepObject', explode: true, schema: NESTED, sent: 'v[a][b]=7', expected: { a: { b: 7 } } },
  { in: 'header', style: 'simple', explode: false, schema: INT, sent: '5', expected: 5 },
  { in: 'header', style: 'simple', explode: false, schema: ARRAY, sent: '3, 4,5', expected: [3, 4, 5] },
  { in: 'header', style: 'simple', explode: false, schema: OBJECT, sent: 'R,100,G,200', expected: { R: 100, G: 200 } },
  { in: 'header', style: 'simple', explode: true, schema: OBJECT, sent: 'R=100,G=200', expected: { R: 100, G: 200 } },
  { in: 'cookie', style: 'form', explode: true, schema: INT, sent: '5', expected: 5 },
  { in: 'cookie', style: 'form', explode: false, schema: ARRAY, sent: '3,4,5', expected: [3, 4, 5] },
  { in: 'cookie', style: 'form', explode: false, schema: OBJECT, sent: 'R,100,G,200', expected: { R: 100, G: 200 } },
];

function documentFor(rows: Row[]): object {
  const paths: Record<string, object> = {};
  rows.forEach((row, i) => {
    const name = row.in === 'header' ? 'X-V' : 'v';
    paths[row.in === 'path' ? `/t${i}/{v}` : `/t${i}`] = {
      get: {
        operationId: `t${i}`,
        parameters: [{ name, in: row.in, required: true, style: row.style, explode: row.explode, schema: row.schema }],
        responses: { '200': { description: 'echo', content: { 'application/json': { schema: {} } } } },
      },
    };
  });
  return { openapi: '3.0.3', info: { title: 'styles', version: '1' }, paths };
}

function requestFor(row: Row, i: number): { path: string; headers: Record<string, string> } {
  switch (row.in) {
    case 'path':
      return { path: `/t${i}/${row.sent}`, headers: {} };
    case 'query':
      return { path: `/t${i}?${row.sent}`, headers: {} };
    case 'header':
      return { path: `/t${i}`, headers: { 'x-v': row.sent } };
    default:
      return { path: `/t${i}`, headers: { cookie: `other=x; v=${row.sent}` } };
  }
}

describe('parameter serialisation styles', () => {
  let api: Started;
  beforeAll(async () => {
    const handlers = Object.fromEntries(ROWS.map((_, i) => [`t${i}`, (input: any) => ({ value: input.v ?? input.xV })]));
    api = await start({ spec: documentFor(ROWS), handlers });
  });
  afterAll(() => api.close());

  it.each(ROWS.map((row, i) => [`${row.in} ${row.style} explode=${row.explode} ${JSON.stringify(row.schema).slice(0, 40)} "${row.sent}"`, row, i] as const))('%s', async (_title, row, i) => {
    const { path, headers } = requestFor(row, i);
    const answer = await api.request('GET', path, { headers });
    expect(answer.status).toBe(200);
    expect(answer.json.value).toEqual(row.expected);
  });

  it('rejects an item that is not of the item type, pointing at it', async () => {
    const i = ROWS.findIndex((r) => r.in === 'query' && r.style === 'form' && !r.explode && r.schema === ARRAY);
    const answer = await api.request('GET', `/t${i}?v=3,x,5`);
    expect(answer.status).toBe(400);
    expect(answer.json.errors).toEqual([{ in: 'query', name: 'v', pointer: '/1', message: 'must be integer' }]);
  });
});
