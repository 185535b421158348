// streamBody() keeps a typed handler typed: assigned to a handler type, its input is the operation's,
// with the binary body as a Readable; a missing field or a wrong return still fails to compile.
import * as path from 'node:path';
import { check, compile, diagnosticsOf, ROOT } from '../types/compile';

const FILE = path.join(ROOT, 'test/types/virtual-stream-body.ts');
const SOURCE = `
import type { Readable } from 'node:stream';
import { streamBody, type TypedHandler } from '../../src';

type PutArtifact = {
  input: { name: string; body: Buffer | { url: string } };
  replies: { created: { size: number } };
  success: { size: number };
};

export const putArtifact: TypedHandler<PutArtifact> = streamBody(async (input, ctx) => {
  const name: string = input.name;
  if (!('pipe' in input.body)) return ctx.reply.created({ size: input.body.url.length });
  const stream: Readable = input.body;
  let size = 0;
  for await (const chunk of stream) size += (chunk as Buffer).length;
  return { size: size + name.length };
});

export const missing: TypedHandler<PutArtifact> = streamBody(async (input) => {
  // expect-error: TS2339 Property 'nope' does not exist
  const nope = input.nope;
  return { size: 0 };
});

// expect-error: TS2322 is not assignable
export const wrong: TypedHandler<PutArtifact> = streamBody(async () => ({ bytes: 1 }));
`;

it('types the input of a streamBody() handler from the handler type it is assigned to', () => {
  const program = compile([FILE], { [FILE]: SOURCE });
  const result = check(program, FILE, SOURCE);
  expect({ unexpected: result.unexpected, unmet: result.unmet }).toEqual({ unexpected: [], unmet: [] });
  expect(diagnosticsOf(program, FILE).length).toBe(2);
});
