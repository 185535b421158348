// Documents are parsed from one-byte text with non-ASCII characters escaped: the same values as the
// UTF-8 text gives, whatever the characters and wherever the chunks break.
import fc from 'fast-check';
import { jsonText, parseJsonText } from '../../src/document/json-text';

const utf8 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');

describe('jsonText', () => {
  it('parses to the same value as the UTF-8 text, for any JSON with any characters', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary' }), (value) => {
        const bytes = utf8(value);
        expect(JSON.parse(jsonText(bytes))).toEqual(JSON.parse(bytes.toString('utf8')));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps accents, CJK, emoji (surrogate pairs) and long runs of them, and gives ASCII text', () => {
    const value = { title: 'Café 東京 🚀', tags: ['naïve', 'ß'.repeat(50)], 'clé': 'v' };
    const text = jsonText(utf8(value));
    expect(/^[\x00-\x7f]*$/.test(text)).toBe(true);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('drops a UTF-8 byte order mark, and reads invalid UTF-8 as the UTF-8 decoder does (U+FFFD)', () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8({ a: 'é' })]);
    expect(JSON.parse(jsonText(bom))).toEqual({ a: 'é' });
    const broken = Buffer.concat([Buffer.from('{"a":"x'), Buffer.from([0xff, 0xc3]), Buffer.from('y"}')]);
    expect(JSON.parse(jsonText(broken))).toEqual(JSON.parse(broken.toString('utf8')));
  });
});

describe('parseJsonText', () => {
  it('reports a syntax error as the UTF-8 text does (its position, its character)', () => {
    const bytes = Buffer.from('{"name": "é", oops}', 'utf8');
    let expected = '';
    try {
      JSON.parse(bytes.toString('utf8'));
    } catch (error) {
      expected = (error as Error).message;
    }
    expect(() => parseJsonText(jsonText(bytes), bytes)).toThrow(expected);
  });
});
