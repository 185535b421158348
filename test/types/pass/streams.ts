// Type test: streamed bodies of the bundled API (openapi/api.types.ts). Items of a sequential media
// type are `Iterable<Item> | AsyncIterable<Item>`: an async generator, a generator, an array.
import type { BuildLogEvent, Handlers, Template } from '../../../openapi/api.types';

declare const template: Template;

// text/event-stream whose schema describes the event (it has `data`): each item is a BuildLogEvent.
// Two 2xx (200 with the stream, 204 once the client has the final event): the handler names its reply.
export const streamBuildLog: Handlers['streamBuildLog'] = async (input, ctx) => {
  if (input.lastEventId === '1456833600000-3') return ctx.reply.noContent();
  return ctx.reply.ok(
    (async function* (): AsyncGenerator<BuildLogEvent> {
      yield { event: 'phase', id: '1456833600000-0', retry: 1000, data: { name: input.imageName, phase: 'fetching', status: 'running', 'start-time': '2016-03-01T12:00:00.000Z' } };
      await new Promise((resolve) => setTimeout(resolve, 10));
      yield { event: 'phase', id: '1456833600000-1', data: { name: input.imageName, phase: 'building', status: 'running', 'start-time': '2016-03-01T12:00:00.000Z' } };
    })(),
  );
};

// An array of events is an iterable too.
export const replayBuildLog: Handlers['streamBuildLog'] = async (input, ctx) =>
  ctx.reply.ok([{ event: 'phase', id: '1-3', data: { name: input.imageName, phase: 'finished', status: 'completed', 'start-time': '2016-03-01T12:00:00.000Z' } }]);

// application/jsonl with one 2xx: a plain return of an async generator of templates.
export const exportTemplates: Handlers['exportTemplates'] = async (_input, ctx) =>
  (async function* () {
    for (let i = 0; i < 3 && !ctx.signal.aborted; i++) yield { ...template, name: `t${i}` };
  })();

// ...or the reply, with its header; or a synchronous generator.
export const exportTemplatesToo: Handlers['exportTemplates'] = (_input, ctx) =>
  ctx.reply.ok(
    (function* () {
      yield template;
    })(),
    { headers: { 'Content-Disposition': 'attachment; filename="templates.jsonl"' } },
  );
