// What a snapshot changes in an organisation's roster: the records to create, update and end,
// in the order they can be applied. The diff is computed from the database's current state, so
// computing it again after part of it was applied gives exactly the rest (that is how an
// interrupted import resumes), and after all of it was applied gives nothing (idempotence).
import type { GroupKind, GroupRole, SchoolRole } from '@school-licenses/db';
import type { Tx } from '../domain/actor.ts';
import { recordError, type KnownIds } from './check.ts';
import type { RecordError, RecordSource, RosterRole, RosterSnapshot, SnapshotGroup, SnapshotPerson } from './snapshot.ts';

export type RosterEntity = 'school' | 'user' | 'schoolMembership' | 'group' | 'groupMembership';
export type ChangeKind = 'create' | 'update' | 'end';

interface ChangeBase {
  kind: ChangeKind;
  /** The record in the source's words: an external id, or "person @ school" for a membership. */
  key: string;
  source?: RecordSource;
}

export type RosterChange =
  | (ChangeBase & { entity: 'school'; id?: string; data: { externalId: string; name: string; schoolUnitCode: string | null } })
  | (ChangeBase & { entity: 'user'; id?: string; data?: { externalId: string; name: string; email: string }; reopen?: boolean })
  | (ChangeBase & {
      entity: 'schoolMembership';
      userRef: Ref;
      schoolRef: Ref;
      data?: { role: SchoolRole; startedAt: Date };
      /** Ending it: a student of a class of the school's final school year (finalYearStudents). */
      graduate?: boolean;
    })
  | (ChangeBase & {
      entity: 'group';
      id?: string;
      schoolRef?: Ref;
      data?: { externalId: string; name: string; kind: GroupKind; schoolYear: number | null; startedAt: Date };
    })
  | (ChangeBase & { entity: 'groupMembership'; groupRef: Ref; userRef: Ref; data?: { role: GroupRole; startedAt: Date } });

/** A record by its id in the database, or by the external id of a record created earlier in the run. */
export type Ref = { id: string } | { externalId: string };

export interface ChangeCounts {
  created: number;
  updated: number;
  ended: number;
}

export type DiffSummary = Record<RosterEntity, ChangeCounts>;

export interface RosterDiff {
  /** How many changes of each kind; total is their sum. */
  summary: DiffSummary;
  total: number;
  errors: RecordError[];
  /**
   * The changes in the order they apply, made one by one as they are taken: a municipality's new
   * records are kept as the snapshot read them (no second copy as changes, BENCHMARKS.md).
   */
  changes(): Generator<RosterChange>;
}

/** Creations and updates first (parents before children), then endings (children first). */
const ORDER: readonly [RosterEntity, readonly ChangeKind[]][] = [
  ['school', ['create', 'update']],
  ['user', ['create', 'update']],
  ['schoolMembership', ['create', 'update']],
  ['group', ['create', 'update']],
  ['groupMembership', ['create', 'update']],
  ['groupMembership', ['end']],
  ['group', ['end']],
  ['schoolMembership', ['end']],
  ['user', ['end']],
];

const ROLE_RANK: Record<RosterRole, number> = { STUDENT: 0, TEACHER: 1, SCHOOL_ADMIN: 2 };

export function emptySummary(): DiffSummary {
  const counts = () => ({ created: 0, updated: 0, ended: 0 });
  return { school: counts(), user: counts(), schoolMembership: counts(), group: counts(), groupMembership: counts() };
}

/**
 * The diff's changes by phase of ORDER, in the order they were found. A record the snapshot adds is
 * kept as its compact plan (the snapshot's record, or the membership it wants) and made into its
 * change only when taken: the change objects of a whole municipality would double what the import holds.
 */
class Changes {
  private readonly phases = ORDER.map(() => [] as unknown[]);
  private readonly makers = new Map<number, (plan: never) => RosterChange>();
  readonly summary = emptySummary();
  total = 0;

  push(change: RosterChange): void {
    this.add(change.entity, change.kind, change);
  }

