// A fresh, migrated database for one test file: in-memory PGlite, or, when DATABASE_URL is set,
// a new PostgreSQL database created beside the one it names and dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database, type DatabaseOptions } from '../database.ts';

export interface TestDatabase extends Database {
  /** The URL of the fresh PostgreSQL database, for tests that start more processes on it. */
  url: string | undefined;
}

export async function openTestDatabase(options: Omit<DatabaseOptions, 'url' | 'dataDir'> & { migrate?: boolean } = {}): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  const url = serverUrl ? await createScratchDatabase(serverUrl) : undefined;
  const database = await openDatabase({ ...options, url, dataDir: 'memory://' });
  if (options.migrate !== false) await database.migrate();
  return {
    ...database,
    url,
    async close() {
      await database.close();
      if (serverUrl && url) await dropScratchDatabase(serverUrl, new URL(url).pathname.slice(1));
    },
  };
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

async function createScratchDatabase(serverUrl: string): Promise<string> {
  const name = `licenses_test_${randomBytes(6).toString('hex')}`;
  await withAdminClient(serverUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropScratchDatabase(serverUrl: string, name: string): Promise<void> {
  await withAdminClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}
