// `pnpm db:migrate`: applies pending migrations to DATABASE_URL, or to the embedded database.
import { openDatabase } from '../database.ts';
import { runCli } from './run-cli.ts';

await runCli(async () => {
  const database = await openDatabase({ url: process.env.DATABASE_URL, dataDir: process.env.PGLITE_DATA_DIR });
  try {
    console.log(`migrating ${database.description}`);
    const report = await database.migrate({ onProgress: (message) => console.log(message) });
    console.log(report.applied.length ? `applied ${report.applied.length} migration(s)` : `up to date (${report.alreadyApplied} migration(s) applied before)`);
  } finally {
    await database.close();
  }
});