  /** A change of the phase's kind, made from its plan by `make` when taken. */
  plan<T extends object>(entity: RosterEntity, kind: ChangeKind, plan: T, make: (plan: T) => RosterChange): void {
    const phase = this.add(entity, kind, plan);
    this.makers.set(phase, make as (plan: never) => RosterChange);
  }

  private add(entity: RosterEntity, kind: ChangeKind, item: unknown): number {
    const phase = ORDER.findIndex(([e, kinds]) => e === entity && kinds.includes(kind));
    this.phases[phase]!.push(item);
    this.summary[entity][kind === 'create' ? 'created' : kind === 'update' ? 'updated' : 'ended']++;
    this.total++;
    return phase;
  }

  *[Symbol.iterator](): Generator<RosterChange> {
    for (const [phase, items] of this.phases.entries()) {
      const make = this.makers.get(phase);
      for (const item of items) yield make && !isChange(item) ? make(item as never) : (item as RosterChange);
    }
  }
}

// A plan is a snapshot's record or a wanted membership: neither has an entity.
const isChange = (item: unknown): item is RosterChange => typeof item === 'object' && item !== null && 'entity' in item;

interface WantedSchoolMembership {
  personExternalId: string;
  schoolExternalId: string;
  role: RosterRole;
  startDate: Date | null;
  source: RecordSource;
}

interface WantedGroupMembership {
  personExternalId: string;
  groupExternalId: string;
  role: GroupRole;
  startDate: Date | null;
  source: RecordSource;
}

/** The organisation's roster as the diff needs it. */
export interface CurrentRoster {
  schools: { id: string; externalId: string | null; schoolUnitCode: string | null; name: string }[];
  users: { id: string; externalId: string | null; email: string; name: string; endedAt: Date | null }[];
  schoolMemberships: { userId: string; schoolId: string; role: SchoolRole; endedAt: Date | null }[];
  groups: { id: string; externalId: string | null; schoolId: string; name: string; kind: GroupKind; schoolYear: number | null; endedAt: Date | null }[];
  groupMemberships: { groupId: string; userId: string; role: GroupRole; endedAt: Date | null }[];
}

/** Memberships are read in pages of this many, each folded into the roster before the next is read. */
const MEMBERSHIP_PAGE = 20_000;

/**
 * Lean reads of only the columns the diff compares, enums as text (Prisma's findMany took most of
 * a no-op import's time at a municipality). Memberships come in pages in key order, their ids
 * replaced by the users', schools' and groups' own strings: a municipality's 190,000 memberships
 * would otherwise each hold two more copies of 36-character ids (flat memory, BENCHMARKS.md).
 */
export async function loadCurrentRoster(tx: Tx, organisationId: string, pageSize = MEMBERSHIP_PAGE): Promise<CurrentRoster> {
  const [schools, users, groups] = await Promise.all([
    tx.$queryRaw<CurrentRoster['schools']>`
      SELECT id, "externalId", "schoolUnitCode", name FROM "School" WHERE "organisationId" = ${organisationId}::uuid ORDER BY id`,
    tx.$queryRaw<CurrentRoster['users']>`
      SELECT id, "externalId", email, name, "endedAt" FROM "User" WHERE "organisationId" = ${organisationId}::uuid ORDER BY id`,
    tx.$queryRaw<CurrentRoster['groups']>`
      SELECT id, "externalId", "schoolId", name, kind::text AS kind, "schoolYear", "endedAt" FROM "Group"
      WHERE "organisationId" = ${organisationId}::uuid ORDER BY id`,
  ]);
  const ids = new Map<string, string>();
  for (const record of [...schools, ...users, ...groups]) ids.set(record.id, record.id);
  const own = (id: string) => ids.get(id) ?? id;

  const schoolMemberships: CurrentRoster['schoolMemberships'] = [];
  await paged<CurrentRoster['schoolMemberships'][number]>(
    (after) => tx.$queryRaw`
      SELECT m."userId", m."schoolId", m.role::text AS role, m."endedAt"
      FROM "SchoolMembership" m JOIN "School" s ON s.id = m."schoolId"
      WHERE s."organisationId" = ${organisationId}::uuid
        AND (m."userId", m."schoolId") > (${after?.userId ?? NIL_UUID}::uuid, ${after?.schoolId ?? NIL_UUID}::uuid)
      ORDER BY m."userId", m."schoolId" LIMIT ${pageSize}`,
    (m) => {
      m.userId = own(m.userId);
      m.schoolId = own(m.schoolId);
      schoolMemberships.push(m);
    },
    pageSize,
  );
  const groupMemberships: CurrentRoster['groupMemberships'] = [];
  await paged<CurrentRoster['groupMemberships'][number]>(
    (after) => tx.$queryRaw`
      SELECT m."groupId", m."userId", m.role::text AS role, m."endedAt"
      FROM "GroupMembership" m JOIN "Group" g ON g.id = m."groupId"
      WHERE g."organisationId" = ${organisationId}::uuid
        AND (m."groupId", m."userId") > (${after?.groupId ?? NIL_UUID}::uuid, ${after?.userId ?? NIL_UUID}::uuid)
      ORDER BY m."groupId", m."userId" LIMIT ${pageSize}`,
    (m) => {
      m.groupId = own(m.groupId);
      m.userId = own(m.userId);
      groupMemberships.push(m);
    },
    pageSize,
  );
  return { schools, users, schoolMemberships, groups, groupMemberships };
}

