#!/usr/bin/env node
// The `specbind` command line: one module per verb under src/cli/. Startup errors are printed for
// people (no stack unless --verbose).
import { StartupError } from './errors';
import { serve, SERVE_HELP } from './cli/serve';
import { checkCommand } from './cli/check';

interface Verb {
  summary: string;
  run: (argv: string[]) => Promise<void>;
}

/** Each verb's module; add a verb by adding a line. */
const VERBS: Record<string, Verb> = {
  serve: { summary: 'serve a document with its handlers (see specbind serve --help)', run: serve },
  init: { summary: 'write typed handler stubs and types for a document (see specbind init --help)', run: async (argv) => (await import('./cli/init')).initCommand(argv) },
  check: { summary: 'list everything wrong with a document and its handlers (see specbind check --help)', run: checkCommand },
  types: { summary: 'generate TypeScript types for typed handlers (see specbind types --help)', run: async (argv) => (await import('./cli/types')).types(argv) },
  mock: { summary: 'serve a document from its examples and schema samples, validated (see specbind mock --help)', run: async (argv) => (await import('./cli/mock')).mock(argv) },
  verify: { summary: 'check a running server against a document: positive and negative requests (see specbind verify --help)', run: async (argv) => (await import('./cli/verify')).verifyCommand(argv) },
};

function help(): string {
  const verbs = Object.entries(VERBS).map(([name, verb]) => `  specbind ${name.padEnd(8)} ${verb.summary}`);
  return `specbind — an OpenAPI-first server runtime\n\nCommands:\n${verbs.join('\n')}\n\n${SERVE_HELP}`;
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const [name, ...rest] = argv;
  const verbose = rest.includes('--verbose');
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(help());
    return;
  }
  const verb = VERBS[name];
  if (!verb) {
    process.stderr.write(`specbind: unknown command "${name}"\n\n${help()}`);
    process.exitCode = 2;
    return;
  }
  try {
    await verb.run(rest);
  } catch (error) {
    if (error instanceof StartupError && !verbose) process.stderr.write(`specbind: ${error.message}\n`);
    else process.stderr.write(`specbind: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  }
}

if (require.main === module) void main();
