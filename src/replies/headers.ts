// Response headers as they go on the wire: text. A header's schema types the value that text stands
// for (OpenAPI's `simple` style), so the value is read back from the text before it is validated: a
// boolean header set to 'true' is true, `1,2,3` an array of integers, `a=1,b=2` an object.
import { coerceDeep, coerceScalar, isShape, type Shape } from '../binding/shape';

/** The value a header's text stands for, by its schema's shape (`simple` style, with its `explode`). */
export function headerReader(shape: Shape, explode: boolean): (text: string) => unknown {
  if (isShape(shape, 'array')) return (text) => coerceDeep(text === '' ? [] : text.split(',').map((part) => part.trim()), shape);
  if (isShape(shape, 'object')) {
    return (text) => {
      const parts = text === '' ? [] : text.split(',').map((part) => part.trim());
      const object: Record<string, string> = Object.create(null);
      if (explode) {
        for (const part of parts) {
          const eq = part.indexOf('=');
          if (eq > 0) object[part.slice(0, eq)] = part.slice(eq + 1);
        }
      } else {
        for (let i = 0; i + 1 < parts.length; i += 2) object[parts[i]] = parts[i + 1];
      }
      return coerceDeep({ ...object }, shape);
    };
  }
  return (text) => coerceScalar(text, shape);
}

/** A header value as the handler gave it, written as text: numbers and booleans as their text, lists item by item. */
export function headerText(value: unknown): string | string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map((item) => String(item));
  return typeof value === 'string' ? value : String(value);
}