const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** Every row of a read in key order, a page at a time: `read` gives the page after the row `after` (null: the first). */
async function paged<T>(read: (after: T | null) => Promise<T[]>, fold: (row: T) => void, pageSize: number): Promise<void> {
  for (let after: T | null = null; ; ) {
    const page = await read(after);
    for (const row of page) fold(row);
    if (page.length < pageSize) return;
    after = page.at(-1)!;
  }
}

/** The external ids a delta may refer to without repeating them. */
export function knownIds(current: CurrentRoster): KnownIds {
  const ids = <T extends { externalId: string | null }>(records: T[]) => new Set(records.flatMap((r) => (r.externalId ? [r.externalId] : [])));
  return { schools: ids(current.schools), persons: ids(current.users), groups: ids(current.groups) };
}

/**
 * How a planned change is made when it is taken (Changes), from the refs the diff settled. A
 * function of its own, so that the makers keep only these alive, not the diff's working maps.
 */
function makers(now: Date, schoolRef: Map<string, Ref>, userRef: Map<string, Ref>, groupRef: Map<string, Ref>) {
  const userFields = (person: SnapshotPerson) => ({
    externalId: person.externalId,
    name: `${person.givenName} ${person.familyName}`.trim(),
    // E-mail addresses are kept in lower case (roster.ts).
    email: (person.email ?? '').toLowerCase(),
  });
  const newUser = (person: SnapshotPerson): RosterChange => ({
    entity: 'user',
    kind: 'create',
    key: person.externalId,
    data: userFields(person),
    source: person.source,
  });
  const groupFields = (group: SnapshotGroup) => ({
    externalId: group.externalId,
    name: group.name,
    kind: group.kind,
    schoolYear: group.grade,
    startedAt: group.startDate ?? now,
  });
  const newGroup = (group: SnapshotGroup): RosterChange => ({
    entity: 'group',
    kind: 'create',
    key: group.externalId,
    schoolRef: schoolRef.get(group.schoolExternalId)!,
    data: groupFields(group),
    source: group.source,
  });
  const newSchoolMembership = (wanted: WantedSchoolMembership): RosterChange => ({
    entity: 'schoolMembership',
    kind: 'create',
    key: `${wanted.personExternalId} @ ${wanted.schoolExternalId}`,
    userRef: userRef.get(wanted.personExternalId)!,
    schoolRef: schoolRef.get(wanted.schoolExternalId)!,
    data: { role: wanted.role, startedAt: wanted.startDate ?? now },
    source: wanted.source,
  });
  const newGroupMembership = (wanted: WantedGroupMembership): RosterChange => ({
    entity: 'groupMembership',
    kind: 'create',
    key: `${wanted.personExternalId} @ ${wanted.groupExternalId}`,
    groupRef: groupRef.get(wanted.groupExternalId)!,
    userRef: userRef.get(wanted.personExternalId)!,
    data: { role: wanted.role, startedAt: wanted.startDate ?? now },
    source: wanted.source,
  });
  return { newUser, newGroup, newSchoolMembership, newGroupMembership, userFields, groupFields };
}

