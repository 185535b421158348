// The handler `specbind init` writes for an operation nobody has implemented yet: it answers 501 with
// a problem saying which operation and file to fill, and `specbind check` lists it until replaced.
import { HttpError } from '../errors';

/** Marks a generated stub, so `specbind check` can tell it from a real handler. */
export const STUB_MARKER = Symbol.for('specbind.stub');

/** A stub for `operationId` (typed `any` so it fits any generated handler type until it is replaced). */
export function notImplemented(operationId: string, file?: string): any {
  const stub = () => {
    throw HttpError.of('notImplemented', `${operationId} is not implemented yet: replace its stub${file ? ` in ${file}` : ''}`);
  };
  Object.defineProperty(stub, STUB_MARKER, { value: true });
  return stub;
}
