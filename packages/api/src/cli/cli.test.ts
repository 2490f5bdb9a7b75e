// The commands against a real database: PGlite in a temporary data directory, or a fresh
// PostgreSQL database when DATABASE_URL is set. Run in process (each command is a function of its
// arguments, environment, output and database) over the test's open database, which spares a
// Node, Prisma and PGlite boot per run; a few runs are real processes, to prove the wiring: exit
// codes, the database the environment names, the progress lines on a pipe, and PGlite's refusal
// of a second process.
import { issueApiKey } from '../domain/api-credentials.ts';
import { inTransaction } from '../domain/transaction.ts';
import { dayAt, DEFAULT_TIME_ZONE, startOfDay } from '../domain/days.ts';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { openDatabase, type Database } from '@school-licenses/db';
import { openTestDatabase } from '@school-licenses/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../clock.ts';
import { ensureDemoData } from '../seed/demo.ts';
import { TEST_AUTH } from '../testing/harness.ts';
import { runCliCommand, type CommandRun } from '../testing/http.ts';
import { createApi } from '../yoga.ts';
import { checkCounters } from './check-counters.ts';
import { createApiKey } from './create-api-key.ts';
import { printSchema } from './print-schema.ts';
import { revokeApiKeyCommand } from './revoke-api-key.ts';
import { roster } from './roster.ts';
import { type Command, runCommand } from './run-command.ts';
import { sweep } from './sweep.ts';

const packageDir = fileURLToPath(new URL('../..', import.meta.url));
const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

type Run = CommandRun;
type CommandName = 'sweep' | 'check-counters' | 'create-api-key' | 'revoke-api-key' | 'roster';
const commands: Record<CommandName, Command> = {
  sweep,
  'check-counters': checkCounters,
  'create-api-key': createApiKey,
  'revoke-api-key': revokeApiKeyCommand,
  roster,
};

/** A command in this process, its output captured as a process's would be (not a terminal). */
async function runInProcess(command: CommandName, args: string[], env: NodeJS.ProcessEnv, openDatabase?: () => Promise<Database>): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCommand(commands[command], {
    args,
    env,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text), isTTY: false },
    ...(openDatabase ? { openDatabase } : {}),
  });
  return { code, stdout, stderr };
}

