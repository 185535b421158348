// `specbind init`: typed stubs that answer 501 until filled, never overwritten, added only when new.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { init } from '../../src/init/init';
import { check } from '../../src/check/check';
import { start } from '../helpers/server';
import { SPECS } from '../helpers/server';

const RUNTIME = path.join(__dirname, '../../src');

describe('specbind init', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'specbind-init-'));
    copyFileSync(path.join(SPECS, 'oai-examples/v3.0/petstore-expanded.yaml'), path.join(dir, 'api.yaml'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = () => init({ spec: 'api.yaml', handlers: 'handlers', typesOut: 'api.types.ts', cwd: dir, runtimeModule: RUNTIME });

  it('writes the types and one typed stub per operation; each stub answers 501 naming its operation', async () => {
    const result = await run();
    expect(result.stubs.map((s) => s.operationId).sort()).toEqual(['addPet', 'deletePet', 'find pet by id', 'findPets']);
    // An operationId that is no JavaScript name is exported under its exact name.
    expect(readFileSync(path.join(dir, 'handlers/default.ts'), 'utf8')).toContain("export { findPetById as 'find pet by id' };");
    const module = readFileSync(path.join(dir, 'handlers/default.ts'), 'utf8');
    expect(module).toContain("export const findPets: Handlers['findPets'] = notImplemented('findPets', 'handlers/default.ts');");
    expect(module).toContain("import type { Handlers } from '../api.types';");
    expect(readFileSync(path.join(dir, 'api.types.ts'), 'utf8')).toContain('findPets: {');

    const api = await start({ spec: path.join(dir, 'api.yaml'), handlers: path.join(dir, 'handlers') });
    try {
      const answer = await api.request('GET', '/v2/pets');
      expect(answer.status).toBe(501);
      // petstore-expanded declares its errors as `default: Error {code, message}`: the 501 comes in that shape.
      expect(answer.json).toEqual({ code: 501, message: 'findPets is not implemented yet: replace its stub in handlers/default.ts' });
    } finally {
      await api.close();
    }
    const findings = await check({ spec: path.join(dir, 'api.yaml'), handlers: path.join(dir, 'handlers') });
    expect(findings.filter((f) => f.code === 'unfilled-stub').map((f) => f.operation)).toHaveLength(4);
  });

  it('never overwrites a handler, and adds only the stubs of operations the document gained', async () => {
    await run();
    const file = path.join(dir, 'handlers/default.ts');
    const filled = readFileSync(file, 'utf8').replace("notImplemented('findPets', 'handlers/default.ts')", 'async () => []');
    writeFileSync(file, filled);
    const document: any = yaml.load(readFileSync(path.join(dir, 'api.yaml'), 'utf8'));
    document.paths['/owners'] = { get: { operationId: 'listOwners', tags: ['owners'], responses: { '200': { description: 'owners' } } } };
    writeFileSync(path.join(dir, 'api.yaml'), yaml.dump(document));

    const again = await run();
    expect(again.stubs).toEqual([{ operationId: 'listOwners', file: path.join(dir, 'handlers/owners.ts') }]);
    expect(again.existing.sort()).toEqual(['addPet', 'deletePet', 'find pet by id', 'findPets']);
    expect(readFileSync(file, 'utf8')).toBe(filled);

    const findings = await check({ spec: path.join(dir, 'api.yaml'), handlers: path.join(dir, 'handlers') });
    const unfilled = findings.filter((f) => f.code === 'unfilled-stub').map((f) => f.operation!.replace(/.*\((.*)\)/, '$1')).sort();
    expect(unfilled).toEqual(['addPet', 'deletePet', 'find pet by id', 'listOwners']);
  });
});
