// Binder's deploy component (binder-deploy-kubernetes' createApplication, getApplication,
// getAllApplications), typed by the document (openapi/api.types.ts).
import { randomBytes } from 'node:crypto';
import { HttpError } from '../src';
import type { Handlers } from '../openapi/api.types';
import { now, withStore } from './_app/failures';
import { advanceApplication } from './_app/lifecycle';
import type { ApplicationRecord } from './_app/store';
import { applicationView } from './_app/views';

/** `input.cullTimeout` is always there: the document gives it a default (3600). */
export const createApplication: Handlers['createApplication'] = async (input, ctx) =>
  withStore(ctx, 'badDatabase', async (store) => {
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

/** Each read is the simulated deployer's next step (see handlers/_app/lifecycle.ts). */
export const getApplication: Handlers['getApplication'] = async (input, ctx) =>
  withStore(ctx, 'badDatabase', async (store) => {
    const app = await store.getApplication(input.templateName, input.id);
    if (!app) {
      throw new HttpError('noRecord', `No deployment ${input.id} of template "${input.templateName}"`);
    }
    const next = advanceApplication(app, now());
    if (next !== app) await store.saveApplication(next);
    return applicationView(next);
  });

export const getAllApplications: Handlers['getAllApplications'] = async (input, ctx) =>
  withStore(ctx, 'badDatabase', async (store) => {
    const apps = await store.listApplications({ templateName: input.templateName, statuses: input.status });
    return apps.map(applicationView);
  });
