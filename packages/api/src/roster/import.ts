// A roster import from start to end: read and check the files, diff them against the
// organisation's roster, and (unless it is a dry run) apply the diff in bounded transactions,
// each of which also records the run's progress. Any error in the files: nothing is written.
//
// Every change goes through the roster's domain functions (roster.ts), which keep its rules and
// audit events, except the bulk of an import: new users, school memberships and group memberships
// are inserted 500 at a time with one audit event each, after the same checks, because one
// function call (and four to six statements) per record would take a municipality's import from
// seconds to many minutes.
import { createHash } from 'node:crypto';
import type { PrismaClient } from '@school-licenses/db';
import type { Clock } from '../clock.ts';
import { requireManagedOrganisation, type Actor, type Tx } from '../domain/actor.ts';
import { recordAudits, type AuditEntry } from '../domain/audit.ts';
import { LicenseError } from '../domain/errors.ts';
import { groupMembershipsStarted } from '../domain/group-licensing.ts';
import {
  createGroup,
  createSchool,
  endGroup,
  endGraduateSchoolMembership,
  endGroupMembership,
  endSchoolMembership,
  endUser,
  setGroupMembership,
  setSchoolMembership,
  updateSchool,
  upsertGroupByExternalId,
  upsertUserByExternalId,
  updateUser,
  userData,
} from '../domain/roster.ts';
import { inTransaction } from '../domain/transaction.ts';
import { diffRoster, emptySummary, knownIds, loadCurrentRoster, summarise, type DiffSummary, type Ref, type RosterChange } from './diff.ts';
import type { RosterFile } from './files.ts';
import { readCheckedRoster } from './read.ts';
import type { RecordError, RecordSource, RosterFormat, SyncMode } from './snapshot.ts';

export const DEFAULT_BATCH_SIZE = 500;
/** How many changes a report lists one by one; the summary counts them all. */
export const LISTED_CHANGES = 1000;

export interface ImportRosterInput {
  organisationId: string;
  format: RosterFormat;
  files: RosterFile[];
  dryRun: boolean;
  /** SS 12000 only (OneRoster's manifest says it): whether the files are a delta. Default: FULL. */
  ss12000Mode?: SyncMode;
}

export interface ImportRosterOptions {
  maxFileBytes: number;
  batchSize?: number;
  /** Called after each applied batch, outside its transaction. */
  onProgress?: (progress: { applied: number; total: number }) => void | Promise<void>;
}

export interface ListedChange {
  entity: RosterChange['entity'];
  kind: RosterChange['kind'];
  key: string;
  source: RecordSource | null;
}

export interface RosterImportReport {
  /** The RosterImport record of a real run; null for a dry run or refused files. */
  importId: string | null;
  dryRun: boolean;
  mode: SyncMode | null;
  /** True when nothing was written because the files have errors. */
  refused: boolean;
  /** True when this run continued an interrupted run of the same files. */
  resumed: boolean;
  /** What this run changed (a dry run: would change). A resumed run counts the interrupted part too. */
  summary: DiffSummary;
  /** Licenses taken back from leavers of a school (LEFT_SCHOOL) or of a group with a standing rule (LEFT_GROUP); a dry run: that would be. */
  revokedLicenses: number;
  /** Licenses standing rules gave (to new members, or to the waiting list with licenses freed); a dry run: would give. */
  licensesGivenByRules: number;
  /** Members standing rules put on a waiting list and still waiting when their batch ends (one served later in the same batch is not counted); a dry run: would be. */
  membersQueued: number;
  changes: ListedChange[];
  errors: RecordError[];
}

