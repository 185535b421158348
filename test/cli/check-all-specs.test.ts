// `specbind check` on every OpenAPI document under ../shared/specs: it finishes, never crashes, and
// every finding says where it is and what is wrong.
import * as path from 'node:path';
import { check } from '../../src/check/check';
import { SPECS } from '../helpers/server';
import { OPENAPI } from '../helpers/specs';

describe('specbind check on real documents', () => {
  it.each(OPENAPI)('%s', async (rel) => {
    const findings = await check({ spec: path.join(SPECS, rel) });
    expect(findings.some((f) => f.code === 'unloadable')).toBe(false);
    for (const finding of findings) {
      expect(finding.message).toEqual(expect.any(String));
      expect(finding.pointer !== undefined || finding.operation !== undefined || finding.file !== undefined).toBe(true);
    }
  }, 120_000);
});
