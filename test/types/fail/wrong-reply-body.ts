// Must not compile: a declared reply given a body of the wrong type (or none where one is declared).
import type { Handlers } from '../../../openapi/api.types';

export const startBuild: Handlers['startBuild'] = async (input, ctx) =>
  // expect-error: TS2353 'repo' does not exist
  ctx.reply.accepted({ repo: input.body.repository });

export const getBuild: Handlers['getBuild'] = async (input, ctx) => {
  // expect-error: TS2554 Expected 1-2 arguments, but got 0
  if (input.imageName === '') return ctx.reply.noBuildInfo();
  // expect-error: TS2322 Type 'string' is not assignable to type 'number'
  return ctx.reply.notFound({ type: 'about:blank', title: 'Not Found', status: '404' });
};

export const registerTemplate: Handlers['registerTemplate'] = async (input, ctx) =>
  // expect-error: TS2345 Property '"image-source"' is missing in type '{ name: string; }' but required in type 'Template'
  ctx.reply.created({ name: input.body.name });
