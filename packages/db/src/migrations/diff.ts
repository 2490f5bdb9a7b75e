// What SQL would bring the committed migrations to schema.prisma. Empty means they agree.
// The schema engine replays the migrations on a throw-away in-memory PGlite shadow database.
import { readFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { migrationLock, migrationsDir, readMigrations, schemaPath } from './migrations.ts';
import { openSchemaEngine } from './schema-engine.ts';

const noFilters = { externalTables: [], externalEnums: [] };

export async function diffMigrationsToSchema(options: { migrationsDir?: string; schemaPath?: string } = {}): Promise<string> {
  const dir = options.migrationsDir ?? migrationsDir;
  const path = options.schemaPath ?? schemaPath;
  const [migrations, schema] = await Promise.all([readMigrations(dir), readFile(path, 'utf8')]);
  const shadow = new PGlite();
  try {
    const engine = await openSchemaEngine(new PrismaPGlite(shadow));
    const result = await engine.diff({
      from: {
        tag: 'migrations',
        baseDir: dir,
        lockfile: { path: 'migration_lock.toml', content: migrationLock },
        shadowDbInitScript: '',
        migrationDirectories: migrations.map((m) => ({
          path: m.name,
          migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: m.sql } },
        })),
      },
      to: { tag: 'schemaDatamodel', files: [{ path, content: schema }] },
      script: true,
      exitCode: null,
      filters: noFilters,
    });
    const script = result.stdout ?? '';
    // An empty diff is still a script of comments only.
    return script.split('\n').some((line) => line.trim() && !line.trim().startsWith('--')) ? script : '';
  } finally {
    await shadow.close();
  }
}
