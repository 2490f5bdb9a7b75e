// `pnpm check-counters [--repair]`: recounts every school's licenses per product and group of days
// and compares them with the counters the database keeps (LicenseDayCount, kept by a trigger on
// "License"; the availability box and assignLicense read them). Exit code 0 when they agree, 2
// when some differ (each listed); with --repair the counters are rewritten from the licenses
// after the report. Read-only without --repair; safe to run at any time.
import { checkLicenseCounts, recountLicenses } from '../domain/license-counts.ts';
import { inTransaction } from '../domain/transaction.ts';
import { type Command, readOptions, runAsProcess } from './run-command.ts';

/** Exit code when counters differ from the licenses: not a crash (1), a finding. */
const MISMATCH_EXIT_CODE = 2;
const USAGE = 'usage: pnpm check-counters [--repair] (set DATABASE_URL or PGLITE_DATA_DIR)';

export const checkCounters: Command = async ({ args, console, openDatabase }) => {
  const { repair } = readOptions(args, { repair: { type: 'boolean', default: false } }, USAGE).values;
  const database = await openDatabase();
  try {
    console.log(`checking the license counters of ${database.description}`);
    const mismatches = await checkLicenseCounts(database.prisma);
    if (mismatches.length === 0) {
      console.log('counters agree with the licenses');
      return 0;
    }
    console.log(`${mismatches.length} counter(s) differ from the licenses:`);
    for (const m of mismatches) {
      console.log(
        `  school ${m.schoolId} product ${m.productId} end date ${m.endDate} auto-start ${m.autoStartOn}` +
          ` ${m.started ? 'started' : 'not started'}, ${m.assigned ? 'assigned' : 'unassigned'}: counter ${m.counted}, licenses ${m.actual}`,
      );
    }
    if (repair) {
      await inTransaction(database.prisma, (tx) => recountLicenses(tx));
      const left = await checkLicenseCounts(database.prisma);
      console.log(left.length === 0 ? 'repaired: counters rewritten from the licenses' : `still ${left.length} counter(s) differ after the repair`);
      if (left.length === 0) return 0;
    } else {
      console.log('run again with --repair to rewrite them from the licenses');
    }
    return MISMATCH_EXIT_CODE;
  } finally {
    await database.close();
  }
};

if (import.meta.main) await runAsProcess(checkCounters);