describe(`commands on ${backend}`, () => {
  let env: Record<string, string>;
  let dataDir: string | undefined;
  // The test's database, kept open between commands: opening a PGlite directory takes most of a
  // second. PGlite allows one process, so it is let go before a command runs as a process.
  let open: Database | undefined;

  async function database(): Promise<Database> {
    open ??= await openDatabase({ dataDir });
    return open;
  }
  async function withDatabase<T>(work: (db: Database) => Promise<T>): Promise<T> {
    return work(await database());
  }
  async function letGo() {
    if (!dataDir || !open) return;
    await open.close();
    open = undefined;
  }

  function environment(extraEnv: Record<string, string>): NodeJS.ProcessEnv {
    const { DATABASE_URL: _url, PGLITE_DATA_DIR: _dir, ...inherited } = process.env;
    return { ...inherited, ...env, ...extraEnv };
  }
  /**
   * The command in process, over the test's open database (which it does not close), unless
   * `extraEnv` names a database of its own: how a command opens its database is what the runs as
   * processes, and that case, prove.
   */
  function run(command: CommandName, args: string[] = [], extraEnv: Record<string, string> = {}): Promise<Run> {
    const ownDatabase = 'DATABASE_URL' in extraEnv || 'PGLITE_DATA_DIR' in extraEnv;
    const shared = async () => ({ ...(await database()), close: async () => {} });
    return runInProcess(command, args, environment(extraEnv), ownDatabase ? undefined : shared);
  }
  /** The command as an operator runs it: a Node process of its own. */
  async function spawn(command: CommandName, args: string[] = [], extraEnv: Record<string, string> = {}): Promise<Run> {
    await letGo();
    return runCliCommand(command, args, environment(extraEnv));
  }

  beforeAll(async () => {
    if (process.env.DATABASE_URL) {
      const db = await openTestDatabase();
      open = db;
      env = { DATABASE_URL: db.url! };
    } else {
      dataDir = await mkdtemp(join(tmpdir(), 'licenses-cli-'));
      env = { PGLITE_DATA_DIR: dataDir };
      open = await openTestDatabase({ pgliteDataDir: dataDir });
    }
    // The demo story as of now: licenses past their auto-start deadline that no sweep has written down.
    await ensureDemoData(open.prisma, new ManualClock(new Date()), TEST_AUTH);
  });
  afterAll(async () => {
    await open?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  describe('--help', () => {
    it('prints the usage on stdout with exit code 0 for every command, before any other check', async () => {
      for (const [command, args] of [
        ['sweep', ['--help']],
        ['check-counters', ['-h']],
        ['create-api-key', ['--help']],
        ['revoke-api-key', ['--credential', 'nope', '-h']],
        ['roster', ['import', '--help']],
        ['roster', ['--help']],
        ['roster', ['import', '--format', 'ss12000', '-h']],
      ] as const) {
        const result = await run(command, [...args]);
        expect(result, `${command} ${args.join(' ')}`).toEqual({
          code: 0,
          stdout: expect.stringMatching(new RegExp(`^usage: pnpm ${command}.*\n$`)),
          stderr: '',
        });
      }
      // schema:print too, which then writes nothing.
      let stdout = '';
      const code = await runCommand(printSchema, {
        args: ['--help'],
        env: {},
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: () => {} },
      });
      expect({ code, stdout }).toEqual({ code: 0, stdout: expect.stringMatching(/^usage: pnpm schema:print \(takes no arguments/) });
      // As a process, as the newcomer ran it: the exit code is the process's, and help opens no
      // database (this test's PGlite stays open).
      const spawned = await runCliCommand('roster', ['import', '--help'], environment({}));
      expect(spawned).toEqual({
        code: 0,
        stdout: expect.stringMatching(/^usage: pnpm roster import --format oneroster-csv\|ss12000 --organisation <id>/),
        stderr: '',
      });
    });
  });

  describe('sweep', () => {
    it('starts the licenses past their deadline once, with an audit event each, and says how many', async () => {
      const due = await withDatabase((db) =>
        db.prisma.license.count({ where: { startedAt: null, autoStartOn: { lte: dayAt(new Date(), DEFAULT_TIME_ZONE) } } }),
      );
      expect(due).toBeGreaterThanOrEqual(9);

      const first = await run('sweep');
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(first.stdout).toContain(`${due} license(s) auto-started so far`);
      expect(first.stdout).toMatch(new RegExp(`sweep done: ${due} license\\(s\\) auto-started`));

      await withDatabase(async (db) => {
        expect(await db.prisma.license.count({ where: { startedAt: null, autoStartOn: { lte: dayAt(new Date(), DEFAULT_TIME_ZONE) } } })).toBe(0);
        expect(await db.prisma.auditEvent.count({ where: { action: 'LICENSE_AUTO_STARTED' } })).toBe(due);
        // Started at 00:00 of the auto-start day in the organisation's zone, not when the sweep ran,
        // and recorded then, by the system.
        const started = await db.prisma.license.findMany({
          where: { auditEvents: { some: { action: 'LICENSE_AUTO_STARTED' } } },
          include: { auditEvents: { where: { action: 'LICENSE_AUTO_STARTED' } } },
        });
        expect(started.every((l) => l.startedAt?.getTime() === startOfDay(l.autoStartOn, DEFAULT_TIME_ZONE).getTime())).toBe(true);
        expect(started.every((l) => l.auditEvents[0]!.createdAt.getTime() === l.startedAt!.getTime() && l.auditEvents[0]!.actorLabel === 'system')).toBe(true);
      });

      const second = await run('sweep');
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(/sweep done: 0 license\(s\) auto-started, 0 assignment/);
    });

    it('refuses arguments and a bad DATABASE_URL with one line and exit code 1', async () => {
      for (const [args, extraEnv, message] of [
        [['--now', 'tomorrow'], {}, /^error: Unknown option '--now'/],
        [[], { DATABASE_URL: 'mysql://localhost/licenses' }, /^error: DATABASE_URL must start with postgres:\/\//],
      ] as const) {
        const result = await run('sweep', [...args], extraEnv);
        expect(result.code).toBe(1);
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
        expect(result.stderr).toMatch(message);
      }
      // As a process: the same line, and the exit code is the process's.
      const spawned = await spawn('sweep', ['--now', 'tomorrow']);
      expect(spawned.code).toBe(1);
      expect(spawned.stderr.trim().split('\n')).toHaveLength(1);
      expect(spawned.stderr).toMatch(/^error: Unknown option '--now'/);
    });

    it.skipIf(process.env.DATABASE_URL)('is refused, as a process, while another process holds the PGlite directory', async () => {
      await withDatabase(async () => {
        const result = await runCliCommand('sweep', [], environment({}));
        expect(result.code).toBe(1);
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
        expect(result.stderr).toMatch(new RegExp(`^error: .*in use by process ${process.pid}`));
      });
    });
  });

  describe('check-counters', () => {
    it('finds the counters right, reports a wrong one with exit code 2, and repairs it with --repair', async () => {
      const agree = await run('check-counters');
      expect(agree.stderr).toBe('');
      expect(agree.code).toBe(0);
      expect(agree.stdout).toContain('counters agree with the licenses');

      // A counter written behind the trigger's back: one group says one license more than there is.
      const wrong = await withDatabase(async (db) => {
        const [row] = await db.prisma.$queryRawUnsafe<{ schoolId: string; endDate: string; count: number }[]>(`
          UPDATE "LicenseDayCount" SET count = count + 1
          WHERE ("schoolId", "productId", "endDate", "autoStartOn", started, assigned) =
            (SELECT "schoolId", "productId", "endDate", "autoStartOn", started, assigned FROM "LicenseDayCount" WHERE count > 0 LIMIT 1)
          RETURNING "schoolId"::text AS "schoolId", "endDate"::text AS "endDate", count`);
        return row!;
      });
      // A process, so that its exit code 2 is the process's.
      const found = await spawn('check-counters');
      expect(found.code).toBe(2);
      expect(found.stdout).toContain('1 counter(s) differ from the licenses:');
      expect(found.stdout).toContain(`school ${wrong.schoolId}`);
      expect(found.stdout).toContain(`end date ${wrong.endDate}`);
      expect(found.stdout).toContain(`counter ${wrong.count}, licenses ${wrong.count - 1}`);
      expect(found.stdout).toContain('--repair');

      const repaired = await run('check-counters', ['--repair']);
      expect(repaired.code).toBe(0);
      expect(repaired.stdout).toContain('repaired: counters rewritten from the licenses');
      expect((await run('check-counters')).code).toBe(0);
    });

    it('refuses arguments it does not know with one line and exit code 1', async () => {
      const result = await run('check-counters', ['--fix']);
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^error: Unknown option '--fix'.*usage: pnpm check-counters/);
    });
  });

  describe('create-api-key', () => {
    const ids = () =>
      withDatabase(async (db) => ({
        nordstad: (await db.prisma.organisation.findFirstOrThrow({ where: { name: 'Nordstad kommun' } })).id,
        appstudio: (await db.prisma.supplier.findFirstOrThrow({ where: { name: 'AppStudio' } })).id,
      }));
    const keyOf = (result: Run) => result.stdout.trim().split('\n').at(-1)!;
    const viewerWith = (key: string) =>
      withDatabase(async (db) => {
        const api = createApi({ prisma: db.prisma, clock: systemClock, auth: TEST_AUTH, graphiql: false });
        const response = await api.fetch('http://api.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ query: '{ viewer { kind name organisation { name } } }' }),
        });
        return response.json();
      });

    it('prints an organisation key once, stores only its hash and records who may now act for the organisation', async () => {
      const { nordstad } = await ids();
      const result = await run('create-api-key', ['--name', 'Skolportalen', '--kind', 'ORGANISATION_READ', '--organisation', nordstad]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const key = keyOf(result);
      expect(key).toMatch(/^slk_[A-Za-z0-9_-]{20,}$/);

      await withDatabase(async (db) => {
        const credential = await db.prisma.apiCredential.findFirstOrThrow({ where: { name: 'Skolportalen' } });
        expect(credential).toMatchObject({ kind: 'ORGANISATION_READ', organisationId: nordstad, supplierId: null });
        expect(credential.keyHash).not.toContain(key);
        const event = await db.prisma.auditEvent.findFirstOrThrow({ where: { action: 'API_CREDENTIAL_CREATED' } });
        expect(event).toMatchObject({ organisationId: nordstad, after: { credentialId: credential.id, name: 'Skolportalen', kind: 'ORGANISATION_READ' } });
      });
      expect(await viewerWith(key)).toEqual({
        data: { viewer: { kind: 'INTEGRATION', name: 'API key Skolportalen', organisation: { name: 'Nordstad kommun' } } },
      });
    });

    it('prints a supplier key that acts as the supplier', async () => {
      const { appstudio } = await ids();
      const result = await run('create-api-key', ['--name', 'AppStudio 2', '--kind', 'SUPPLIER', '--supplier', appstudio]);
      expect(result.code).toBe(0);
      expect(await viewerWith(keyOf(result))).toEqual({ data: { viewer: { kind: 'SUPPLIER', name: 'supplier key AppStudio 2', organisation: null } } });
    });

    it('takes the organisation as the API shows its ID, and refuses an ID of another type saying what it takes', async () => {
      const { nordstad, appstudio } = await ids();
      const result = await run('create-api-key', [
        '--name',
        'Global',
        '--kind',
        'ORGANISATION_READ',
        '--organisation',
        encodeGlobalID('Organisation', nordstad),
      ]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(await withDatabase((db) => db.prisma.apiCredential.findFirstOrThrow({ where: { name: 'Global' } }))).toMatchObject({ organisationId: nordstad });

      const school = await withDatabase(async (db) => (await db.prisma.school.findFirstOrThrow({ where: { organisationId: nordstad } })).id);
      const wrong = encodeGlobalID('School', school);
      const refused = await run('create-api-key', ['--name', 'X', '--kind', 'ORGANISATION_READ', '--organisation', wrong]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(`error: --organisation takes an organisation's ID (as the API gives it, or its UUID); ${wrong} is an ID of type School\n`);
      // The API shows no supplier IDs: a supplier is named by its UUID.
      const supplier = await run('create-api-key', ['--name', 'X', '--kind', 'SUPPLIER', '--supplier', encodeGlobalID('Supplier', appstudio)]);
      expect(supplier.code).toBe(1);
      expect(supplier.stderr).toMatch(/^error: --supplier takes a supplier's UUID; .* is not one\n$/);
    });

    it('refuses bad arguments with one clear line and exit code 1, creating nothing', async () => {
      const { nordstad, appstudio } = await ids();
      const before = await withDatabase((db) => db.prisma.apiCredential.count());
      const cases: [string[], RegExp][] = [
        [['--kind', 'SUPPLIER', '--supplier', appstudio], /--name is required/],
        [['--name', 'X', '--kind', 'ADMIN', '--organisation', nordstad], /--kind must be one of ORGANISATION_READ, ORGANISATION_READ_WRITE, SUPPLIER/],
        [['--name', 'X', '--kind', 'ORGANISATION_READ_WRITE', '--supplier', appstudio], /ORGANISATION_READ_WRITE keys need --organisation and no --supplier/],
        [['--name', 'X', '--kind', 'SUPPLIER', '--supplier', appstudio, '--organisation', nordstad], /SUPPLIER keys need --supplier and no --organisation/],
        [
          ['--name', 'X', '--kind', 'ORGANISATION_READ', '--organisation', 'not-a-uuid'],
          /--organisation takes an organisation's ID \(as the API gives it, or its UUID\); not-a-uuid is neither/,
        ],
        [['--name', 'X', '--kind', 'ORGANISATION_READ', '--organisation', appstudio], /No organisation with ID/],
        [['--name', 'X', '--kind', 'SUPPLIER', '--supplier', nordstad], /No supplier with ID/],
        [['--name', 'X', '--kind', 'SUPPLIER', '--supplier', appstudio, '--colour', 'blue'], /Unknown option '--colour'/],
      ];
      for (const [args, message] of cases) {
        const result = await run('create-api-key', args);
        expect(result.code, args.join(' ')).toBe(1);
        expect(result.stdout).toBe('');
        const lines = result.stderr.trim().split('\n');
        expect(lines, result.stderr).toHaveLength(1);
        expect(lines[0]).toMatch(/^error: /);
        expect(lines[0]).toMatch(message);
      }
      expect(await withDatabase((db) => db.prisma.apiCredential.count())).toBe(before);
    });
  });

  describe('revoke-api-key', () => {
    it('revokes a key by its credential id: refused from then on, recorded, and a second run says it already was', async () => {
      const nordstad = await withDatabase(async (db) => (await db.prisma.organisation.findFirstOrThrow({ where: { name: 'Nordstad kommun' } })).id);
      const { key, id: credentialId } = await withDatabase((db) =>
        inTransaction(db.prisma, (tx) => issueApiKey(tx, systemClock, { name: 'Gammalt LMS', kind: 'ORGANISATION_READ', organisationId: nordstad })),
      );

      const revoked = await run('revoke-api-key', ['--credential', credentialId]);
      expect(revoked.stderr).toBe('');
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toMatch(/revoked key "Gammalt LMS"/);
      await withDatabase(async (db) => {
        const response = await createApi({ prisma: db.prisma, clock: systemClock, auth: TEST_AUTH, graphiql: false }).fetch('http://api.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ query: '{ viewer { kind } }' }),
        });
        expect(response.status).toBe(401);
        const event = await db.prisma.auditEvent.findFirstOrThrow({ where: { action: 'API_CREDENTIAL_REVOKED' } });
        expect(event).toMatchObject({ organisationId: nordstad, actorLabel: 'system', before: { credentialId, name: 'Gammalt LMS' } });
      });

      // By its ID as the API shows it (Organisation.apiKeys) too.
      const again = await run('revoke-api-key', ['--credential', encodeGlobalID('ApiKey', credentialId)]);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/was already revoked/);
      const unknown = await run('revoke-api-key', ['--credential', randomUUID()]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr.trim()).toMatch(/No such API key/);
      const refused = await run('revoke-api-key', ['--credential', encodeGlobalID('Organisation', nordstad)]);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim()).toMatch(
        /^error: --credential takes an API key's ID \(as the API gives it, or its UUID\); .* is an ID of type Organisation$/,
      );
    });
  });

  describe('roster import', () => {
    const nordstad = () => withDatabase(async (db) => (await db.prisma.organisation.findFirstOrThrow({ where: { name: 'Nordstad kommun' } })).id);
    const fixtures = join(packageDir, 'src/roster/fixtures/oneroster');

    it('prints the diff of a dry run without writing, then imports with a summary, then finds nothing to change', async () => {
      const organisation = await nordstad();
      const args = ['import', '--format', 'oneroster-csv', '--organisation', organisation];
      const dry = await run('roster', [...args, '--dry-run', fixtures]);
      expect(dry.stderr).toBe('');
      expect(dry.code).toBe(0);
      expect(dry.stdout).toMatch(/would change \(dry run, nothing written\)/);
      expect(dry.stdout).toMatch(/users +7 created +0 updated +0 ended/);
      expect(await withDatabase((db) => db.prisma.user.count({ where: { externalId: { not: null } } }))).toBe(0);

      // A process: its stderr is a pipe, not a terminal.
      const real = await spawn('roster', [...args, fixtures]);
      expect(real.code).toBe(0);
      // Not a terminal: the progress is a line per tenth, on stderr. (The 30 changes of the files,
      // and the demo's class 7A, which has an external id and is not in them, ends.)
      expect(real.stderr).toMatch(/31\/31 changes applied/);
      expect(real.stdout).toMatch(/groups +4 created +0 updated +1 ended/);
      expect(real.stdout).toMatch(/group memberships +9 created/);
      expect(real.stdout).toMatch(/import [0-9a-f-]{36} completed/);
      expect(await withDatabase((db) => db.prisma.user.count({ where: { organisationId: organisation, externalId: { not: null } } }))).toBe(7);

      const again = await run('roster', [...args, fixtures]);
      expect(again.stdout).toMatch(/users +0 created +0 updated +0 ended/);
    });

    it('refuses broken files with their errors and exit code 1, and bad arguments with one line', async () => {
      const organisation = await nordstad();
      const refused = await run('roster', ['import', '--format', 'ss12000', '--organisation', organisation, fixtures]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/MISSING_FILE: No SS 12000 organisations or persons found/);
      expect(refused.stderr).toMatch(/error: the files were refused \(1 error\(s\) above\); nothing was written/);
      for (const [args, message] of [
        [['import', '--format', 'csv', '--organisation', organisation, fixtures], /--format must be one of oneroster-csv, ss12000/],
        [['import', '--format', 'ss12000', fixtures], /--organisation is required/],
        [['import', '--format', 'ss12000', '--organisation', 'not-a-uuid', fixtures], /--organisation takes an organisation's ID .*; not-a-uuid is neither/],
        [['import', '--format', 'ss12000', '--organisation', organisation, '/nonexistent'], /cannot read \/nonexistent/],
      ] as const) {
        const result = await run('roster', [...args]);
        expect(result.code, args.join(' ')).toBe(1);
        expect(result.stderr.trim().split('\n'), result.stderr).toHaveLength(1);
        expect(result.stderr).toMatch(message);
      }
    });

    it('reads a relative path from the directory the command was run in (INIT_CWD), not packages/api where pnpm --filter runs it', async () => {
      const args = ['import', '--format', 'oneroster-csv', '--organisation', await nordstad(), '--dry-run'];
      const fromInitCwd = await run('roster', [...args, 'fixtures/oneroster'], { INIT_CWD: join(packageDir, 'src/roster') });
      expect(fromInitCwd.stderr).toBe('');
      expect(fromInitCwd.code).toBe(0);
      expect(fromInitCwd.stdout).toContain(`from ${fixtures} as oneroster-csv`);
      // Without INIT_CWD (run as `node src/cli/roster.ts`): from the process's directory.
      const fromCwd = await run('roster', [...args, relative(process.cwd(), fixtures)], { INIT_CWD: '' });
      expect(fromCwd.code).toBe(0);
      expect(fromCwd.stdout).toContain(`from ${fixtures} as oneroster-csv`);
    });

    it("takes the organisation as the API shows its ID, and refuses another type's ID or a malformed one saying what it takes", async () => {
      const organisation = await nordstad();
      const args = (id: string) => ['import', '--format', 'oneroster-csv', '--organisation', id, '--dry-run', fixtures];
      const dry = await run('roster', args(encodeGlobalID('Organisation', organisation)));
      expect(dry.stderr).toBe('');
      expect(dry.code).toBe(0);
      expect(dry.stdout).toMatch(/would change \(dry run, nothing written\)/);

      const user = await withDatabase(async (db) => (await db.prisma.user.findFirstOrThrow({ where: { organisationId: organisation } })).id);
      for (const [id, given] of [
        [encodeGlobalID('User', user), 'an ID of type User'],
        [encodeGlobalID('Organisation', 'nordstad'), 'neither'],
        ['Nordstad kommun', 'neither'],
      ] as const) {
        const refused = await run('roster', args(id));
        expect(refused.code, id).toBe(1);
        expect(refused.stdout).toBe('');
        expect(refused.stderr).toBe(`error: --organisation takes an organisation's ID (as the API gives it, or its UUID); ${id} is ${given}\n`);
      }
    });
  });
});
