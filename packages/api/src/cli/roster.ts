// `pnpm roster import --format oneroster-csv|ss12000 --organisation <id> [--dry-run] [--delta] <path>`
// Imports a roster (a directory of OneRoster CSV files or SS 12000 JSON files, or one file) into
// an organisation: prints the diff, or applies it with a progress bar on a terminal. Importing the
// same files again after an interruption continues the interrupted run. Exit code 1 when the
// files are refused; nothing is written then.
import { setFlagsFromString } from 'node:v8';
import { systemClock } from '../clock.ts';
import { systemActor } from '../domain/actor.ts';
import { where } from '../roster/check.ts';
import type { DiffSummary } from '../roster/diff.ts';
import { DEFAULT_MAX_FILE_BYTES, filesAt } from '../roster/files.ts';
import { DEFAULT_BATCH_SIZE, importRoster, type RosterImportReport } from '../roster/import.ts';
import type { RosterFormat } from '../roster/snapshot.ts';
import { type Command, type CommandContext, entityId, type OutputStream, pathArgument, readOptions, runAsProcess, UsageError } from './run-command.ts';

const FORMATS: RosterFormat[] = ['oneroster-csv', 'ss12000'];
const USAGE =
  'usage: pnpm roster import --format oneroster-csv|ss12000 --organisation <id> [--dry-run] [--delta (ss12000)] [--max-file-mb 50] [--batch-size 500] <directory or file>';
/** How many of a refused import's errors are printed. */
const SHOWN_ERRORS = 50;

function readArguments(args: string[], env: NodeJS.ProcessEnv) {
  const { values, positionals } = readOptions(
    args,
    {
      format: { type: 'string' },
      organisation: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      delta: { type: 'boolean', default: false },
      'max-file-mb': { type: 'string' },
      'batch-size': { type: 'string' },
    },
    USAGE,
    { positionals: true },
  );
  if (positionals[0] !== 'import' || positionals.length !== 2) throw new UsageError(USAGE);
  const format = values.format as RosterFormat;
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}; ${USAGE}`);
  if (!values.organisation) throw new UsageError(`--organisation is required; ${USAGE}`);
  if (values.delta && format !== 'ss12000')
    throw new UsageError(`--delta is for ss12000: OneRoster's manifest.csv says whether its files are a delta; ${USAGE}`);
  const number = (name: string, raw: string | undefined, fallback: number) => {
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new UsageError(`--${name} must be a positive number; ${USAGE}`);
    return value;
  };
  return {
    format,
    organisationId: entityId('organisation', values.organisation, 'Organisation'),
    dryRun: values['dry-run'],
    ss12000Mode: values.delta ? ('DELTA' as const) : undefined,
    path: pathArgument(positionals[1]!, env),
    maxFileBytes: Math.round(number('max-file-mb', values['max-file-mb'], DEFAULT_MAX_FILE_BYTES / 1024 / 1024) * 1024 * 1024),
    batchSize: Math.round(number('batch-size', values['batch-size'], DEFAULT_BATCH_SIZE)),
  };
}

/** One line that redraws itself on a terminal; elsewhere (a log) a line per tenth. */
function progressBar(stderr: OutputStream, total: number) {
  const tty = stderr.isTTY;
  let lastTenth = -1;
  return {
    update(applied: number) {
      const share = total ? applied / total : 1;
      if (tty) {
        const width = 30;
        const filled = Math.round(share * width);
        stderr.write(`\r  [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${applied}/${total} changes`);
      } else if (Math.floor(share * 10) > lastTenth) {
        lastTenth = Math.floor(share * 10);
        stderr.write(`  ${applied}/${total} changes applied\n`);
      }
    },
    done() {
      if (tty) stderr.write('\n');
    },
  };
}

