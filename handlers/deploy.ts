// Binder's deploy component (binder-deploy-kubernetes' createApplication, getApplication, getAllApplications).
import { randomBytes } from 'node:crypto';
import { HttpError, type HandlerContext } from '../src';
import { now, withStore } from './_app/failures';
import { advanceApplication } from './_app/lifecycle';
import type { ApplicationRecord, ApplicationStatus } from './_app/store';
import { applicationView } from './_app/views';

interface CreateApplicationInput {
  templateName: string;
  /** Defaulted by the document (3600). */
  cullTimeout: number;
}

export async function createApplication(input: CreateApplicationInput, ctx: HandlerContext) {
  return withStore(ctx, 'badDatabase', async (store) => {
    const template = await store.getTemplate(input.templateName);
    if (!template) {
      throw new HttpError('registryError', `Could not fetch template "${input.templateName}" from the registry`);
    }
    // Binder's ids were `hat()`: 128 random bits in hex.
    const id = randomBytes(16).toString('hex');
    const app: ApplicationRecord = {
      id,
      templateName: template.name,
      location: `/user/${id}`,
      status: 'pending',
      cullTimeout: input.cullTimeout,
      deployTime: null,
    };
    await store.saveApplication(app);
    ctx.log.info({ template: app.templateName, id }, 'deployment created');
    const location = `/applications/${encodeURIComponent(app.templateName)}/${id}`;
    return ctx.reply.created(applicationView(app), { headers: { Location: location } });
  });
}

interface GetApplicationInput {
  templateName: string;
  id: string;
}

/** Each read is the simulated deployer's next step (see handlers/_app/lifecycle.ts). */
export async function getApplication(input: GetApplicationInput, ctx: HandlerContext) {
  return withStore(ctx, 'badDatabase', async (store) => {
    const app = await store.getApplication(input.templateName, input.id);
    if (!app) {
      throw new HttpError('noRecord', `No deployment ${input.id} of template "${input.templateName}"`);
    }
    const next = advanceApplication(app, now());
    if (next !== app) await store.saveApplication(next);
    return applicationView(next);
  });
}

interface GetAllApplicationsInput {
  templateName: string;
  status?: ApplicationStatus[];
}

export async function getAllApplications(input: GetAllApplicationsInput, ctx: HandlerContext) {
  return withStore(ctx, 'badDatabase', async (store) => {
    const apps = await store.listApplications({ templateName: input.templateName, statuses: input.status });
    return apps.map(applicationView);
  });
}
