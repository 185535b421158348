// Binder's registry component (binder-build's _fetchTemplate, _fetchAllTemplates; the protocol's
// register), typed by the document (openapi/api.types.ts).
import { HttpError } from '../src';
import type { Handlers } from '../openapi/api.types';
import { now, withStore } from './_app/failures';
import { templateRecord, templateView } from './_app/views';

export const fetchAllTemplates: Handlers['fetchAllTemplates'] = async (_input, ctx) =>
  withStore(ctx, 'badDatabase', async (store) => (await store.listTemplates()).map(templateView));

export const fetchTemplate: Handlers['fetchTemplate'] = async (input, ctx) =>
  withStore(ctx, 'badDatabase', async (store) => {
    const template = await store.getTemplate(input.templateName);
    if (!template) throw new HttpError('doesNotExist', `No template named "${input.templateName}"`);
    return templateView(template);
  });

/**
 * An upsert, as Binder's was. The two outcomes are two declared 2xx responses, so the handler must
 * name one (its type has no plain return). `input.body` has no readOnly times, and `port` is filled
 * from the document's default.
 */
export const registerTemplate: Handlers['registerTemplate'] = async (input, ctx) =>
  withStore(ctx, 'badDatabase', async (store) => {
    const existing = await store.getTemplate(input.body.name);
    const template = templateRecord(input.body, existing, now());
    await store.saveTemplate(template);
    if (existing) return ctx.reply.ok(templateView(template));
    const location = `/templates/${encodeURIComponent(template.name)}`;
    return ctx.reply.created(templateView(template), { headers: { Location: location } });
  });
