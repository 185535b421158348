// How a string from a path, query, header or form becomes the schema's scalar type (src/binding/shape.ts).
import { coerceScalar } from '../../src/binding/shape';

const as = (...types: string[]) => ({ types, hasDefault: false });

describe('coerceScalar', () => {
  it('reads plain digits as integers and numbers, up to 15 digits and beyond', () => {
    expect(coerceScalar('0', as('integer'))).toBe(0);
    expect(coerceScalar('42', as('integer'))).toBe(42);
    expect(coerceScalar('123456789012345', as('integer'))).toBe(123456789012345);
    expect(coerceScalar('1234567890123456', as('integer'))).toBe(1234567890123456);
    expect(coerceScalar('42', as('number'))).toBe(42);
  });

  it('reads signs, fractions and exponents the JSON way, and leaves what is no number as text', () => {
    expect(coerceScalar('-7', as('integer'))).toBe(-7);
    expect(coerceScalar('1e3', as('integer'))).toBe(1000);
    expect(coerceScalar('3.5', as('number'))).toBe(3.5);
    expect(coerceScalar('3.5', as('integer'))).toBe('3.5');
    for (const text of ['', '12a', '+1', '0x1F', ' 1', '١٢', 'Infinity']) expect(coerceScalar(text, as('integer'))).toBe(text);
  });

  it('keeps a string where the text is not spelled exactly as the other type', () => {
    expect(coerceScalar('7', as('integer', 'string'))).toBe(7);
    expect(coerceScalar('007', as('integer', 'string'))).toBe('007');
    expect(coerceScalar('true', as('boolean', 'string'))).toBe(true);
  });
});
