// `pnpm db:new-migration <name>`: writes the SQL that brings the migrations to schema.prisma as
// prisma/migrations/<timestamp>_<name>/migration.sql. Needs no database.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { diffMigrationsToSchema } from '../migrations/diff.ts';
import { migrationLock, migrationsDir, MigrationError } from '../migrations/migrations.ts';
import { runCli } from './run-cli.ts';

await runCli(async () => {
  const name = process.argv[2];
  if (!name || !/^[a-z0-9_]+$/.test(name)) {
    throw new MigrationError('usage: pnpm db:new-migration <name>, the name in lower_snake_case');
  }
  const sql = await diffMigrationsToSchema();
  if (!sql) {
    console.log('schema.prisma and the migrations agree: no migration written');
    return;
  }
  const timestamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const dir = join(migrationsDir, `${timestamp}_${name}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'migration.sql'), sql);
  await writeFile(join(migrationsDir, 'migration_lock.toml'), migrationLock);
  console.log(`wrote ${dir}/migration.sql`);
});
