// Runs a command: expected failures (bad arguments, an unreachable database, a refused input)
// end in one line on stderr and exit code 1, not a stack trace.
import { DatabaseConfigError, MigrationError, openDatabase, type Database } from '@school-licenses/db';
import { LicenseError } from '../domain/errors.ts';

/** Bad arguments: the message says what to pass instead. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** `main` may answer an exit code of its own (a check that found something); 0 otherwise. */
export async function runCommand(main: () => Promise<unknown>): Promise<void> {
  try {
    const code = await main();
    process.exit(typeof code === 'number' ? code : 0);
  } catch (error) {
    if (error instanceof UsageError || error instanceof DatabaseConfigError || error instanceof MigrationError || error instanceof LicenseError) {
      console.error(`error: ${error.message}`);
    } else {
      console.error(error);
    }
    process.exit(1);
  }
}

/** The database of DATABASE_URL or PGLITE_DATA_DIR (as the server opens it), migrated. */
export async function openConfiguredDatabase(): Promise<Database> {
  const database = await openDatabase({ url: process.env.DATABASE_URL || undefined, dataDir: process.env.PGLITE_DATA_DIR || undefined });
  try {
    await database.migrate();
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}
