// Must not compile: a reply the operation does not declare.
import type { Handlers } from '../../../openapi/api.types';

export const getBuild: Handlers['getBuild'] = async (_input, ctx) => {
  // expect-error: TS2339 Property 'created' does not exist
  if (Math.random() > 0.5) return ctx.reply.created();
  // expect-error: TS2339 Property 'imATeapot' does not exist
  return ctx.reply.imATeapot();
};

export const createPerson: Handlers['createPerson'] = (input, ctx) =>
  // expect-error: TS2339 Property 'unauthorized' does not exist
  ctx.reply.unauthorized({ type: 'about:blank', title: 'Unauthorized', status: 401, detail: input.body.name });
