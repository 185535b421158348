// `specbind init`: types and typed stubs for a document; never overwrites a handler.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { init } from '../init/init';

export const INIT_HELP = `Usage: specbind init [--spec openapi/api.yaml] [--handlers handlers] [--types openapi/api.types.ts]
                     [--group tag|operation] [--runtime-module specbind]

Writes the document's TypeScript types and, for every operationId without a handler, a typed stub
(one module per tag by default; \`default.ts\` for untagged operations). A stub answers 501 naming
the operation until you replace it; \`specbind check\` lists the stubs left. Existing handlers are
never overwritten: re-running after the document gains operations adds only the new stubs.
`;

export async function initCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      spec: { type: 'string' },
      handlers: { type: 'string' },
      types: { type: 'string' },
      group: { type: 'string' },
      'runtime-module': { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(INIT_HELP);
    return;
  }
  const group = values.group === 'operation' ? 'operation' : 'tag';
  const result = await init({
    spec: values.spec ?? process.env.SPECBIND_SPEC ?? 'openapi/api.yaml',
    handlers: values.handlers ?? process.env.SPECBIND_HANDLERS ?? 'handlers',
    typesOut: values.types,
    group,
    runtimeModule: values['runtime-module'],
  });
  const rel = (file: string) => path.relative(process.cwd(), file);
  process.stdout.write(`${result.typesChanged ? 'wrote' : 'unchanged'} ${rel(result.typesFile)}\n`);
  for (const stub of result.stubs) process.stdout.write(`stub  ${stub.operationId} in ${rel(stub.file)}\n`);
  process.stdout.write(`${result.stubs.length} new stub(s), ${result.existing.length} operation(s) already handled\n`);
}
