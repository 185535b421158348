// Must not compile: readOnly properties are not in request bodies; mapped models are their classes.
import type { Handlers } from '../../../openapi/api.types';

export const registerTemplate: Handlers['registerTemplate'] = async (input, ctx) => {
  // expect-error: TS7053 Property 'time-created' does not exist on type 'TemplateInput'
  const created = input.body['time-created'];
  return ctx.reply.ok({ name: input.body.name, 'image-source': input.body['image-source'], 'time-created': created });
};

// expect-error: TS2339 Property 'nickname' does not exist on type 'Person'
export const createPerson: Handlers['createPerson'] = (input) => ({ name: input.body.nickname });
