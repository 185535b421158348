// Strings that match a JSON Schema `pattern` (ECMAScript regex syntax): the pattern is parsed into a
// small tree (sequences, alternatives, groups, character classes, quantifiers, back-references) and a
// string is generated from it. Lookarounds and anchors generate nothing; the caller checks the result
// with the real RegExp, so an unsupported construct costs a retry, never a wrong value.
import { type Random, seeded } from './random';

type Range = [number, number];
type Node =
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; options: Node[] }
  | { t: 'set'; ranges: Range[]; negated: boolean }
  | { t: 'group'; body: Node; index?: number }
  | { t: 'repeat'; node: Node; min: number; max: number }
  | { t: 'backref'; index: number }
  | { t: 'empty' };

const DIGIT: Range[] = [[48, 57]];
const WORD: Range[] = [[97, 122], [65, 90], [48, 57], [95, 95]];
const SPACE: Range[] = [[32, 32], [9, 13]];
/** What negated sets and `.` choose from: printable ASCII (then the caller's RegExp decides). */
const PRINTABLE: Range[] = [[97, 122], [65, 90], [48, 57], [33, 47], [58, 64], [91, 96], [123, 126], [32, 32]];

class Parser {
  private i = 0;
  groups = 0;
  constructor(private readonly src: string) {}

  parse(): Node {
    const node = this.alternation();
    if (this.i < this.src.length) throw new Error(`unexpected ${this.src[this.i]} at ${this.i}`);
    return node;
  }

  private alternation(): Node {
    const options = [this.sequence()];
    while (this.src[this.i] === '|') {
      this.i++;
      options.push(this.sequence());
    }
    return options.length === 1 ? options[0] : { t: 'alt', options };
  }

  private sequence(): Node {
    const items: Node[] = [];
    while (this.i < this.src.length && this.src[this.i] !== '|' && this.src[this.i] !== ')') {
      const atom = this.atom();
      items.push(this.quantified(atom));
    }
    return { t: 'seq', items };
  }

