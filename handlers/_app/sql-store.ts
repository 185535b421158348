// The Store on a SQL database (PostgreSQL or PGlite: databases.ts), one dialect for both. Records keep
// exactly MemoryStore's shapes and orders; the lifecycle stays in lifecycle.ts and the handlers.
//
// Connection lifecycle: the store connects, migrates (and seeds a new database) on first use, or when
// start() is called. If that fails, every call answers StoreError({ unavailable }) (503 noDatabase)
// and the next call tries again, so a server started before its database recovers by itself. A
// query that fails because the database went away is also `unavailable`; any other failing query is
// a plain StoreError (500 badQuery / badDatabase).
//
// Writes are single statements in autocommit, or transactions, committed before the call resolves,
// so before any response that reports them.
import { checkSchemaName, type Database, isUnavailableError, type Sql } from './databases';
import { MIGRATIONS, type Migration } from './migrations';
import {
  StoreError,
  type ApplicationRecord,
  type ApplicationStatus,
  type BuildPhase,
  type BuildRecord,
  type Store,
  type StoreContents,
  type TemplatePage,
  type TemplateRecord,
} from './store';

export interface SqlStoreOptions {
  /** Records written into a database the first migration has just created (the document's examples). */
  seed?: StoreContents;
  /** Migrations to run (default: all of migrations.ts; tests pass their own). */
  migrations?: readonly Migration[];
  /** Told when the database is ready, and when opening it failed. */
  onOpen?: (event: { database: string; applied: number[]; error?: undefined } | { database?: string; applied?: undefined; error: StoreError }) => void;
}

export class SqlStore implements Store {
  private db: Database | undefined;
  private opening: Promise<Database> | undefined;
  private closed = false;

  constructor(
    private readonly connect: () => Promise<Database>,
    private readonly options: SqlStoreOptions = {},
  ) {}

  /** Connects and migrates now rather than on the first call; rejects with the StoreError calls would get. */
  async start(): Promise<void> {
    await this.database();
  }

  async getBuild(name: string) {
    return this.run(async (sql) => {
      const [row] = await sql.query<BuildRow>(`SELECT * FROM builds WHERE name = $1`, [name]);
      return row && buildRecord(row);
    });
  }

  async listBuilds(filter: { phases?: readonly BuildPhase[] } = {}) {
    const phases = filter.phases?.length ? [...filter.phases] : null;
    return this.run(async (sql) => {
      // COLLATE "C": code-point order, as MemoryStore sorts, whatever the database's locale.
      const rows = await sql.query<BuildRow>(`SELECT * FROM builds WHERE $1::text[] IS NULL OR phase = ANY($1::text[]) ORDER BY name COLLATE "C"`, [phases]);
      return rows.map(buildRecord);
    });
  }

  async saveBuild(build: BuildRecord) {
    await this.run((sql) => sql.query(`${INSERT_BUILD} ON CONFLICT (name) DO UPDATE SET ${UPDATE_BUILD}`, buildParams(build)));
  }

  /**
   * One statement: insert, or replace the existing row only if it is not running (or `force`). When
   * two run at once, PostgreSQL makes the second wait on the first's row and then re-evaluates the
   * WHERE against the committed row, so the loser updates nothing and returns no row, in any number
   * of processes.
   */
  async startBuild(build: BuildRecord, options: { force?: boolean } = {}) {
    return this.run(async (sql) => {
      const rows = await sql.query(
        `${INSERT_BUILD} ON CONFLICT (name) DO UPDATE SET ${UPDATE_BUILD} WHERE builds.status <> 'running' OR $8::boolean RETURNING name`,
        [...buildParams(build), options.force === true],
      );
      return rows.length === 1;
    });
  }

  /** One statement: the row changes only while it still holds `current`'s run, phase and status. */
  async advanceBuild(current: BuildRecord, next: BuildRecord) {
    return this.run(async (sql) => {
      const rows = await sql.query(
        `UPDATE builds SET display_name = $2, repository = $3, start_time = $4, phase = $5, status = $6, error = $7
         WHERE name = $1 AND start_time = $8 AND phase = $9 AND status = $10 RETURNING name`,
        [...buildParams({ ...next, name: current.name }), current.startTime, current.phase, current.status],
      );
      return rows.length === 1;
    });
  }

  async getTemplate(name: string) {
    return this.run(async (sql) => {
      const [row] = await sql.query<TemplateRow>(`SELECT ${TEMPLATE_COLUMNS} FROM templates WHERE name = $1`, [name]);
      return row && templateRecord(row);
    });
  }

