// `specbind check [--spec] [--handlers] [--json]`: one line per finding; exit 1 on any error.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { check, formatFinding } from '../check/check';

export const CHECK_HELP = `Usage: specbind check [--spec openapi/api.yaml] [--handlers handlers] [--no-handlers] [--json]

Checks the document against the OpenAPI schema of its version, operationIds (missing, duplicate),
handlers both ways (operations without handlers, handlers without operations, unfilled stubs),
every example against its schema, parameter names that clash once camelCased, path parameters
missing from their template; warns about what dredd needs (path parameter and body examples) and
about declared error responses specbind's own answers (400, 401, ...) cannot take the shape of.
Exits 1 when there is an error. --json prints the findings as a JSON array.
`;

export async function checkCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      spec: { type: 'string' },
      handlers: { type: 'string' },
      'no-handlers': { type: 'boolean' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(CHECK_HELP);
    return;
  }
  const spec = values.spec ?? process.env.SPECBIND_SPEC ?? 'openapi/api.yaml';
  const defaultHandlers = process.env.SPECBIND_HANDLERS ?? 'handlers';
  const handlers = values['no-handlers'] ? undefined : values.handlers ?? (existsSync(defaultHandlers) ? defaultHandlers : undefined);
  const findings = await check({ spec, handlers });
  const errors = findings.filter((f) => f.severity === 'error').length;
  if (values.json) process.stdout.write(`${JSON.stringify(findings, null, 2)}\n`);
  else {
    for (const finding of findings) process.stdout.write(`${formatFinding(finding)}\n`);
    process.stdout.write(`${errors} error(s), ${findings.length - errors} warning(s) in ${spec}\n`);
  }
  if (errors > 0) process.exitCode = 1;
}
