// Binder's registry component (binder-build's _fetchTemplate, _fetchAllTemplates; the protocol's register).
import { HttpError, type HandlerContext } from '../src';
import { now, withStore } from './_app/failures';
import { templateRecord, templateView, type TemplateBody } from './_app/views';

export async function fetchAllTemplates(_input: unknown, ctx: HandlerContext) {
  return withStore(ctx, 'badDatabase', async (store) => (await store.listTemplates()).map(templateView));
}

interface FetchTemplateInput {
  templateName: string;
}

export async function fetchTemplate(input: FetchTemplateInput, ctx: HandlerContext) {
  return withStore(ctx, 'badDatabase', async (store) => {
    const template = await store.getTemplate(input.templateName);
    if (!template) throw new HttpError('doesNotExist', `No template named "${input.templateName}"`);
    return templateView(template);
  });
}

interface RegisterTemplateInput {
  body: TemplateBody;
}

/** An upsert, as Binder's was; the two outcomes are two declared 2xx responses, so reply names one. */
export async function registerTemplate(input: RegisterTemplateInput, ctx: HandlerContext) {
  return withStore(ctx, 'badDatabase', async (store) => {
    const existing = await store.getTemplate(input.body.name);
    const template = templateRecord(input.body, existing, now());
    await store.saveTemplate(template);
    if (existing) return ctx.reply.ok(templateView(template));
    const location = `/templates/${encodeURIComponent(template.name)}`;
    return ctx.reply.created(templateView(template), { headers: { Location: location } });
  });
}
