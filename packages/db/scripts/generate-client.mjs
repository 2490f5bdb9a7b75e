// Generates the Prisma client. Prisma's CLI wants to download a native schema engine at start,
// which `generate` never runs; pointing it at any existing file skips that download, so
// generating works offline. Migrations use the WebAssembly schema engine instead (src/migrations).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const result = spawnSync('prisma', ['generate', '--schema', 'prisma/schema.prisma'], {
  cwd: packageDir,
  stdio: 'inherit',
  shell: process.platform === 'win32',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  },
});
process.exit(result.status ?? 1);
