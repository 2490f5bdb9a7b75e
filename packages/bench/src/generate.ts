// Generates the benchmark's data set (see data-set.ts) with a progress bar:
//   pnpm --filter @school-licenses/bench run generate --db postgres|pglite [--scale 1] [--licenses 1]
// PostgreSQL: the database licenses_bench on DATABASE_URL's server (default the local one).
import { parseArgs } from 'node:util';
import { scaled } from './data-set.ts';
import { DEFAULT_SERVER_URL, prepareDatabase, type Backend } from './database.ts';

const { values } = parseArgs({
  options: { db: { type: 'string', default: 'postgres' }, scale: { type: 'string', default: '1' }, licenses: { type: 'string', default: '1' } },
});
const backend = values.db as Backend;
if (backend !== 'postgres' && backend !== 'pglite') throw new Error('--db postgres or --db pglite');
const scale = scaled(Number(values.scale), Number(values.licenses));
const { rows, seconds } = await prepareDatabase(backend, scale, process.env.DATABASE_URL ?? DEFAULT_SERVER_URL);
console.log(`${backend}: ${rows.toLocaleString('en')} rows (${scale.schools} schools) in ${seconds.toFixed(1)}s`);
