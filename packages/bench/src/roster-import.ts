// `pnpm --filter @school-licenses/bench roster-import [--backend pglite|postgres|both] [--scale municipality|tenth|small] [--live-heap] [--no-rollover] [--default-heap]`
// Imports a generated municipality-sized OneRoster set (roster-set.ts) into a fresh database, then
// imports it again (nothing to change). Then the next school year's snapshot (the rollover): after
// giving a product to a quarter of each school's students, a dry run of it (no standing rule yet:
// counted from the diff) and the same dry run applied and rolled back; then, after a standing rule
// on two classes a school with fewer licenses than members, the rollover itself. Reports for each
// run its time, the SQL statements per record of the snapshot, and the process's peak RSS. PGlite
// in a temporary directory; PostgreSQL in a database of its own (licenses_roster_bench or
// BENCH_DATABASE, dropped afterwards). The process keeps its heap as the `roster import` command
// does (keepHeapNearLive); --default-heap leaves V8's default growth, to compare.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  assignLicenses,
  assignLicenseToGroup,
  filesAt,
  importRoster,
  inTransaction,
  keepHeapNearLive,
  placeOrder,
  readRoster,
  systemActor,
  systemClock,
  type RosterImportReport,
} from '@school-licenses/api';
import { openDatabase, type PrismaClient } from '@school-licenses/db';
import pg from 'pg';
import { DEFAULT_SERVER_URL } from './database.ts';
import { MUNICIPALITY, writeRosterSetApart, type RosterScale } from './roster-set.ts';

const SCALES: Record<string, RosterScale> = {
  municipality: MUNICIPALITY,
  // A tenth of the municipality: its schools are the same size, for a machine shared with others.
  tenth: { ...MUNICIPALITY, schools: 6 },
  small: { schools: 4, studentsPerSchool: 100, teachersPerSchool: 10, classesPerSchool: 5, teachingGroupsPerSchool: 5 },
};
/** BENCH_DATABASE names another (two runs on one server at once). */
const DATABASE = process.env.BENCH_DATABASE || 'licenses_roster_bench';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'both' },
    scale: { type: 'string', default: 'municipality' },
    'live-heap': { type: 'boolean', default: false },
    'no-rollover': { type: 'boolean', default: false },
    'default-heap': { type: 'boolean', default: false },
  },
  strict: true,
});
const scale = SCALES[values.scale!];
if (!scale) throw new Error(`--scale must be one of ${Object.keys(SCALES).join(', ')}`);
if (values.backend === 'both') {
  // One process per database, so that each peak RSS is its own (PGlite's WebAssembly heap is large).
  for (const backend of ['pglite', 'postgres']) {
    const args = [
      '--backend',
      backend,
      '--scale',
      values.scale!,
      ...(values['live-heap'] ? ['--live-heap'] : []),
      ...(values['no-rollover'] ? ['--no-rollover'] : []),
      ...(values['default-heap'] ? ['--default-heap'] : []),
    ];
    execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], { stdio: 'inherit' });
  }
  process.exit(0);
}
const backends = [values.backend as 'pglite' | 'postgres'];
if (!values['default-heap']) keepHeapNearLive();

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

/** The peak RSS so far, in MB: the kernel's high-water mark for the process (or since resetPeakRss). */
function peakRssMb(): number {
  const hwm = existsSync(STATUS) ? /VmHWM:\s+(\d+) kB/.exec(readFileSync(STATUS, 'utf8'))?.[1] : undefined;
  return Math.round((hwm ? Number(hwm) : process.resourceUsage().maxRSS) / 1024);
}
const STATUS = '/proc/self/status';

/**
 * Starts the high-water mark again from the RSS now (Linux: writing 5 to clear_refs), so that a
 * run's peak is its own: opening a fresh PGlite directory (its initdb) peaks at about 1.1 GB
 * before any import runs, which the process's peak would report for every run. False elsewhere.
 */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

const rssMb = () => Math.round(process.memoryUsage().rss / 2 ** 20);

/**
 * Licenses held before the rollover: product A, ordered for 30% of each school's students and
 * assigned to every fourth student; product B, given by a standing rule of two classes a school
 * (a first year's and a final year's), with licenses for 20 of their 24 students (the rest wait).
 */
