// A fresh database for one test file: in-memory PGlite, or, when DATABASE_URL is set, a new
// PostgreSQL database created beside the one it names and dropped afterwards.
//
// Booting PGlite (its initdb), migrating and seeding cost more than most test files' tests, so a
// test run builds each starting point once (prepareTestTemplates, a vitest globalSetup) and every
// test file gets a copy: PGlite loads a dump of the template's data directory, PostgreSQL creates
// the database with `CREATE DATABASE … TEMPLATE`. Without prepared templates (a script outside
// vitest), each database is built from scratch the same way, so the data is the same either way.
import { randomBytes } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Database, type DatabaseOptions } from '../database.ts';

export interface TestDatabase extends Database {
  /** The URL of the fresh PostgreSQL database, for tests that start more processes on it. */
  url: string | undefined;
}

export type TestDatabaseOptions = Omit<DatabaseOptions, 'url' | 'dataDir' | 'loadDataDir'> & {
  /**
   * PGlite: the copy in this (empty) directory instead of in memory, for a test whose commands or
   * servers open it from another process. Loading the template there skips PGlite's initdb.
   */
  pgliteDataDir?: string;
};

/** A starting point for tests: a migrated database with data written by `build`. */
export interface TestTemplate<Data> {
  /** Unique in a test run. */
  name: string;
  /** Writes the data into a fresh migrated database; returns what tests need to use it (as JSON). */
  build(db: Database): Promise<Data>;
}

/** Where prepareTestTemplates left the templates: a directory of `<name>.json` (and PGlite dumps). */
const TEMPLATES_ENV = 'TEST_DATABASE_TEMPLATES';

interface TemplateRecord {
  kind: Database['kind'];
  /** PGlite: the file holding the dump of the template's data directory. */
  dump?: string;
  /** PostgreSQL: the template database (none: an empty database). */
  database?: string;
  data: unknown;
}

/** A fresh database, migrated unless `migrate: false`. */
export async function openTestDatabase(options: TestDatabaseOptions & { migrate?: boolean } = {}): Promise<TestDatabase> {
  const { migrate = true, ...databaseOptions } = options;
  const { db } = await openCopy(migrate ? 'migrated' : 'blank', databaseOptions, async (database) => {
    if (migrate) await database.migrate();
    return null;
  });
  return db;
}

/** A fresh database holding the template's data, and what its `build` returned. */
export async function openTestDatabaseFrom<Data>(template: TestTemplate<Data>, options: TestDatabaseOptions = {}): Promise<{ db: TestDatabase; data: Data }> {
  const { db, data } = await openCopy(template.name, options, async (database) => {
    await database.migrate();
    return template.build(database);
  });
  return { db, data: data as Data };
}

async function openCopy(name: string, options: TestDatabaseOptions, build: (db: Database) => Promise<unknown>): Promise<{ db: TestDatabase; data: unknown }> {
  const serverUrl = process.env.DATABASE_URL;
  const template = await readTemplate(name, serverUrl ? 'postgres' : 'pglite');
  const { database, url } = await openFresh(options, template);
  const db: TestDatabase = {
    ...database,
    url,
    async close() {
      await database.close();
      if (serverUrl && url) await dropScratchDatabase(serverUrl, databaseName(url));
    },
  };
  try {
    return { db, data: template ? template.data : await build(database) };
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
}

/** A new database (a copy of `template` when given); on PostgreSQL, also its URL. */
async function openFresh(
  { pgliteDataDir, ...options }: TestDatabaseOptions,
  template?: TemplateRecord,
  prefix?: string,
): Promise<{ database: Database; url: string | undefined }> {
  const serverUrl = process.env.DATABASE_URL;
  const url = serverUrl ? await createScratchDatabase(serverUrl, template?.database, prefix) : undefined;
  try {
    const loadDataDir = template?.dump ? await openAsBlob(template.dump) : undefined;
    return { database: await openDatabase({ ...options, url, dataDir: pgliteDataDir ?? 'memory://', loadDataDir }), url };
  } catch (error) {
    if (serverUrl && url) await dropScratchDatabase(serverUrl, databaseName(url)).catch(() => {});
    throw error;
  }
}

async function readTemplate(name: string, kind: Database['kind']): Promise<TemplateRecord | undefined> {
  const dir = process.env[TEMPLATES_ENV];
  if (!dir) return undefined;
  const record = JSON.parse(await readFile(join(dir, `${name}.json`), 'utf8').catch(() => 'null')) as TemplateRecord | null;
  return record?.kind === kind ? record : undefined;
}

/**
 * Builds the blank and migrated templates and `templates`, once per test run, on the database the
 * run uses (PGlite, or DATABASE_URL's server). A vitest globalSetup: returns the teardown, which
 * removes them.
 */
export async function prepareTestTemplates(templates: TestTemplate<unknown>[] = []): Promise<() => Promise<void>> {
  const serverUrl = process.env.DATABASE_URL;
  const kind = serverUrl ? 'postgres' : 'pglite';
  const dir = await mkdtemp(join(tmpdir(), 'licenses-test-templates-'));
  const databases: string[] = [];
  const teardown = async () => {
    delete process.env[TEMPLATES_ENV];
    for (const name of databases) await dropScratchDatabase(serverUrl!, name).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };
  // Keeps an open database as the template `name`: PGlite's data directory dumped to a file, a
  // PostgreSQL database closed and left as it is, to be copied.
  const keep = async (name: string, db: Database, data: unknown, url: string | undefined, { closing = true } = {}) => {
    const record: TemplateRecord = { kind, data };
    if (url) {
      record.database = databaseName(url);
    } else {
      record.dump = join(dir, `${name}.tar`);
      await writeFile(record.dump, new Uint8Array(await (await db.dumpDataDir!()).arrayBuffer()));
    }
    if (closing) await db.close();
    await writeFile(join(dir, `${name}.json`), JSON.stringify(record));
    return record;
  };
  try {
    // One PGlite boot for blank and migrated; PostgreSQL's blank database is CREATE DATABASE's own.
    const { database, url } = await openFresh({}, undefined, 'licenses_template');
    if (url) databases.push(databaseName(url));
    if (kind === 'pglite') await keep('blank', database, null, undefined, { closing: false });
    await database.migrate();
    const migrated = await keep('migrated', database, null, url);
    for (const template of templates) {
      const copy = await openFresh({}, migrated, 'licenses_template');
      if (copy.url) databases.push(databaseName(copy.url));
      await keep(template.name, copy.database, await template.build(copy.database), copy.url);
    }
    process.env[TEMPLATES_ENV] = dir;
    return teardown;
  } catch (error) {
    await teardown();
    throw error;
  }
}

async function withAdminClient<T>(serverUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

async function createScratchDatabase(serverUrl: string, template?: string, prefix = 'licenses_test'): Promise<string> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withAdminClient(serverUrl, (client) => client.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function databaseName(url: string): string {
  return new URL(url).pathname.slice(1);
}

async function dropScratchDatabase(serverUrl: string, name: string): Promise<void> {
  await withAdminClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}
