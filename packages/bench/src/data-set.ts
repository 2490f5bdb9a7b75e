// A generated data set of realistic size, written with multi-row INSERTs (one statement per
// chunk of rows, through `pg` or PGlite, never row by row through Prisma), with a progress bar.
//
// At scale 1: 1 organisation, 50 schools of 400 members (380 students, 18 teachers, 2 school
// admins), 100 products of 5 suppliers, each school holding 20 of them with 200 licenses each:
// 20,001 users, 200,000 licenses, 160,000 assignments. Of every school's 200 licenses of a
// product: 120 assigned, 30 reusable (revoked, with 3 different end dates), 10 expired, 40 new.
import { randomUUID } from 'node:crypto';
import { addMonths } from '@school-licenses/api';
import type { Sql } from './sql.ts';

export interface Scale {
  schools: number;
  studentsPerSchool: number;
  teachersPerSchool: number;
  products: number;
  productsPerSchool: number;
  /** Per school and product: assigned, reusable, expired, new. */
  licenses: { assigned: number; reusable: number; expired: number; new: number };
}

export const FULL_SCALE: Scale = {
  schools: 50,
  studentsPerSchool: 380,
  teachersPerSchool: 18,
  products: 100,
  productsPerSchool: 20,
  licenses: { assigned: 120, reusable: 30, expired: 10, new: 40 },
};

/**
 * The full data set with `factor` times the schools (and so users and licenses), at least 1, and
 * `licensesFactor` times the licenses of each kind per school and product: the shape of a school
 * that holds ten times the licenses of a product (with the students to have held them), which
 * must cost the view, availability and assignLicense no more than the usual one.
 */
export function scaled(factor: number, licensesFactor = 1): Scale {
  const licenses = Object.fromEntries(
    Object.entries(FULL_SCALE.licenses).map(([kind, count]) => [kind, Math.round(count * licensesFactor)]),
  ) as Scale['licenses'];
  const held = licenses.assigned + licenses.reusable + licenses.expired;
  return {
    ...FULL_SCALE,
    schools: Math.max(1, Math.round(FULL_SCALE.schools * factor)),
    studentsPerSchool: Math.max(FULL_SCALE.studentsPerSchool, held),
    licenses,
  };
}

export const ADMIN_EMAIL = 'org.admin@bench.example';

type Row = (string | number | boolean | null)[];
interface Table {
  name: string;
  /** Column name and SQL type the text value is cast to. */
  columns: [string, string][];
}

