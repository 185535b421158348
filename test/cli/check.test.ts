// `specbind check`: every finding true, with file, pointer, what and how to fix.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { check, type Finding } from '../../src/check/check';
import { SPECS } from '../helpers/server';

const FIXTURE = path.join(__dirname, '../fixtures/check-bad');
const ROOT = path.join(__dirname, '../..');
const run = promisify(execFile);

const codes = (findings: Finding[]) => findings.map((f) => `${f.severity}:${f.code}`);

describe('specbind check', () => {
  let findings: Finding[];
  beforeAll(async () => {
    findings = await check({ spec: path.join(FIXTURE, 'openapi.yaml'), handlers: path.join(FIXTURE, 'handlers') });
  });

  it('finds a document that breaks the OpenAPI 3.0 schema, with the pointer', () => {
    expect(findings).toContainEqual(expect.objectContaining({ severity: 'error', code: 'invalid-document', pointer: '/paths/~1pets/get/responses/200/description', message: expect.stringContaining('is required') }));
  });

  it('finds duplicate and missing operationIds', () => {
    expect(findings).toContainEqual(expect.objectContaining({ code: 'duplicate-operation-id', message: expect.stringContaining('"getPet" is also used by GET /pets/{petId}') }));
    expect(findings).toContainEqual(expect.objectContaining({ code: 'missing-operation-id', operation: 'GET /pets (getPets)', fix: expect.stringContaining('getPets') }));
  });

  it('finds parameters whose camelCased names clash, and a path parameter missing from its template', () => {
    expect(findings).toContainEqual(expect.objectContaining({ code: 'parameter-name-clash', message: expect.stringContaining('input.pageSize') }));
    expect(findings).toContainEqual(expect.objectContaining({ severity: 'error', code: 'path-parameter-not-in-template', pointer: '/paths/~1pets/get/parameters/0' }));
  });

  it('finds a schema that cannot compile (the server compiles lazily, so check is where it shows before traffic)', async () => {
    const broken = await check({ spec: path.join(__dirname, '../fixtures/load-missing-schema/openapi.yaml') });
    expect(broken).toContainEqual(
      expect.objectContaining({
        severity: 'error',
        code: 'uncompilable-schema',
        operation: 'POST /pets (addPet)',
        pointer: '/paths/~1pets/post/requestBody/content/application~1json/schema',
        message: expect.stringContaining('NewPett'),
      }),
    );
  });

  it('finds examples that do not match their schema, where they are', () => {
    const invalid = findings.filter((f) => f.code === 'invalid-example').map((f) => `${f.pointer} ${f.message}`);
    expect(invalid).toEqual(
      expect.arrayContaining([
        '/paths/~1pets~1{petId}/get/parameters/3/example example must be integer',
        '/paths/~1pets~1{petId}/get/responses/200/content/application~1json/example example /name is required',
        '/components/schemas/Pet/example example /id must be integer',
      ]),
    );
  });

  it('matches handlers and operations both ways', () => {
    expect(findings).toContainEqual(expect.objectContaining({ code: 'handler-without-operation', message: 'handler "adoptPet" matches no operationId' }));
    expect(findings).toContainEqual(expect.objectContaining({ code: 'missing-handler', operation: 'GET /pets (getPets)' }));
  });

  it('warns (without failing) about what dredd needs', () => {
    expect(findings).toContainEqual(expect.objectContaining({ severity: 'warning', code: 'dredd-parameter-example', message: expect.stringContaining('"petId"') }));
    expect(findings).toContainEqual(expect.objectContaining({ severity: 'warning', code: 'dredd-body-example', operation: 'POST /pets (getPet)' }));
  });

  it('finds nothing wrong in the bundled API', async () => {
    const bundled = await check({ spec: path.join(ROOT, 'openapi/api.yaml'), handlers: path.join(ROOT, 'handlers') });
    expect(bundled.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('finds true problems in real documents, without crashing', async () => {
    const digitalOcean = await check({ spec: path.join(SPECS, 'multi-file/digitalocean/DigitalOcean-public.v2.yaml') });
    // DigitalOcean writes `properties: { $ref: ... }` (a property named "$ref") in its load balancer schemas.
    expect(digitalOcean).toContainEqual(expect.objectContaining({ code: 'invalid-document', pointer: expect.stringMatching(/load_balancers.*\/properties\/\$ref$/) }));
    const adyen = await check({ spec: path.join(SPECS, 'production/adyen-CheckoutService-v71.yaml') });
    // Adyen's payment examples give authCode as a number where the schema says string.
    expect(adyen).toContainEqual(expect.objectContaining({ code: 'invalid-example', message: 'example /additionalData/authCode must be string' }));
    const scopes = await check({ spec: path.join(SPECS, 'oai-examples/v3.1/non-oauth-scopes.yaml') });
    expect(codes(scopes)).toEqual(['error:missing-operation-id']);
  }, 60_000);

  it('prints one line per finding and exits 1 on errors; --json prints the findings', async () => {
    const cli = path.join(ROOT, 'src/cli.ts');
    const tsx = path.join(ROOT, 'node_modules/.bin/tsx');
    const failed = await run(tsx, [cli, 'check', '--spec', path.join(FIXTURE, 'openapi.yaml'), '--no-handlers']).catch((e) => e);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^error {3}.*openapi\.yaml#\/components\/schemas\/Pet\/example example \/id must be integer — make the example match its schema$/m);
    const json = await run(tsx, [cli, 'check', '--spec', path.join(SPECS, 'oai-examples/v3.0/petstore.yaml'), '--json', '--no-handlers']);
    expect(JSON.parse(json.stdout).every((f: Finding) => f.severity === 'warning')).toBe(true);
  }, 60_000);
});
