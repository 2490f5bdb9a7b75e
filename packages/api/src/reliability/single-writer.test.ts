// The embedded database is one process's: a second server, or a command, on the same PGlite
// directory is refused at once with what to do instead, and a crashed holder's lock does not keep
// the next server out. Real child processes (src/server.ts and the commands) on a temporary
// directory. Its subject is PGlite alone, so it is skipped when DATABASE_URL is set: `npm test`
// with DATABASE_URL runs the API's suite on PGlite too, where it runs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openTestDatabase } from '@school-licenses/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_AUTH } from '../testing/harness.ts';
import { eventually, runCliCommand, startServerProcess, type ServerProcess } from '../testing/http.ts';

const _packageDir = fileURLToPath(new URL('../..', import.meta.url));
function runCommand(command: 'sweep' | 'create-api-key', env: Record<string, string>, args: string[] = []) {
  return runCliCommand(command, args, { ...process.env, ...env });
}

describe.skipIf(process.env.DATABASE_URL)('one process per embedded database', () => {
  let dataDir: string;
  let env: Record<string, string>;
  const started: ServerProcess[] = [];
  const start = async () => {
    const server = await startServerProcess(env);
    started.push(server);
    return server;
  };
  const ready = (server: ServerProcess) =>
    eventually(async () => {
      const response = await fetch(`${server.origin}/ready`);
      if (response.status !== 200) throw new Error(`ready: ${response.status}`);
    }, 'the server to be ready');

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'licenses-lock-'));
    env = { JWT_SECRET: TEST_AUTH.jwtSecret!, DATABASE_URL: '', PGLITE_DATA_DIR: dataDir };
    // Migrated already (a copy of the test run's template), so the first server does not wait for PGlite's initdb.
    await (await openTestDatabase({ pgliteDataDir: dataDir })).close();
  });
  afterAll(async () => {
    for (const server of started) if (server.child.exitCode === null && server.child.signalCode === null) server.kill('SIGKILL');
    await Promise.all(started.map((s) => s.exited));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a second server and the commands are refused while a server runs; after kill -9 the next server starts', async () => {
    const first = await start();
    await ready(first);
    const second = await start();
    expect(await second.exited).toEqual({ code: 1, signal: null });
    const pid = String(first.child.pid);
    expect(second.output()).toContain(`in use by process ${pid}`);
    expect(second.output()).not.toMatch(/\n\s+at /); // one line, no stack trace

    for (const [command, args] of [
      ['sweep', []],
      ['create-api-key', ['--name', 'LMS', '--kind', 'SUPPLIER', '--supplier', '00000000-0000-4000-8000-000000000000']],
    ] as const) {
      const refused = await runCommand(command, env, [...args]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`in use by process ${pid}`);
      expect(refused.stderr).toContain('Stop');
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    }
    // The first server still answers.
    expect((await fetch(`${first.origin}/ready`)).status).toBe(200);

    first.kill('SIGKILL');
    await first.exited;
    const third = await start();
    await ready(third);
    third.kill('SIGTERM');
    expect(await third.exited).toEqual({ code: 0, signal: null });

    // Stopped cleanly, the lock is gone: a command runs.
    const sweep = await runCommand('sweep', env);
    expect(sweep.stderr).toBe('');
    expect(sweep.code).toBe(0);
  }, 240_000); // five processes start one after another; slow beside other test files
});