const T = {
  organisation: {
    name: 'Organisation',
    columns: [
      ['id', 'uuid'],
      ['name', 'text'],
      ['createdAt', 'timestamp(3)'],
    ],
  },
  supplier: {
    name: 'Supplier',
    columns: [
      ['id', 'uuid'],
      ['name', 'text'],
      ['createdAt', 'timestamp(3)'],
    ],
  },
  product: {
    name: 'Product',
    columns: [
      ['id', 'uuid'],
      ['supplierId', 'uuid'],
      ['name', 'text'],
      ['validityMonths', 'int'],
      ['deliveryMode', '"DeliveryMode"'],
      ['createdAt', 'timestamp(3)'],
    ],
  },
  school: {
    name: 'School',
    columns: [
      ['id', 'uuid'],
      ['organisationId', 'uuid'],
      ['name', 'text'],
      ['createdAt', 'timestamp(3)'],
    ],
  },
  user: {
    name: 'User',
    columns: [
      ['id', 'uuid'],
      ['organisationId', 'uuid'],
      ['name', 'text'],
      ['email', 'text'],
      ['isOrganisationAdmin', 'boolean'],
      ['createdAt', 'timestamp(3)'],
    ],
  },
  membership: {
    name: 'SchoolMembership',
    columns: [
      ['userId', 'uuid'],
      ['schoolId', 'uuid'],
      ['role', '"SchoolRole"'],
      ['createdAt', 'timestamp(3)'],
    ],
  },
  order: {
    name: 'Order',
    columns: [
      ['id', 'uuid'],
      ['schoolId', 'uuid'],
      ['productId', 'uuid'],
      ['quantity', 'int'],
      ['deliveryMode', '"DeliveryMode"'],
      ['status', '"OrderStatus"'],
      ['placedById', 'uuid'],
      ['placedAt', 'timestamp(3)'],
      ['deliveredAt', 'timestamp(3)'],
    ],
  },
  license: {
    name: 'License',
    columns: [
      ['id', 'uuid'],
      ['schoolId', 'uuid'],
      ['productId', 'uuid'],
      ['orderId', 'uuid'],
      ['deliveredAt', 'timestamp(3)'],
      ['autoStartOn', 'date'],
      ['startedAt', 'timestamp(3)'],
      ['endDate', 'date'],
      ['assignedUserId', 'uuid'],
    ],
  },
  assignment: {
    name: 'Assignment',
    columns: [
      ['id', 'uuid'],
      ['licenseId', 'uuid'],
      ['userId', 'uuid'],
      ['productId', 'uuid'],
      ['schoolId', 'uuid'],
      ['assignedAt', 'timestamp(3)'],
      ['assignedById', 'uuid'],
      ['endedAt', 'timestamp(3)'],
      ['endReason', '"AssignmentEndReason"'],
      ['endedById', 'uuid'],
      ['isActive', 'boolean'],
    ],
  },
} satisfies Record<string, Table>;

const CHUNK = 5_000;

/** One INSERT … SELECT FROM unnest(…) per chunk: every column travels as one text[] parameter. */
async function insertChunk(sql: Pick<Sql, 'query'>, table: Table, rows: Row[]): Promise<void> {
  const columns = table.columns.map(([name]) => `"${name}"`).join(', ');
  const casts = table.columns.map(([, type], i) => `c${i}::${type}`).join(', ');
  const unnest = table.columns.map((_, i) => `$${i + 1}::text[]`).join(', ');
  const aliases = table.columns.map((_, i) => `c${i}`).join(', ');
  const params = table.columns.map((_, i) => rows.map((row) => (row[i] === null ? null : String(row[i]))));
  await sql.query(`INSERT INTO "${table.name}" (${columns}) SELECT ${casts} FROM unnest(${unnest}) AS t(${aliases})`, params);
}

/** `done` rows of `total` are written; `label` says what is being written. */
export type Progress = (done: number, total: number, label: string) => void;

