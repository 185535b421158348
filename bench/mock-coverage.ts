// Mock coverage: for every OpenAPI 3 document under shared/specs/production and shared/specs/oai-examples,
// serve it with `specbind mock` (in-process, compile: 'lazy') and run verify's positive requests against
// it (expecting a success). Prints, per document, the operations and the share whose positive requests
// all pass, then what fails and why.
//   npx tsx bench/mock-coverage.ts [--max 3] [--seed 1] [--spec path ...] [--details]
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { basePathOf, createServer } from '../src';
import { verify, type OperationReport } from '../src/verify/verify';

const SPECS = path.resolve(__dirname, '../../shared/specs');
const DIRS = ['production', 'oai-examples'];

function documents(): string[] {
  const out: string[] = [];
  for (const dir of DIRS) {
    const walk = (folder: string) => {
      for (const entry of readdirSync(folder, { withFileTypes: true })) {
        const full = path.join(folder, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (/\.(ya?ml|json)$/.test(entry.name)) out.push(full);
      }
    };
    walk(path.join(SPECS, dir));
  }
  // OpenAPI 3 only (not Swagger 2, not Stripe's fixture set).
  return out.sort().filter((file) => {
    const text = readFileSync(file, 'utf8');
    return file.endsWith('.json') ? /"openapi"\s*:\s*"3\./.test(text) : /^["']?openapi["']?\s*:\s*["']?3\./m.test(text);
  });
}

interface Row {
  spec: string;
  operations: number;
  passing: number;
  ms: number;
  failures: Array<{ op: OperationReport; reasons: string[] }>;
  error?: string;
}

async function run(file: string, max: number, seed: number): Promise<Row> {
  const started = Date.now();
  const row: Row = { spec: path.relative(SPECS, file), operations: 0, passing: 0, ms: 0, failures: [] };
  try {
    const server = await createServer({ spec: file, missingHandlers: 'mock', compile: 'lazy', docs: false, logger: { level: 'silent' } });
    const listening = await server.listen(0, '127.0.0.1');
    try {
      const report = await verify({ baseUrl: listening.url + (basePathOf(server.document) || '/'), spec: server.document as object, max, seed, negative: false, expectSuccess: true, concurrency: 8, timeoutMs: 60_000 });
      row.operations = report.operations.length;
      for (const op of report.operations) {
        const failed = op.checks.filter((c) => c.outcome !== 'pass');
        if (failed.length === 0 && op.checks.length > 0) row.passing++;
        else row.failures.push({ op, reasons: failed.map((c) => `[${c.label}] ${c.method} ${c.target.slice(0, 120)} → ${c.status ?? '-'}: ${c.reasons.join('; ')}`) });
      }
    } finally {
      await listening.close();
    }
  } catch (error) {
    row.error = (error as Error).message.split('\n')[0];
  }
  row.ms = Date.now() - started;
  return row;
}

async function main() {
  const { values } = parseArgs({ options: { max: { type: 'string' }, seed: { type: 'string' }, spec: { type: 'string', multiple: true }, details: { type: 'boolean' } } });
  const files = values.spec?.length ? values.spec.map((s) => path.resolve(s)) : documents();
  const max = Number(values.max ?? 3);
  const seed = Number(values.seed ?? 1);
  const rows: Row[] = [];
  for (const file of files) {
    const row = await run(file, max, seed);
    rows.push(row);
    const pct = row.operations ? ((100 * row.passing) / row.operations).toFixed(1) : 'n/a';
    process.stderr.write(`${row.spec}: ${row.passing}/${row.operations} (${pct}%) in ${(row.ms / 1000).toFixed(1)} s${row.error ? ` ERROR ${row.error}` : ''}\n`);
  }
  const lines = ['| spec | operations | positive passing | % | time |', '|---|---:|---:|---:|---:|'];
  for (const row of rows) {
    const pct = row.operations ? `${((100 * row.passing) / row.operations).toFixed(1)}%` : 'n/a';
    lines.push(`| ${row.spec} | ${row.operations} | ${row.passing} | ${pct}${row.operations && row.passing / row.operations < 0.95 ? ' (below 95%)' : ''} | ${(row.ms / 1000).toFixed(1)} s |${row.error ? ` ${row.error}` : ''}`);
  }
  console.log(lines.join('\n'));
  for (const row of rows.filter((r) => r.failures.length)) {
    console.log(`\n${row.spec}: ${row.failures.length} failing operation(s)`);
    for (const { op, reasons } of values.details ? row.failures : row.failures.slice(0, 25)) {
      console.log(`  ${op.operationId} ${op.method} ${op.path}`);
      for (const reason of values.details ? reasons : reasons.slice(0, 1)) console.log(`      ${reason.slice(0, 600)}`);
    }
  }
  const below = rows.filter((r) => r.error || (r.operations && r.passing / r.operations < 0.95));
  process.exitCode = below.length ? 1 : 0;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
