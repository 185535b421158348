// One walk over a parsed document for the whole-tree questions startup asks (any `$ref` leaving the
// file? any `$id`? which `$ref`s does this schema reach?). Iterative: real documents nest deeper than
// a recursive walk should go.

/** A `visit` answer: end the walk (`walkMembers` returns true). */
export const STOP = 1;
/** A `visit` answer: do not descend into this member's value. */
export const SKIP = 2;

/**
 * Calls `visit(key, value)` for every member of every object under `root`, arrays walked through.
 * True when a visit answered STOP.
 */
export function walkMembers(root: unknown, visit: (key: string, value: unknown) => number | void): boolean {
  const stack: unknown[] = [root];
  while (stack.length) {
    const current = stack.pop();
    if (Array.isArray(current)) {
      for (const item of current) if (item && typeof item === 'object') stack.push(item);
    } else if (current && typeof current === 'object') {
      for (const key in current) {
        const value = (current as Record<string, unknown>)[key];
        const answer = visit(key, value);
        if (answer === STOP) return true;
        if (answer !== SKIP && value && typeof value === 'object') stack.push(value);
      }
    }
  }
  return false;
}