export async function importRoster(
  prisma: PrismaClient,
  clock: Clock,
  actor: Actor,
  input: ImportRosterInput,
  options: ImportRosterOptions,
): Promise<RosterImportReport> {
  requireManagedOrganisation(actor, input.organisationId, 'organisation');
  const organisation = /^[0-9a-f-]{36}$/i.test(input.organisationId)
    ? await prisma.organisation.findUnique({ where: { id: input.organisationId }, select: { id: true } })
    : null;
  if (!organisation) throw new LicenseError('NOT_FOUND', 'organisation', 'No such organisation.');
  const report: RosterImportReport = {
    importId: null,
    dryRun: input.dryRun,
    mode: null,
    refused: false,
    resumed: false,
    summary: emptySummary(),
    revokedLicenses: 0,
    licensesGivenByRules: 0,
    membersQueued: 0,
    changes: [],
    errors: [],
  };
  const refuse = (errors: RecordError[]) => ({ ...report, refused: true, errors });

  const current = await loadCurrentRoster(prisma, input.organisationId);
  const snapshot = await readCheckedRoster(input.format, input.files, {
    maxFileBytes: options.maxFileBytes,
    ss12000Mode: input.ss12000Mode,
    known: knownIds(current),
  });
  report.mode = snapshot.mode;
  if (snapshot.errors.length) return refuse(snapshot.errors);
  const now = clock.now();
  const diff = diffRoster(snapshot, current, now);
  if (diff.errors.length) return refuse(diff.errors);
  const listed = diff.changes.slice(0, LISTED_CHANGES).map(({ entity, kind, key, source }) => ({ entity, kind, key, source: source ?? null }));

  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (input.dryRun) {
    return { ...report, summary: diff.summary, ...(await dryRunEffects(prisma, clock, actor, input.organisationId, diff.changes, batchSize)), changes: listed };
  }
  const run = await startOrResume(prisma, actor, input, snapshot.mode, now);
  const summary = run.summary;
  let revokedLicenses = run.revokedLicenses;
  const effects = { licensesGivenByRules: 0, membersQueued: 0 };
  const ids = new CreatedIds();
  for (let start = 0; start < diff.changes.length; start += batchSize) {
    const batch = diff.changes.slice(start, start + batchSize);
    const applied = await inTransaction(prisma, async (tx) => {
      const batchIds = ids.fork();
      const batchNow = clock.now();
      await applyBatch(tx, batchNow, actor, input.organisationId, batch, batchIds);
      const applied = await licenseEffects(tx, input.organisationId, batchNow);
      addSummary(summary, summarise(batch));
      revokedLicenses += applied.revokedLicenses;
      await tx.rosterImport.update({
        where: { id: run.id },
        data: { appliedChanges: { increment: batch.length }, summary: { ...summary } as object, revokedLicenses, updatedAt: clock.now() },
      });
      ids.adopt(batchIds);
      return applied;
    });
    effects.licensesGivenByRules += applied.licensesGivenByRules;
    effects.membersQueued += applied.membersQueued;
    await options.onProgress?.({ applied: start + batch.length, total: diff.changes.length });
  }
  await prisma.rosterImport.update({ where: { id: run.id }, data: { status: 'COMPLETED', finishedAt: clock.now(), updatedAt: clock.now() } });
  return { ...report, importId: run.id, resumed: run.resumed, summary, revokedLicenses, ...effects, changes: listed };
}

/** A RUNNING import of the same files continues; otherwise a new one starts. */
async function startOrResume(prisma: PrismaClient, actor: Actor, input: ImportRosterInput, mode: SyncMode, now: Date) {
  const filesHash = await hashFiles(input.files);
  const running = await prisma.rosterImport.findFirst({
    where: { organisationId: input.organisationId, filesHash, format: input.format, status: 'RUNNING' },
    orderBy: { startedAt: 'desc' },
  });
  if (running) return { id: running.id, summary: running.summary as unknown as DiffSummary, revokedLicenses: running.revokedLicenses, resumed: true };
  const created = await prisma.rosterImport.create({
    data: {
      organisationId: input.organisationId,
      format: input.format,
      mode,
      filesHash,
      status: 'RUNNING',
      summary: emptySummary() as object,
      actorLabel: actor.label,
      startedAt: now,
      updatedAt: now,
    },
  });
  return { id: created.id, summary: emptySummary(), revokedLicenses: 0, resumed: false };
}

/** SHA-256 over the files' names and bytes, in name order. */
export async function hashFiles(files: RosterFile[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [...files].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    hash.update(`${file.name}\u0000${file.size}\u0000`);
    const reader = file.stream().getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) hash.update(chunk.value);
  }
  return hash.digest('hex');
}

function addSummary(into: DiffSummary, add: DiffSummary): void {
  for (const entity of Object.keys(into) as (keyof DiffSummary)[]) {
    into[entity].created += add[entity].created;
    into[entity].updated += add[entity].updated;
    into[entity].ended += add[entity].ended;
  }
}

type LicenseEffects = Pick<RosterImportReport, 'revokedLicenses' | 'licensesGivenByRules' | 'membersQueued'>;

/**
 * What this transaction's roster changes did to licenses, from its own audit events (the rows it
 * inserted: their xmin is its id, so a concurrent transaction's events of the same moment are not
 * counted), and the waiters it queued that still wait. In an import only standing rules and their
 * waiting lists assign or queue.
 */
