// `pnpm --filter @school-licenses/bench roster-import [--backend pglite|postgres|both] [--scale municipality|tenth|small] [--live-heap]`
// Imports a generated municipality-sized OneRoster set (roster-set.ts) into a fresh database, then
// imports it again (nothing to change), and reports for each run its time, the SQL statements per
// record of the snapshot, and the process's peak RSS. PGlite in a temporary directory; PostgreSQL
// in a database of its own (licenses_roster_bench or BENCH_DATABASE, dropped afterwards).
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { filesAt, importRoster, readRoster, systemActor, systemClock, type RosterImportReport } from '@school-licenses/api';
import { openDatabase } from '@school-licenses/db';
import pg from 'pg';
import { DEFAULT_SERVER_URL } from './database.ts';
import { MUNICIPALITY, writeRosterSet, type RosterScale } from './roster-set.ts';

const SCALES: Record<string, RosterScale> = {
  municipality: MUNICIPALITY,
  // A tenth of the municipality: its schools are the same size, for a machine shared with others.
  tenth: { ...MUNICIPALITY, schools: 6 },
  small: { schools: 4, studentsPerSchool: 100, teachersPerSchool: 10, classesPerSchool: 5, teachingGroupsPerSchool: 5 },
};
// BENCH_DATABASE names another (two runs on one server at once).
const DATABASE = process.env.BENCH_DATABASE || 'licenses_roster_bench';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'both' },
    scale: { type: 'string', default: 'municipality' },
    'live-heap': { type: 'boolean', default: false },
  },
  strict: true,
});
const scale = SCALES[values.scale!];
if (!scale) throw new Error(`--scale must be one of ${Object.keys(SCALES).join(', ')}`);
if (values.backend === 'both') {
  // One process per database, so that each peak RSS is its own (PGlite's WebAssembly heap is large).
  for (const backend of ['pglite', 'postgres']) {
    const args = ['--backend', backend, '--scale', values.scale!, ...(values['live-heap'] ? ['--live-heap'] : [])];
    execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], { stdio: 'inherit' });
  }
  process.exit(0);
}
const backends = [values.backend as 'pglite' | 'postgres'];

async function onServer(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: DEFAULT_SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A statement's verb and first table, to see which kind of statement an import spends its count on. */
function statementKind(sql: string): string {
  const verb = /^\s*(WITH|SELECT|INSERT|UPDATE|DELETE|BEGIN|COMMIT|ROLLBACK)/i.exec(sql)?.[1]?.toUpperCase() ?? sql.slice(0, 12);
  const table = /(?:FROM|INTO|UPDATE)\s+(?:"public"\.)?"(\w+)"/i.exec(sql)?.[1] ?? '';
  return table ? `${verb} ${table}` : verb;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** The snapshot's own size, in MB: the heap it holds once read (what a flat import may keep besides a constant). */
async function snapshotMb(dir: string): Promise<number> {
  gc();
  const before = process.memoryUsage().heapUsed;
  const snapshot = await readRoster('oneroster-csv', await filesAt(dir), { maxFileBytes: 50 * 1024 * 1024 });
  gc();
  const size = process.memoryUsage().heapUsed - before;
  if (snapshot.errors.length) throw new Error('the generated set has errors');
  return Math.round(size / 1024 / 1024);
}

/** The peak RSS so far, in MB: the kernel's high-water mark for the process. */
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

const work = await mkdtemp(join(tmpdir(), 'roster-bench-'));
try {
  const setDir = join(work, 'oneroster');
  const size = await writeRosterSet(setDir, scale);
  const records = size.schools + size.people + size.groups + size.schoolMemberships + size.groupMemberships;
  console.log(`OneRoster set: ${JSON.stringify(size)} = ${records} records`);
  for (const backend of backends) {
    let url: string | undefined;
    let dataDir: string | undefined;
    if (backend === 'postgres') {
      await onServer(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
      await onServer(`CREATE DATABASE ${DATABASE}`);
      const target = new URL(DEFAULT_SERVER_URL);
      target.pathname = `/${DATABASE}`;
      url = target.toString();
    } else dataDir = join(work, 'pglite');
    let statements = 0;
    const byKind = new Map<string, number>();
    const database = await openDatabase({
      url,
      dataDir,
      onQuery: (sql) => {
        statements++;
        const kind = statementKind(sql);
        byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
      },
    });
    try {
      await database.migrate();
      const organisation = await database.prisma.organisation.create({ data: { name: 'Benchkommun', createdAt: new Date() } });
      for (const run of ['first import', 'same files again']) {
        statements = 0;
        byKind.clear();
        const started = performance.now();
        let lastShown = 0;
        // Where the RSS goes, sampled after each batch: V8's heap, and buffers outside it (the drivers').
        const peak = { heap: 0, external: 0, live: 0 };
        let samples = 0;
        const sample = () => {
          const usage = process.memoryUsage();
          peak.heap = Math.max(peak.heap, usage.heapTotal);
          peak.external = Math.max(peak.external, usage.external);
          // --live-heap: every 25th batch, what is still alive after a full collection (what the
          // import holds). The collections lower the peak RSS and cost time: off by default.
          if (values['live-heap'] && samples++ % 25 === 0) {
            gc();
            peak.live = Math.max(peak.live, process.memoryUsage().heapUsed);
          }
        };
        const report: RosterImportReport = await importRoster(
          database.prisma,
          systemClock,
          systemActor,
          { organisationId: organisation.id, format: 'oneroster-csv', files: await filesAt(setDir), dryRun: false },
          {
            maxFileBytes: 50 * 1024 * 1024,
            onProgress: ({ applied, total }) => {
              sample();
              if (applied - lastShown >= total / 10 || applied === total) {
                lastShown = applied;
                process.stderr.write(`  ${backend}: ${applied}/${total} changes\n`);
              }
            },
          },
        );
        const seconds = (performance.now() - started) / 1000;
        if (report.refused) throw new Error(`refused: ${JSON.stringify(report.errors.slice(0, 5))}`);
        const changes = Object.values(report.summary).reduce((sum, c) => sum + c.created + c.updated + c.ended, 0);
        console.log(
          `${backend.padEnd(8)} ${run.padEnd(17)} ${seconds.toFixed(1).padStart(6)} s  ${String(changes).padStart(7)} changes  ` +
            `${String(statements).padStart(7)} statements (${(statements / records).toFixed(3)} per record)  peak RSS ${peakRssMb()} MB`,
        );
        sample();
        console.log(
          `  sampled after each batch: V8 heap up to ${Math.round(peak.heap / 2 ** 20)} MB${values['live-heap'] ? ` (alive after a collection: ${Math.round(peak.live / 2 ** 20)} MB)` : ''}, external up to ${Math.round(peak.external / 2 ** 20)} MB`,
        );
        const kinds = [...byKind].sort((a, b) => b[1] - a[1]).slice(0, 12);
        console.log(`  statements by kind: ${kinds.map(([kind, count]) => `${kind} ${count}`).join(', ')}`);
      }
      console.log(`  the snapshot alone holds ${await snapshotMb(setDir)} MB of heap`);
    } finally {
      await database.close();
      if (backend === 'postgres') await onServer(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    }
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
