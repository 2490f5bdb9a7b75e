import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../testing/test-database.ts';
import { diffMigrationsToSchema } from './diff.ts';
import { migrationsDir, readMigrations, schemaPath } from './migrations.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

async function tableNames(db: TestDatabase): Promise<string[]> {
  const rows = await db.prisma.$queryRaw<{ table_name: string }[]>`
    SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`;
  return rows.map((row) => row.table_name);
}

describe(`migrations on ${backend}`, () => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it('creates every table and records each migration as prisma migrate deploy does', async () => {
    db = await openTestDatabase();
    expect(await tableNames(db)).toEqual(expect.arrayContaining(['License', 'Assignment', 'Order', 'AuditEvent', 'ApiCredential', '_prisma_migrations']));
    const migrations = await readMigrations();
    const recorded = await db.prisma.$queryRaw<{ migration_name: string; checksum: string; finished_at: Date | null }[]>`
      SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" ORDER BY migration_name`;
    expect(recorded.map((row) => [row.migration_name, row.checksum])).toEqual(migrations.map((m) => [m.name, m.checksum]));
    expect(recorded.every((row) => row.finished_at !== null)).toBe(true);
  });

  it('is idempotent: a second run applies nothing', async () => {
    db = await openTestDatabase();
    const report = await db.migrate();
    expect(report.applied).toEqual([]);
    expect(report.alreadyApplied).toBe((await readMigrations()).length);
  });

  it('leaves the database as it was when a migration fails half-way', async () => {
    db = await openTestDatabase({ migrate: false });
    const broken = {
      name: '99999999999999_broken',
      sql: 'CREATE TABLE "Half" (id int); SELECT * FROM "no_such_table";',
      checksum: 'x',
    };
    await expect(db.migrate({ migrations: [...(await readMigrations()), broken] })).rejects.toThrow(/99999999999999_broken failed, nothing was changed/);
    expect(await tableNames(db)).toEqual([]);
  });

  it('refuses a migration that was edited after it was applied', async () => {
    db = await openTestDatabase();
    const [first, ...rest] = await readMigrations();
    await expect(db.migrate({ migrations: [{ ...first!, checksum: 'edited' }, ...rest] })).rejects.toThrow(/was edited after it was applied/);
  });

  it('refuses to run older code against a database with migrations it does not know', async () => {
    db = await openTestDatabase();
    await expect(db.migrate({ migrations: [] })).rejects.toThrow(/does not know/);
  });
});

// Prisma's schema engine compares on a shadow PGlite whatever DATABASE_URL says: run once, on the
// PGlite pass of `npm test`.
describe.skipIf(process.env.DATABASE_URL)('schema.prisma and the migrations', () => {
  it('agree: `pnpm db:new-migration <name>` has nothing to write', async () => {
    expect(await diffMigrationsToSchema()).toBe('');
  });

  it('drift is detected when schema.prisma changes without a migration', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drift-'));
    await cp(migrationsDir, join(dir, 'migrations'), { recursive: true });
    const schema = (await readFile(schemaPath, 'utf8')).replace('model Supplier {', 'model Supplier {\n  website String?');
    await mkdir(join(dir, 'prisma'), { recursive: true });
    await writeFile(join(dir, 'prisma', 'schema.prisma'), schema);
    const sql = await diffMigrationsToSchema({
      migrationsDir: join(dir, 'migrations'),
      schemaPath: join(dir, 'prisma', 'schema.prisma'),
    });
    expect(sql).toMatch(/ALTER TABLE "Supplier" ADD COLUMN\s+"website" TEXT/);
  });
});
