// Importing rosters into a real database (PGlite, or PostgreSQL with DATABASE_URL): both formats,
// idempotence, dry runs, refused files, leavers' licenses, resuming, a new school year, deltas.
import { openTestDatabase, type TestDatabase } from '@school-licenses/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userActor } from '../auth/authenticate.ts';
import { ManualClock } from '../clock.ts';
import { systemActor, type Actor } from '../domain/actor.ts';
import { assignLicense, assignLicenses } from '../domain/assignments.ts';
import { LicenseError } from '../domain/errors.ts';
import { placeOrder } from '../domain/orders.ts';
import { updateOrganisation } from '../domain/organisation.ts';
import { runSweep } from '../domain/sweep.ts';
import { TEST_START } from '../testing/harness.ts';
import { checkInvariants } from '../testing/invariants.ts';
import { licensePool, type LicensePool } from '../testing/scenarios.ts';
import { DEFAULT_MAX_FILE_BYTES, type RosterFile } from './files.ts';
import { emptySummary, loadCurrentRoster } from './diff.ts';
import { importRoster, type ImportRosterOptions } from './import.ts';
import type { RosterFormat } from './snapshot.ts';
import { fixtureFiles, fixtureText } from './testing.ts';

let db: TestDatabase;
let clock: ManualClock;

beforeAll(async () => {
  db = await openTestDatabase();
  clock = new ManualClock(TEST_START);
});
afterAll(() => db.close());

/** A fresh organisation (with a product to order) for each test. */
const organisation = () => licensePool(db.prisma, clock, { licenses: 0, students: 0 });

function run(pool: LicensePool, format: RosterFormat, files: RosterFile[], options: Partial<ImportRosterOptions> & { dryRun?: boolean; actor?: Actor } = {}) {
  const { dryRun = false, actor = systemActor, ...rest } = options;
  return importRoster(
    db.prisma,
    clock,
    actor,
    { organisationId: pool.organisationId, format, files, dryRun },
    { maxFileBytes: DEFAULT_MAX_FILE_BYTES, ...rest },
  );
}

/** Everything an import writes, counted, for "nothing changed" assertions. */
async function rosterRows(organisationId: string) {
  const p = db.prisma;
  return {
    schools: await p.school.count({ where: { organisationId } }),
    users: await p.user.count({ where: { organisationId } }),
    schoolMemberships: await p.schoolMembership.count({ where: { school: { organisationId } } }),
    groups: await p.group.count({ where: { organisationId } }),
    groupMemberships: await p.groupMembership.count({ where: { group: { organisationId } } }),
    auditEvents: await p.auditEvent.count({ where: { organisationId } }),
    imports: await p.rosterImport.count({ where: { organisationId } }),
  };
}

async function activeMembers(organisationId: string, groupName: string) {
  const members = await db.prisma.groupMembership.findMany({
    where: { endedAt: null, group: { organisationId, name: groupName } },
    select: { user: { select: { externalId: true } } },
  });
  return members.map((m) => m.user.externalId).sort();
}

/** The OneRoster fixture without one person: their row in users.csv, roles.csv and enrollments.csv. */
function withoutPerson(sourcedId: string, changes: Record<string, string | null> = {}) {
  const drop = (name: string) =>
    fixtureText('oneroster', name)
      .split('\n')
      .filter((line) => !line.includes(`,${sourcedId},`) && !line.startsWith(`${sourcedId},`))
      .join('\n');
  return fixtureFiles('oneroster', { 'users.csv': drop('users.csv'), 'roles.csv': drop('roles.csv'), 'enrollments.csv': drop('enrollments.csv'), ...changes });
}

/**
 * For the bulk tests (as many statements for a few records as for many): a database of its own
 * whose statements are counted, an import into it (a fresh organisation each time `organisation`
 * is called), and its invariants checked after `test`.
 */
async function withCountedImports(
  test: (counted: {
    prisma: TestDatabase['prisma'];
    statements: string[];
    organisation: () => Promise<LicensePool>;
    importFiles: (pool: LicensePool, files: RosterFile[]) => ReturnType<typeof importRoster>;
  }) => Promise<void>,
): Promise<void> {
  const statements: string[] = [];
  const counted = await openTestDatabase({ onQuery: (sql) => statements.push(sql) });
  try {
    await test({
      prisma: counted.prisma,
      statements,
      organisation: () => licensePool(counted.prisma, clock, { licenses: 0, students: 0 }),
      importFiles: (pool, files) =>
        importRoster(
          counted.prisma,
          clock,
          systemActor,
          { organisationId: pool.organisationId, format: 'oneroster-csv', files, dryRun: false },
          { maxFileBytes: DEFAULT_MAX_FILE_BYTES },
        ),
    });
    expect(await checkInvariants(counted.prisma)).toEqual({});
  } finally {
    await counted.close();
  }
}

