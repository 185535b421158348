// Binder's registry component (binder-build's _fetchTemplate, _fetchAllTemplates; the protocol's
// register; a template's pull secret as an uploaded file; the registry exported as JSON Lines), typed
// by the document (openapi/api.types.ts).
import { createHash } from 'node:crypto';
import { HttpError, type UploadedFile } from '../src';
import type { Handlers, PullSecretFile, Template } from '../openapi/api.types';
import { now, withStore } from './_app/failures';
import type { Store, TemplateRecord } from './_app/store';
import { templateRecord, templateView } from './_app/views';

export const fetchAllTemplates: Handlers['fetchAllTemplates'] = async (_input, ctx) =>
  withStore(ctx, 'badDatabase', async (store) => (await store.listTemplates()).map(templateView));

export const fetchTemplate: Handlers['fetchTemplate'] = async (input, ctx) =>
  withStore(ctx, 'badDatabase', async (store) => {
    const template = await store.getTemplate(input.templateName);
    if (!template) throw new HttpError('doesNotExist', `No template named "${input.templateName}"`);
    return templateView(template);
  });

/** Templates read per query while exporting: what the export holds in memory at once. */
const EXPORT_PAGE = 100;

/**
 * application/jsonl, one template a line, read from the store a page at a time as the client reads
 * (the runtime pulls the next item only when the socket takes more). The first page is read here,
 * so a database that cannot answer is still a 500/503; a failure on a later page cuts the body off.
 */
export const exportTemplates: Handlers['exportTemplates'] = async (_input, ctx) =>
  withStore(ctx, 'badDatabase', async (store) => {
    const first = await store.listTemplates({ limit: EXPORT_PAGE });
    return ctx.reply.ok(templatePages(store, first, ctx.signal), { headers: { 'Content-Disposition': 'attachment; filename="templates.jsonl"' } });
  });

async function* templatePages(store: Store, first: TemplateRecord[], signal: AbortSignal): AsyncGenerator<Template> {
  let page = first;
  for (;;) {
    for (const template of page) yield templateView(template);
    if (page.length < EXPORT_PAGE || signal.aborted) return;
    page = await store.listTemplates({ after: page[page.length - 1].name, limit: EXPORT_PAGE });
  }
}

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

/** The largest pull secret this operation stores (the document's PullSecretFile.size maximum). */
const PULL_SECRET_LIMIT = 8 * 1024;

/**
 * A file upload (multipart/form-data): `input.body.file` arrives as the runtime delivers files,
 * `{ field, filename, type, size, content: Buffer }`, already read within the server's limits; the
 * text field `sha256` is validated against its pattern. The bytes become the template's writeOnly
 * `image-pull-secret`; the answer describes them and never contains them.
 */
export const uploadPullSecret: Handlers['uploadPullSecret'] = async (input, ctx) => {
  const { file, sha256 } = input.body;
  // specbind validates a binary part by its file name, so a plain text field named `file` (a part
  // without a filename) passes as a string: refuse it as the runtime's own validation would.
  if (!isFile(file)) {
    throw HttpError.of('validationFailed', 'The request does not match the operation\'s parameters or body', {
      errors: [{ in: 'body', pointer: '/file', message: 'must be a file (a part with a filename)' }],
    });
  }
  if (file.size > PULL_SECRET_LIMIT) {
    // The same condition, type and title as the server's own 413 (over bodyLimit / multipart.fileSize).
    throw HttpError.of('payloadTooLarge', `The file is ${file.size} bytes; a pull secret is at most ${PULL_SECRET_LIMIT}`);
  }
  if (file.size === 0) throw new HttpError('badSecretFile', 'The file is empty');
  // Text, as the template's secret is (a NUL could not be stored in PostgreSQL's text either).
  const text = utf8(file.content);
  if (text === undefined || text.includes('\0')) throw new HttpError('badSecretFile', 'The file is not UTF-8 text');
  const digest = createHash('sha256').update(file.content).digest('hex');
  if (sha256 !== undefined && sha256 !== digest) {
    throw new HttpError('badSecretFile', `The file's SHA-256 is ${digest}, not the sha256 sent`);
  }

  return withStore(ctx, 'badDatabase', async (store) => {
    const template = await store.getTemplate(input.templateName);
    if (!template) throw new HttpError('doesNotExist', `No template named "${input.templateName}"`);
    const saved = { ...template, imagePullSecret: text, timeModified: now() };
    await store.saveTemplate(saved);
    ctx.log.info({ template: saved.name, size: file.size }, 'pull secret stored'); // never the content
    const view: PullSecretFile = {
      'template-name': saved.name,
      'media-type': file.type,
      size: file.size,
      sha256: digest,
      'time-modified': saved.timeModified,
    };
    if (file.filename !== undefined) view.filename = file.filename;
    return view;
  });
};

function isFile(value: unknown): value is UploadedFile {
  return typeof value === 'object' && value !== null && Buffer.isBuffer((value as UploadedFile).content);
}

/** The bytes as text, or undefined when they are not valid UTF-8. */
function utf8(content: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    return undefined;
  }
}
