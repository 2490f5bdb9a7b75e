// A roster import from start to end: read and check the files, diff them against the
// organisation's roster, and (unless it is a dry run) apply the diff in bounded transactions,
// each of which also records the run's progress. Any error in the files: nothing is written.
//
// Every change goes through the roster's domain functions (roster.ts), which keep its rules and
// audit events, in bulk where it counts: new schools, users, school memberships, groups and group
// memberships are inserted 500 at a time with one statement per kind (and one audit event each,
// written with one statement), after the same checks, and new group members get their groups'
// standing rules; updates and endings go to the domain's bulk forms (updateSchools, updateUsers,
// …, endGroupMemberships, endGroups, endSchoolMemberships, endUsers) a kind and batch at a time.
// One function call (and four to ten statements) per record would take a municipality's import
// (or its rollover) from a minute to many. Waiters the import ends leave their lines in its first batch.
import { createHash } from 'node:crypto';
import { Prisma, type PrismaClient } from '@school-licenses/db';
import type { Clock } from '../clock.ts';
import { requireManagedOrganisation, type Actor, type Tx } from '../domain/actor.ts';
import { recordAudits, type AuditEntry } from '../domain/audit.ts';
import { LicenseError } from '../domain/errors.ts';
import type { GroupRole, SchoolRole } from '@school-licenses/db';
import { cancelLeaversWaits, groupMembershipsStarted } from '../domain/group-licensing.ts';
import { HOLDER_AT_SCHOOL_COLUMNS } from '../domain/assignments.ts';
import { licensesInStateSql, todaySql } from '../domain/license-state.ts';
import { insertRows, jsonRows, uuidArray, uuidV7 } from '../domain/sql.ts';
import {
  endGroupMemberships,
  endGroups,
  endSchoolMemberships,
  endUsers,
  type GroupFields,
  type GroupUpdate,
  groupData,
  type SchoolFields,
  type SchoolUpdate,
  schoolData,
  updateGroupMemberships,
  updateGroups,
  updateSchoolMemberships,
  updateSchools,
  updateUsers,
  type UserUpdate,
  userData,
} from '../domain/roster.ts';
import { inTransaction } from '../domain/transaction.ts';
import { diffRoster, emptySummary, knownIds, loadCurrentRoster, summarise, type DiffSummary, type Ref, type RosterChange, type RosterDiff } from './diff.ts';
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
  /**
   * A dry run applies the import in a transaction it rolls back even when the diff alone can tell
   * its effect on licenses (no standing rule, nobody waiting): to compare both ways.
   */
  rollbackDryRun?: boolean;
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

  const now = clock.now();
  const { mode, errors, diff } = await readAndDiff(prisma, input, options, now);
  report.mode = mode;
  if (!diff) return refuse(errors);
  const listed: ListedChange[] = [];
  for (const { entity, kind, key, source } of diff.changes()) {
    if (listed.length === LISTED_CHANGES) break;
    listed.push({ entity, kind, key, source: source ?? null });
  }

  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (input.dryRun) {
    const effects = options.rollbackDryRun ? null : await effectsFromDiff(prisma, clock.now(), input.organisationId, diff.changes());
    return {
      ...report,
      summary: diff.summary,
      ...(effects ?? (await dryRunEffects(prisma, clock, actor, input.organisationId, diff, batchSize))),
      changes: listed,
    };
  }

  const run = await startOrResume(prisma, actor, input, mode, now);
  const summary = run.summary;
  let revokedLicenses = run.revokedLicenses;
  const effects = { licensesGivenByRules: 0, membersQueued: 0 };
  const ids = new CreatedIds();
  let taken = 0;
  for (const batch of batches(diff, batchSize)) {
    const first = taken === 0;
    taken += batch.length;
    const applied = await inTransaction(prisma, async (tx) => {
      const batchIds = ids.fork();
      const batchNow = clock.now();
      if (first) await cancelWaitsOfLeavers(tx, batchNow, actor, input.organisationId, diff);
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
    await options.onProgress?.({ applied: taken, total: diff.total });
  }
  await prisma.rosterImport.update({ where: { id: run.id }, data: { status: 'COMPLETED', finishedAt: clock.now(), updatedAt: clock.now() } });
  return { ...report, importId: run.id, resumed: run.resumed, summary, revokedLicenses, ...effects, changes: listed };
}

/**
 * The files' diff against the roster. The snapshot and the roster as read are let go when it
 * returns: the changes are all an import keeps while it applies them (flat memory, BENCHMARKS.md).
 */
async function readAndDiff(
  prisma: PrismaClient,
  input: ImportRosterInput,
  options: ImportRosterOptions,
  now: Date,
): Promise<{ mode: SyncMode; errors: RecordError[]; diff: RosterDiff | null }> {
  const current = await loadCurrentRoster(prisma, input.organisationId);
  const snapshot = await readCheckedRoster(input.format, input.files, {
    maxFileBytes: options.maxFileBytes,
    ss12000Mode: input.ss12000Mode,
    known: knownIds(current),
  });
  if (snapshot.errors.length) return { mode: snapshot.mode, errors: snapshot.errors, diff: null };
  const diff = diffRoster(snapshot, current, now);
  return { mode: snapshot.mode, errors: diff.errors, diff: diff.errors.length ? null : diff };
}

/** The diff's changes in batches, each made only when its batch is taken (flat memory). */
function* batches(diff: RosterDiff, size: number): Generator<RosterChange[]> {
  let batch: RosterChange[] = [];
  for (const change of diff.changes()) {
    batch.push(change);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/**
 * Waiters whose waits the import's endings end (their group membership, their group, their school
 * membership or their account), cancelled in its first transaction: a class whose endings span
 * batches (or two classes waiting for one pool) would otherwise serve a leaver the license an
 * earlier batch freed, and take it back a batch later. Two statements when someone waits.
 */
async function cancelWaitsOfLeavers(tx: Tx, now: Date, actor: Actor, organisationId: string, diff: RosterDiff): Promise<void> {
  const { groupMembership, group, schoolMembership, user } = diff.summary;
  if (groupMembership.ended + group.ended + schoolMembership.ended + user.ended === 0) return;
  const waiters = await tx.licenseWaiter.findMany({
    where: { organisationId, isWaiting: true },
    select: { id: true, groupId: true, userId: true, schoolId: true },
  });
  if (waiters.length === 0) return;
  // The waiters' keys, few; the endings are taken from the diff one by one.
  const byKey = new Map<string, string[]>();
  for (const w of waiters) {
    for (const key of [`gm ${w.groupId} ${w.userId}`, `g ${w.groupId}`, `sm ${w.userId} ${w.schoolId}`, `u ${w.userId}`]) {
      byKey.set(key, [...(byKey.get(key) ?? []), w.id]);
    }
  }
  const leaving = new Set<string>();
  const idOf = (ref: Ref) => ('id' in ref ? ref.id : '');
  for (const change of diff.changes()) {
    if (change.kind !== 'end') continue;
    const key =
      change.entity === 'groupMembership'
        ? `gm ${idOf(change.groupRef)} ${idOf(change.userRef)}`
        : change.entity === 'group'
          ? `g ${change.id}`
          : change.entity === 'schoolMembership'
            ? `sm ${idOf(change.userRef)} ${idOf(change.schoolRef)}`
            : `u ${change.id}`;
    for (const id of byKey.get(key) ?? []) leaving.add(id);
  }
  await cancelLeaversWaits(tx, now, actor, [...leaving]);
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
  diff: RosterDiff,
  batchSize: number,
): Promise<LicenseEffects> {
  if (diff.total === 0) return { revokedLicenses: 0, licensesGivenByRules: 0, membersQueued: 0 };
  try {
    await prisma.$transaction(
      async (tx) => {
        const now = clock.now();
        const ids = new CreatedIds();
        await cancelWaitsOfLeavers(tx, now, actor, organisationId, diff);
        for (const batch of batches(diff, batchSize)) await applyBatch(tx, now, actor, organisationId, batch, ids);
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

/**
 * A dry run's effect on licenses read from the diff, without applying it, when no standing rule
 * of the organisation can act and nobody waits (then nothing is assigned or queued, and only
 * leavers' licenses are revoked): the active, unexpired licenses held where a membership ends
 * (LEFT_SCHOOL; a graduate's only by REVOKE_TO_POOL) or becomes an administrator's, counted
 * as the real run revokes them. Null when rules or waiters exist: applying it is the only way to
 * tell what they would do (dryRunEffects). Read-only: no locks, one or two statements.
 */
async function effectsFromDiff(prisma: PrismaClient, now: Date, organisationId: string, changes: Iterable<RosterChange>): Promise<LicenseEffects | null> {
  const [state] = await prisma.$queryRaw<{ rules: boolean; waiters: boolean; keepGraduates: boolean }[]>`
    SELECT EXISTS (SELECT 1 FROM "GroupLicenseRule" WHERE "organisationId" = ${organisationId}::uuid AND "isActive") AS rules,
      EXISTS (SELECT 1 FROM "LicenseWaiter" WHERE "organisationId" = ${organisationId}::uuid AND "isWaiting") AS waiters,
      EXISTS (SELECT 1 FROM "Organisation" WHERE id = ${organisationId}::uuid AND "graduateLicensePolicy" = 'KEEP_UNTIL_END_DATE') AS "keepGraduates"`;
  if (!state || state.rules || state.waiters) return null;
  // Whose memberships end (or turn administrator): only records of the roster (by id) hold licenses.
  const leaving: { userId: string; schoolId: string; graduate: boolean }[] = [];
  const promoted: { userId: string; schoolId: string }[] = [];
  const endedUsers: string[] = [];
  for (const change of changes) {
    if (change.entity === 'user' && change.kind === 'end') endedUsers.push(change.id!);
    if (change.entity !== 'schoolMembership' || !('id' in change.userRef) || !('id' in change.schoolRef)) continue;
    const holder = { userId: change.userRef.id, schoolId: change.schoolRef.id };
    if (change.kind === 'end') leaving.push({ ...holder, graduate: !!change.graduate });
    else if (change.kind === 'update' && change.data?.role === 'SCHOOL_ADMIN') promoted.push(holder);
  }
  if (leaving.length + promoted.length + endedUsers.length === 0) return { revokedLicenses: 0, licensesGivenByRules: 0, membersQueued: 0 };
  const revoking = leaving.filter((h) => !(h.graduate && state.keepGraduates)).map(({ userId, schoolId }) => ({ userId, schoolId }));
  // A user who leaves the organisation loses the memberships the diff does not end itself (a
  // graduate's is ended before, by its own change); a promotion revokes only a student's or teacher's.
  const named = leaving.map((h) => ({ userId: h.userId, schoolId: h.schoolId }));
  const [row] = await prisma.$queryRaw<{ revoked: number }[]>(Prisma.sql`
    WITH holders AS (
      SELECT r."userId", r."schoolId" FROM ${jsonRows(revoking, HOLDER_AT_SCHOOL_COLUMNS)}
      UNION
      SELECT m."userId", m."schoolId" FROM "SchoolMembership" m JOIN ${jsonRows(promoted, HOLDER_AT_SCHOOL_COLUMNS, 'p')} ON p."userId" = m."userId" AND p."schoolId" = m."schoolId"
        WHERE m."endedAt" IS NULL AND m.role <> 'SCHOOL_ADMIN'
      UNION
      SELECT m."userId", m."schoolId" FROM "SchoolMembership" m
        WHERE m."userId" = ANY(${uuidArray(endedUsers)}) AND m."endedAt" IS NULL
          AND NOT EXISTS (SELECT 1 FROM ${jsonRows(named, HOLDER_AT_SCHOOL_COLUMNS, 'n')} WHERE n."userId" = m."userId" AND n."schoolId" = m."schoolId"))
    SELECT count(*)::int AS revoked
    FROM "Assignment" a
    JOIN holders h ON h."userId" = a."userId" AND h."schoolId" = a."schoolId"
    JOIN "License" l ON l.id = a."licenseId"
    JOIN "School" s ON s.id = l."schoolId"
    JOIN "Organisation" o ON o.id = s."organisationId"
    WHERE a."isActive" AND NOT ${licensesInStateSql('EXPIRED', todaySql(now), 'l')}`);
  return { revokedLicenses: row!.revoked, licensesGivenByRules: 0, membersQueued: 0 };
}

/** Ids by external id: a transaction's own, over those of the transactions committed before it. */
class IdLayer {
  readonly own = new Map<string, string>();
  readonly below: IdLayer | null;

  constructor(below: IdLayer | null = null) {
    this.below = below;
  }

  get(externalId: string): string | undefined {
    return this.own.get(externalId) ?? this.below?.get(externalId);
  }

  set(externalId: string, id: string): void {
    this.own.set(externalId, id);
  }
}

/** Ids of the schools, users and groups created during the run, by external id. */
class CreatedIds {
  readonly schools: IdLayer;
  readonly users: IdLayer;
  readonly groups: IdLayer;

  constructor(below: CreatedIds | null = null) {
    this.schools = new IdLayer(below?.schools);
    this.users = new IdLayer(below?.users);
    this.groups = new IdLayer(below?.groups);
  }

  /** A layer for one transaction: its ids count only once it commits (a copy per batch would grow with the run). */
  fork(): CreatedIds {
    return new CreatedIds(this);
  }

  adopt(other: CreatedIds): void {
    for (const [key, value] of other.schools.own) this.schools.set(key, value);
    for (const [key, value] of other.users.own) this.users.set(key, value);
    for (const [key, value] of other.groups.own) this.groups.set(key, value);
  }
}

function resolve(ref: Ref, created: IdLayer): string {
  if ('id' in ref) return ref.id;
  const id = created.get(ref.externalId);
  if (!id) throw new Error(`roster import: ${ref.externalId} was not created before it was referred to`);
  return id;
}

/** Applies one batch in its transaction. */
async function applyBatch(tx: Tx, now: Date, actor: Actor, organisationId: string, batch: RosterChange[], ids: CreatedIds): Promise<void> {
  const newSchools: NewSchool[] = [];
  const changedSchools: SchoolUpdate[] = [];
  const newUsers: NewUser[] = [];
  const changedUsers: UserUpdate[] = [];
  const newSchoolMemberships: NewSchoolMembership[] = [];
  const changedSchoolMemberships: { userId: string; schoolId: string; role: SchoolRole }[] = [];
  const newGroups: NewGroup[] = [];
  const changedGroups: GroupUpdate[] = [];
  const newGroupMemberships: NewGroupMembership[] = [];
  const changedGroupMemberships: { groupId: string; userId: string; role: GroupRole }[] = [];
  const endingGroupMemberships: { groupId: string; userId: string }[] = [];
  const endingGroups: string[] = [];
  const endingSchoolMemberships: { userId: string; schoolId: string; graduate?: boolean }[] = [];
  const endingUsers: string[] = [];
  // Bulk inserts, updates and endings wait until a change of another phase needs them (changes
  // come in dependency order, endings last, children first): a statement or a few per kind and batch.
  const flush = async () => {
    await insertSchools(tx, now, actor, organisationId, newSchools.splice(0), ids);
    await updateSchools(tx, now, actor, organisationId, changedSchools.splice(0));
    await insertUsers(tx, now, actor, organisationId, newUsers.splice(0), ids);
    await updateUsers(tx, now, actor, organisationId, changedUsers.splice(0));
    await insertSchoolMemberships(tx, now, actor, organisationId, newSchoolMemberships.splice(0));
    await updateSchoolMemberships(tx, now, actor, organisationId, changedSchoolMemberships.splice(0));
    await insertGroups(tx, now, actor, organisationId, newGroups.splice(0), ids);
    await updateGroups(tx, now, actor, organisationId, changedGroups.splice(0));
    await insertGroupMemberships(tx, now, actor, organisationId, newGroupMemberships.splice(0));
    await updateGroupMemberships(tx, now, actor, organisationId, changedGroupMemberships.splice(0));
    await endGroupMemberships(tx, now, actor, organisationId, endingGroupMemberships.splice(0));
    await endGroups(tx, now, actor, organisationId, endingGroups.splice(0));
    await endSchoolMemberships(tx, now, actor, organisationId, endingSchoolMemberships.splice(0));
    await endUsers(tx, now, actor, organisationId, endingUsers.splice(0));
  };

  let previous: string | null = null;
  for (const change of batch) {
    // A phase of the diff's ORDER: a kind's creations and updates come mixed, its endings apart.
    const phase = `${change.entity} ${change.kind === 'end' ? 'end' : 'write'}`;
    if (phase !== previous) await flush();
    previous = phase;
    switch (change.entity) {
      case 'school':
        if (change.kind === 'create') newSchools.push(change.data);
        else changedSchools.push({ schoolId: change.id!, ...change.data });
        break;
      case 'user':
        if (change.kind === 'create') newUsers.push(change.data!);
        else if (change.kind === 'end') endingUsers.push(change.id!);
        else changedUsers.push({ userId: change.id!, ...change.data!, reopen: change.reopen });
        break;
      case 'schoolMembership': {
        const userId = resolve(change.userRef, ids.users);
        const schoolId = resolve(change.schoolRef, ids.schools);
        if (change.kind === 'create') newSchoolMemberships.push({ userId, schoolId, ...change.data! });
        else if (change.kind === 'end') endingSchoolMemberships.push({ userId, schoolId, graduate: change.graduate });
        else changedSchoolMemberships.push({ userId, schoolId, role: change.data!.role });
        break;
      }
      case 'group': {
        const { startedAt: _, ...fields } = change.data ?? ({} as NonNullable<typeof change.data>);
        if (change.kind === 'create') newGroups.push({ ...fields, schoolId: resolve(change.schoolRef!, ids.schools) });
        else if (change.kind === 'end') endingGroups.push(change.id!);
        // The diff matched it in its school (a group stays in its school); an ended one starts again.
        else changedGroups.push({ ...fields, groupId: change.id!, reopen: true });
        break;
      }
      case 'groupMembership': {
        const userId = resolve(change.userRef, ids.users);
        const groupId = resolve(change.groupRef, ids.groups);
        if (change.kind === 'create') newGroupMemberships.push({ groupId, userId, ...change.data! });
        else if (change.kind === 'end') endingGroupMemberships.push({ groupId, userId });
        else changedGroupMemberships.push({ groupId, userId, role: change.data!.role });
        break;
      }
    }
  }
  await flush();
}

type NewSchool = SchoolFields & { externalId: string };
type NewUser = { externalId: string; name: string; email: string };
type NewSchoolMembership = { userId: string; schoolId: string; role: SchoolRole; startedAt: Date };
type NewGroup = GroupFields & { externalId: string; schoolId: string };
type NewGroupMembership = { groupId: string; userId: string; role: GroupRole; startedAt: Date };

// The bulk of an import, written with one statement per kind and batch (insertRows), and their
// audit and outbox events with one each (recordAudits): what createSchool, createUser,
// setSchoolMembership, createGroup and setGroupMembership (roster.ts) write, after the checks that
// the diff has not made.

/**
 * New records of one kind with the ids made here (UUIDv7): one INSERT, their ids remembered by
 * external id for the changes that refer to them, and one audit event each.
 */
async function insertRecords<R extends { id: string; externalId: string }>(
  tx: Tx,
  now: Date,
  actor: Actor,
  table: 'School' | 'User' | 'Group',
  columns: Record<string, string>,
  rows: R[],
  created: IdLayer,
  audit: (row: R) => AuditEntry,
): Promise<void> {
  await insertRows(tx, table, { id: 'uuid', organisationId: 'uuid', ...columns, externalId: 'text', createdAt: 'timestamp(3)' }, rows);
  for (const row of rows) created.set(row.externalId, row.id);
  await recordAudits(tx, actor, now, rows.map(audit));
}

async function insertSchools(tx: Tx, now: Date, actor: Actor, organisationId: string, schools: NewSchool[], ids: CreatedIds): Promise<void> {
  if (schools.length === 0) return;
  // The diff found the external ids and school unit codes free (the unique indexes stand behind it).
  const rows = schools.map((school) => ({ ...(schoolData(school) as NewSchool), id: uuidV7(now.getTime()), organisationId, createdAt: now }));
  await insertRecords(tx, now, actor, 'School', { name: 'text', schoolUnitCode: 'text' }, rows, ids.schools, ({ id, name, schoolUnitCode, externalId }) => ({
    action: 'SCHOOL_CREATED',
    organisationId,
    schoolId: id,
    after: JSON.parse(JSON.stringify({ name, schoolUnitCode, externalId })),
  }));
}

async function insertUsers(tx: Tx, now: Date, actor: Actor, organisationId: string, users: NewUser[], ids: CreatedIds): Promise<void> {
  if (users.length === 0) return;
  const rows = users.map((user) => ({ ...(userData(user) as NewUser), id: uuidV7(now.getTime()), organisationId, createdAt: now }));
  await insertRecords(tx, now, actor, 'User', { name: 'text', email: 'text' }, rows, ids.users, (user) => ({
    action: 'USER_CREATED',
    organisationId,
    userId: user.id,
    after: { name: user.name, email: user.email, externalId: user.externalId },
  }));
}

async function insertSchoolMemberships(tx: Tx, now: Date, actor: Actor, organisationId: string, memberships: NewSchoolMembership[]): Promise<void> {
  if (memberships.length === 0) return;
  await insertRows(
    tx,
    'SchoolMembership',
    { userId: 'uuid', schoolId: 'uuid', role: '"SchoolRole"', createdAt: 'timestamp(3)', startedAt: 'timestamp(3)' },
    memberships.map((m) => ({ ...m, createdAt: now })),
  );
  await recordAudits(
    tx,
    actor,
    now,
    memberships.map(
      (m): AuditEntry => ({ action: 'SCHOOL_MEMBERSHIP_STARTED', organisationId, schoolId: m.schoolId, userId: m.userId, after: { role: m.role } }),
    ),
  );
}

async function insertGroups(tx: Tx, now: Date, actor: Actor, organisationId: string, groups: NewGroup[], ids: CreatedIds): Promise<void> {
  if (groups.length === 0) return;
  // createGroup's checks of the school, once for the batch: the diff found the external ids free.
  const schoolIds = [...new Set(groups.map((g) => g.schoolId))];
  const schools = new Map(
    (await tx.school.findMany({ where: { id: { in: schoolIds }, organisationId }, select: { id: true, endedAt: true } })).map((s) => [s.id, s]),
  );
  for (const schoolId of schoolIds) {
    if (!schools.has(schoolId)) throw new LicenseError('NOT_FOUND', 'school', 'No such school.');
    if (schools.get(schoolId)!.endedAt) throw new LicenseError('ALREADY_ENDED', 'school', 'The school has closed.');
  }
  const rows = groups.map((group) => ({
    ...(groupData(group) as GroupFields & { externalId: string }),
    id: uuidV7(now.getTime()),
    organisationId,
    schoolId: group.schoolId,
    createdAt: now,
    startedAt: now,
  }));
  await insertRecords(
    tx,
    now,
    actor,
    'Group',
    { schoolId: 'uuid', name: 'text', kind: '"GroupKind"', schoolYear: 'int', startedAt: 'timestamp(3)' },
    rows,
    ids.groups,
    ({ id, schoolId, name, kind, schoolYear, externalId }) => ({
      action: 'GROUP_CREATED',
      organisationId,
      schoolId,
      groupId: id,
      after: JSON.parse(JSON.stringify({ name, kind, schoolYear, externalId })),
    }),
  );
}

async function insertGroupMemberships(tx: Tx, now: Date, actor: Actor, organisationId: string, memberships: NewGroupMembership[]): Promise<void> {
  if (memberships.length === 0) return;
  const groupIds = [...new Set(memberships.map((m) => m.groupId))];
  const schoolOf = new Map((await tx.group.findMany({ where: { id: { in: groupIds } }, select: { id: true, schoolId: true } })).map((g) => [g.id, g.schoolId]));
  await insertRows(
    tx,
    'GroupMembership',
    { groupId: 'uuid', userId: 'uuid', role: '"GroupRole"', createdAt: 'timestamp(3)', startedAt: 'timestamp(3)' },
    memberships.map((m) => ({ ...m, createdAt: now })),
  );
  await recordAudits(
    tx,
    actor,
    now,
    memberships.map(
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
  await groupMembershipsStarted(tx, now, actor, memberships);
}