/** A progress bar on stderr (one line per 10% when stderr is not a terminal). */
export function progressBar(): Progress & { finish(): void } {
  const started = Date.now();
  let lastDecile = -1;
  const bar = (done: number, total: number, label: string) => {
    const fraction = total ? done / total : 1;
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    const text = `${label.padEnd(12)} ${(fraction * 100).toFixed(0).padStart(3)}% ${done.toLocaleString('en')}/${total.toLocaleString('en')} rows ${seconds}s`;
    if (process.stderr.isTTY) {
      const width = 30;
      const filled = Math.round(fraction * width);
      process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}   `);
    } else if (Math.floor(fraction * 10) > lastDecile) {
      lastDecile = Math.floor(fraction * 10);
      process.stderr.write(`${text}\n`);
    }
  };
  return Object.assign(bar, { finish: () => process.stderr.isTTY && process.stderr.write('\n') });
}

/** Generates the data set into an empty, migrated database. Returns the number of rows written. */
export async function generateDataSet(sql: Sql, scale: Scale, progress: Progress = () => {}): Promise<number> {
  // Whole days, so end dates repeat across schools as they would after real revokes.
  const base = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);
  const at = (months: number) => addMonths(base, months).toISOString();
  const day = (months: number) => at(months).slice(0, 10);
  const created = at(-24);

  const organisationId = randomUUID();
  const suppliers = Array.from({ length: 5 }, (_, i) => [randomUUID(), `Supplier ${i + 1}`, created] as Row);
  const products = Array.from(
    { length: scale.products },
    (_, i) => [randomUUID(), suppliers[i % suppliers.length]![0]!, `Product ${String(i + 1).padStart(3, '0')}`, 12, 'DIRECT', created] as Row,
  );
  const adminId = randomUUID();
  const users: Row[] = [[adminId, organisationId, 'Olga Org-Admin', ADMIN_EMAIL, true, created]];
  const schools: Row[] = [];
  const memberships: Row[] = [];
  const orders: Row[] = [];
  const licenses: Row[] = [];
  const assignments: Row[] = [];
  const { assigned, reusable, expired } = scale.licenses;
  const fresh = scale.licenses.new;
  if (assigned + reusable + expired > scale.studentsPerSchool) throw new Error('more licenses than students');

  for (let s = 0; s < scale.schools; s++) {
    const schoolId = randomUUID();
    schools.push([schoolId, organisationId, `School ${String(s + 1).padStart(2, '0')}`, created]);
    const member = (name: string, role: string) => {
      const id = randomUUID();
      users.push([id, organisationId, name, `${name.toLowerCase().replaceAll(' ', '.')}@bench.example`, false, created]);
      memberships.push([id, schoolId, role, created]);
      return id;
    };
    const students = Array.from({ length: scale.studentsPerSchool }, (_, i) => member(`Student ${s + 1}-${i + 1}`, 'STUDENT'));
    for (let i = 0; i < scale.teachersPerSchool; i++) member(`Teacher ${s + 1}-${i + 1}`, 'TEACHER');
    const schoolAdmin = member(`Admin ${s + 1}-1`, 'SCHOOL_ADMIN');
    member(`Admin ${s + 1}-2`, 'SCHOOL_ADMIN');

    for (let k = 0; k < scale.productsPerSchool; k++) {
      const productId = products[(s * 7 + k) % products.length]![0] as string;
      // Students holding or having held this product: a window that moves with the product.
      const student = (j: number) => students[(k * 37 + j) % students.length]!;
      const order = (quantity: number, deliveredMonths: number) => {
        const id = randomUUID();
        orders.push([id, schoolId, productId, quantity, 'DIRECT', 'DELIVERED', schoolAdmin, at(deliveredMonths), at(deliveredMonths)]);
        return id;
      };
      const license = (orderId: string, delivered: number, started: number | null, end: number, holder: string | null) => {
        const id = randomUUID();
        // End dates and auto-start days are days (the API's docs/DOMAIN.md).
        licenses.push([id, schoolId, productId, orderId, at(delivered), day(delivered + 4), started === null ? null : at(started), day(end), holder]);
        return id;
      };
      const assignment = (licenseId: string, userId: string, assignedAt: number, ended: { at: number; reason: string } | null) =>
        assignments.push([
          randomUUID(),
          licenseId,
          userId,
          productId,
          schoolId,
          at(assignedAt),
          schoolAdmin,
          ended ? at(ended.at) : null,
          ended?.reason ?? null,
          ended ? schoolAdmin : null,
          ended ? null : true,
        ]);

      // Delivered a year ago: assigned ones, and revoked ones that are reusable (3 end dates).
      const lastYear = order(assigned + reusable, -12);
      for (let j = 0; j < assigned; j++) {
        const started = -11 + (j % 3);
        assignment(license(lastYear, -12, started, started + 12, student(j)), student(j), started, null);
      }
      for (let j = 0; j < reusable; j++) {
        const started = -11 + (j % 3);
        const holder = student(assigned + expired + j);
        assignment(license(lastYear, -12, started, started + 12, null), holder, started, { at: -1, reason: 'REVOKED_BY_ADMIN' });
      }
      // Delivered 20 months ago, started and expired while held.
      const old = order(expired, -20);
      for (let j = 0; j < expired; j++) {
        assignment(license(old, -20, -18, -6, null), student(assigned + j), -18, { at: -6, reason: 'EXPIRED' });
      }
      // Delivered a month ago, not started: they start by themselves in 3 months.
      const recent = order(fresh, -1);
      for (let j = 0; j < fresh; j++) license(recent, -1, null, 15, null);
    }
  }

  const plan: [Table, Row[]][] = [
    [T.organisation, [[organisationId, 'Bench kommun', created]]],
    [T.supplier, suppliers],
    [T.product, products],
    [T.school, schools],
    [T.user, users],
    [T.membership, memberships],
    [T.order, orders],
    [T.license, licenses],
    [T.assignment, assignments],
  ];
  const total = plan.reduce((sum, [, rows]) => sum + rows.length, 0);
  let done = 0;
  for (const [table, rows] of plan) {
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK);
      await insertChunk(sql, table, chunk);
      done += chunk.length;
      progress(done, total, table.name);
    }
  }
  // A bulk load leaves autovacuum and hint-bit writes to the first reads: vacuumed here, they do
  // not fall into the first measurement (the API's, which then ran at two thirds of its speed).
  await sql.query('VACUUM (ANALYZE)');
  return total;
}

/** What the benchmark needs to know about a generated data set, read back from the database. */
export interface Manifest {
  adminId: string;
  schools: {
    id: string;
    products: {
      id: string;
      /** The earliest end date of the reusable pool. */
      poolEndDate: string;
      /** Students who hold no license of the product: free to be assigned one. */
      freeStudents: string[];
    }[];
  }[];
  /** Holders of licenses (the first 200 licenses held, by id): whom the entitlement check asks about. */
  holders: { userId: string; productId: string }[];
}

export async function readManifest(sql: Pick<Sql, 'query'>, freeStudentsPerProduct = 8): Promise<Manifest> {
  const [admin] = await sql.query<{ id: string }>(`SELECT id::text FROM "User" WHERE email = $1`, [ADMIN_EMAIL]);
  if (!admin) throw new Error('no data set: run the generator first');
  const rows = await sql.query<{ schoolId: string; productId: string; poolEndDate: string; free: string[] }>(
    `SELECT s.id::text AS "schoolId", p."productId"::text AS "productId", p."poolEndDate"::text AS "poolEndDate",
       ARRAY(SELECT m."userId"::text FROM "SchoolMembership" m
             WHERE m."schoolId" = s.id AND m.role = 'STUDENT'
               AND NOT EXISTS (SELECT 1 FROM "Assignment" a
                               WHERE a."userId" = m."userId" AND a."productId" = p."productId" AND a."isActive")
             ORDER BY m."userId" LIMIT $1) AS free
     FROM "School" s
     CROSS JOIN LATERAL (
       SELECT l."productId", min(l."endDate") AS "poolEndDate" FROM "License" l
       WHERE l."schoolId" = s.id AND l."assignedUserId" IS NULL AND l."startedAt" IS NOT NULL AND l."endDate" >= (now() AT TIME ZONE 'Europe/Stockholm')::date
       GROUP BY l."productId") p
     ORDER BY s.name, p."productId"`,
    [freeStudentsPerProduct],
  );
  const schools = new Map<string, Manifest['schools'][number]>();
  for (const row of rows) {
    const school = schools.get(row.schoolId) ?? { id: row.schoolId, products: [] };
    schools.set(row.schoolId, school);
    school.products.push({ id: row.productId, poolEndDate: String(row.poolEndDate).slice(0, 10), freeStudents: row.free });
  }
  const holders = await sql.query<{ userId: string; productId: string }>(
    `SELECT "assignedUserId"::text AS "userId", "productId"::text AS "productId" FROM "License" WHERE "assignedUserId" IS NOT NULL ORDER BY id LIMIT 200`,
  );
  return { adminId: admin.id, schools: [...schools.values()], holders };
}