/** The diff as the import takes it; a function of its own for the same reason as makers. */
function diffOf(changes: Changes, errors: RecordError[]): RosterDiff {
  return { summary: changes.summary, total: changes.total, errors, changes: () => changes[Symbol.iterator]() };
}

/**
 * The changes that make the roster what the snapshot says. A full snapshot also ends what it
 * does not mention, among the records a sync manages: people with an external id, their
 * memberships, and groups with an external id. People added by hand, and schools, are never
 * ended by a sync.
 */
export function diffRoster(snapshot: RosterSnapshot, current: CurrentRoster, now: Date): RosterDiff {
  const changes = new Changes();
  const errors: RecordError[] = [];
  const full = snapshot.mode === 'FULL';
  // A record whose end date has passed is in the snapshot as an ended one.
  const active = (record: { deleted?: boolean; endDate: Date | null }) => !record.deleted && !(record.endDate && record.endDate <= now);

  // Schools: by external id, else by school unit code (a school created by hand, now synced).
  const schoolByExternalId = new Map(current.schools.flatMap((s) => (s.externalId ? [[s.externalId, s]] : [])));
  const schoolByCode = new Map(current.schools.flatMap((s) => (s.schoolUnitCode ? [[s.schoolUnitCode, s]] : [])));
  const schoolRef = new Map<string, Ref>();
  const userRef = new Map<string, Ref>();
  const groupRef = new Map<string, Ref>();
  const { newUser, newGroup, newSchoolMembership, newGroupMembership, userFields, groupFields } = makers(now, schoolRef, userRef, groupRef);
  for (const school of snapshot.schools) {
    if (school.deleted) continue;
    const existing = schoolByExternalId.get(school.externalId) ?? (school.schoolUnitCode ? schoolByCode.get(school.schoolUnitCode) : undefined);
    const data = { externalId: school.externalId, name: school.name, schoolUnitCode: school.schoolUnitCode };
    if (!existing) {
      changes.push({ entity: 'school', kind: 'create', key: school.externalId, data, source: school.source });
      schoolRef.set(school.externalId, { externalId: school.externalId });
      continue;
    }
    schoolRef.set(school.externalId, { id: existing.id });
    if (existing.externalId !== data.externalId || existing.name !== data.name || existing.schoolUnitCode !== data.schoolUnitCode) {
      changes.push({ entity: 'school', kind: 'update', key: school.externalId, id: existing.id, data, source: school.source });
    }
  }
  for (const school of current.schools) if (school.externalId && !schoolRef.has(school.externalId)) schoolRef.set(school.externalId, { id: school.id });

  // Users: by external id, else by e-mail (someone added by hand before the first sync).
  const userByExternalId = new Map(current.users.flatMap((u) => (u.externalId ? [[u.externalId, u]] : [])));
  const userByEmail = new Map(current.users.map((u) => [u.email.toLowerCase(), u]));
  const matchedUsers = new Set<string>();
  const endedPersons = new Set<string>();
  for (const person of snapshot.persons) {
    if (person.deleted) {
      endedPersons.add(person.externalId);
      continue;
    }
    // E-mail addresses are kept in lower case (roster.ts), so compare them that way.
    const email = (person.email ?? '').toLowerCase();
    const byEmail = userByEmail.get(email);
    const existing = userByExternalId.get(person.externalId) ?? (byEmail && !byEmail.externalId ? byEmail : undefined);
    if (byEmail && byEmail !== existing) {
      errors.push(
        recordError(
          person.source,
          'DUPLICATE_ID',
          snapshot.format === 'ss12000' ? 'emails' : 'email',
          `Another user of the organisation has the e-mail address ${email}.`,
        ),
      );
      continue;
    }
    if (!existing) {
      changes.plan('user', 'create', person, newUser);
      userRef.set(person.externalId, { externalId: person.externalId });
      continue;
    }
    matchedUsers.add(existing.id);
    userRef.set(person.externalId, { id: existing.id });
    const data = userFields(person);
    if (existing.externalId !== data.externalId || existing.name !== data.name || existing.email !== data.email || existing.endedAt) {
      // A user who left and is back in the files is started again (by external id).
      changes.push({ entity: 'user', kind: 'update', key: person.externalId, id: existing.id, data, reopen: !!existing.endedAt, source: person.source });
    }
  }
  for (const user of current.users) if (user.externalId && !userRef.has(user.externalId)) userRef.set(user.externalId, { id: user.id });
  const endedUsers = new Set<string>();
  for (const user of current.users) {
    if (user.endedAt || !user.externalId || matchedUsers.has(user.id)) continue;
    if (full ? true : endedPersons.has(user.externalId)) {
      changes.push({ entity: 'user', kind: 'end', key: user.externalId, id: user.id });
      endedUsers.add(user.id);
    }
  }

  // Groups: by external id only.
  const groupByExternalId = new Map(current.groups.flatMap((g) => (g.externalId ? [[g.externalId, g]] : [])));
  const groupSchool = new Map<string, string>();
  const keptGroups = new Set<string>();
  const endedGroupIds = new Set<string>();
  for (const group of snapshot.groups) {
    groupSchool.set(group.externalId, group.schoolExternalId);
    const existing = groupByExternalId.get(group.externalId);
    if (existing) groupRef.set(group.externalId, { id: existing.id });
    if (!active(group)) {
      if (existing && !existing.endedAt) {
        changes.push({ entity: 'group', kind: 'end', key: group.externalId, id: existing.id, source: group.source });
        endedGroupIds.add(existing.id);
      }
      if (existing) keptGroups.add(existing.id);
      continue;
    }
    const school = schoolRef.get(group.schoolExternalId)!;
    if (!existing) {
      changes.plan('group', 'create', group, newGroup);
      groupRef.set(group.externalId, { externalId: group.externalId });
      continue;
    }
    keptGroups.add(existing.id);
    const data = groupFields(group);
    if (!('id' in school) || school.id !== existing.schoolId) {
      const field = snapshot.format === 'ss12000' ? 'organisation' : 'schoolSourcedId';
      errors.push(
        recordError(
          group.source,
          'INVALID_VALUE',
          field,
          `Group ${group.externalId} belongs to another school: a group stays in its school (give the new one another id).`,
        ),
      );
      continue;
    }
    if (existing.name !== data.name || existing.kind !== data.kind || existing.schoolYear !== data.schoolYear || existing.endedAt) {
      changes.push({ entity: 'group', kind: 'update', key: group.externalId, id: existing.id, schoolRef: school, data, source: group.source });
    }
  }
  for (const group of current.groups) {
    if (!group.externalId) continue;
    if (!groupRef.has(group.externalId)) groupRef.set(group.externalId, { id: group.id });
    if (full && !group.endedAt && !keptGroups.has(group.id)) {
      changes.push({ entity: 'group', kind: 'end', key: group.externalId, id: group.id });
      endedGroupIds.add(group.id);
    }
  }

  // Memberships: the highest role wins when a source lists a person at a school twice; a group
  // member is a member of the group's school too.
  const wantedSchool = new Map<string, WantedSchoolMembership>();
  const endedSchool = new Map<string, { personExternalId: string; schoolExternalId: string; source: RecordSource }>();
  // A membership as read is the wanted one when it says it all (most do): no copy of it per membership.
  const wantSchool = (
    personExternalId: string,
    schoolExternalId: string,
    role: RosterRole,
    startDate: Date | null,
    source: RecordSource,
    asRead?: WantedSchoolMembership,
  ) => {
    const key = `${personExternalId} @ ${schoolExternalId}`;
    const seen = wantedSchool.get(key);
    if (seen && ROLE_RANK[role] <= ROLE_RANK[seen.role]) return;
    wantedSchool.set(key, !seen && asRead ? asRead : { personExternalId, schoolExternalId, role, startDate: seen?.startDate ?? startDate, source });
  };
  for (const membership of snapshot.schoolMemberships) {
    const key = `${membership.personExternalId} @ ${membership.schoolExternalId}`;
    if (active(membership))
      wantSchool(membership.personExternalId, membership.schoolExternalId, membership.role, membership.startDate, membership.source, membership);
    else endedSchool.set(key, membership);
  }
  const wantedGroup = new Map<string, WantedGroupMembership>();
  const endedGroup = new Map<string, { personExternalId: string; groupExternalId: string; source: RecordSource }>();
  const activeGroups = new Set(snapshot.groups.filter(active).map((g) => g.externalId));
  for (const membership of snapshot.groupMemberships) {
    const key = `${membership.personExternalId} @ ${membership.groupExternalId}`;
    const school = groupSchool.get(membership.groupExternalId);
    const groupActive = activeGroups.has(membership.groupExternalId) || (!school && !snapshot.groups.some((g) => g.externalId === membership.groupExternalId));
    if (active(membership) && groupActive) {
      const role: GroupRole = membership.role === 'STUDENT' ? 'STUDENT' : 'TEACHER';
      const seen = wantedGroup.get(key);
      if (!seen || (role === 'TEACHER' && seen.role === 'STUDENT'))
        wantedGroup.set(
          key,
          !seen && membership.role === role
            ? (membership as WantedGroupMembership)
            : {
                personExternalId: membership.personExternalId,
                groupExternalId: membership.groupExternalId,
                role,
                startDate: seen?.startDate ?? membership.startDate,
                source: membership.source,
              },
        );
      if (school) wantSchool(membership.personExternalId, school, role, membership.startDate, membership.source);
    } else endedGroup.set(key, membership);
  }
  for (const key of wantedSchool.keys()) endedSchool.delete(key);
  for (const key of wantedGroup.keys()) endedGroup.delete(key);

  const idOf = (ref: Ref | undefined) => (ref && 'id' in ref ? ref.id : undefined);
  // By one id, then the other: keys of the ids themselves, no string made per membership.
  const schoolMembershipOf = pairMap(
    current.schoolMemberships,
    (m) => m.userId,
    (m) => m.schoolId,
  );
  const keptSchoolMemberships = new Set<object>();
  for (const [key, wanted] of wantedSchool) {
    const userRefOf = userRef.get(wanted.personExternalId);
    const schoolRefOf = schoolRef.get(wanted.schoolExternalId);
    if (!userRefOf || !schoolRefOf) continue;
    const existing = schoolMembershipOf.get(idOf(userRefOf))?.get(idOf(schoolRefOf)!);
    const data = { role: wanted.role, startedAt: wanted.startDate ?? now };
    if (existing) keptSchoolMemberships.add(existing);
    if (!existing) changes.plan('schoolMembership', 'create', wanted, newSchoolMembership);
    else if (existing.endedAt || existing.role !== wanted.role) {
      changes.push({ entity: 'schoolMembership', kind: 'update', key, userRef: userRefOf, schoolRef: schoolRefOf, data, source: wanted.source });
    }
  }
  const userById = new Map(current.users.map((u) => [u.id, u]));
  const schoolById = new Map(current.schools.map((s) => [s.id, s]));
  const graduates = finalYearStudents(current);
  for (const membership of current.schoolMemberships) {
    if (membership.endedAt || keptSchoolMemberships.has(membership)) continue;
    const user = userById.get(membership.userId);
    const school = schoolById.get(membership.schoolId);
    if (!user?.externalId) continue;
    const label = `${user.externalId} @ ${school?.externalId ?? school?.name}`;
    const named = endedSchool.get(label);
    // Ending a user ends their memberships with it.
    if (endedUsers.has(user.id) || (full ? true : !!named)) {
      changes.push({
        entity: 'schoolMembership',
        kind: 'end',
        key: label,
        userRef: { id: user.id },
        schoolRef: { id: membership.schoolId },
        source: named?.source,
        ...(membership.role === 'STUDENT' && graduates.has(`${membership.userId} ${membership.schoolId}`) ? { graduate: true } : {}),
      });
    }
  }

  const groupById = new Map(current.groups.map((g) => [g.id, g]));
  const groupMembershipOf = pairMap(
    current.groupMemberships,
    (m) => m.groupId,
    (m) => m.userId,
  );
  const keptGroupMemberships = new Set<object>();
  for (const [key, wanted] of wantedGroup) {
    const userRefOf = userRef.get(wanted.personExternalId);
    const groupRefOf = groupRef.get(wanted.groupExternalId);
    if (!userRefOf || !groupRefOf) continue;
    const existing = groupMembershipOf.get(idOf(groupRefOf))?.get(idOf(userRefOf)!);
    const data = { role: wanted.role, startedAt: wanted.startDate ?? now };
    if (existing) keptGroupMemberships.add(existing);
    if (!existing) changes.plan('groupMembership', 'create', wanted, newGroupMembership);
    else if (existing.endedAt || existing.role !== wanted.role) {
      changes.push({ entity: 'groupMembership', kind: 'update', key, groupRef: groupRefOf, userRef: userRefOf, data, source: wanted.source });
    }
  }
  for (const membership of current.groupMemberships) {
    if (membership.endedAt || keptGroupMemberships.has(membership)) continue;
    const user = userById.get(membership.userId);
    const group = groupById.get(membership.groupId);
    if (!user?.externalId || !group?.externalId) continue;
    const label = `${user.externalId} @ ${group.externalId}`;
    const named = endedGroup.get(label);
    if (endedUsers.has(user.id) || endedGroupIds.has(group.id) || (full ? true : !!named)) {
      changes.push({ entity: 'groupMembership', kind: 'end', key: label, groupRef: { id: group.id }, userRef: { id: user.id }, source: named?.source });
    }
  }

  return diffOf(changes, errors);
}

