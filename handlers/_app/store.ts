// Where the bundled API keeps its state. Handlers see only the Store interface, so a database-backed
// store can replace the embedded one without touching them (setStore at startup, or in tests).
import { exampleContents } from './seed';

export type BuildPhase = 'fetching' | 'building' | 'registering' | 'finished';
export type BuildState = 'running' | 'completed' | 'failed';
export type ApplicationStatus = 'pending' | 'deploying' | 'deployed';

/** Records are in the store's own (camelCase) shape; handlers/_app/views.ts maps them to the wire. */
export interface BuildRecord {
  name: string;
  displayName: string;
  repository: string;
  startTime: string;
  phase: BuildPhase;
  status: BuildState;
  error?: string;
}

export interface TemplateRecord {
  name: string;
  imageName: string;
  imageSource: string;
  port: number;
  command?: string[];
  limits?: { memory?: string; cpu?: string };
  services?: Array<{ name: string; version?: string; params?: Record<string, unknown> }>;
  imagePullSecret?: string;
  timeCreated: string;
  timeModified: string;
}

export interface ApplicationRecord {
  id: string;
  templateName: string;
  location: string;
  status: ApplicationStatus;
  cullTimeout: number;
  deployTime: string | null;
}

/**
 * Every method rejects with a StoreError when the store cannot answer; handlers turn that into the
 * operation's declared condition (noDatabase when `unavailable`, else badQuery / badDatabase).
 * Lists are sorted: builds and templates by name, applications in creation order.
 */
export interface Store {
  getBuild(name: string): Promise<BuildRecord | undefined>;
  listBuilds(filter?: { phases?: readonly BuildPhase[] }): Promise<BuildRecord[]>;
  saveBuild(build: BuildRecord): Promise<void>;
  /**
   * Records `build` as the image's new build unless one for the same image is running (then nothing
   * changes and it resolves false); `force` replaces a running one. Atomic: of any number of
   * concurrent starts for one image, across processes too for a database store, exactly one wins.
   */
  startBuild(build: BuildRecord, options?: { force?: boolean }): Promise<boolean>;
  /**
   * Saves `next` in place of `current` only if the stored build is still `current` (the same start
   * time, phase and status), and resolves whether it did: a compare-and-set, so that of any number
   * of concurrent steps of one build (polls, log streams, in any process), each phase is left once
   * and a slow writer cannot move a build back.
   */
  advanceBuild(current: BuildRecord, next: BuildRecord): Promise<boolean>;

  getTemplate(name: string): Promise<TemplateRecord | undefined>;
  /** By name; with a page, at most `limit` of those whose names sort after `after` (keyset paging). */
  listTemplates(page?: TemplatePage): Promise<TemplateRecord[]>;
  saveTemplate(template: TemplateRecord): Promise<void>;

  /** Only a record that matches both the template and the id (Binder's "template/ID combination"). */
  getApplication(templateName: string, id: string): Promise<ApplicationRecord | undefined>;
  listApplications(filter: { templateName: string; statuses?: readonly ApplicationStatus[] }): Promise<ApplicationRecord[]>;
  saveApplication(application: ApplicationRecord): Promise<void>;

  /** Resolves when the store can answer queries (the health operation's probe). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A page of templates by name: those after `after` (code-point order), at most `limit`. */
export interface TemplatePage {
  after?: string;
  limit?: number;
}

export class StoreError extends Error {
  /** True when the store is not initialised or not reachable, rather than one query failing. */
  readonly unavailable: boolean;

  constructor(message: string, options: { unavailable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'StoreError';
    this.unavailable = options.unavailable ?? false;
  }
}

export interface StoreContents {
  builds?: BuildRecord[];
  templates?: TemplateRecord[];
  applications?: ApplicationRecord[];
}

/** The embedded store: process memory. Records go in and out as copies, as they would from a database. */
export class MemoryStore implements Store {
  private readonly builds = new Map<string, BuildRecord>();
  private readonly templates = new Map<string, TemplateRecord>();
  // Keyed by id alone: ids are random and unique across templates.
  private readonly applications = new Map<string, ApplicationRecord>();
  private closed = false;

