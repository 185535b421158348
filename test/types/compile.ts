// Type tests with the TypeScript compiler API: compile files (real or in memory) with the repository's
// test options, and hold each file's diagnostics to the `// expect-error: [TSnnnn] text` comments in it.
import * as path from 'node:path';
import * as ts from 'typescript';

export const ROOT = path.join(__dirname, '../..');

let cachedOptions: ts.CompilerOptions | undefined;

/** tsconfig.test.json's compiler options (noEmit). */
export function compilerOptions(): ts.CompilerOptions {
  if (cachedOptions) return cachedOptions;
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'tsconfig.test.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error('cannot read tsconfig.test.json');
  cachedOptions = { ...parsed.options, noEmit: true };
  return cachedOptions;
}

/** Source files of real files (lib.d.ts, @types, src/) parsed once for every program in this process. */
const sourceCache = new Map<string, ts.SourceFile>();

/**
 * A program over `rootNames`; `virtual` adds files that exist only in memory (absolute paths, e.g.
 * under ROOT so that their relative imports reach the real src/).
 */
export function compile(rootNames: string[], virtual: Record<string, string> = {}, options: ts.CompilerOptions = compilerOptions()): ts.Program {
  const host = ts.createCompilerHost(options, true);
  const memory = new Map(Object.entries(virtual).map(([file, text]) => [path.resolve(file), text]));
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  const directories = new Set([...memory.keys()].flatMap((file) => {
    const out: string[] = [];
    for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) out.push(dir);
    return out;
  }));
  const directoryExists = host.directoryExists?.bind(host);
  host.directoryExists = (dir) => directories.has(path.resolve(dir)) || (directoryExists ? directoryExists(dir) : ts.sys.directoryExists(dir));
  host.fileExists = (file) => memory.has(path.resolve(file)) || fileExists(file);
  host.readFile = (file) => memory.get(path.resolve(file)) ?? readFile(file);
  host.getSourceFile = (file, languageVersion, onError, shouldCreate) => {
    const text = memory.get(path.resolve(file));
    if (text !== undefined) return ts.createSourceFile(file, text, languageVersion, true);
    const key = `${file}\u0000${typeof languageVersion === 'object' ? languageVersion.languageVersion : languageVersion}`;
    let source = sourceCache.get(key);
    if (!source) {
      source = getSourceFile(file, languageVersion, onError, shouldCreate);
      if (source) sourceCache.set(key, source);
    }
    return source;
  };
  return ts.createProgram({ rootNames: [...rootNames, ...memory.keys()], options, host });
}

export function diagnosticsOf(program: ts.Program, file: string): readonly ts.Diagnostic[] {
  const source = program.getSourceFile(path.resolve(file));
  if (!source) throw new Error(`${file} is not in the program`);
  return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
}

export function describeDiagnostic(d: ts.Diagnostic): string {
  const where = d.file && d.start !== undefined ? `${path.relative(ROOT, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
  return `${where}TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
}

export interface Expectation {
  /** 0-based line the diagnostic must start on: the first non-comment line after the comment. */
  line: number;
  code?: number;
  text: string;
}

/** `// expect-error: TS2339 Property 'x' does not exist` before the line that must fail. */
export function expectations(text: string): Expectation[] {
  const lines = text.split(/\r?\n/);
  const out: Expectation[] = [];
  lines.forEach((line, i) => {
    const match = /\/\/\s*expect-error:\s*(?:TS(\d+)\s+)?(.*)$/.exec(line);
    if (!match) return;
    let target = i + 1;
    while (target < lines.length && /^\s*\/\//.test(lines[target])) target++;
    out.push({ line: target, code: match[1] ? Number(match[1]) : undefined, text: match[2].trim() });
  });
  return out;
}

export interface Check {
  /** Expectations no diagnostic satisfied. */
  unmet: Expectation[];
  /** Diagnostics on lines no expectation names. */
  unexpected: string[];
}

/** Whether a file's diagnostics are exactly the expected ones (each expectation met, nothing else). */
export function check(program: ts.Program, file: string, text: string): Check {
  const expected = expectations(text);
  const diagnostics = diagnosticsOf(program, file);
  const lineOf = (d: ts.Diagnostic) => (d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1);
  const unmet = expected.filter(
    (e) => !diagnostics.some((d) => lineOf(d) === e.line && (e.code === undefined || d.code === e.code) && ts.flattenDiagnosticMessageText(d.messageText, '\n').includes(e.text)),
  );
  const unexpected = diagnostics.filter((d) => !expected.some((e) => e.line === lineOf(d))).map(describeDiagnostic);
  return { unmet, unexpected };
}