/** Records by two keys, a map per first key. */
function pairMap<T>(records: T[], first: (record: T) => string, second: (record: T) => string): Map<string | undefined, Map<string, T>> {
  const map = new Map<string | undefined, Map<string, T>>();
  for (const record of records) {
    let inner = map.get(first(record));
    if (!inner) map.set(first(record), (inner = new Map()));
    inner.set(second(record), record);
  }
  return map;
}

/**
 * The students (as "userId schoolId") whose class at the school is of its final school year: the
 * highest grade among its classes (9 at a compulsory school with years 7 to 9). Their class is
 * the current one, else the one they left last (an interrupted import may have ended it already).
 * When a sync ends their membership of the school (gone from the new year's snapshot), they
 * graduated, and the organisation's graduateLicensePolicy decides what their licenses do.
 */
export function finalYearStudents(current: CurrentRoster): Set<string> {
  const classes = new Map(current.groups.filter((g) => g.kind === 'CLASS' && g.schoolYear !== null).map((g) => [g.id, g]));
  const finalYear = new Map<string, number>();
  for (const group of classes.values()) finalYear.set(group.schoolId, Math.max(finalYear.get(group.schoolId) ?? 0, group.schoolYear!));
  const latestClass = new Map<string, { schoolYear: number; endedAt: number }>();
  for (const membership of current.groupMemberships) {
    const group = classes.get(membership.groupId);
    if (!group || membership.role !== 'STUDENT') continue;
    const key = `${membership.userId} ${group.schoolId}`;
    const endedAt = membership.endedAt?.getTime() ?? Number.POSITIVE_INFINITY;
    const seen = latestClass.get(key);
    if (!seen || endedAt > seen.endedAt) latestClass.set(key, { schoolYear: group.schoolYear!, endedAt });
  }
  const students = new Set<string>();
  for (const [key, { schoolYear }] of latestClass) if (schoolYear === finalYear.get(key.split(' ')[1]!)) students.add(key);
  return students;
}

export function summarise(changes: RosterChange[]): DiffSummary {
  const summary = emptySummary();
  for (const change of changes) summary[change.entity][change.kind === 'create' ? 'created' : change.kind === 'update' ? 'updated' : 'ended']++;
  return summary;
}