  constructor(contents: StoreContents = {}) {
    for (const build of contents.builds ?? []) this.builds.set(build.name, clone(build));
    for (const template of contents.templates ?? []) this.templates.set(template.name, clone(template));
    for (const app of contents.applications ?? []) this.applications.set(app.id, clone(app));
  }

  async getBuild(name: string) {
    this.assertOpen();
    return copy(this.builds.get(name));
  }

  async listBuilds(filter: { phases?: readonly BuildPhase[] } = {}) {
    this.assertOpen();
    const phases = filter.phases?.length ? new Set(filter.phases) : undefined;
    return byName([...this.builds.values()].filter((b) => !phases || phases.has(b.phase))).map(clone);
  }

  async saveBuild(build: BuildRecord) {
    this.assertOpen();
    this.builds.set(build.name, clone(build));
  }

  async startBuild(build: BuildRecord, options: { force?: boolean } = {}) {
    this.assertOpen();
    // No await between the check and the write: one event-loop turn, so atomic in this process.
    if (this.builds.get(build.name)?.status === 'running' && !options.force) return false;
    this.builds.set(build.name, clone(build));
    return true;
  }

  async advanceBuild(current: BuildRecord, next: BuildRecord) {
    this.assertOpen();
    // No await between the check and the write, as in startBuild.
    const stored = this.builds.get(current.name);
    if (!stored || stored.startTime !== current.startTime || stored.phase !== current.phase || stored.status !== current.status) return false;
    this.builds.set(current.name, clone(next));
    return true;
  }

  async getTemplate(name: string) {
    this.assertOpen();
    return copy(this.templates.get(name));
  }

  async listTemplates(page: TemplatePage = {}) {
    this.assertOpen();
    const { after, limit } = page;
    const sorted = byName([...this.templates.values()].filter((t) => after === undefined || t.name > after));
    return (limit === undefined ? sorted : sorted.slice(0, limit)).map(clone);
  }

  async saveTemplate(template: TemplateRecord) {
    this.assertOpen();
    this.templates.set(template.name, clone(template));
  }

  async getApplication(templateName: string, id: string) {
    this.assertOpen();
    const app = this.applications.get(id);
    return app && app.templateName === templateName ? clone(app) : undefined;
  }

  async listApplications(filter: { templateName: string; statuses?: readonly ApplicationStatus[] }) {
    this.assertOpen();
    const statuses = filter.statuses?.length ? new Set(filter.statuses) : undefined;
    return [...this.applications.values()]
      .filter((a) => a.templateName === filter.templateName && (!statuses || statuses.has(a.status)))
      .map(clone);
  }

  async saveApplication(application: ApplicationRecord) {
    this.assertOpen();
    this.applications.set(application.id, clone(application));
  }

  async ping() {
    this.assertOpen();
  }

  async close() {
    this.closed = true;
  }

  private assertOpen() {
    if (this.closed) throw new StoreError('The store is closed', { unavailable: true });
  }
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function copy<T>(value: T | undefined): T | undefined {
  return value === undefined ? undefined : clone(value);
}

function byName<T extends { name: string }>(records: T[]): T[] {
  return records.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

let current: Store | undefined;
let makeDefault: () => Store = () => new MemoryStore(exampleContents());

/**
 * The store the handlers use. Until setStore is called, the default store, made on first use: the
 * one setDefaultStore names (handlers/_app/config.ts names the database: see create-store.ts), else
 * an in-memory store holding the document's examples.
 */
export function getStore(): Store {
  if (!current) current = makeDefault();
  return current;
}

export function setStore(store: Store): void {
  current = store;
}

/** What getStore() makes when nothing was set. Making it must do no I/O: a store connects on first use. */
export function setDefaultStore(factory: () => Store): void {
  makeDefault = factory;
}

/** Closes the current store, if one was made (shutdown); a closed store answers StoreError unavailable. */
export async function closeStore(): Promise<void> {
  await current?.close();
}
