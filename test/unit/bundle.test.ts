// src/document/bundle.ts runs json-schema-ref-parser's bundling with a map instead of a scan: its output
// must be the library's, byte for byte, and its errors the same.
import * as path from 'node:path';
import { bundle } from '@apidevtools/json-schema-ref-parser';
import { bundleDocument } from '../../src/document/bundle';
import { SPECS } from '../helpers/server';
import { MULTI_FILE_ROOTS } from '../helpers/specs';

const options = () => ({ resolve: { http: false }, continueOnError: true });

describe('multi-file bundling', () => {
  it.each(MULTI_FILE_ROOTS)('%s: the same document as the library bundle()', async (root) => {
    const file = path.join(SPECS, root);
    const expected = await bundle(file, options() as any);
    expect(JSON.stringify(await bundleDocument(file, options()))).toBe(JSON.stringify(expected));
  }, 30_000);

  it('a dangling file reference: the same error group, with the same messages and paths', async () => {
    const file = path.join(__dirname, '../fixtures/load-dangling-file-ref/openapi.yaml');
    const expected: any = await bundle(file, options() as any).catch((e) => e);
    const actual: any = await bundleDocument(file, options()).catch((e) => e);
    expect(actual.message).toBe(expected.message);
    expect(actual.errors.map((e: any) => [e.message, e.path])).toEqual(expected.errors.map((e: any) => [e.message, e.path]));
    expect(actual.errors.length).toBeGreaterThan(0);
  });
});