  private quantified(atom: Node): Node {
    const c = this.src[this.i];
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) return atom; // a literal '{'
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      this.i += m[0].length - 1;
    } else return atom;
    this.i++;
    if (this.src[this.i] === '?' || this.src[this.i] === '+') this.i++;
    return this.quantified({ t: 'repeat', node: atom, min, max });
  }

  private atom(): Node {
    const c = this.src[this.i++];
    switch (c) {
      case '^':
      case '$':
        return { t: 'empty' };
      case '.':
        return { t: 'set', ranges: [[10, 10], [13, 13]], negated: true };
      case '[':
        return this.charClass();
      case '(': {
        let index: number | undefined;
        if (this.src[this.i] === '?') {
          const rest = this.src.slice(this.i);
          const look = /^\?(=|!|<=|<!)/.exec(rest);
          if (look) {
            this.i += look[0].length;
            this.alternation();
            this.expect(')');
            return { t: 'empty' };
          }
          const named = /^\?<[A-Za-z_$][\w$]*>/.exec(rest);
          if (named) {
            this.i += named[0].length;
            index = ++this.groups;
          } else if (rest.startsWith('?:')) this.i += 2;
          else throw new Error('unsupported group');
        } else index = ++this.groups;
        const body = this.alternation();
        this.expect(')');
        return { t: 'group', body, index };
      }
      case '\\':
        return this.escape(false);
      default:
        return literal(c.codePointAt(0)!);
    }
  }

  private expect(c: string): void {
    if (this.src[this.i] !== c) throw new Error(`expected ${c}`);
    this.i++;
  }

  private charClass(): Node {
    let negated = false;
    if (this.src[this.i] === '^') {
      negated = true;
      this.i++;
    }
    const ranges: Range[] = [];
    while (this.i < this.src.length && this.src[this.i] !== ']') {
      const start = this.classAtom();
      if (this.src[this.i] === '-' && this.src[this.i + 1] !== ']' && this.i + 1 < this.src.length && start.length === 1 && start[0][0] === start[0][1]) {
        this.i++;
        const end = this.classAtom();
        if (end.length === 1 && end[0][0] === end[0][1]) {
          ranges.push([start[0][0], end[0][0]]);
          continue;
        }
        ranges.push(...start, [45, 45], ...end);
        continue;
      }
      ranges.push(...start);
    }
    this.expect(']');
    return { t: 'set', ranges, negated };
  }

  private classAtom(): Range[] {
    const c = this.src[this.i++];
    if (c === '\\') {
      const node = this.escape(true);
      if (node.t === 'set') return node.negated ? complement(node.ranges) : node.ranges;
      return [[8, 8]];
    }
    const code = this.src.codePointAt(this.i - 1)!;
    if (code > 0xffff) this.i++;
    return [[code, code]];
  }

  private escape(inClass: boolean): Node {
    const c = this.src[this.i++];
    switch (c) {
      case 'd':
        return { t: 'set', ranges: DIGIT, negated: false };
      case 'D':
        return { t: 'set', ranges: DIGIT, negated: true };
      case 'w':
        return { t: 'set', ranges: WORD, negated: false };
      case 'W':
        return { t: 'set', ranges: WORD, negated: true };
      case 's':
        return { t: 'set', ranges: SPACE, negated: false };
      case 'S':
        return { t: 'set', ranges: SPACE, negated: true };
      case 'b':
        return inClass ? literal(8) : { t: 'empty' };
      case 'B':
        return { t: 'empty' };
      case 't':
        return literal(9);
      case 'n':
        return literal(10);
      case 'r':
        return literal(13);
      case 'f':
        return literal(12);
      case 'v':
        return literal(11);
      case '0':
        return literal(0);
      case 'c':
        return literal(this.src.charCodeAt(this.i++) % 32);
      case 'x': {
        const hex = this.src.slice(this.i, this.i + 2);
        this.i += 2;
        return literal(parseInt(hex, 16));
      }
      case 'u': {
        if (this.src[this.i] === '{') {
          const end = this.src.indexOf('}', this.i);
          const code = parseInt(this.src.slice(this.i + 1, end), 16);
          this.i = end + 1;
          return literal(code);
        }
        const hex = this.src.slice(this.i, this.i + 4);
        this.i += 4;
        return literal(parseInt(hex, 16));
      }
      case 'p':
      case 'P': {
        const end = this.src.indexOf('}', this.i);
        const name = this.src.slice(this.i + 1, end);
        this.i = end + 1;
        const ranges: Range[] = /^(N|Nd|Digit)/.test(name) ? DIGIT : /^(L|Letter|Alpha|Lu|Ll)/.test(name) ? [[97, 122]] : [[97, 122]];
        return { t: 'set', ranges, negated: c === 'P' };
      }
      default:
        if (!inClass && /[1-9]/.test(c)) {
          let digits = c;
          while (/\d/.test(this.src[this.i] ?? '')) digits += this.src[this.i++];
          return { t: 'backref', index: Number(digits) };
        }
        if (!inClass && c === 'k' && this.src[this.i] === '<') {
          this.i = this.src.indexOf('>', this.i) + 1;
          return { t: 'empty' };
        }
        return literal(c.codePointAt(0)!);
    }
  }
}

function literal(code: number): Node {
  return { t: 'set', ranges: [[code, code]], negated: false };
}

function complement(ranges: Range[]): Range[] {
  return PRINTABLE.flatMap(([lo, hi]) => {
    const out: Range[] = [];
    let start = lo;
    for (let code = lo; code <= hi; code++) {
      if (ranges.some(([a, b]) => code >= a && code <= b)) {
        if (start < code) out.push([start, code - 1]);
        start = code + 1;
      }
    }
    if (start <= hi) out.push([start, hi]);
    return out;
  });
}

interface GenerateState {
  random?: Random;
  captures: string[];
  /** How far repetitions may go beyond their minimum. */
  spread: number;
}

