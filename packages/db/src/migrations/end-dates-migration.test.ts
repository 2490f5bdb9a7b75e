// The migration that makes end dates days (20261201012525_end_dates_are_days), run on a database
// that holds data written with the previous schema: every row stays, and each instant becomes the
// day the rule gives (see the migration's own comment and docs/DOMAIN.md).
import { afterEach, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../testing/test-database.ts';
import { readMigrations } from './migrations.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';
const MIGRATION = '20261201012525_end_dates_are_days';

const ids = {
  organisation: '0192f000-0000-7000-8000-000000000001',
  school: '0192f000-0000-7000-8000-000000000002',
  supplier: '0192f000-0000-7000-8000-000000000003',
  year: '0192f000-0000-7000-8000-000000000004',
  halfYear: '0192f000-0000-7000-8000-000000000005',
  order: '0192f000-0000-7000-8000-000000000006',
  user: '0192f000-0000-7000-8000-000000000007',
};
const license = (n: number) => `0192f000-0000-7000-8000-0000000001${String(n).padStart(2, '0')}`;

/** Licenses as the previous schema stored them (UTC timestamps) and what they must become. */
const LICENSES = [
  // Started at noon in Stockholm: usable until noon a year on, so through that day.
  {
    n: 1,
    product: 'year',
    deliveredAt: '2026-06-01 08:00',
    autoStartAt: '2026-10-01 08:00',
    startedAt: '2026-06-01 10:00',
    endDate: '2027-06-01 10:00',
    expect: { autoStartOn: '2026-10-01', endDate: '2027-06-01' },
  },
  // Expiring at 00:00 in Stockholm (22:00 UTC in summer): its last usable day is the day before.
  {
    n: 2,
    product: 'year',
    deliveredAt: '2026-05-31 08:00',
    autoStartAt: '2026-09-30 08:00',
    startedAt: '2026-05-31 22:00',
    endDate: '2027-05-31 22:00',
    expect: { autoStartOn: '2026-09-30', endDate: '2027-05-31' },
  },
  // Not started, delivered at 01:30 on 1 October in Stockholm (still 30 September in UTC).
  {
    n: 3,
    product: 'year',
    deliveredAt: '2026-09-30 23:30',
    autoStartAt: '2027-01-30 23:30',
    startedAt: null,
    endDate: '2028-01-30 23:30',
    expect: { autoStartOn: '2027-02-01', endDate: '2028-02-01' },
  },
  // Not started, delivered on 31 October: four months on is the last day of February.
  {
    n: 4,
    product: 'halfYear',
    deliveredAt: '2026-10-31 08:00',
    autoStartAt: '2027-02-28 08:00',
    startedAt: null,
    endDate: '2027-08-28 08:00',
    expect: { autoStartOn: '2027-02-28', endDate: '2027-08-28' },
  },
  // Expired long ago, its assignment never written down by a sweep.
  {
    n: 5,
    product: 'year',
    deliveredAt: '2024-01-15 12:00',
    autoStartAt: '2024-05-15 12:00',
    startedAt: '2024-01-15 12:00',
    endDate: '2025-01-15 12:00',
    expect: { autoStartOn: '2024-05-15', endDate: '2025-01-15' },
  },
  // Started across a daylight-saving change: 01:30 on 27 March 2027 in Stockholm.
  {
    n: 6,
    product: 'halfYear',
    deliveredAt: '2027-03-01 08:00',
    autoStartAt: '2027-07-01 08:00',
    startedAt: '2027-03-27 00:30',
    endDate: '2027-09-27 00:30',
    expect: { autoStartOn: '2027-07-01', endDate: '2027-09-27' },
  },
] as const;

describe(`the end-dates migration on existing data on ${backend}`, () => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it('keeps every row and turns end dates and auto-start moments into days of the organisation', async () => {
    db = await openTestDatabase({ migrate: false });
    const migrations = await readMigrations();
    const index = migrations.findIndex((m) => m.name === MIGRATION);
    expect(index).toBeGreaterThan(0);
    await db.migrate({ migrations: migrations.slice(0, index) });

    const sql = (text: string) => db!.prisma.$executeRawUnsafe(text);
    await sql(`INSERT INTO "Organisation" (id, name) VALUES ('${ids.organisation}', 'Nordstad kommun')`);
    await sql(`INSERT INTO "School" (id, "organisationId", name) VALUES ('${ids.school}', '${ids.organisation}', 'Ekskolan')`);
    await sql(`INSERT INTO "Supplier" (id, name) VALUES ('${ids.supplier}', 'Läromedia')`);
    await sql(`INSERT INTO "Product" (id, "supplierId", name, "validityMonths", "deliveryMode") VALUES
      ('${ids.year}', '${ids.supplier}', 'Matematik 7', 12, 'DIRECT'), ('${ids.halfYear}', '${ids.supplier}', 'Svenska', 6, 'DIRECT')`);
    await sql(`INSERT INTO "Order" (id, "schoolId", "productId", quantity, "deliveryMode", status, "placedAt", "deliveredAt") VALUES
      ('${ids.order}', '${ids.school}', '${ids.year}', 6, 'DIRECT', 'DELIVERED', '2024-01-15 12:00', '2024-01-15 12:00')`);
    await sql(`INSERT INTO "User" (id, "organisationId", name, email) VALUES ('${ids.user}', '${ids.organisation}', 'Saga Elev', 'saga@example.org')`);
    for (const l of LICENSES) {
      const value = (text: string | null) => (text === null ? 'NULL' : `'${text}'`);
      await sql(`INSERT INTO "License" (id, "schoolId", "productId", "orderId", "deliveredAt", "autoStartAt", "startedAt", "endDate", "assignedUserId")
        VALUES ('${license(l.n)}', '${ids.school}', '${ids[l.product]}', '${ids.order}', ${value(l.deliveredAt)}, ${value(l.autoStartAt)},
          ${value(l.startedAt)}, ${value(l.endDate)}, ${l.n === 5 ? `'${ids.user}'` : 'NULL'})`);
    }
    await sql(`INSERT INTO "Assignment" (id, "licenseId", "userId", "productId", "schoolId", "assignedAt")
      VALUES ('0192f000-0000-7000-8000-000000000201', '${license(5)}', '${ids.user}', '${ids.year}', '${ids.school}', '2024-01-15 12:00')`);
    await sql(`INSERT INTO "AuditEvent" (id, "organisationId", action, "actorLabel", "licenseId", "createdAt")
      VALUES ('0192f000-0000-7000-8000-000000000301', '${ids.organisation}', 'LICENSE_ASSIGNED', 'Sara', '${license(5)}', '2024-01-15 12:00')`);

    const report = await db.migrate();
    // This migration and the ones that came after it.
    expect(report.applied).toEqual(migrations.slice(index).map((m) => m.name));

    const organisation = await db.prisma.organisation.findUniqueOrThrow({ where: { id: ids.organisation } });
    expect(organisation.timeZone).toBe('Europe/Stockholm');
    const rows = await db.prisma.license.findMany({ orderBy: { id: 'asc' } });
    expect(rows.map((row) => row.id)).toEqual(LICENSES.map((l) => license(l.n)));
    for (const l of LICENSES) {
      const row = rows.find((r) => r.id === license(l.n))!;
      const day = (date: Date) => date.toISOString().slice(0, 10);
      expect({ autoStartOn: day(row.autoStartOn), endDate: day(row.endDate) }, `license ${l.n}`).toEqual(l.expect);
      // What was not a date is untouched.
      expect(row.startedAt?.toISOString() ?? null).toBe(l.startedAt ? new Date(`${l.startedAt}Z`).toISOString() : null);
      expect(row.deliveredAt.toISOString()).toBe(new Date(`${l.deliveredAt}Z`).toISOString());
    }
    expect(await db.prisma.assignment.count()).toBe(1);
    expect(await db.prisma.auditEvent.count()).toBe(1);
    expect((await db.prisma.license.findUniqueOrThrow({ where: { id: license(5) } })).assignedUserId).toBe(ids.user);
  });
});
