// Must not compile: streamed bodies of the wrong kind or with items of the wrong shape.
import type { Handlers, Template } from '../../../openapi/api.types';

declare const template: Template;

// Two 2xx responses (200, 204): a plain return is ambiguous (the runtime refuses it too); name the reply.
export const streamBuildLog: Handlers['streamBuildLog'] = async (input) =>
  // expect-error: TS2322 is missing the following properties from type 'Reply'
  (async function* () {
    yield { event: 'phase' as const, id: '1-0', data: { name: input.imageName, phase: 'fetching' as const, status: 'running' as const, 'start-time': '2016-03-01T12:00:00.000Z' } };
  })();

// An event the schema does not declare, and data of the wrong shape.
export const undeclaredEvent: Handlers['streamBuildLog'] = async (input, ctx) =>
  // expect-error: TS2345 Type '"progress"' is not assignable to type '"phase"'
  ctx.reply.ok([{ event: 'progress', id: '1-0', data: { name: input.imageName, phase: 'fetching', status: 'running', 'start-time': '2016-03-01T12:00:00.000Z' } }]);

export const wrongData: Handlers['streamBuildLog'] = async (_input, ctx) =>
  // expect-error: TS2345 Type '"baking"' is not assignable to type 'BuildPhase'
  ctx.reply.ok([{ event: 'phase', id: '1-0', data: { name: 'x', phase: 'baking', status: 'running', 'start-time': '2016-03-01T12:00:00.000Z' } }]);

// Each JSON Lines item is a Template.
// expect-error: TS2322 Type 'string' is not assignable to type 'number'
export const exportTemplates: Handlers['exportTemplates'] = async function* () {
  yield { ...template, port: '8888' };
};

// One JSON value is not a stream of lines.
// expect-error: TS2322 Type 'Template' is not assignable to type
export const exportOne: Handlers['exportTemplates'] = async () => template;
