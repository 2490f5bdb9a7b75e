// Runs a command: expected failures (bad arguments, an unreachable database, a refused input)
// end in one line on stderr and exit code 1, not a stack trace. A command is a function of its
// arguments, environment and output streams, so tests run it in process; as a script it is
// given the process's own (runAsProcess).
import { resolve } from 'node:path';
import { format, inspect, type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { DatabaseConfigError, MigrationError, openDatabase, type Database } from '@school-licenses/db';
import { LicenseError } from '../domain/errors.ts';

/** Bad arguments: the message says what to pass instead. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** --help or -h: runCommand prints the usage on stdout, and the exit code is 0. */
class HelpRequested extends Error {
  override name = 'HelpRequested';
}

/**
 * The command's options (node:util parseArgs, strict), with --help and -h for every command. An
 * unknown or malformed option is a UsageError that names it, then the usage.
 */
export function readOptions<const O extends ParseArgsOptionsConfig>(args: string[], options: O, usage: string, { positionals = false } = {}) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: positionals });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; ${usage}`);
  }
  // Before any other check: `roster --help` has no `import`, and help needs no required option.
  if ((parsed.values as { help?: boolean }).help) throw new HelpRequested(usage);
  return parsed;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/**
 * The entities commands name, by their GraphQL type: what a refusal calls one, and whether the API
 * shows its ID (suppliers are not in the schema: one is named by its UUID).
 */
const ENTITIES = {
  Organisation: { name: "an organisation's", global: true },
  ApiKey: { name: "an API key's", global: true },
  Supplier: { name: "a supplier's", global: false },
};

/**
 * The UUID of the entity an option names, given as the API shows its ID (GraphiQL, the SDK: a Relay
 * global ID, base64 of `Type:<uuid>`, as encodeGlobalID makes it) or as the UUID itself. Anything
 * else, or another type's ID, is refused here with what the option takes, rather than reaching the
 * database as an ID that names nothing. Decoded here, not by Pothos' decodeGlobalID: importing the
 * relay plugin (and with it Pothos and graphql) adds about a quarter second to every command.
 */
export function entityId(option: string, value: string, type: keyof typeof ENTITIES): string {
  if (UUID.test(value)) return value;
  const { name, global } = ENTITIES[type];
  if (!global) throw new UsageError(`--${option} takes ${name} UUID; ${value} is not one`);
  let decoded = '';
  try {
    decoded = atob(value);
  } catch {
    // Not base64: neither form.
  }
  const [, typename, id = ''] = /^([A-Za-z_]\w*):(.*)$/s.exec(decoded) ?? [];
  if (typename === type && UUID.test(id)) return id;
  const given = typename && UUID.test(id) ? `an ID of type ${typename}` : 'neither';
  throw new UsageError(`--${option} takes ${name} ID (as the API gives it, or its UUID); ${value} is ${given}`);
}

/**
 * A path given on the command line, from the directory the command was run in. pnpm and npm run a
 * package's script in the package's directory (packages/api, for `--filter`) and pass the
 * directory they were run in as INIT_CWD; run directly (`node src/cli/…`), it is the process's.
 */
export function pathArgument(path: string, env: NodeJS.ProcessEnv): string {
  return resolve(env.INIT_CWD || process.cwd(), path);
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
    if (error instanceof HelpRequested) {
      stdout.write(`${error.message}\n`);
      return 0;
    }
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