  async listTemplates(page: TemplatePage = {}) {
    // LIMIT NULL is no limit. `after` compares in the order the list is sorted in (COLLATE "C").
    return this.run(async (sql) =>
      (
        await sql.query<TemplateRow>(
          `SELECT ${TEMPLATE_COLUMNS} FROM templates WHERE $1::text IS NULL OR name COLLATE "C" > $1::text ORDER BY name COLLATE "C" LIMIT $2::integer`,
          [page.after ?? null, page.limit ?? null],
        )
      ).map(templateRecord),
    );
  }

  async saveTemplate(template: TemplateRecord) {
    await this.run((sql) => saveTemplate(sql, template));
  }

  async getApplication(templateName: string, id: string) {
    return this.run(async (sql) => {
      const [row] = await sql.query<ApplicationRow>(`SELECT * FROM applications WHERE id = $1 AND template_name = $2`, [id, templateName]);
      return row && applicationRecord(row);
    });
  }

  async listApplications(filter: { templateName: string; statuses?: readonly ApplicationStatus[] }) {
    const statuses = filter.statuses?.length ? [...filter.statuses] : null;
    return this.run(async (sql) => {
      const rows = await sql.query<ApplicationRow>(
        `SELECT * FROM applications WHERE template_name = $1 AND ($2::text[] IS NULL OR status = ANY($2::text[])) ORDER BY seq`,
        [filter.templateName, statuses],
      );
      return rows.map(applicationRecord);
    });
  }

  async saveApplication(application: ApplicationRecord) {
    await this.run((sql) => saveApplication(sql, application));
  }

  async ping() {
    await this.run((sql) => sql.query('SELECT 1'));
  }

  async close() {
    this.closed = true;
    const db = this.db ?? (await this.opening?.catch(() => undefined));
    this.db = undefined;
    await db?.close();
  }

  /** What the store runs on, once it has connected (for logs). */
  get description(): string | undefined {
    return this.db?.description;
  }

  // ---- connecting and failing ----

  private async database(): Promise<Database> {
    if (this.closed) throw new StoreError('The store is closed', { unavailable: true });
    if (this.db?.alive) return this.db;
    // A handle that died (a closed PGlite) is let go, and a new one opened.
    void this.db?.close().catch(() => {});
    this.db = undefined;
    // One attempt at a time: concurrent first calls share it.
    this.opening ??= this.open().finally(() => (this.opening = undefined));
    return this.opening;
  }

  private async open(): Promise<Database> {
    let db: Database | undefined;
    try {
      db = await this.connect();
      const applied = await migrate(db, { migrations: this.options.migrations, seed: this.options.seed });
      if (this.closed) throw new StoreError('The store is closed', { unavailable: true });
      this.db = db;
      this.options.onOpen?.({ database: db.description, applied });
      return db;
    } catch (cause) {
      await db?.close().catch(() => {});
      const error = cause instanceof StoreError ? cause : new StoreError(`The database is not available: ${messageOf(cause)}`, { unavailable: true, cause });
      this.options.onOpen?.({ database: db?.description, error });
      throw error;
    }
  }

  private async run<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    const db = await this.database();
    try {
      return await work(db);
    } catch (cause) {
      if (cause instanceof StoreError) throw cause;
      if (!db.alive || isUnavailableError(cause)) {
        throw new StoreError(`The database is not available: ${messageOf(cause)}`, { unavailable: true, cause });
      }
      throw new StoreError(`Query failed: ${messageOf(cause)}`, { cause });
    }
  }
}

function messageOf(error: unknown): string {
  const message = typeof (error as { message?: unknown })?.message === 'string' ? (error as { message: string }).message : String(error);
  if (message) return message;
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'unknown error';
}

// ---- migrations ----

const MIGRATIONS_TABLE = 'specbind_migrations';
/** pg_advisory_xact_lock key: one migrator at a time per database, across processes and replicas. */
const MIGRATION_LOCK = 0x5b1d_0001;

/**
 * Applies the migrations this database has not had, in order, in one transaction that holds an
 * advisory lock: replicas starting together wait for each other and the later ones find nothing to
 * do. Idempotent. When the first migration is applied here (a new database) the seed goes in too.
 * Returns the versions applied now.
 */
export async function migrate(db: Database, options: { migrations?: readonly Migration[]; seed?: StoreContents } = {}): Promise<number[]> {
  const migrations = [...(options.migrations ?? MIGRATIONS)].sort((a, b) => a.version - b.version);
  return db.transaction(async (sql) => {
    await sql.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    if (db.schema) await sql.exec(`CREATE SCHEMA IF NOT EXISTS ${checkSchemaName(db.schema)}`);
    await sql.exec(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set((await sql.query<{ version: number }>(`SELECT version FROM ${MIGRATIONS_TABLE}`)).map((r) => r.version));
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await sql.exec(migration.sql);
      await sql.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
      applied.push(migration.version);
    }
    if (options.seed && applied.includes(1)) await seed(sql, options.seed);
    return applied;
  });
}

