// `specbind verify <baseUrl>`: positive and negative requests against any running server; prints a
// table per operation and `N passed, M failed`; exits non-zero on any failure.
import { parseArgs } from 'node:util';
import { StartupError } from '../errors';
import { formatReport, verify } from '../verify/verify';

export const VERIFY_HELP = `specbind verify — check a running server against an OpenAPI document

Usage:
  specbind verify <baseUrl> [--spec openapi/api.yaml] [--seed 1] [--max 3] [--header 'Name: value']...
                  [--timeout 10000] [--operations id,id] [--no-negative] [--concurrency 1]

For every operation, positive requests (from examples, defaults and schemas) must get a declared status,
a declared Content-Type and a body valid by the response schema; negative requests (a wrong type, a
missing required parameter or body property, malformed JSON, an undeclared content type, a 2 MiB body)
must get a 4xx, never a 5xx, never a hang. Ends with "N passed, M failed" (requests); exit 1 on any failure.

Options:
  --spec         the OpenAPI document (env SPECBIND_SPEC; default openapi/api.yaml)
  --seed         seeds the generated values: the same seed sends the same requests (default 1)
  --max          positive requests per operation: the first from examples, the rest seeded (default 3)
  --header       a header for every request, e.g. --header 'X-API-Key: dev-key' (repeatable). Without any,
                 secured operations get placeholder credentials, and a 401/403 is reported as skipped
  --timeout      per-request time limit in ms (default 10000)
  --operations   only these operationIds (comma separated)
  --no-negative  positive requests only
  --concurrency  operations checked at once (default 1, in document order)
  --json         print the report as JSON instead of the table
A base URL without a path gets the document's base path (the path of servers[0].url).
`;

export async function verifyCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      spec: { type: 'string' },
      seed: { type: 'string' },
      max: { type: 'string' },
      header: { type: 'string', multiple: true },
      timeout: { type: 'string' },
      operations: { type: 'string' },
      'no-negative': { type: 'boolean' },
      concurrency: { type: 'string' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(VERIFY_HELP);
    return;
  }
  const [baseUrl] = positionals;
  if (!baseUrl || !/^https?:\/\//.test(baseUrl)) throw new StartupError(`verify needs a base URL (http://host:port[/base]); got ${baseUrl ?? 'nothing'}\n\n${VERIFY_HELP}`);
  const number = (name: string, text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0) throw new StartupError(`--${name} must be a non-negative integer; got ${text}`);
    return n;
  };
  const headers: Record<string, string> = {};
  for (const header of values.header ?? []) {
    const colon = header.indexOf(':');
    if (colon <= 0) throw new StartupError(`--header must look like 'Name: value'; got ${header}`);
    headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
  }
  const started = Date.now();
  const report = await verify({
    baseUrl,
    spec: values.spec ?? process.env.SPECBIND_SPEC ?? 'openapi/api.yaml',
    seed: number('seed', values.seed, 1),
    max: number('max', values.max, 3),
    headers,
    timeoutMs: number('timeout', values.timeout, 10_000),
    negative: !values['no-negative'],
    operations: values.operations?.split(',').map((s) => s.trim()).filter(Boolean),
    concurrency: number('concurrency', values.concurrency, 1),
  });
  if (values.json) process.stdout.write(`${JSON.stringify({ ...report, operations: report.operations.map((op) => ({ ...op, checks: op.checks.map(({ request, ...check }) => ({ ...check, headers: request.headers })) })) }, null, 2)}\n`);
  else process.stdout.write(formatReport(report));
  process.stderr.write(`(${report.operations.length} operations in ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  if (report.failed > 0) process.exitCode = 1;
}