async function giveLicenses(prisma: PrismaClient, organisationId: string, part: 'licenses' | 'rules'): Promise<{ assigned: number; waiting: number }> {
  const admin = await prisma.user.upsert({
    where: { organisationId_email: { organisationId, email: 'bench.admin@bench.example' } },
    update: {},
    create: { organisationId, name: 'Bench Admin', email: 'bench.admin@bench.example', isOrganisationAdmin: true, createdAt: new Date() },
  });
  const actor = {
    kind: 'user' as const,
    userId: admin.id,
    organisationId,
    isOrganisationAdmin: true,
    schoolRoles: new Map(),
    timeZone: 'Europe/Stockholm',
    label: 'bench admin',
  };
  const supplier = await prisma.supplier.create({ data: { name: 'Bench förlag', createdAt: new Date() } });
  const product = await prisma.product.create({
    data: {
      supplierId: supplier.id,
      name: part === 'licenses' ? 'Läromedel A' : 'Läromedel B',
      validityMonths: 12,
      deliveryMode: 'DIRECT',
      createdAt: new Date(),
    },
  });
  const schools = await prisma.school.findMany({ where: { organisationId }, orderBy: { externalId: 'asc' } });
  let assigned = 0;
  let waiting = 0;
  for (const school of schools) {
    const students = await prisma.schoolMembership.findMany({
      where: { schoolId: school.id, role: 'STUDENT', endedAt: null },
      select: { user: { select: { id: true, externalId: true } } },
    });
    const holders = part === 'licenses' ? students.map((m) => m.user).filter((u) => Number(u.externalId!.split('-')[2]) % 4 === 0) : [];
    if (holders.length)
      await inTransaction(prisma, (tx) =>
        placeOrder(tx, systemClock, actor, { schoolId: school.id, productId: product.id, quantity: Math.ceil(students.length * 0.3) }),
      );
    for (let start = 0; start < holders.length; start += 100) {
      const outcomes = await inTransaction(prisma, (tx) =>
        assignLicenses(tx, systemClock, actor, {
          schoolId: school.id,
          productId: product.id,
          userIds: holders.slice(start, start + 100).map((u) => u.id),
          reuseStarted: false,
        }),
      );
      assigned += outcomes.filter((o) => o.ok).length;
    }
    const ruled =
      part === 'rules'
        ? await prisma.group.findMany({ where: { schoolId: school.id, kind: 'CLASS', schoolYear: { in: [1, 9] } }, orderBy: { externalId: 'asc' } })
        : [];
    for (const group of [ruled.find((g) => g.schoolYear === 1), ruled.find((g) => g.schoolYear === 9)]) {
      if (!group) continue;
      const result = await inTransaction(prisma, async (tx) => {
        await placeOrder(tx, systemClock, actor, { schoolId: school.id, productId: product.id, quantity: 20 });
        return assignLicenseToGroup(tx, systemClock, actor, { groupId: group.id, productId: product.id, policy: 'NEW_FIRST', keep: true });
      });
      assigned += result.outcomes.filter((o) => o.outcome === 'ASSIGNED').length;
      waiting += result.outcomes.filter((o) => o.outcome === 'WAITING').length;
    }
  }
  return { assigned, waiting };
}

const work = await mkdtemp(join(tmpdir(), 'roster-bench-'));
try {
  const setDir = join(work, 'oneroster');
  const size = await writeRosterSetApart(setDir, scale);
  const countRecords = (of: typeof size) => of.schools + of.people + of.groups + of.schoolMemberships + of.groupMemberships;
  const records = countRecords(size);
  console.log(`OneRoster set: ${JSON.stringify(size)} = ${records} records`);
  const nextYearDir = join(work, 'oneroster-next-year');
  const nextYear = await writeRosterSetApart(nextYearDir, scale, 1);
  console.log(`the next school year's set: ${JSON.stringify(nextYear)} = ${countRecords(nextYear)} records`);
  for (const backend of backends) {
    let url: string | undefined;
    let dataDir: string | undefined;
    if (backend === 'postgres') {
      await onServer(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`);
      await onServer(`CREATE DATABASE "${DATABASE}"`);
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
      console.log(`${backend}: database open, RSS ${rssMb()} MB (peak so far ${peakRssMb()} MB, the database's creation included)`);
      const organisation = await database.prisma.organisation.create({ data: { name: 'Benchkommun', createdAt: new Date() } });
      const give = async (part: 'licenses' | 'rules') => {
        const setUp = performance.now();
        const given = await giveLicenses(database.prisma, organisation.id, part);
        console.log(`  ${part}: ${given.assigned} licenses given, ${given.waiting} students waiting (in ${((performance.now() - setUp) / 1000).toFixed(1)} s)`);
      };
      const nextYearRecords = countRecords(nextYear);
      const runs: { run: string; dir: string; records: number; dryRun?: boolean; rollbackDryRun?: boolean; before?: () => Promise<void> }[] = [
        { run: 'first import', dir: setDir, records },
        { run: 'same files again', dir: setDir, records },
        ...(values['no-rollover']
          ? []
          : [
              // Without standing rules, a dry run counts from the diff; rolled back, it applies the import.
              { run: 'rollover dry run', dir: nextYearDir, records: nextYearRecords, dryRun: true, before: () => give('licenses') },
              { run: 'rolled-back dry run', dir: nextYearDir, records: nextYearRecords, dryRun: true, rollbackDryRun: true },
              { run: 'rollover', dir: nextYearDir, records: nextYearRecords, before: () => give('rules') },
            ]),
      ];
      for (const { run, dir, records, dryRun = false, rollbackDryRun = false, before } of runs) {
        await before?.();
        gc(); // what the run before left as garbage is not this run's
        const ownPeak = resetPeakRss();
        const startRss = rssMb();
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
          { organisationId: organisation.id, format: 'oneroster-csv', files: await filesAt(dir), dryRun },
          {
            maxFileBytes: 50 * 1024 * 1024,
            rollbackDryRun,
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
            `${String(statements).padStart(7)} statements (${(statements / records).toFixed(3)} per record)  peak RSS ${peakRssMb()} MB${ownPeak ? ` (its own, from ${startRss} MB)` : ''}`,
        );
        if (run !== 'first import' && run !== 'same files again') {
          console.log(
            `  summary ${JSON.stringify(report.summary)}; revoked ${report.revokedLicenses}, given by rules ${report.licensesGivenByRules}, queued ${report.membersQueued}`,
          );
        }
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
      if (backend === 'postgres') await onServer(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`);
    }
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
