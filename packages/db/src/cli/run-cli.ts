import { DatabaseConfigError } from '../database.ts';
import { MigrationError } from '../migrations/migrations.ts';

/** Runs a command; expected failures end in one clear line and exit code 1, not a stack trace. */
export async function runCli(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof DatabaseConfigError || error instanceof MigrationError) {
      console.error(`error: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}
