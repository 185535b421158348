// Must not compile: a handler reads what its operation does not declare.
import type { Handlers } from '../../../openapi/api.types';

export const getBuild: Handlers['getBuild'] = async (input, ctx) => {
  // expect-error: TS2339 Property 'imageId' does not exist
  const id = input.imageId;
  // expect-error: TS2339 Property 'body' does not exist
  const body = input.body;
  return ctx.reply.ok({ name: String(id), 'display-name': String(body), repository: '', 'start-time': '', phase: 'building', status: 'running' });
};

export const getAllBuilds: Handlers['getAllBuilds'] = async (input) => {
  // expect-error: TS18048 'input.phase' is possibly 'undefined'
  return input.phase.map(() => []).flat();
};