async function licenseEffects(tx: Tx, organisationId: string, since: Date): Promise<LicenseEffects> {
  const [row] = await tx.$queryRaw<LicenseEffects[]>`
    SELECT count(*) FILTER (WHERE action IN ('LICENSE_REVOKED_LEFT_SCHOOL', 'LICENSE_REVOKED_LEFT_GROUP'))::int AS "revokedLicenses",
      count(*) FILTER (WHERE action = 'LICENSE_ASSIGNED')::int AS "licensesGivenByRules",
      (SELECT count(*) FROM "LicenseWaiter" w
        WHERE w."organisationId" = ${organisationId}::uuid AND w."queuedAt" >= ${since} AND w."isWaiting" AND w.xmin = pg_current_xact_id()::xid)::int
        AS "membersQueued"
    FROM "AuditEvent"
    WHERE "organisationId" = ${organisationId}::uuid AND "createdAt" >= ${since} AND xmin = pg_current_xact_id()::xid`;
  return row!;
}

class DryRunRollback extends Error {
  readonly effects: LicenseEffects;
  constructor(effects: LicenseEffects) {
    super('roster import dry run: rolled back');
    this.effects = effects;
  }
}

/** A dry run applies the whole import in one transaction: it may take longer than a batch. */
const DRY_RUN_TIMEOUT_MS = 10 * 60_000;

/**
 * A dry run's effect on licenses: every change applied as the real run applies it (standing rules,
 * waiting lists, revokes), in one transaction that is then rolled back, so nothing is written. The
 * transaction holds the locks of the whole import while it runs.
 */
async function dryRunEffects(
  prisma: PrismaClient,
  clock: Clock,
  actor: Actor,
  organisationId: string,
  changes: RosterChange[],
  batchSize: number,
): Promise<LicenseEffects> {
  if (changes.length === 0) return { revokedLicenses: 0, licensesGivenByRules: 0, membersQueued: 0 };
  try {
    await prisma.$transaction(
      async (tx) => {
        const now = clock.now();
        const ids = new CreatedIds();
        for (let start = 0; start < changes.length; start += batchSize) {
          await applyBatch(tx, now, actor, organisationId, changes.slice(start, start + batchSize), ids);
        }
        throw new DryRunRollback(await licenseEffects(tx, organisationId, now));
      },
      { maxWait: 10_000, timeout: DRY_RUN_TIMEOUT_MS },
    );
  } catch (error) {
    if (error instanceof DryRunRollback) return error.effects;
    throw error;
  }
  throw new Error('a roster import dry run always rolls back');
}

/** Ids of the schools, users and groups created during the run, by external id. */
class CreatedIds {
  readonly schools: Map<string, string>;
  readonly users: Map<string, string>;
  readonly groups: Map<string, string>;

  constructor(schools = new Map<string, string>(), users = new Map<string, string>(), groups = new Map<string, string>()) {
    this.schools = schools;
    this.users = users;
    this.groups = groups;
  }

  /** A copy for one transaction: its ids count only once it commits. */
  fork(): CreatedIds {
    return new CreatedIds(new Map(this.schools), new Map(this.users), new Map(this.groups));
  }

  adopt(other: CreatedIds): void {
    for (const [key, value] of other.schools) this.schools.set(key, value);
    for (const [key, value] of other.users) this.users.set(key, value);
    for (const [key, value] of other.groups) this.groups.set(key, value);
  }
}

function resolve(ref: Ref, created: Map<string, string>): string {
  if ('id' in ref) return ref.id;
  const id = created.get(ref.externalId);
  if (!id) throw new Error(`roster import: ${ref.externalId} was not created before it was referred to`);
  return id;
}

