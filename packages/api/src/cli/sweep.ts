// `pnpm sweep`: writes down once what time has made true (licenses past their auto-start deadline
// start at that deadline; assignments of expired licenses end), with audit events, prunes the
// change feed's events older than EVENT_RETENTION_DAYS that every webhook endpoint received, then exits.
// Safe to run at any time and from several machines at once: it is idempotent.
import { systemClock } from '../clock.ts';
import { ConfigError, readEventRetentionDays } from '../config.ts';
import { runSweep } from '../domain/sweep.ts';
import { type Command, readOptions, runAsProcess, UsageError } from './run-command.ts';

const USAGE = 'usage: pnpm sweep (takes no arguments; set DATABASE_URL or PGLITE_DATA_DIR)';

export const sweep: Command = async ({ args, env, console, openDatabase }) => {
  readOptions(args, {}, USAGE);
  const database = await openDatabase();
  try {
    console.log(`sweeping ${database.description}`);
    let shown = 0;
    let eventRetentionDays: number;
    try {
      eventRetentionDays = readEventRetentionDays(env);
    } catch (error) {
      throw error instanceof ConfigError ? new UsageError(error.message) : error;
    }
    const report = await runSweep(
      database.prisma,
      systemClock,
      (progress) => {
        if (progress.autoStarted > shown) console.log(`  ${(shown = progress.autoStarted)} license(s) auto-started so far…`);
      },
      { eventRetentionDays },
    );
    console.log(
      `sweep done: ${report.autoStarted} license(s) auto-started, ${report.assignmentsExpired} assignment(s) of expired licenses ended, ` +
        `${report.eventsPruned} event(s) older than ${eventRetentionDays} days pruned`,
    );
  } finally {
    await database.close();
  }
};

if (import.meta.main) await runAsProcess(sweep);