/** A fixture file with a line more for each of `numbers` (01, 02, …): `extra` makes it. */
function withLines(name: string, numbers: string[], extra: (n: string, i: number) => string): string {
  return `${[fixtureText('oneroster', name).trimEnd(), ...numbers.map(extra)].join('\n')}\n`;
}

/** 01, 02, … for `count` records. */
const numbered = (count: number) => Array.from({ length: count }, (_, i) => String(i + 1).padStart(2, '0'));

describe('roster import', () => {
  it('imports a OneRoster set, and importing it again changes nothing', async () => {
    const pool = await organisation();
    const first = await run(pool, 'oneroster-csv', fixtureFiles('oneroster'));
    expect(first.errors).toEqual([]);
    expect(first.summary).toEqual({
      school: { created: 2, updated: 0, ended: 0 },
      user: { created: 7, updated: 0, ended: 0 },
      schoolMembership: { created: 8, updated: 0, ended: 0 },
      group: { created: 4, updated: 0, ended: 0 },
      groupMembership: { created: 9, updated: 0, ended: 0 },
    });
    const norr = await db.prisma.school.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'sch-norr' } });
    expect(norr).toMatchObject({ name: 'Norrskolan', schoolUnitCode: '12345678' });
    const gun = await db.prisma.user.findFirstOrThrow({
      where: { organisationId: pool.organisationId, externalId: 'usr-gun' },
      include: { memberships: true },
    });
    expect(gun).toMatchObject({ name: 'Gun Rektor', email: 'gun.rektor@norr.example' });
    expect(gun.memberships).toEqual([expect.objectContaining({ schoolId: norr.id, role: 'SCHOOL_ADMIN', endedAt: null })]);
    expect(await db.prisma.group.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'cls-7a' } })).toMatchObject({
      name: '7A',
      kind: 'CLASS',
      schoolYear: 7,
      schoolId: norr.id,
    });
    expect(await activeMembers(pool.organisationId, '7A')).toEqual(['usr-anna', 'usr-bo', 'usr-cia']);
    // Every change has its audit event.
    expect(await db.prisma.auditEvent.count({ where: { organisationId: pool.organisationId, action: 'GROUP_MEMBERSHIP_STARTED' } })).toBe(9);

    const before = await rosterRows(pool.organisationId);
    const again = await run(pool, 'oneroster-csv', fixtureFiles('oneroster'));
    expect(again.changes).toEqual([]);
    expect(Object.values(again.summary).every((c) => c.created + c.updated + c.ended === 0)).toBe(true);
    expect(await rosterRows(pool.organisationId)).toEqual({ ...before, imports: before.imports + 1 });
  });

  it('reads the current roster in pages of memberships: small pages give the same roster', async () => {
    const pool = await organisation();
    await run(pool, 'oneroster-csv', fixtureFiles('oneroster'));
    const whole = await loadCurrentRoster(db.prisma, pool.organisationId);
    const rows = await rosterRows(pool.organisationId);
    expect([whole.schoolMemberships.length, whole.groupMemberships.length]).toEqual([rows.schoolMemberships, rows.groupMemberships]);
    // Its 9 group memberships: pages of 3 end on a full page, pages of 2 on a part of one.
    expect(whole.groupMemberships).toHaveLength(9);
    for (const pageSize of [2, 3]) expect(await loadCurrentRoster(db.prisma, pool.organisationId, pageSize)).toEqual(whole);
  });

  it('imports SS 12000 resources, and importing them again changes nothing', async () => {
    const pool = await organisation();
    const first = await run(pool, 'ss12000', fixtureFiles('ss12000'));
    expect(first.errors).toEqual([]);
    expect(first.summary).toMatchObject({
      school: { created: 1 },
      user: { created: 3 },
      schoolMembership: { created: 3 },
      group: { created: 2 },
      groupMembership: { created: 4 },
    });
    const anna = await db.prisma.user.findFirstOrThrow({ where: { organisationId: pool.organisationId, email: 'anna.larare@norr.example' } });
    expect(await db.prisma.groupMembership.findMany({ where: { userId: anna.id }, select: { role: true, group: { select: { name: true } } } })).toEqual([
      { role: 'TEACHER', group: { name: 'Matematik 7A' } },
    ]);
    const before = await rosterRows(pool.organisationId);
    const again = await run(pool, 'ss12000', fixtureFiles('ss12000'));
    expect(again.changes).toEqual([]);
    expect(await rosterRows(pool.organisationId)).toEqual({ ...before, imports: before.imports + 1 });
  });

  it('a dry run returns the diff and writes nothing', async () => {
    const pool = await organisation();
    const before = await rosterRows(pool.organisationId);
    const dry = await run(pool, 'oneroster-csv', fixtureFiles('oneroster'), { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, importId: null, refused: false, mode: 'FULL' });
    expect(dry.changes).toHaveLength(30);
    expect(dry.changes[0]).toEqual({ entity: 'school', kind: 'create', key: 'sch-norr', source: { file: 'orgs.csv', line: 3 } });
    expect(await rosterRows(pool.organisationId)).toEqual(before);
    const real = await run(pool, 'oneroster-csv', fixtureFiles('oneroster'));
    expect(real.summary).toEqual(dry.summary);
  });

  it('refuses broken files with a report and writes nothing', async () => {
    const pool = await organisation();
    await run(pool, 'oneroster-csv', fixtureFiles('oneroster'));
    const before = await rosterRows(pool.organisationId);
    const users = fixtureText('oneroster', 'users.csv').replace('bo.elev@norr.example', 'inte-en-adress');
    const enrollments = `${fixtureText('oneroster', 'enrollments.csv')}enr-10,,,cls-7a,sch-norr,usr-nobody,student,false,,\n`;
    const report = await run(pool, 'oneroster-csv', fixtureFiles('oneroster', { 'users.csv': users, 'enrollments.csv': enrollments }));
    expect(report.refused).toBe(true);
    expect(report.errors).toEqual([
      expect.objectContaining({ code: 'INVALID_VALUE', file: 'users.csv', line: 4, field: 'email' }),
      expect.objectContaining({ code: 'UNKNOWN_REFERENCE', file: 'enrollments.csv', line: 11, field: 'userSourcedId' }),
    ]);
    const ss = await run(pool, 'ss12000', fixtureFiles('ss12000', { 'persons.json': Buffer.from('{"data": [{"id": "x", "givenName": "\xC5sa"}]}', 'latin1') }));
    expect(ss.errors).toEqual([expect.objectContaining({ code: 'NOT_UTF8', file: 'persons.json' })]);
    expect(await rosterRows(pool.organisationId)).toEqual(before);
  });

  it('only administrators of the organisation import into it', async () => {
    const pool = await organisation();
    const schoolAdmin = await userActor(db.prisma, pool.adminId);
    const otherAdmin = await userActor(db.prisma, pool.otherOrganisation.adminId);
    for (const actor of [schoolAdmin, otherAdmin]) {
      await expect(run(pool, 'oneroster-csv', fixtureFiles('oneroster'), { actor, dryRun: true })).rejects.toThrow(LicenseError);
    }
    expect((await rosterRows(pool.organisationId)).users).toBe(1);
  });

  it("a full snapshot without a leaver ends their memberships, and their licenses go back to the school's pool", async () => {
    const pool = await organisation();
    await run(pool, 'oneroster-csv', fixtureFiles('oneroster'));
    const bo = await db.prisma.user.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'usr-bo' } });
    const norr = await db.prisma.school.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'sch-norr' } });
    const gun = await db.prisma.user.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'usr-gun' } });
    const license = await db.prisma.$transaction(async (tx) => {
      const principal = await userActor(tx, gun.id);
      await placeOrder(tx, clock, principal, { schoolId: norr.id, productId: pool.productId, quantity: 2 });
      return (await assignLicense(tx, clock, principal, { schoolId: norr.id, productId: pool.productId, userId: bo.id, reuseStarted: false })).license;
    });

    const dry = await run(pool, 'oneroster-csv', withoutPerson('usr-bo'), { dryRun: true });
    expect(dry.revokedLicenses).toBe(1);
    expect(await run(pool, 'oneroster-csv', withoutPerson('usr-bo'), { dryRun: true, rollbackDryRun: true })).toEqual(dry);
    const report = await run(pool, 'oneroster-csv', withoutPerson('usr-bo'));
    expect(report.summary).toMatchObject({ user: { ended: 1 }, schoolMembership: { ended: 1 }, groupMembership: { ended: 2 } });
    expect(report.revokedLicenses).toBe(1);
    expect(await db.prisma.user.findUniqueOrThrow({ where: { id: bo.id } })).toMatchObject({ endedAt: expect.any(Date) });
    expect(await db.prisma.license.findUniqueOrThrow({ where: { id: license.id } })).toMatchObject({ assignedUserId: null });
    expect(await db.prisma.assignment.findFirstOrThrow({ where: { licenseId: license.id } })).toMatchObject({ endReason: 'LEFT_SCHOOL' });
    expect(await activeMembers(pool.organisationId, '7A')).toEqual(['usr-anna', 'usr-cia']);

    // Back in the files, Bo is a member again (without his license).
    const back = await run(pool, 'oneroster-csv', fixtureFiles('oneroster'));
    expect(back.summary).toMatchObject({ user: { updated: 1 }, schoolMembership: { updated: 1 }, groupMembership: { updated: 2 } });
    expect(await activeMembers(pool.organisationId, '7A')).toEqual(['usr-anna', 'usr-bo', 'usr-cia']);
  });

  it("a dry run without standing rules counts from the diff what applying it would: a leaver's licenses, a student turned administrator's, not an expired one", async () => {
    const pool = await organisation();
    await run(pool, 'oneroster-csv', fixtureFiles('oneroster'));
    const person = (externalId: string) => db.prisma.user.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId } });
    const [bo, cia, dan, gun] = [await person('usr-bo'), await person('usr-cia'), await person('usr-dan'), await person('usr-gun')];
    const norr = await db.prisma.school.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'sch-norr' } });
    await db.prisma.$transaction(async (tx) => {
      const principal = await userActor(tx, gun.id);
      await placeOrder(tx, clock, principal, { schoolId: norr.id, productId: pool.productId, quantity: 3 });
      for (const user of [bo, cia, dan])
        await assignLicense(tx, clock, principal, { schoolId: norr.id, productId: pool.productId, userId: user.id, reuseStarted: false });
    });
    // Dan's license has expired (its end date set back): leaving, he has none to give back.
    const dans = await db.prisma.license.findFirstOrThrow({ where: { assignedUserId: dan.id } });
    await db.prisma.license.update({
      where: { id: dans.id },
      data: { startedAt: new Date('2025-01-01T00:00:00Z'), endDate: new Date('2025-12-31T00:00:00Z') },
    });
    // Bo and Dan gone from the files; Cia now an administrator of Norrskolan.
    const files = fixtureFiles('oneroster', {
      'users.csv': fixtureText('oneroster', 'users.csv')
        .split('\n')
        .filter((line) => !/(^|,)usr-(bo|dan),/.test(line))
        .join('\n'),
      'roles.csv': fixtureText('oneroster', 'roles.csv')
        .split('\n')
        .filter((line) => !/(^|,)usr-(bo|dan),/.test(line))
        .map((line) => line.replace('usr-cia,primary,student', 'usr-cia,primary,administrator'))
        .join('\n'),
      'enrollments.csv': fixtureText('oneroster', 'enrollments.csv')
        .split('\n')
        .filter((line) => !/(^|,)usr-(bo|dan),/.test(line))
        .join('\n'),
    });
    const dry = await run(pool, 'oneroster-csv', files, { dryRun: true });
    expect(dry.errors).toEqual([]);
    expect(dry.revokedLicenses).toBe(2);
    expect(await run(pool, 'oneroster-csv', files, { dryRun: true, rollbackDryRun: true })).toEqual(dry);
    expect((await run(pool, 'oneroster-csv', files)).revokedLicenses).toBe(2);
  });

  it('leavers end in bulk: ending 5 or 25 students (their class, school membership, account and licenses) sends the same statements', async () => {
    /** The fixture with `count` more students of Norrskolan in class 7A (usr-s01…). */
    const withStudents = (count: number) =>
      fixtureFiles('oneroster', {
        'users.csv': withLines(
          'users.csv',
          numbered(count),
          (n) => `usr-s${n},,,true,s${n}.elev,,Elev,Nummer ${n},,,s${n}.elev@norr.example,,,,07,,,,,,,sch-norr,`,
        ),
        'roles.csv': withLines('roles.csv', numbered(count), (n) => `rol-s${n},,,usr-s${n},primary,student,2026-08-17,,sch-norr,`),
        'enrollments.csv': withLines('enrollments.csv', numbered(count), (n) => `enr-s${n},,,cls-7a,sch-norr,usr-s${n},student,false,,`),
      });
    await withCountedImports(async ({ prisma, statements, organisation, importFiles }) => {
      const leave = async (leavers: number) => {
        const pool = await organisation();
        await importFiles(pool, withStudents(30));
        const norr = await prisma.school.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'sch-norr' } });
        const gun = await prisma.user.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'usr-gun' } });
        const students = await prisma.user.findMany({ where: { organisationId: pool.organisationId, externalId: { startsWith: 'usr-s' } } });
        await prisma.$transaction(async (tx) => {
          const principal = await userActor(tx, gun.id);
          await placeOrder(tx, clock, principal, { schoolId: norr.id, productId: pool.productId, quantity: 30 });
          await assignLicenses(tx, clock, principal, { schoolId: norr.id, productId: pool.productId, userIds: students.map((u) => u.id), reuseStarted: false });
        });
        statements.length = 0;
        const report = await importFiles(pool, withStudents(30 - leavers));
        expect(report.summary).toMatchObject({ user: { ended: leavers }, schoolMembership: { ended: leavers }, groupMembership: { ended: leavers } });
        expect(report.revokedLicenses).toBe(leavers);
        return statements.length;
      };
      expect(await leave(25)).toBe(await leave(5));
    });
  });

  it('updates go in bulk: renaming 5 or 25 students, changing their e-mail addresses and making them teachers (of the school and the class) sends the same statements', async () => {
    /** The fixture with 30 more students of Norrskolan in class 7A (usr-s01…), the first `changed` of them renamed and made teachers, and 7A renamed. */
    const withStudents = (changed: number) =>
      fixtureFiles('oneroster', {
        'users.csv': withLines(
          'users.csv',
          numbered(30),
          (n, i) =>
            `usr-s${n},,,true,s${n}.elev,,Elev,${i < changed ? 'Bytt' : 'Nummer'} ${n},,,s${n}.${i < changed ? 'ny' : 'elev'}@norr.example,,,,07,,,,,,,sch-norr,`,
        ),
        'roles.csv': withLines(
          'roles.csv',
          numbered(30),
          (n, i) => `rol-s${n},,,usr-s${n},primary,${i < changed ? 'teacher' : 'student'},2026-08-17,,sch-norr,`,
        ),
        'enrollments.csv': withLines(
          'enrollments.csv',
          numbered(30),
          (n, i) => `enr-s${n},,,cls-7a,sch-norr,usr-s${n},${i < changed ? 'teacher' : 'student'},false,,`,
        ),
        'classes.csv': changed ? fixtureText('oneroster', 'classes.csv').replace('cls-7a,,,7A,', 'cls-7a,,,7A Norr,') : fixtureText('oneroster', 'classes.csv'),
      });
    await withCountedImports(async ({ prisma, statements, organisation, importFiles }) => {
      const change = async (changed: number) => {
        const pool = await organisation();
        await importFiles(pool, withStudents(0));
        statements.length = 0;
        const report = await importFiles(pool, withStudents(changed));
        expect(report.summary).toMatchObject({
          user: { updated: changed },
          schoolMembership: { updated: changed },
          group: { updated: 1 },
          groupMembership: { updated: changed },
        });
        const count = statements.length;
        const s01 = await prisma.user.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'usr-s01' } });
        expect(s01).toMatchObject({ name: 'Elev Bytt 01', email: 's01.ny@norr.example' });
        expect(await prisma.schoolMembership.findFirstOrThrow({ where: { userId: s01.id } })).toMatchObject({ role: 'TEACHER' });
        expect(await prisma.groupMembership.findFirstOrThrow({ where: { userId: s01.id } })).toMatchObject({ role: 'TEACHER' });
        expect(await prisma.auditEvent.findFirstOrThrow({ where: { userId: s01.id, action: 'USER_UPDATED' } })).toMatchObject({
          before: { name: 'Elev Nummer 01', email: 's01.elev@norr.example' },
          after: { name: 'Elev Bytt 01', email: 's01.ny@norr.example' },
        });
        expect(await prisma.auditEvent.findFirstOrThrow({ where: { organisationId: pool.organisationId, action: 'GROUP_UPDATED' } })).toMatchObject({
          before: { name: '7A' },
          after: { name: '7A Norr' },
        });
        expect(await prisma.auditEvent.count({ where: { organisationId: pool.organisationId, action: 'SCHOOL_MEMBERSHIP_UPDATED' } })).toBe(changed);
        expect(await prisma.auditEvent.count({ where: { organisationId: pool.organisationId, action: 'GROUP_MEMBERSHIP_UPDATED' } })).toBe(changed);
        // The same files again change nothing.
        expect((await importFiles(pool, withStudents(changed))).summary).toEqual(emptySummary());
        return count;
      };
      expect(await change(25)).toBe(await change(5));
    });
  });

  it('schools go in bulk: creating 1 or 3 schools, then renaming them and changing their codes, sends the same statements', async () => {
    /** The fixture with `count` more schools (sch-x01…), renamed and given other codes when `changed`. */
    const withSchools = (count: number, changed: boolean) =>
      fixtureFiles('oneroster', {
        'orgs.csv': withLines(
          'orgs.csv',
          numbered(count),
          (n) => `sch-x${n},,,${changed ? 'Nya' : 'Gamla'} skolan ${n},school,${changed ? 555 : 444}000${n},org-kommun`,
        ),
      });
    await withCountedImports(async ({ prisma, statements, organisation, importFiles }) => {
      const counts = async (schools: number) => {
        const pool = await organisation();
        statements.length = 0;
        expect((await importFiles(pool, withSchools(schools, false))).summary.school).toEqual({ created: schools + 2, updated: 0, ended: 0 });
        const created = statements.length;
        statements.length = 0;
        expect((await importFiles(pool, withSchools(schools, true))).summary.school).toEqual({ created: 0, updated: schools, ended: 0 });
        const updated = statements.length;
        const x01 = await prisma.school.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'sch-x01' } });
        expect(x01).toMatchObject({ name: 'Nya skolan 01', schoolUnitCode: '55500001' });
        expect(await prisma.auditEvent.findFirstOrThrow({ where: { schoolId: x01.id, action: 'SCHOOL_UPDATED' } })).toMatchObject({
          before: { name: 'Gamla skolan 01', schoolUnitCode: '44400001' },
          after: { name: 'Nya skolan 01', schoolUnitCode: '55500001' },
        });
        expect(await prisma.auditEvent.count({ where: { organisationId: pool.organisationId, action: 'SCHOOL_CREATED' } })).toBe(schools + 2);
        expect((await importFiles(pool, withSchools(schools, true))).summary).toEqual(emptySummary());
        return { created, updated };
      };
      expect(await counts(3)).toEqual(await counts(1));
    });
  });

  it('an interrupted import continues where it stopped when the same files are imported again', async () => {
    const pool = await organisation();
    const files = fixtureFiles('oneroster');
    const planned = await run(pool, 'oneroster-csv', files, { dryRun: true });
    let batches = 0;
    const interrupted = run(pool, 'oneroster-csv', files, {
      batchSize: 7,
      onProgress: () => {
        if (++batches === 2) throw new Error('the machine went down');
      },
    });
    await expect(interrupted).rejects.toThrow('the machine went down');
    const stopped = await db.prisma.rosterImport.findFirstOrThrow({ where: { organisationId: pool.organisationId } });
    expect(stopped).toMatchObject({ status: 'RUNNING', appliedChanges: 14 });
    expect((await rosterRows(pool.organisationId)).schoolMemberships).toBeLessThan(8);

    const resumed = await run(pool, 'oneroster-csv', fixtureFiles('oneroster'), { batchSize: 7 });
    expect(resumed).toMatchObject({ resumed: true, importId: stopped.id });
    expect(resumed.summary).toEqual(planned.summary);
    expect(await db.prisma.rosterImport.findUniqueOrThrow({ where: { id: stopped.id } })).toMatchObject({ status: 'COMPLETED', appliedChanges: 30 });
    expect(await activeMembers(pool.organisationId, 'Matematik 7')).toEqual(['usr-anna', 'usr-bo', 'usr-cia']);
  });

  it("a new school year's snapshot ends last year's classes, moves students to new ones, and graduates leave", async () => {
    const pool = await organisation();
    await run(pool, 'oneroster-csv', fixtureFiles('oneroster'));
    clock.set('2027-08-20T08:00:00.000Z');
    try {
      const nextYear = withoutPerson('usr-dan', {
        'academicSessions.csv':
          'sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear\nay-2027,,,Läsåret 2027/28,schoolYear,2027-08-16,2028-06-09,,2028\n',
        'classes.csv':
          'sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n' +
          'cls-8a,,,8A,08,crs-klass,8A,homeroom,,sch-norr,ay-2027,,,\n' +
          'cls-6b,,,6B,06,crs-klass,6B,homeroom,,sch-soder,ay-2027,,,\n',
        'enrollments.csv':
          'sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\n' +
          'enr-20,,,cls-8a,sch-norr,usr-anna,teacher,true,,\n' +
          'enr-21,,,cls-8a,sch-norr,usr-bo,student,false,,\n' +
          'enr-22,,,cls-8a,sch-norr,usr-cia,student,false,,\n' +
          'enr-23,,,cls-6b,sch-soder,usr-eva,student,false,,\n',
      });
      const report = await run(pool, 'oneroster-csv', nextYear);
      expect(report.errors).toEqual([]);
      expect(report.summary).toMatchObject({ group: { created: 2, ended: 4 }, user: { ended: 1 } });
      const groups = await db.prisma.group.findMany({
        where: { organisationId: pool.organisationId },
        orderBy: { name: 'asc' },
        select: { name: true, endedAt: true },
      });
      expect(groups.map((g) => `${g.name}${g.endedAt ? ' (ended)' : ''}`)).toEqual([
        '5B (ended)',
        '6B',
        '7A (ended)',
        '8A',
        '9A (ended)',
        'Matematik 7 (ended)',
      ]);
      expect(await activeMembers(pool.organisationId, '8A')).toEqual(['usr-anna', 'usr-bo', 'usr-cia']);
      expect(await activeMembers(pool.organisationId, '7A')).toEqual([]);
      const dan = await db.prisma.user.findFirstOrThrow({
        where: { organisationId: pool.organisationId, externalId: 'usr-dan' },
        include: { memberships: true },
      });
      expect(dan.memberships.every((m) => m.endedAt)).toBe(true);
    } finally {
      clock.set(TEST_START);
    }
  });

  for (const policy of ['REVOKE_TO_POOL', 'KEEP_UNTIL_END_DATE'] as const) {
    it(`at rollover, graduates' licenses follow the organisation's policy (${policy}); other leavers' return to the pool`, async () => {
      const pool = await organisation();
      await run(pool, 'oneroster-csv', fixtureFiles('oneroster'));
      await db.prisma.$transaction((tx) =>
        updateOrganisation(tx, clock.now(), systemActor, { organisationId: pool.organisationId, graduateLicensePolicy: policy }),
      );
      const person = (externalId: string) => db.prisma.user.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId } });
      const [dan, cia, gun] = [await person('usr-dan'), await person('usr-cia'), await person('usr-gun')];
      const norr = await db.prisma.school.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'sch-norr' } });
      // Dan is in 9A, Norrskolan's final school year; Cia in 7A.
      const [dans, cias] = await db.prisma.$transaction(async (tx) => {
        const principal = await userActor(tx, gun.id);
        await placeOrder(tx, clock, principal, { schoolId: norr.id, productId: pool.productId, quantity: 2 });
        const assign = async (userId: string) =>
          (await assignLicense(tx, clock, principal, { schoolId: norr.id, productId: pool.productId, userId, reuseStarted: false })).license;
        return [await assign(dan.id), await assign(cia.id)];
      });

      clock.set('2027-08-20T08:00:00.000Z');
      try {
        // The new year: 9A ended, Dan graduated (gone), Cia moved away (gone), Bo in 8A.
        const without = (name: string) =>
          fixtureText('oneroster', name)
            .split('\n')
            .filter((line) => !/(^|,)usr-(dan|cia),/.test(line))
            .join('\n');
        const nextYear = fixtureFiles('oneroster', {
          'users.csv': without('users.csv'),
          'roles.csv': without('roles.csv'),
          'classes.csv':
            'sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n' +
            'cls-8a,,,8A,08,crs-klass,8A,homeroom,,sch-norr,,,,\n',
          'enrollments.csv':
            'sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\n' +
            'enr-20,,,cls-8a,sch-norr,usr-anna,teacher,true,,\n' +
            'enr-21,,,cls-8a,sch-norr,usr-bo,student,false,,\n',
        });
        const keeps = policy === 'KEEP_UNTIL_END_DATE';
        const dry = await run(pool, 'oneroster-csv', nextYear, { dryRun: true });
        expect(dry.revokedLicenses).toBe(keeps ? 1 : 2);
        // No standing rule, nobody waiting: the dry run counts from the diff, without applying it in
        // a rolled-back transaction; both ways report the same.
        expect(await run(pool, 'oneroster-csv', nextYear, { dryRun: true, rollbackDryRun: true })).toEqual(dry);
        const report = await run(pool, 'oneroster-csv', nextYear);
        expect(report.errors).toEqual([]);
        expect(report.summary).toMatchObject({ user: { ended: 2 } });
        expect(report.revokedLicenses).toBe(keeps ? 1 : 2);

        // Both left Norrskolan either way; Cia's license is back in the pool.
        for (const user of [dan, cia]) {
          expect(await db.prisma.schoolMembership.findUniqueOrThrow({ where: { userId_schoolId: { userId: user.id, schoolId: norr.id } } })).toMatchObject({
            endedAt: expect.any(Date),
          });
        }
        expect(await db.prisma.license.findUniqueOrThrow({ where: { id: cias.id } })).toMatchObject({ assignedUserId: null });
        const dansAssignment = () => db.prisma.assignment.findFirstOrThrow({ where: { licenseId: dans.id, userId: dan.id } });
        if (!keeps) {
          expect(await db.prisma.license.findUniqueOrThrow({ where: { id: dans.id } })).toMatchObject({ assignedUserId: null });
          expect(await dansAssignment()).toMatchObject({ endedAt: expect.any(Date), endReason: 'LEFT_SCHOOL' });
          return;
        }
        // Dan keeps his until its end date: not revoked, not in the pool; the audit event says why.
        expect(await db.prisma.license.findUniqueOrThrow({ where: { id: dans.id } })).toMatchObject({ assignedUserId: dan.id });
        expect(await dansAssignment()).toMatchObject({ isActive: true, endedAt: null });
        const ended = await db.prisma.auditEvent.findFirstOrThrow({ where: { action: 'SCHOOL_MEMBERSHIP_ENDED', userId: dan.id } });
        expect(ended.after).toMatchObject({ revokedLicenses: 0, graduateKeepsLicenses: true });
        // The same files again change nothing, and leave Dan his license.
        expect((await run(pool, 'oneroster-csv', nextYear)).changes).toEqual([]);
        expect(await dansAssignment()).toMatchObject({ isActive: true });
        expect(await checkInvariants(db.prisma)).toEqual({});

        // After its end date it expires as any license does, and is never reusable.
        const license = await db.prisma.license.findUniqueOrThrow({ where: { id: dans.id } });
        clock.set(new Date(license.endDate.getTime() + 3 * 86_400_000));
        await runSweep(db.prisma, clock);
        expect(await dansAssignment()).toMatchObject({ endedAt: expect.any(Date), endReason: 'EXPIRED' });
      } finally {
        clock.set(TEST_START);
      }
    });
  }

  it('a OneRoster delta changes only what it names', async () => {
    const pool = await organisation();
    await run(pool, 'oneroster-csv', fixtureFiles('oneroster'));
    const manifest = fixtureText('oneroster', 'manifest.csv').replaceAll(',bulk', ',delta');
    const header = (name: string) => `${fixtureText('oneroster', name).split('\n')[0]}\n`;
    const delta = fixtureFiles('oneroster', {
      'manifest.csv': manifest,
      'orgs.csv': header('orgs.csv'),
      'users.csv': `${header('users.csv')}usr-cia,,,true,cia.elev,,Cia,Elevsson,,,cia.elev@norr.example,,,,07,,,,,,,sch-norr,\n`,
      'roles.csv': header('roles.csv'),
      'academicSessions.csv': header('academicSessions.csv'),
      'classes.csv': header('classes.csv'),
      'enrollments.csv': `${header('enrollments.csv')}enr-6,tobedeleted,2026-10-01,cls-ma7,sch-norr,usr-bo,student,false,,\n`,
    });
    const report = await run(pool, 'oneroster-csv', delta);
    expect(report.errors).toEqual([]);
    expect(report.mode).toBe('DELTA');
    expect(report.changes.map((c) => `${c.entity} ${c.kind} ${c.key}`)).toEqual(['user update usr-cia', 'groupMembership end usr-bo @ cls-ma7']);
    expect(await activeMembers(pool.organisationId, 'Matematik 7')).toEqual(['usr-anna', 'usr-cia']);
    expect(await activeMembers(pool.organisationId, '7A')).toEqual(['usr-anna', 'usr-bo', 'usr-cia']);
  });
});