async function seed(sql: Sql, contents: StoreContents): Promise<void> {
  for (const build of contents.builds ?? []) await sql.query(`${INSERT_BUILD} ON CONFLICT (name) DO NOTHING`, buildParams(build));
  for (const template of contents.templates ?? []) await saveTemplate(sql, template);
  for (const application of contents.applications ?? []) await saveApplication(sql, application);
}

// ---- records ⇄ rows ----

const INSERT_BUILD = `INSERT INTO builds (name, display_name, repository, start_time, phase, status, error) VALUES ($1, $2, $3, $4, $5, $6, $7)`;
const UPDATE_BUILD = `display_name = EXCLUDED.display_name, repository = EXCLUDED.repository, start_time = EXCLUDED.start_time, phase = EXCLUDED.phase, status = EXCLUDED.status, error = EXCLUDED.error`;

interface BuildRow {
  name: string;
  display_name: string;
  repository: string;
  start_time: Date | string;
  phase: BuildPhase;
  status: BuildRecord['status'];
  error: string | null;
}

function buildParams(b: BuildRecord): unknown[] {
  return [b.name, b.displayName, b.repository, b.startTime, b.phase, b.status, b.error ?? null];
}

function buildRecord(row: BuildRow): BuildRecord {
  const build: BuildRecord = {
    name: row.name,
    displayName: row.display_name,
    repository: row.repository,
    startTime: iso(row.start_time),
    phase: row.phase,
    status: row.status,
  };
  if (row.error !== null) build.error = row.error;
  return build;
}

// The json columns as text, parsed here: the same on every driver, whatever its type parsers.
const TEMPLATE_COLUMNS = `name, image_name, image_source, port, command::text AS command, limits::text AS limits, services::text AS services, image_pull_secret, time_created, time_modified`;

interface TemplateRow {
  name: string;
  image_name: string;
  image_source: string;
  port: number;
  command: string | null;
  limits: string | null;
  services: string | null;
  image_pull_secret: string | null;
  time_created: Date | string;
  time_modified: Date | string;
}

function saveTemplate(sql: Sql, t: TemplateRecord) {
  return sql.query(
    `INSERT INTO templates (name, image_name, image_source, port, command, limits, services, image_pull_secret, time_created, time_modified)
     VALUES ($1, $2, $3, $4, $5::json, $6::json, $7::json, $8, $9, $10)
     ON CONFLICT (name) DO UPDATE SET image_name = EXCLUDED.image_name, image_source = EXCLUDED.image_source, port = EXCLUDED.port,
       command = EXCLUDED.command, limits = EXCLUDED.limits, services = EXCLUDED.services, image_pull_secret = EXCLUDED.image_pull_secret,
       time_created = EXCLUDED.time_created, time_modified = EXCLUDED.time_modified`,
    [t.name, t.imageName, t.imageSource, t.port, json(t.command), json(t.limits), json(t.services), t.imagePullSecret ?? null, t.timeCreated, t.timeModified],
  );
}

function templateRecord(row: TemplateRow): TemplateRecord {
  const template: TemplateRecord = {
    name: row.name,
    imageName: row.image_name,
    imageSource: row.image_source,
    port: row.port,
    timeCreated: iso(row.time_created),
    timeModified: iso(row.time_modified),
  };
  if (row.command !== null) template.command = JSON.parse(row.command);
  if (row.limits !== null) template.limits = JSON.parse(row.limits);
  if (row.services !== null) template.services = JSON.parse(row.services);
  if (row.image_pull_secret !== null) template.imagePullSecret = row.image_pull_secret;
  return template;
}

interface ApplicationRow {
  id: string;
  template_name: string;
  location: string;
  status: ApplicationStatus;
  cull_timeout: number;
  deploy_time: Date | string | null;
}

function saveApplication(sql: Sql, a: ApplicationRecord) {
  return sql.query(
    `INSERT INTO applications (id, template_name, location, status, cull_timeout, deploy_time) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET template_name = EXCLUDED.template_name, location = EXCLUDED.location, status = EXCLUDED.status,
       cull_timeout = EXCLUDED.cull_timeout, deploy_time = EXCLUDED.deploy_time`,
    [a.id, a.templateName, a.location, a.status, a.cullTimeout, a.deployTime],
  );
}

function applicationRecord(row: ApplicationRow): ApplicationRecord {
  return {
    id: row.id,
    templateName: row.template_name,
    location: row.location,
    status: row.status,
    cullTimeout: row.cull_timeout,
    deployTime: row.deploy_time === null ? null : iso(row.deploy_time),
  };
}

/** JSON text for a json column (drivers would turn a JS array into a PostgreSQL array). */
function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** timestamptz → the records' ISO form (what `new Date().toISOString()` makes). Not instanceof: the Date may come from another realm. */
function iso(value: Date | string): string {
  return new Date(typeof value === 'string' ? value : value.getTime()).toISOString();
}
