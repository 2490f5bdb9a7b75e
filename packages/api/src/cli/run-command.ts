// Runs a command: expected failures (bad arguments, an unreachable database, a refused input)
// end in one line on stderr and exit code 1, not a stack trace. A command is a function of its
// arguments, environment and output streams, so tests run it in process; as a script it is
// given the process's own (runAsProcess).
import { format, inspect } from 'node:util';
import { DatabaseConfigError, MigrationError, openDatabase, type Database } from '@school-licenses/db';
import { LicenseError } from '../domain/errors.ts';

/** Bad arguments: the message says what to pass instead. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Where a command writes: the process's streams, or buffers in a test. */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean | undefined;
}

export interface CommandContext {
  args: string[];
  env: NodeJS.ProcessEnv;
  stdout: OutputStream;
  stderr: OutputStream;
  /** console.log / console.error onto stdout / stderr. */
  console: Pick<Console, 'log' | 'error'>;
  /** The database to work on, migrated; the command closes it when done. */
  openDatabase(): Promise<Database>;
}

/** May answer an exit code of its own (a check that found something); 0 otherwise. */
export type Command = (context: CommandContext) => Promise<unknown>;

/**
 * The command's exit code: 1 with one line on stderr for an expected failure. Its database is the
 * environment's (openConfiguredDatabase) unless `openDatabase` gives one (a test's, already open).
 */
export async function runCommand(
  command: Command,
  {
    args,
    env,
    stdout,
    stderr,
    openDatabase = () => openConfiguredDatabase(env),
  }: Pick<CommandContext, 'args' | 'env' | 'stdout' | 'stderr'> & { openDatabase?: CommandContext['openDatabase'] },
): Promise<number> {
  const console = {
    log: (...data: unknown[]) => void stdout.write(`${format(...data)}\n`),
    error: (...data: unknown[]) => void stderr.write(`${format(...data)}\n`),
  };
  try {
    const code = await command({ args, env, stdout, stderr, console, openDatabase });
    return typeof code === 'number' ? code : 0;
  } catch (error) {
    const expected = error instanceof UsageError || error instanceof DatabaseConfigError || error instanceof MigrationError || error instanceof LicenseError;
    stderr.write(`${expected ? `error: ${(error as Error).message}` : inspect(error)}\n`);
    return 1;
  }
}

/** The command as a script: the process's arguments, environment and streams, then exit. */
export async function runAsProcess(command: Command): Promise<void> {
  process.exit(await runCommand(command, { args: process.argv.slice(2), env: process.env, stdout: process.stdout, stderr: process.stderr }));
}

/** The database of DATABASE_URL or PGLITE_DATA_DIR (as the server opens it), migrated. */
export async function openConfiguredDatabase(env: NodeJS.ProcessEnv): Promise<Database> {
  const database = await openDatabase({ url: env.DATABASE_URL || undefined, dataDir: env.PGLITE_DATA_DIR || undefined });
  try {
    await database.migrate();
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}
