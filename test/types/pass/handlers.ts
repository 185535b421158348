// Type test: handlers typed by the bundled API's generated types (openapi/api.types.ts). This file
// must compile (it is part of `npm run typecheck`, and test/unit/typed-handlers.test.ts checks it too).
import type { HandlerContext } from '../../../src';
import type { Application, Build, Context, Handlers, Input, Replies, Result, Success, Template } from '../../../openapi/api.types';
import { Person } from '../../../handlers/_app/models';

declare const build: Build;
declare const template: Template;

// Parameters arrive under their camelCased names, typed by their schemas.
export const getBuild: Handlers['getBuild'] = async (input) => {
  const name: string = input.imageName;
  return { ...build, name };
};

// An optional query array is `T[] | undefined`; a parameter with a default is always there.
export const getAllBuilds: Handlers['getAllBuilds'] = async (input) => (input.phase ?? []).map((phase) => ({ ...build, phase }));
export const createApplication: Handlers['createApplication'] = async (input, ctx) => {
  const seconds: number = input.cullTimeout;
  const app: Application = { id: 'x', 'template-name': input.templateName, location: '/user/x', status: 'pending', 'cull-timeout': seconds, 'deploy-time': null };
  return ctx.reply.created(app, { headers: { Location: '/applications/x' } });
};

// The body is typed from its schema, with readOnly properties absent and defaults applied.
export const startBuild: Handlers['startBuild'] = async (input, ctx) => {
  const force: boolean = input.body.force;
  if (force) ctx.log.info('forced');
  return ctx.reply.accepted({ ...build, repository: input.body.repository });
};

// Several 2xx: the handler names one; any declared reply may be returned or its status thrown.
export const registerTemplate: Handlers['registerTemplate'] = async (input, ctx) => {
  const port: number = input.body.port;
  const secret: string | undefined = input.body['image-pull-secret'];
  if (secret === '') return ctx.reply.badRequest({ type: 'about:blank', title: 'Bad Request', status: 400 });
  const view: Template = { name: input.body.name, 'image-source': input.body['image-source'], port };
  return port === 8888 ? ctx.reply.ok(view) : ctx.reply.created(view);
};

// A body that $refs a schema mapped in `models` is the class instance.
export const createPerson: Handlers['createPerson'] = (input) => {
  const person: Person = input.body;
  person.toString();
  return person;
};

// An object whose toJSON() gives the body is a valid body (JSON.stringify honours it).
export const fetchTemplate: Handlers['fetchTemplate'] = async () => ({ toJSON: () => template });

// Function declarations with the helper types (a declared return type also catches extra properties).
export async function getApplication(input: Input<'getApplication'>, ctx: Context<'getApplication'>): Promise<Result<'getApplication'>> {
  if (input.id === 'missing') return ctx.reply.noRecord({ type: 'about:blank', title: 'Not Found', status: 404, detail: `no ${input.id}` });
  return { id: input.id, 'template-name': input.templateName, location: `/user/${input.id}`, status: 'deployed', 'cull-timeout': 60, 'deploy-time': null };
}

// A typed context still fits helpers written for the untyped HandlerContext.
function logVia(ctx: HandlerContext): void {
  ctx.log.debug('untyped helper');
}
export const getHealth: Handlers['getHealth'] = async (_input, ctx) => {
  logVia(ctx);
  return [];
};

// The helper types compose.
type OkBody = Replies<'fetchAllTemplates'>['ok'];
const list: OkBody = [template];
const only: Success<'fetchAllTemplates'> = list;
export const fetchAllTemplates: Handlers['fetchAllTemplates'] = () => only;

// Untyped handlers keep working.
export function untyped(input: { anything: string }, ctx: HandlerContext) {
  return ctx.reply.whatever(input.anything);
}
