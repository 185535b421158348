// Store records ⇄ the document's wire shapes (Binder's dashed property names). Every response body
// is built here, so what leaves matches #/components/schemas exactly (specbind rejects anything else).
import type { ApplicationRecord, BuildRecord, TemplateRecord } from './store';

export interface BuildView {
  name: string;
  'display-name': string;
  repository: string;
  'start-time': string;
  phase: BuildRecord['phase'];
  status: BuildRecord['status'];
  error?: string;
}

export function buildView(b: BuildRecord): BuildView {
  const view: BuildView = {
    name: b.name,
    'display-name': b.displayName,
    repository: b.repository,
    'start-time': b.startTime,
    phase: b.phase,
    status: b.status,
  };
  if (b.error !== undefined) view.error = b.error;
  return view;
}

/** The request body of registerTemplate (#/components/schemas/Template, as written). */
export interface TemplateBody {
  name: string;
  'image-name'?: string;
  'image-source': string;
  port?: number;
  command?: string[];
  limits?: { memory?: string; cpu?: string };
  services?: Array<{ name: string; version?: string; params?: Record<string, unknown> }>;
  'image-pull-secret'?: string;
}

export interface TemplateView extends Omit<TemplateBody, 'image-pull-secret'> {
  'time-created': string;
  'time-modified': string;
}

/** Server-owned fields (times) come from here, whatever the client sent: they are readOnly. */
export function templateRecord(body: TemplateBody, existing: TemplateRecord | undefined, now: string): TemplateRecord {
  const record: TemplateRecord = {
    name: body.name,
    imageName: body['image-name'] ?? body.name,
    imageSource: body['image-source'],
    port: body.port ?? 8888,
    timeCreated: existing?.timeCreated ?? now,
    timeModified: now,
  };
  if (body.command) record.command = body.command;
  if (body.limits) record.limits = body.limits;
  if (body.services) record.services = body.services;
  if (body['image-pull-secret'] !== undefined) record.imagePullSecret = body['image-pull-secret'];
  return record;
}

/** `imagePullSecret` is writeOnly: it never appears here. */
export function templateView(t: TemplateRecord): TemplateView {
  const view: TemplateView = {
    name: t.name,
    'image-name': t.imageName,
    'image-source': t.imageSource,
    port: t.port,
    'time-created': t.timeCreated,
    'time-modified': t.timeModified,
  };
  if (t.command) view.command = t.command;
  if (t.limits) view.limits = t.limits;
  if (t.services) view.services = t.services;
  return view;
}

export interface ApplicationView {
  id: string;
  'template-name': string;
  location: string;
  status: ApplicationRecord['status'];
  'cull-timeout': number;
  'deploy-time': string | null;
}

export function applicationView(a: ApplicationRecord): ApplicationView {
  return {
    id: a.id,
    'template-name': a.templateName,
    location: a.location,
    status: a.status,
    'cull-timeout': a.cullTimeout,
    'deploy-time': a.deployTime,
  };
}
