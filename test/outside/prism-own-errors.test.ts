// specbind's own 400 and 401 answers, judged by Stoplight Prism (a validating proxy nobody here wrote)
// against the error responses the documents declare. The harness is test/outside/prism-own-errors.ts
// (`npx tsx test/outside/prism-own-errors.ts --help`): it starts `specbind mock` and `prism proxy` per
// document, sends requests with a bad parameter or body (→ 400) and without credentials (→ 401), and
// keeps the response-side violations Prism lists in `sl-violations`.
//
// The only response violation accepted: Prism's "Unable to match the returned status code" warning
// when the operation declares no response covering the status at all (no exact code, no 4XX, no
// default). No body can satisfy a declaration that does not exist; the test checks against the
// document that each such warning is one of those, and prints them.
//
// Discord is left out here (Prism alone needs ~20 s to load it): run the harness on it by hand.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { type DocumentResult, isUndeclaredStatus, killAllChildren, ownAnswers, ROOT, runDocument, SPECS } from './prism-own-errors';

const DOCUMENTS = ['../shared/specs/oai-learn/v3.0/petstore-expanded.yaml', '../shared/specs/production/box-openapi.json', '../shared/specs/production/adyen-CheckoutService-v71.yaml'];

/** At most 25 lines, then how many more and the distinct messages with their counts. */
function condensed(lines: string[], of: number): string[] {
  if (lines.length <= 25) return lines;
  const counts = new Map<string, number>();
  for (const line of lines) for (const message of line.slice(line.indexOf('): ') + 3).split(' | ')) counts.set(message, (counts.get(message) ?? 0) + 1);
  return [
    `${lines.length} of ${of} own answers with response violations; distinct messages (answers):`,
    ...[...counts].sort((a, b) => b[1] - a[1]).map(([message, n]) => `  ${n} × ${message}`),
    'the first 25:',
    ...lines.slice(0, 25),
  ];
}

const available = existsSync(SPECS) && DOCUMENTS.every((d) => existsSync(path.resolve(ROOT, d)));
const suite = available ? describe : describe.skip;
if (!available) process.stdout.write(`prism-own-errors: skipped, ${SPECS} is absent (the shared OpenAPI documents live beside the repository)\n`);

suite(available ? "Prism finds no response violation in specbind's own 400 and 401 answers" : `Prism on specbind's own 400/401 answers — skipped: ${SPECS} is absent`, () => {
  afterAll(() => killAllChildren());

  it.each(DOCUMENTS)(
    '%s',
    async (document) => {
      const result: DocumentResult = await runDocument(document, { concurrency: 8 });
      const probes = result.records.filter((r) => !r.control);

      // The harness reached specbind: Prism routed every request and answered none itself.
      expect(probes.filter((r) => !r.routed || r.answeredBy === 'prism').map((r) => `${r.method} ${r.target}: ${r.status} ${r.error ?? ''}`)).toEqual([]);
      const own = ownAnswers(probes);
      expect(own.some((r) => r.status === 400)).toBe(true);
      if (probes.some((r) => r.intended === 401)) expect(own.some((r) => r.status === 401)).toBe(true);

      const undeclared = own.filter((r) => r.responseViolations.some(isUndeclaredStatus));
      if (undeclared.length) {
        process.stdout.write(
          `${document}: ${undeclared.length} answers whose status the operation does not declare (no exact code, no 4XX, no default):\n` +
            undeclared.map((r) => `  ${r.status} ${r.method} ${r.path} (declares ${r.responseViolations.find(isUndeclaredStatus)!.message.split(': ').pop()})`).join('\n') +
            '\n',
        );
      }
      // An undeclared-status warning only where the document really declares nothing for that status.
      expect(undeclared.filter((r) => r.declared !== null).map((r) => `${r.status} ${r.method} ${r.path}: declared ${r.declared}`)).toEqual([]);

      // Everything else: none.
      const violating = own
        .map((r) => ({ r, violations: r.responseViolations.filter((v) => !(isUndeclaredStatus(v) && r.declared === null)) }))
        .filter(({ violations }) => violations.length > 0)
        .map(({ r, violations }) => `${r.status} ${r.method} ${r.path} (${r.provocation}${r.broken ? `: ${r.broken}` : ''}; declared ${r.declared}; ${r.contentType}): ${[...new Set(violations.map((v) => v.message))].join(' | ')}`);
      expect(condensed(violating, own.length)).toEqual([]);
    },
    180_000,
  );
});
