// The bundled API's schema, as numbered SQL migrations in one dialect for both databases (PostgreSQL
// through `pg`, and PGlite, which is PostgreSQL). They live in code rather than .sql files so that
// the compiled handlers (dist/, the container image) carry them. Rules:
//   - never edit or renumber a migration that has shipped: add the next number;
//   - each runs once per database, inside the transaction that records it in specbind_migrations
//     (PostgreSQL DDL is transactional, so a failing migration leaves nothing behind).
// sql-store.ts runs them at startup (migrate()).

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'builds, templates, applications',
    // Column per record field (handlers/_app/store.ts), snake_case. Optional fields are NULL when
    // absent. Times are timestamptz (ISO strings in the records, millisecond precision both ways).
    // Template lists (command, limits, services) are `json`, which keeps the text as written, so a
    // record comes back exactly as it went in. The CHECKs mirror the TypeScript unions, so a record
    // the code could not have made is a query error, not a row.
    sql: `
      CREATE TABLE builds (
        name          text PRIMARY KEY,
        display_name  text NOT NULL,
        repository    text NOT NULL,
        start_time    timestamptz NOT NULL,
        phase         text NOT NULL CHECK (phase IN ('fetching', 'building', 'registering', 'finished')),
        status        text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
        error         text
      );

      CREATE TABLE templates (
        name               text PRIMARY KEY,
        image_name         text NOT NULL,
        image_source       text NOT NULL,
        port               integer NOT NULL,
        command            json,
        limits             json,
        services           json,
        image_pull_secret  text,
        time_created       timestamptz NOT NULL,
        time_modified      timestamptz NOT NULL
      );

      -- seq keeps creation order (listApplications' order); an update keeps the row's seq.
      CREATE TABLE applications (
        id             text PRIMARY KEY,
        seq            bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        template_name  text NOT NULL,
        location       text NOT NULL,
        status         text NOT NULL CHECK (status IN ('pending', 'deploying', 'deployed')),
        cull_timeout   integer NOT NULL,
        deploy_time    timestamptz
      );
      CREATE INDEX applications_by_template ON applications (template_name, seq);
    `,
  },
];