function summaryTable(summary: DiffSummary): string {
  const names: Record<keyof DiffSummary, string> = {
    school: 'schools',
    user: 'users',
    schoolMembership: 'school memberships',
    group: 'groups',
    groupMembership: 'group memberships',
  };
  return (Object.keys(names) as (keyof DiffSummary)[])
    .map((entity) => {
      const { created, updated, ended } = summary[entity];
      return `  ${names[entity].padEnd(19)} ${String(created).padStart(7)} created ${String(updated).padStart(7)} updated ${String(ended).padStart(7)} ended`;
    })
    .join('\n');
}

function printReport(console: CommandContext['console'], report: RosterImportReport): void {
  if (report.refused) {
    for (const error of report.errors.slice(0, SHOWN_ERRORS)) {
      console.error(`  ${where(error)}${error.field ? ` [${error.field}]` : ''} ${error.code}: ${error.message}`);
    }
    if (report.errors.length > SHOWN_ERRORS) console.error(`  … and ${report.errors.length - SHOWN_ERRORS} more`);
    return;
  }
  const verb = report.dryRun ? 'would change (dry run, nothing written)' : report.resumed ? 'changed (continuing an interrupted run)' : 'changed';
  console.log(`${report.mode === 'DELTA' ? 'delta' : 'full snapshot'}: ${verb}`);
  console.log(summaryTable(report.summary));
  console.log(`  licenses ${report.dryRun ? 'to be ' : ''}revoked from leavers: ${report.revokedLicenses}`);
  console.log(`  licenses ${report.dryRun ? 'to be ' : ''}given by standing rules: ${report.licensesGivenByRules}`);
  console.log(`  members ${report.dryRun ? 'to be ' : ''}left waiting: ${report.membersQueued}`);
  if (report.importId) console.log(`import ${report.importId} completed.`);
}

export const roster: Command = async ({ args, env, stderr, console, openDatabase }) => {
  const input = readArguments(args, env);
  const files = await filesAt(input.path).catch((error: Error) => {
    throw new UsageError(`cannot read ${input.path}: ${error.message}`);
  });
  const database = await openDatabase();
  try {
    console.log(`${input.dryRun ? 'dry run of' : 'importing'} ${files.length} file(s) from ${input.path} as ${input.format} into ${database.description}`);
    let bar: ReturnType<typeof progressBar> | undefined;
    const started = performance.now();
    const report = await importRoster(
      database.prisma,
      systemClock,
      systemActor,
      { organisationId: input.organisationId, format: input.format, files, dryRun: input.dryRun, ss12000Mode: input.ss12000Mode },
      {
        maxFileBytes: input.maxFileBytes,
        batchSize: input.batchSize,
        onProgress: ({ applied, total }) => {
          bar ??= progressBar(stderr, total);
          bar.update(applied);
        },
      },
    );
    bar?.done();
    printReport(console, report);
    console.log(`took ${((performance.now() - started) / 1000).toFixed(1)} s`);
    if (report.refused) throw new UsageError(`the files were refused (${report.errors.length} error(s) above); nothing was written`);
  } finally {
    await database.close();
  }
};

/**
 * How far V8 lets the heap grow past what is alive before it collects again, in percent. By
 * default it grows to up to four times what is alive when collecting is cheap beside the work, as an
 * import's is: what the import holds (about 100 MB at a municipality's size) became 500 MB of heap,
 * and the RSS grew with the files (BENCHMARKS.md, fourteenth session). A quarter more keeps the
 * heap near what is alive: 2–3% more time for a first import, about 40% for a rollover.
 */
export const IMPORT_HEAP_GROWING_PERCENT = 25;

/**
 * The command's process keeps its heap near what is alive (IMPORT_HEAP_GROWING_PERCENT). Process-
 * wide, so only for a process of its own: never the API server, whose requests make short garbage.
 */
export function keepHeapNearLive(): void {
  setFlagsFromString(`--heap-growing-percent=${IMPORT_HEAP_GROWING_PERCENT}`);
}

if (import.meta.main) {
  keepHeapNearLive();
  await runAsProcess(roster);
}