function generate(node: Node, state: GenerateState): string {
  switch (node.t) {
    case 'empty':
      return '';
    case 'seq':
      return node.items.map((item) => generate(item, state)).join('');
    case 'alt':
      return generate(state.random ? state.random.pick(node.options) : node.options[0], state);
    case 'group': {
      const text = generate(node.body, state);
      if (node.index !== undefined) state.captures[node.index] = text;
      return text;
    }
    case 'backref':
      return state.captures[node.index] ?? '';
    case 'repeat': {
      const max = Math.min(node.max, node.min + state.spread);
      const count = state.random ? state.random.int(node.min, max) : node.min === 0 && node.max >= 1 && node.node.t !== 'group' ? Math.min(1, max) : node.min;
      let out = '';
      for (let k = 0; k < count; k++) out += generate(node.node, state);
      return out;
    }
    case 'set': {
      const ranges = node.negated ? complement(node.ranges) : node.ranges;
      if (ranges.length === 0) return '';
      if (!state.random) return String.fromCodePoint(ranges[0][0]);
      const [lo, hi] = state.random.pick(ranges);
      return String.fromCodePoint(state.random.int(lo, hi));
    }
  }
}

const SPREADS = [4, 0, 1, 2, 8, 16, 32, 64];

const parsed = new Map<string, Node | null>();

function tree(pattern: string): Node | null {
  let node = parsed.get(pattern);
  if (node === undefined) {
    try {
      node = new Parser(pattern).parse();
    } catch {
      node = null;
    }
    parsed.set(pattern, node);
  }
  return node;
}

/** Testers by pattern: made once (a sample tests the same few patterns hundreds of times; `test` without `g` keeps no state). */
const testers = new Map<string, RegExp | undefined>();

/** Compiles the pattern the way Ajv does here: Unicode when it parses so, else plain. */
export function patternTester(pattern: string): RegExp | undefined {
  if (testers.has(pattern)) return testers.get(pattern);
  let tester: RegExp | undefined;
  try {
    tester = new RegExp(pattern, 'u');
  } catch {
    try {
      tester = new RegExp(pattern);
    } catch {
      tester = undefined;
    }
  }
  if (testers.size < 10_000) testers.set(pattern, tester);
  return tester;
}

/** Canonical strings by length bounds and pattern (stringMatching without randomness or a condition). */
const canonical = new Map<string, string | undefined>();

/**
 * A string matching `pattern` whose length is within [minLength, maxLength], or undefined after a few
 * tries. The first try is canonical (first alternatives, minimal repetitions); later ones use `random`.
 */
export function stringMatching(pattern: string, random: Random | undefined, minLength = 0, maxLength = Infinity, fits?: (text: string) => boolean): string | undefined {
  // A canonical string (no randomness, no extra condition) is the same every time: made once.
  if (random !== undefined || fits !== undefined) return findMatching(pattern, random, minLength, maxLength, fits ?? (() => true));
  const key = `${minLength} ${maxLength} ${pattern}`;
  if (!canonical.has(key)) canonical.set(key, findMatching(pattern, undefined, minLength, maxLength, () => true));
  return canonical.get(key);
}

function findMatching(pattern: string, random: Random | undefined, minLength: number, maxLength: number, fits: (text: string) => boolean): string | undefined {
  const node = tree(pattern);
  const test = patternTester(pattern);
  if (!node || !test) return undefined;
  const ok = (text: string) => test.test(text) && [...text].length >= minLength && [...text].length <= maxLength && fits(text);
  for (let attempt = 0; attempt < 24; attempt++) {
    const rnd = attempt === 0 ? random : (random ?? fallbackRandom()).fork(attempt);
    const spread = SPREADS[attempt % SPREADS.length] + (attempt >= SPREADS.length ? minLength : 0);
    const text = generate(node, { random: rnd, captures: [], spread });
    if (ok(text)) return text;
    // An unanchored pattern also matches inside a longer string: pad to reach minLength.
    if (test.test(text) && [...text].length < minLength && !pattern.endsWith('$')) {
      const padded = text + 'x'.repeat(minLength - [...text].length);
      if (ok(padded)) return padded;
    }
  }
  return undefined;
}

/** Deterministic, so that canonical samples stay reproducible. */
function fallbackRandom(): Random {
  return seeded(1);
}