/** Applies one batch in its transaction. */
async function applyBatch(tx: Tx, now: Date, actor: Actor, organisationId: string, batch: RosterChange[], ids: CreatedIds): Promise<void> {
  const newUsers: { externalId: string; name: string; email: string }[] = [];
  const newSchoolMemberships: { userId: string; schoolId: string; role: 'STUDENT' | 'TEACHER' | 'SCHOOL_ADMIN'; startedAt: Date }[] = [];
  const newGroupMemberships: { groupId: string; userId: string; role: 'STUDENT' | 'TEACHER'; startedAt: Date }[] = [];
  // Bulk inserts wait until a change of another kind needs them (changes come in dependency order).
  const flush = async () => {
    if (newUsers.length) {
      const users = await tx.user.createManyAndReturn({
        data: newUsers.map((user) => ({ ...(userData(user) as typeof user), organisationId, createdAt: now })),
        select: { id: true, externalId: true, name: true, email: true },
      });
      for (const user of users) ids.users.set(user.externalId!, user.id);
      await recordAudits(
        tx,
        actor,
        now,
        users.map(
          (user): AuditEntry => ({
            action: 'USER_CREATED',
            organisationId,
            userId: user.id,
            after: { name: user.name, email: user.email, externalId: user.externalId },
          }),
        ),
      );
      newUsers.length = 0;
    }
    if (newSchoolMemberships.length) {
      await tx.schoolMembership.createMany({ data: newSchoolMemberships.map((m) => ({ ...m, createdAt: now })) });
      await recordAudits(
        tx,
        actor,
        now,
        newSchoolMemberships.map(
          (m): AuditEntry => ({ action: 'SCHOOL_MEMBERSHIP_STARTED', organisationId, schoolId: m.schoolId, userId: m.userId, after: { role: m.role } }),
        ),
      );
      newSchoolMemberships.length = 0;
    }
    if (newGroupMemberships.length) {
      await tx.groupMembership.createMany({ data: newGroupMemberships.map((m) => ({ ...m, createdAt: now })) });
      const schoolOf = new Map(
        (await tx.group.findMany({ where: { id: { in: [...new Set(newGroupMemberships.map((m) => m.groupId))] } }, select: { id: true, schoolId: true } })).map(
          (g) => [g.id, g.schoolId],
        ),
      );
      await recordAudits(
        tx,
        actor,
        now,
        newGroupMemberships.map(
          (m): AuditEntry => ({
            action: 'GROUP_MEMBERSHIP_STARTED',
            organisationId,
            schoolId: schoolOf.get(m.groupId),
            groupId: m.groupId,
            userId: m.userId,
            after: { role: m.role },
          }),
        ),
      );
      // Standing rules of the groups: each new member gets a license or waits, in this transaction.
      await groupMembershipsStarted(tx, now, actor, newGroupMemberships);
      newGroupMemberships.length = 0;
    }
  };

  let previous: string | null = null;
  for (const change of batch) {
    const kind = `${change.entity} ${change.kind}`;
    if (kind !== previous) await flush();
    previous = kind;
    switch (change.entity) {
      case 'school':
        if (change.kind === 'create') ids.schools.set(change.data.externalId, (await createSchool(tx, now, actor, { ...change.data, organisationId })).id);
        else await updateSchool(tx, now, actor, { schoolId: change.id!, ...change.data });
        break;
      case 'user':
        if (change.kind === 'create') newUsers.push(change.data!);
        else if (change.kind === 'end') await endUser(tx, now, actor, { userId: change.id! });
        else if (change.reopen) await upsertUserByExternalId(tx, now, actor, organisationId, change.data!);
        else await updateUser(tx, now, actor, { userId: change.id!, ...change.data! });
        break;
      case 'schoolMembership': {
        const userId = resolve(change.userRef, ids.users);
        const schoolId = resolve(change.schoolRef, ids.schools);
        if (change.kind === 'create') newSchoolMemberships.push({ userId, schoolId, ...change.data! });
        else if (change.kind === 'end') await (change.graduate ? endGraduateSchoolMembership : endSchoolMembership)(tx, now, actor, { userId, schoolId });
        else await setSchoolMembership(tx, now, actor, { userId, schoolId, role: change.data!.role });
        break;
      }
      case 'group': {
        const { startedAt: _, ...fields } = change.data ?? ({} as NonNullable<typeof change.data>);
        if (change.kind === 'create') {
          ids.groups.set(fields.externalId, (await createGroup(tx, now, actor, { ...fields, schoolId: resolve(change.schoolRef!, ids.schools) })).id);
        } else if (change.kind === 'end') await endGroup(tx, now, actor, { groupId: change.id! });
        else await upsertGroupByExternalId(tx, now, actor, organisationId, { ...fields, schoolId: resolve(change.schoolRef!, ids.schools) });
        break;
      }
      case 'groupMembership': {
        const userId = resolve(change.userRef, ids.users);
        const groupId = resolve(change.groupRef, ids.groups);
        if (change.kind === 'create') newGroupMemberships.push({ groupId, userId, ...change.data! });
        else if (change.kind === 'end') await endGroupMembership(tx, now, actor, { groupId, userId });
        else await setGroupMembership(tx, now, actor, { groupId, userId, role: change.data!.role });
        break;
      }
    }
  }
  await flush();
}
