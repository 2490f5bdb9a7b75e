// An organisation's roster: its schools, users, school memberships, groups (classes and teaching
// groups) and group memberships, kept in step with the systems schools already run.
//
// Interface, for the GraphQL resolvers and the roster import alike:
// - Every write is a plain function (tx, now, actor, input) inside the caller's transaction. `now`
//   is the moment written as a start or an end, so a whole import can use one moment.
// - Every write is idempotent and returns { record, change }: 'created', 'updated', 'ended' or
//   'unchanged'. Writing what is already there changes nothing and records no audit event.
// - upsertSchoolByExternalId / upsertUserByExternalId / upsertGroupByExternalId find the record by
//   its external id within the organisation (or, when none has it, a school by its school unit code
//   or a user by e-mail that has no external id yet: records entered by hand before the first sync)
//   and create or update it; an ended one that comes back is started again. create*/update*/end* work by our ids, for the GraphQL mutations.
// - setSchoolMembership / setGroupMembership start a membership, start an ended one again, or change
//   its role; endSchoolMembership / endGroupMembership end it. Ending a school membership (or a
//   user, or a school) ends the user's groups at the school and revokes their licenses there with
//   the reason LEFT_SCHOOL in the same transaction; started licenses keep their end dates and
//   return to the school's reusable pool. Memberships start and end at instants (startedAt,
//   endedAt): an import ends a membership once its last day has passed.
// - Endings and updates have bulk forms (endUsers, endSchoolMemberships, endGroups,
//   endGroupMemberships; updateSchools, updateUsers, updateSchoolMemberships, updateGroups, updateGroupMemberships:
//   many records of the organisation, a statement or a few per step), which a roster import calls a
//   kind and batch at a time and the single functions call with one record: each rule is written once.
// - Refusals are LicenseErrors with the input field: ALREADY_EXISTS (`email`, `externalId`,
//   `schoolUnitCode`), ALREADY_ENDED, USER_NOT_IN_SCHOOL, NOT_FOUND, FORBIDDEN, INVALID_INPUT. Every
//   check reads before anything is written, so a refused record leaves the transaction usable.
// - Who may (actor.ts): administrators and read-write integrations of the organisation, and the
//   system actor (the import command), change everything; a school administrator changes their
//   school's memberships and groups, renames the school and creates users into it; they enrol and
//   edit only users who belong to no other school (requireManagedUser).
import type { Group, GroupKind, GroupMembership, GroupRole, Prisma, School, SchoolMembership, SchoolRole, User } from '@school-licenses/db';
import { canManageOrganisation, canManageSchool, requireManagedOrganisation, requireRosterSchool, visibleUsers, type Actor, type Tx } from './actor.ts';
import { endAssignments, endExpiredAssignments, HOLDER_AT_SCHOOL_COLUMNS, lockHeldPools } from './assignments.ts';
import { recordAudit, recordAudits, type AuditEntry } from './audit.ts';
import { LicenseError } from './errors.ts';
import { groupMembershipsEnded, groupMembershipsStarted, groupMembershipStarted, groupsEnding } from './group-licensing.ts';
import { jsonRows, uuidArray } from './sql.ts';
import { notifyUsersChanged } from '../events/relay.ts';

export type RosterChange = 'created' | 'updated' | 'ended' | 'unchanged';

export interface Written<T> {
  record: T;
  change: RosterChange;
}

// ---- Schools ----

export interface SchoolFields {
  name: string;
  /** The Swedish school unit code (skolenhetskod): 8 digits. */
  schoolUnitCode?: string | null;
  externalId?: string | null;
}

export async function createSchool(tx: Tx, now: Date, actor: Actor, input: SchoolFields & { organisationId: string }): Promise<School> {
  requireManagedOrganisation(actor, input.organisationId);
  const data = schoolData(input) as SchoolFields;
  await requireFreeSchoolKeys(tx, input.organisationId, data, null);
  const school = await tx.school.create({ data: { ...data, organisationId: input.organisationId, createdAt: now } });
  await recordAudit(tx, actor, now, { action: 'SCHOOL_CREATED', organisationId: school.organisationId, schoolId: school.id, after: json(data) });
  return school;
}

/** Renames a school or changes its codes (administrators of the school or of the organisation). */
export async function updateSchool(tx: Tx, now: Date, actor: Actor, input: Partial<SchoolFields> & { schoolId: string }): Promise<Written<School>> {
  const school = await requireRosterSchool(tx, actor, input.schoolId);
  if (school.endedAt) throw new LicenseError('ALREADY_ENDED', 'school', 'The school has closed.');
  return changeSchool(tx, now, actor, school, schoolData(input, true), false);
}

/** Closes a school: every membership of it ends (revoking licenses), and so does every group. */
export async function endSchool(tx: Tx, now: Date, actor: Actor, input: { schoolId: string }): Promise<Written<School>> {
  const school = await requireRosterSchool(tx, actor, input.schoolId);
  requireManagedOrganisation(actor, school.organisationId, 'school');
  if (school.endedAt) return { record: school, change: 'unchanged' };
  const members = await tx.schoolMembership.findMany({ where: { schoolId: school.id, endedAt: null }, select: { userId: true, schoolId: true } });
  await endSchoolMemberships(tx, now, actor, school.organisationId, members);
  const groups = await tx.group.findMany({ where: { schoolId: school.id, endedAt: null }, select: { id: true } });
  await endGroups(
    tx,
    now,
    actor,
    school.organisationId,
    groups.map((g) => g.id),
  );
  const record = await tx.school.update({ where: { id: school.id }, data: { endedAt: now } });
  await recordAudit(tx, actor, now, {
    action: 'SCHOOL_ENDED',
    organisationId: school.organisationId,
    schoolId: school.id,
    after: { endedMemberships: members.length },
  });
  return { record, change: 'ended' };
}

export async function upsertSchoolByExternalId(
  tx: Tx,
  now: Date,
  actor: Actor,
  organisationId: string,
  input: SchoolFields & { externalId: string },
): Promise<Written<School>> {
  requireManagedOrganisation(actor, organisationId);
  const externalId = requiredText(input.externalId, 'externalId');
  const data = schoolData(input);
  // A school entered by hand before the sync is adopted by its school unit code.
  const existing =
    (await schoolByExternalId(tx, organisationId, externalId)) ??
    (data.schoolUnitCode ? await tx.school.findFirst({ where: { organisationId, schoolUnitCode: data.schoolUnitCode, externalId: null } }) : null);
  if (!existing) return { record: await createSchool(tx, now, actor, { ...input, organisationId }), change: 'created' };
  return changeSchool(tx, now, actor, existing, data, true);
}

/** The school with an external id, for the import to resolve references. */
export function schoolByExternalId(tx: Tx, organisationId: string, externalId: string): Promise<School | null> {
  return tx.school.findUnique({ where: { organisationId_externalId: { organisationId, externalId } } });
}

async function changeSchool(tx: Tx, now: Date, actor: Actor, school: School, data: Partial<SchoolFields>, reopen: boolean): Promise<Written<School>> {
  const changed = changedFields(school, { ...data, ...(reopen && school.endedAt ? { endedAt: null } : {}) });
  if (!changed) return { record: school, change: 'unchanged' };
  await requireFreeSchoolKeys(tx, school.organisationId, changed, school.id);
  const { endedAt: _, ...fields } = changed as Partial<SchoolFields> & { endedAt?: null };
  await updateSchools(tx, now, actor, school.organisationId, [
    { schoolId: school.id, name: school.name, schoolUnitCode: school.schoolUnitCode, externalId: school.externalId, ...fields, reopen: 'endedAt' in changed },
  ]);
  return { record: { ...school, ...changed }, change: 'updated' };
}

export type SchoolUpdate = { schoolId: string; name: string; schoolUnitCode?: string | null; externalId?: string | null; reopen?: boolean };

/**
 * Schools of the organisation get these names, school unit codes and external ids, and a closed
 * one opens again (`reopen`): updateSchool for many at once (a roster import's updates), for a
 * caller that has checked the actor may change them and that the keys are free (the diff does;
 * the unique indexes stand behind it). A closed school not reopened is left as it is. One UPDATE,
 * the audit events (the fields that changed) in one more.
 */
export async function updateSchools(tx: Tx, now: Date, actor: Actor, organisationId: string, rows: SchoolUpdate[]): Promise<void> {
  if (rows.length === 0) return;
  const wanted = rows.map((row) => ({ ...(schoolData(row) as SchoolFields), schoolId: row.schoolId, reopen: !!row.reopen }));
  // `o` is the row as it was when the statement began: the audit event's "before".
  const updated = await tx.$queryRaw<
    (Record<'schoolId' | 'name' | 'oldName', string> &
      Record<'schoolUnitCode' | 'externalId' | 'oldSchoolUnitCode' | 'oldExternalId', string | null> & { oldEndedAt: Date | null; reopened: boolean })[]
  >`
    UPDATE "School" s SET name = r.name, "schoolUnitCode" = r."schoolUnitCode", "externalId" = r."externalId", "endedAt" = CASE WHEN r.reopen THEN NULL ELSE s."endedAt" END
    FROM ${jsonRows(wanted, { schoolId: 'uuid', name: 'text', schoolUnitCode: 'text', externalId: 'text', reopen: 'boolean' })}, "School" o
    WHERE s.id = r."schoolId" AND o.id = s.id AND s."organisationId" = ${organisationId}::uuid AND (s."endedAt" IS NULL OR r.reopen)
      AND (s.name <> r.name OR s."schoolUnitCode" IS DISTINCT FROM r."schoolUnitCode" OR s."externalId" IS DISTINCT FROM r."externalId"
        OR (r.reopen AND s."endedAt" IS NOT NULL))
    RETURNING s.id::text AS "schoolId", s.name, s."schoolUnitCode", s."externalId", o.name AS "oldName", o."schoolUnitCode" AS "oldSchoolUnitCode",
      o."externalId" AS "oldExternalId", o."endedAt" AS "oldEndedAt", (r.reopen AND o."endedAt" IS NOT NULL) AS reopened`;
  await recordUpdates(tx, actor, now, updated, ['name', 'schoolUnitCode', 'externalId'], { endedAt: null }, (s) => ({
    action: 'SCHOOL_UPDATED',
    organisationId,
    schoolId: s.schoolId,
  }));
}

export function schoolData(input: Partial<SchoolFields>, partial = false): Partial<SchoolFields> {
  return {
    name: partial && input.name === undefined ? undefined : requiredText(input.name ?? '', 'name'),
    schoolUnitCode: optional(input.schoolUnitCode, (code) => {
      if (!/^\d{8}$/.test(code.trim())) throw new LicenseError('INVALID_INPUT', 'schoolUnitCode', 'A school unit code is 8 digits.');
      return code.trim();
    }),
    externalId: optional(input.externalId, (id) => requiredText(id, 'externalId')),
  };
}

async function requireFreeSchoolKeys(tx: Tx, organisationId: string, data: Partial<SchoolFields>, exceptId: string | null) {
  if (data.schoolUnitCode) {
    const other = await tx.school.findUnique({
      where: { organisationId_schoolUnitCode: { organisationId, schoolUnitCode: data.schoolUnitCode } },
      select: { id: true },
    });
    requireNoOther(other, exceptId, 'schoolUnitCode', 'Another school of the organisation has this school unit code.');
  }
  if (data.externalId) {
    const other = await tx.school.findUnique({ where: { organisationId_externalId: { organisationId, externalId: data.externalId } }, select: { id: true } });
    requireNoOther(other, exceptId, 'externalId', 'Another school of the organisation has this external id.');
  }
}

// ---- Users ----

export interface UserFields {
  name: string;
  /** Unique within the organisation; kept in lower case. */
  email: string;
  externalId?: string | null;
}

/**
 * Creates a user of the organisation. A school administrator must enrol the new user into their
 * school (`school`); an organisation administrator may leave them without one.
 */
export async function createUser(
  tx: Tx,
  now: Date,
  actor: Actor,
  input: UserFields & { organisationId: string; school?: { schoolId: string; role: SchoolRole } | null },
): Promise<User> {
  if (!canManageOrganisation(actor, input.organisationId)) {
    if (!input.school) throw new LicenseError('FORBIDDEN', 'school', 'School administrators create users into their school: give the school.');
    const school = await requireRosterSchool(tx, actor, input.school.schoolId);
    if (school.organisationId !== input.organisationId) throw new LicenseError('NOT_FOUND', 'school', 'No such school.');
  }
  const data = userData(input) as UserFields;
  await requireFreeUserKeys(tx, input.organisationId, data, null);
  const user = await tx.user.create({ data: { ...data, organisationId: input.organisationId, createdAt: now } });
  await recordAudit(tx, actor, now, { action: 'USER_CREATED', organisationId: user.organisationId, userId: user.id, after: json(data) });
  if (input.school) await setSchoolMembership(tx, now, actor, { schoolId: input.school.schoolId, userId: user.id, role: input.school.role });
  return user;
}

export async function updateUser(tx: Tx, now: Date, actor: Actor, input: Partial<UserFields> & { userId: string }): Promise<Written<User>> {
  const user = await requireManagedUser(tx, actor, input.userId);
  if (user.endedAt) throw new LicenseError('ALREADY_ENDED', 'user', 'The user has left the organisation.');
  return changeUser(tx, now, actor, user, userData(input, true), false);
}

/** The user leaves the organisation: every membership ends, revoking their licenses. */
export async function endUser(tx: Tx, now: Date, actor: Actor, input: { userId: string }): Promise<Written<User>> {
  const user = await requireManagedUser(tx, actor, input.userId);
  requireManagedOrganisation(actor, user.organisationId, 'user');
  if (user.endedAt) return { record: user, change: 'unchanged' };
  const [record] = await endUsers(tx, now, actor, user.organisationId, [user.id]);
  return record ? { record, change: 'ended' } : { record: user, change: 'unchanged' };
}

/**
 * endUser for many users of the organisation at once (a roster import), for a caller that has
 * checked the actor may change its roster: their school memberships end (endSchoolMemberships),
 * then the users, with one statement each. Returns the users ended.
 */
export async function endUsers(tx: Tx, now: Date, actor: Actor, organisationId: string, userIds: string[]): Promise<User[]> {
  if (userIds.length === 0) return [];
  const memberships = await tx.schoolMembership.findMany({
    where: { userId: { in: userIds }, endedAt: null, school: { organisationId } },
    select: { userId: true, schoolId: true },
  });
  await endSchoolMemberships(tx, now, actor, organisationId, memberships);
  const ended = await tx.user.updateManyAndReturn({ where: { id: { in: userIds }, organisationId, endedAt: null }, data: { endedAt: now } });
  await notifyUsersChanged(tx, ended);
  const endedMemberships = count(memberships.map((m) => m.userId));
  await recordAudits(
    tx,
    actor,
    now,
    ended.map((user) => ({ action: 'USER_ENDED' as const, organisationId, userId: user.id, after: { endedMemberships: endedMemberships.get(user.id) ?? 0 } })),
  );
  return ended;
}

export async function upsertUserByExternalId(
  tx: Tx,
  now: Date,
  actor: Actor,
  organisationId: string,
  input: UserFields & { externalId: string },
): Promise<Written<User>> {
  requireManagedOrganisation(actor, organisationId);
  const externalId = requiredText(input.externalId, 'externalId');
  const data = userData(input);
  // A user entered by hand before the sync is adopted by their e-mail address.
  const existing =
    (await userByExternalId(tx, organisationId, externalId)) ?? (await tx.user.findFirst({ where: { organisationId, email: data.email!, externalId: null } }));
  if (!existing) return { record: await createUser(tx, now, actor, { ...input, organisationId }), change: 'created' };
  return changeUser(tx, now, actor, existing, data, true);
}

export function userByExternalId(tx: Tx, organisationId: string, externalId: string): Promise<User | null> {
  return tx.user.findUnique({ where: { organisationId_externalId: { organisationId, externalId } } });
}

/** Users whose name or e-mail contains the text, within what the actor may see. */
export function userSearch(actor: Actor, text: string): Prisma.UserWhereInput {
  const contains = text.trim();
  return {
    AND: [visibleUsers(actor), contains ? { OR: [{ name: { contains, mode: 'insensitive' } }, { email: { contains, mode: 'insensitive' } }] } : {}],
  };
}

/**
 * Whose identity the actor may change (name, e-mail, external id: `updateUser`, `endUser`) or whom
 * they may enrol in a school (`enrolIn`: `setSchoolMembership`, `createUser`), one rule
 * (docs/DOMAIN.md, "Whose identity a school administrator changes"). The organisation's
 * administrators, its read-write integrations and the system: any user of it. A school
 * administrator: a user who is no organisation administrator and all of whose current school
 * memberships are at schools they administer; to edit them, at least one such membership; to
 * enrol them, none will do (a new user, or one of no school). A current member of the school
 * enrolled in may be given another role there whatever else they belong to: that is the school's
 * own matter and changes nothing of who they are. Anyone else is refused NOT_FOUND when they may
 * not see the user (visibleUsers), FORBIDDEN when they may.
 */
async function requireManagedUser(
  tx: Tx,
  actor: Actor,
  userId: string,
  enrolIn: { id: string; organisationId: string } | null = null,
  field = 'user',
): Promise<User> {
  const user = await tx.user.findFirst({
    where: { AND: [{ id: userId }, enrolIn ? { organisationId: enrolIn.organisationId } : actor.kind === 'system' ? {} : visibleUsers(actor)] },
    include: { memberships: { where: { endedAt: null }, include: { school: true } } },
  });
  if (!user) throw new LicenseError('NOT_FOUND', field, 'No such user.');
  const { memberships, ...plain } = user;
  if (canManageOrganisation(actor, user.organisationId)) return plain;
  if (enrolIn && memberships.some((m) => m.schoolId === enrolIn.id)) return plain;
  const allTheirs = actor.kind === 'user' && !user.isOrganisationAdmin && memberships.every((m) => canManageSchool(actor, m.school));
  if (allTheirs && (enrolIn || memberships.length > 0)) return plain;
  if (enrolIn && (await tx.user.count({ where: { AND: [{ id: user.id }, visibleUsers(actor)] } })) === 0) {
    throw new LicenseError('NOT_FOUND', field, 'No such user.');
  }
  throw new LicenseError('FORBIDDEN', field, 'Only administrators of the organisation, or of every school the user belongs to, may do this.');
}

async function changeUser(tx: Tx, now: Date, actor: Actor, user: User, data: Partial<UserFields>, reopen: boolean): Promise<Written<User>> {
  const changed = changedFields(user, { ...data, ...(reopen && user.endedAt ? { endedAt: null } : {}) });
  if (!changed) return { record: user, change: 'unchanged' };
  await requireFreeUserKeys(tx, user.organisationId, changed, user.id);
  const { endedAt: _, ...fields } = changed as Partial<UserFields> & { endedAt?: null };
  await updateUsers(tx, now, actor, user.organisationId, [
    { userId: user.id, name: user.name, email: user.email, externalId: user.externalId, ...fields, reopen: 'endedAt' in changed },
  ]);
  return { record: { ...user, ...changed }, change: 'updated' };
}

export type UserUpdate = { userId: string; name: string; email: string; externalId?: string | null; reopen?: boolean };

/**
 * Users of the organisation get these names, e-mail addresses and external ids, and one who left
 * comes back (`reopen`): updateUser for many at once (a roster import's updates), for a caller that
 * has checked the actor may change them and that the keys are free (the diff does; the unique
 * indexes stand behind it). One UPDATE, the audit events (the fields that changed) in one more.
 */
export async function updateUsers(tx: Tx, now: Date, actor: Actor, organisationId: string, rows: UserUpdate[]): Promise<void> {
  if (rows.length === 0) return;
  const wanted = rows.map((row) => ({ ...(userData(row) as UserFields), userId: row.userId, reopen: !!row.reopen }));
  // `o` is the row as it was when the statement began: the audit event's "before".
  const updated = await tx.$queryRaw<
    (Record<'name' | 'email' | 'oldName' | 'oldEmail', string> &
      Record<'userId' | 'externalId' | 'oldExternalId', string | null> & { oldEndedAt: Date | null; reopened: boolean })[]
  >`
    UPDATE "User" u SET name = r.name, email = r.email, "externalId" = r."externalId", "endedAt" = CASE WHEN r.reopen THEN NULL ELSE u."endedAt" END
    FROM ${jsonRows(wanted, { userId: 'uuid', name: 'text', email: 'text', externalId: 'text', reopen: 'boolean' })}, "User" o
    WHERE u.id = r."userId" AND o.id = u.id AND u."organisationId" = ${organisationId}::uuid
      AND (u.name <> r.name OR u.email <> r.email OR u."externalId" IS DISTINCT FROM r."externalId" OR (r.reopen AND u."endedAt" IS NOT NULL))
    RETURNING u.id::text AS "userId", u.name, u.email, u."externalId", o.name AS "oldName", o.email AS "oldEmail", o."externalId" AS "oldExternalId",
      o."endedAt" AS "oldEndedAt", (r.reopen AND o."endedAt" IS NOT NULL) AS reopened`;
  await recordUpdates(tx, actor, now, updated, ['name', 'email', 'externalId'], { endedAt: null }, (u) => ({
    action: 'USER_UPDATED',
    organisationId,
    userId: u.userId,
  }));
}

export function userData(input: Partial<UserFields>, partial = false): Partial<UserFields> {
  return {
    name: partial && input.name === undefined ? undefined : requiredText(input.name ?? '', 'name'),
    email: partial && input.email === undefined ? undefined : emailAddress(input.email ?? ''),
    externalId: optional(input.externalId, (id) => requiredText(id, 'externalId')),
  };
}

async function requireFreeUserKeys(tx: Tx, organisationId: string, data: Partial<UserFields>, exceptId: string | null) {
  if (data.email) {
    const other = await tx.user.findUnique({ where: { organisationId_email: { organisationId, email: data.email } }, select: { id: true } });
    requireNoOther(other, exceptId, 'email', 'Another user of the organisation has this e-mail address.');
  }
  if (data.externalId) {
    const other = await tx.user.findUnique({ where: { organisationId_externalId: { organisationId, externalId: data.externalId } }, select: { id: true } });
    requireNoOther(other, exceptId, 'externalId', 'Another user of the organisation has this external id.');
  }
}

// ---- School memberships ----

/** Starts the user's membership of the school, starts an ended one again, or changes the role. */
export async function setSchoolMembership(
  tx: Tx,
  now: Date,
  actor: Actor,
  input: { schoolId: string; userId: string; role: SchoolRole },
): Promise<Written<SchoolMembership>> {
  const school = await requireRosterSchool(tx, actor, input.schoolId);
  if (school.endedAt) throw new LicenseError('ALREADY_ENDED', 'school', 'The school has closed.');
  const user = await requireManagedUser(tx, actor, input.userId, school);
  if (user.endedAt) throw new LicenseError('ALREADY_ENDED', 'user', 'The user has left the organisation.');
  const key = { userId_schoolId: { userId: user.id, schoolId: school.id } };
  const existing = await tx.schoolMembership.findUnique({ where: key });
  const entry = { organisationId: school.organisationId, schoolId: school.id, userId: user.id };
  if (!existing) {
    const record = await tx.schoolMembership.create({ data: { userId: user.id, schoolId: school.id, role: input.role, createdAt: now, startedAt: now } });
    await recordAudit(tx, actor, now, { ...entry, action: 'SCHOOL_MEMBERSHIP_STARTED', after: { role: input.role } });
    return { record, change: 'created' };
  }
  if (!existing.endedAt && existing.role === input.role) return { record: existing, change: 'unchanged' };
  await updateSchoolMemberships(tx, now, actor, school.organisationId, [{ userId: user.id, schoolId: school.id, role: input.role }]);
  const record = { ...existing, role: input.role, ...(existing.endedAt ? { startedAt: now, endedAt: null } : {}) };
  return { record, change: 'updated' };
}

/**
 * Memberships of the organisation's schools start again (ended ones) or change role:
 * setSchoolMembership for many existing memberships at once (a roster import's updates), for a
 * caller that has checked the actor may change them. One UPDATE and the audit events in one more;
 * a student or teacher who becomes an administrator gives back their licenses there (only students
 * and teachers hold them). A membership of a closed school or of a user who left is refused
 * (ALREADY_ENDED), as setSchoolMembership refuses it.
 */
export async function updateSchoolMemberships(
  tx: Tx,
  now: Date,
  actor: Actor,
  organisationId: string,
  rows: { userId: string; schoolId: string; role: SchoolRole }[],
): Promise<void> {
  if (rows.length === 0) return;
  // `o` is the row as it was when the statement began: the audit event's "before".
  const updated = await tx.$queryRaw<{ userId: string; schoolId: string; role: SchoolRole; oldRole: SchoolRole; oldEndedAt: Date | null }[]>`
    UPDATE "SchoolMembership" m SET role = r.role::"SchoolRole",
      "startedAt" = CASE WHEN m."endedAt" IS NULL THEN m."startedAt" ELSE ${now} END, "endedAt" = NULL
    FROM ${jsonRows(rows, { ...HOLDER_AT_SCHOOL_COLUMNS, role: 'text' })}, "SchoolMembership" o, "School" s, "User" u
    WHERE m."userId" = r."userId" AND m."schoolId" = r."schoolId" AND o."userId" = m."userId" AND o."schoolId" = m."schoolId"
      AND s.id = m."schoolId" AND s."organisationId" = ${organisationId}::uuid AND s."endedAt" IS NULL AND u.id = m."userId" AND u."endedAt" IS NULL
      AND (m."endedAt" IS NOT NULL OR m.role::text <> r.role)
    RETURNING m."userId"::text AS "userId", m."schoolId"::text AS "schoolId", m.role::text AS role, o.role::text AS "oldRole", o."endedAt" AS "oldEndedAt"`;
  if (updated.length < rows.length) await requireOpenSchoolsAndUsers(tx, rows);
  // The role is written first: a waiting list served by what they give back passes them by.
  const promoted = updated.filter((m) => !m.oldEndedAt && m.role === 'SCHOOL_ADMIN');
  await revokeLicensesOf(
    tx,
    now,
    actor,
    promoted.map(({ userId, schoolId }) => ({ userId, schoolId })),
  );
  await recordAudits(
    tx,
    actor,
    now,
    updated.map((m) => ({
      organisationId,
      schoolId: m.schoolId,
      userId: m.userId,
      ...(m.oldEndedAt
        ? { action: 'SCHOOL_MEMBERSHIP_STARTED' as const, before: { role: m.oldRole, endedAt: m.oldEndedAt.toISOString() }, after: { role: m.role } }
        : { action: 'SCHOOL_MEMBERSHIP_UPDATED' as const, before: { role: m.oldRole }, after: { role: m.role } }),
    })),
  );
}

/** Why a bulk update left memberships out: a closed school or a user who left (ALREADY_ENDED). */
async function requireOpenSchoolsAndUsers(tx: Tx, rows: { userId: string; schoolId: string }[]): Promise<void> {
  const [row] = await tx.$queryRaw<{ school: boolean; user: boolean }[]>`
    SELECT EXISTS (SELECT 1 FROM "School" WHERE id = ANY(${uuidArray(rows.map((r) => r.schoolId))}) AND "endedAt" IS NOT NULL) AS school,
      EXISTS (SELECT 1 FROM "User" WHERE id = ANY(${uuidArray(rows.map((r) => r.userId))}) AND "endedAt" IS NOT NULL) AS user`;
  if (row?.school) throw new LicenseError('ALREADY_ENDED', 'school', 'The school has closed.');
  if (row?.user) throw new LicenseError('ALREADY_ENDED', 'user', 'The user has left the organisation.');
}

/**
 * The user leaves the school: the membership ends, their groups at the school end, and their
 * licenses there are revoked (LEFT_SCHOOL), all in the caller's transaction.
 */
export async function endSchoolMembership(tx: Tx, now: Date, actor: Actor, input: { schoolId: string; userId: string }): Promise<Written<SchoolMembership>> {
  const school = await requireRosterSchool(tx, actor, input.schoolId);
  const membership = await tx.schoolMembership.findUnique({ where: { userId_schoolId: { userId: input.userId, schoolId: school.id } } });
  if (!membership) throw new LicenseError('NOT_FOUND', 'user', 'The user is not a member of this school.');
  if (membership.endedAt) return { record: membership, change: 'unchanged' };
  const [ended] = await endSchoolMemberships(tx, now, actor, school.organisationId, [{ userId: input.userId, schoolId: school.id }]);
  return ended ? { record: { ...membership, endedAt: now }, change: 'ended' } : { record: membership, change: 'unchanged' };
}

/**
 * A graduate leaves the school they finished (a roster import ends the membership of a student of
 * a class of the school's final school year, roster/diff.ts). By the organisation's
 * graduateLicensePolicy their licenses there are revoked into the pool like any leaver's
 * (REVOKE_TO_POOL), or stay theirs until each license's end date (KEEP_UNTIL_END_DATE): not a
 * revocation, so nothing returns to the pool, and the license expires on its day as any does.
 */
export async function endGraduateSchoolMembership(
  tx: Tx,
  now: Date,
  actor: Actor,
  input: { schoolId: string; userId: string },
): Promise<Written<SchoolMembership>> {
  const school = await requireRosterSchool(tx, actor, input.schoolId);
  const membership = await tx.schoolMembership.findUnique({ where: { userId_schoolId: { userId: input.userId, schoolId: school.id } } });
  if (!membership) throw new LicenseError('NOT_FOUND', 'user', 'The user is not a member of this school.');
  if (membership.endedAt) return { record: membership, change: 'unchanged' };
  const [ended] = await endSchoolMemberships(tx, now, actor, school.organisationId, [{ userId: input.userId, schoolId: school.id, graduate: true }]);
  return ended ? { record: { ...membership, endedAt: now }, change: 'ended' } : { record: membership, change: 'unchanged' };
}

/** Whether the organisation's graduates keep their licenses until their end dates. */
export async function graduatesKeepLicenses(tx: Tx, organisationId: string): Promise<boolean> {
  const organisation = await tx.organisation.findUnique({ where: { id: organisationId }, select: { graduateLicensePolicy: true } });
  return organisation?.graduateLicensePolicy === 'KEEP_UNTIL_END_DATE';
}

export interface EndedSchoolMembership {
  userId: string;
  schoolId: string;
  role: SchoolRole;
}

/**
 * Users leave schools of the organisation (the rules of endSchoolMembership, for many at once: a
 * roster import's leavers, a school closing), for a caller that has checked the actor may change
 * these memberships. Each membership ends, the user's groups at the school end (standing rules
 * take back what they gave, LEFT_GROUP), and their licenses there are revoked (LEFT_SCHOOL), except
 * a graduate's (`graduate`) when the organisation's graduates keep theirs; a statement or a few
 * per step, whatever the number. Memberships already ended are left as they are; returns the ended.
 */
export async function endSchoolMemberships(
  tx: Tx,
  now: Date,
  actor: Actor,
  organisationId: string,
  rows: { userId: string; schoolId: string; graduate?: boolean }[],
): Promise<EndedSchoolMembership[]> {
  if (rows.length === 0) return [];
  const keepGraduates = rows.some((r) => r.graduate) && (await graduatesKeepLicenses(tx, organisationId));
  // The update locks the memberships: an assignment to one of these users in flight (which reads
  // the membership FOR SHARE) commits first and is revoked below, or finds no membership.
  const ended = await tx.$queryRaw<EndedSchoolMembership[]>`
    UPDATE "SchoolMembership" m SET "endedAt" = ${now}
    FROM ${jsonRows(rows, HOLDER_AT_SCHOOL_COLUMNS)}, "School" s
    WHERE m."userId" = r."userId" AND m."schoolId" = r."schoolId" AND m."endedAt" IS NULL AND s.id = m."schoolId" AND s."organisationId" = ${organisationId}::uuid
    RETURNING m."userId"::text AS "userId", m."schoolId"::text AS "schoolId", m.role::text AS role`;
  if (ended.length === 0) return [];
  await notifyUsersChanged(tx, ended);
  const holders = ended.map(({ userId, schoolId }) => ({ userId, schoolId }));
  const groupMemberships = await tx.$queryRaw<{ groupId: string; userId: string }[]>`
    SELECT m."groupId"::text AS "groupId", m."userId"::text AS "userId"
    FROM "GroupMembership" m JOIN "Group" g ON g.id = m."groupId" JOIN ${jsonRows(holders, HOLDER_AT_SCHOOL_COLUMNS)} ON r."userId" = m."userId" AND r."schoolId" = g."schoolId"
    WHERE m."endedAt" IS NULL`;
  // Then, in the order a single leaver takes them (and a group's assignment: its group, then the
  // pool), their groups FOR SHARE and the pools of what they hold there, before anything frees or
  // assigns a license: the pools once, in order, for every revocation below.
  const groupIds = [...new Set(groupMemberships.map((m) => m.groupId))].sort();
  if (groupIds.length) await tx.$queryRaw`SELECT id FROM "Group" WHERE id = ANY(${uuidArray(groupIds)}) ORDER BY id FOR SHARE`;
  await lockHeldPools(tx, holders);
  await endGroupMemberships(tx, now, actor, organisationId, groupMemberships);
  const keeps = new Set(keepGraduates ? rows.filter((r) => r.graduate).map((r) => `${r.userId} ${r.schoolId}`) : []);
  const revoked = await revokeLicensesOf(
    tx,
    now,
    actor,
    holders.filter((h) => !keeps.has(`${h.userId} ${h.schoolId}`)),
  );
  await recordAudits(
    tx,
    actor,
    now,
    ended.map((m) => {
      const key = `${m.userId} ${m.schoolId}`;
      return {
        action: 'SCHOOL_MEMBERSHIP_ENDED' as const,
        organisationId,
        schoolId: m.schoolId,
        userId: m.userId,
        before: { role: m.role },
        after: { endedAt: now.toISOString(), revokedLicenses: revoked.get(key) ?? 0, ...(keeps.has(key) ? { graduateKeepsLicenses: true } : {}) },
      };
    }),
  );
  return ended;
}

/**
 * Ends the holders' assignments at their schools (LEFT_SCHOOL): started licenses keep their end
 * dates and become reusable. How many each lost, by "userId schoolId".
 */
async function revokeLicensesOf(tx: Tx, now: Date, actor: Actor, holders: { userId: string; schoolId: string }[]): Promise<Map<string, number>> {
  if (holders.length === 0) return new Map();
  // A license past its end date has no holder already: its assignment is written down as ended at
  // the expiry, by the system, and only the others are revoked.
  await endExpiredAssignments(tx, now, holders);
  const held = await tx.$queryRaw<{ licenseId: string; userId: string; schoolId: string }[]>`
    SELECT a."licenseId"::text AS "licenseId", a."userId"::text AS "userId", a."schoolId"::text AS "schoolId"
    FROM "Assignment" a JOIN ${jsonRows(holders, HOLDER_AT_SCHOOL_COLUMNS)} ON r."userId" = a."userId" AND r."schoolId" = a."schoolId"
    WHERE a."isActive"`;
  const ended = new Set(
    (
      await endAssignments(
        tx,
        now,
        actor,
        held.map((h) => h.licenseId),
        'LEFT_SCHOOL',
      )
    ).map((l) => l.id),
  );
  return count(held.filter((h) => ended.has(h.licenseId)).map((h) => `${h.userId} ${h.schoolId}`));
}

// ---- Groups ----

export interface GroupFields {
  name: string;
  kind: GroupKind;
  /** The grade (årskurs) of its students, 0 to 13; null for mixed groups. */
  schoolYear?: number | null;
  externalId?: string | null;
}

export async function createGroup(tx: Tx, now: Date, actor: Actor, input: GroupFields & { schoolId: string }): Promise<Group> {
  const school = await requireRosterSchool(tx, actor, input.schoolId);
  if (school.endedAt) throw new LicenseError('ALREADY_ENDED', 'school', 'The school has closed.');
  const data = groupData(input) as GroupFields;
  await requireFreeGroupKeys(tx, school.organisationId, data, null);
  const group = await tx.group.create({ data: { ...data, organisationId: school.organisationId, schoolId: school.id, createdAt: now, startedAt: now } });
  await recordAudit(tx, actor, now, {
    action: 'GROUP_CREATED',
    organisationId: school.organisationId,
    schoolId: school.id,
    groupId: group.id,
    after: json(data),
  });
  return group;
}

export async function updateGroup(tx: Tx, now: Date, actor: Actor, input: Partial<GroupFields> & { groupId: string }): Promise<Written<Group>> {
  const { group, school } = await requireRosterGroup(tx, actor, input.groupId);
  if (group.endedAt) throw new LicenseError('ALREADY_ENDED', 'group', 'The group has ended.');
  return changeGroup(tx, now, actor, school, group, groupData(input, true), false);
}

/** Ends a group and every membership of it (the licenses of its members are the school's matter). */
export async function endGroup(tx: Tx, now: Date, actor: Actor, input: { groupId: string }): Promise<Written<Group>> {
  const { group, school } = await requireRosterGroup(tx, actor, input.groupId);
  if (group.endedAt) return { record: group, change: 'unchanged' };
  const [record] = await endGroups(tx, now, actor, school.organisationId, [group.id]);
  return record ? { record, change: 'ended' } : { record: group, change: 'unchanged' };
}

export async function upsertGroupByExternalId(
  tx: Tx,
  now: Date,
  actor: Actor,
  organisationId: string,
  input: GroupFields & { externalId: string; schoolId: string },
): Promise<Written<Group>> {
  const school = await requireRosterSchool(tx, actor, input.schoolId);
  if (school.organisationId !== organisationId) throw new LicenseError('NOT_FOUND', 'school', 'No such school.');
  const externalId = requiredText(input.externalId, 'externalId');
  const existing = await groupByExternalId(tx, organisationId, externalId);
  if (!existing) return { record: await createGroup(tx, now, actor, input), change: 'created' };
  if (existing.schoolId !== school.id) throw new LicenseError('INVALID_INPUT', 'school', 'A group stays in its school: end it and create another.');
  return changeGroup(tx, now, actor, school, existing, groupData(input), true);
}

export function groupByExternalId(tx: Tx, organisationId: string, externalId: string): Promise<Group | null> {
  return tx.group.findUnique({ where: { organisationId_externalId: { organisationId, externalId } } });
}

async function changeGroup(
  tx: Tx,
  now: Date,
  actor: Actor,
  school: School,
  group: Group,
  data: Partial<GroupFields>,
  reopen: boolean,
): Promise<Written<Group>> {
  const changed = changedFields(group, { ...data, ...(reopen && group.endedAt ? { endedAt: null, startedAt: now } : {}) });
  if (!changed) return { record: group, change: 'unchanged' };
  await requireFreeGroupKeys(tx, group.organisationId, changed, group.id);
  const { endedAt: _, startedAt: __, ...fields } = changed as Partial<GroupFields> & { endedAt?: null; startedAt?: Date };
  await updateGroups(tx, now, actor, school.organisationId, [
    {
      groupId: group.id,
      name: group.name,
      kind: group.kind,
      schoolYear: group.schoolYear,
      externalId: group.externalId,
      ...fields,
      reopen: 'endedAt' in changed,
    },
  ]);
  return { record: { ...group, ...changed }, change: 'updated' };
}

export type GroupUpdate = GroupFields & { groupId: string; reopen?: boolean };

/**
 * Groups of the organisation get these names, kinds, school years and external ids, and an ended
 * one starts again (`reopen`): updateGroup for many at once (a roster import's updates), for a
 * caller that has checked the actor may change them and that the external ids are free (the diff
 * does). One UPDATE, the audit events (the fields that changed) in one more.
 */
export async function updateGroups(tx: Tx, now: Date, actor: Actor, organisationId: string, rows: GroupUpdate[]): Promise<void> {
  if (rows.length === 0) return;
  const wanted = rows.map((row) => ({ ...(groupData(row) as GroupFields), groupId: row.groupId, reopen: !!row.reopen }));
  type Row = { groupId: string; schoolId: string; reopened: boolean; oldEndedAt: Date | null; oldStartedAt: Date } & Record<
    'name' | 'kind' | 'oldName' | 'oldKind',
    string
  > &
    Record<'schoolYear' | 'oldSchoolYear', number | null> &
    Record<'externalId' | 'oldExternalId', string | null>;
  // `o` is the row as it was when the statement began: the audit event's "before".
  const updated = await tx.$queryRaw<Row[]>`
    UPDATE "Group" g SET name = r.name, kind = r.kind::"GroupKind", "schoolYear" = r."schoolYear", "externalId" = r."externalId",
      "endedAt" = CASE WHEN r.reopen THEN NULL ELSE g."endedAt" END,
      "startedAt" = CASE WHEN r.reopen AND g."endedAt" IS NOT NULL THEN ${now} ELSE g."startedAt" END
    FROM ${jsonRows(wanted, { groupId: 'uuid', name: 'text', kind: 'text', schoolYear: 'int', externalId: 'text', reopen: 'boolean' })}, "Group" o
    WHERE g.id = r."groupId" AND o.id = g.id AND g."organisationId" = ${organisationId}::uuid
      AND (g.name <> r.name OR g.kind::text <> r.kind OR g."schoolYear" IS DISTINCT FROM r."schoolYear" OR g."externalId" IS DISTINCT FROM r."externalId"
        OR (r.reopen AND g."endedAt" IS NOT NULL))
    RETURNING g.id::text AS "groupId", g."schoolId"::text AS "schoolId", g.name, g.kind::text AS kind, g."schoolYear", g."externalId",
      o.name AS "oldName", o.kind::text AS "oldKind", o."schoolYear" AS "oldSchoolYear", o."externalId" AS "oldExternalId",
      o."endedAt" AS "oldEndedAt", o."startedAt" AS "oldStartedAt", (r.reopen AND o."endedAt" IS NOT NULL) AS reopened`;
  await recordUpdates(tx, actor, now, updated, ['name', 'kind', 'schoolYear', 'externalId'], { endedAt: null, startedAt: now }, (g) => ({
    action: 'GROUP_UPDATED',
    organisationId,
    schoolId: g.schoolId,
    groupId: g.groupId,
  }));
}

/**
 * Groups of the organisation end (endGroup for many at once), for a caller that has checked the
 * actor may change them: their standing rules end, then their memberships, then the groups.
 * Returns the groups ended.
 */
export async function endGroups(tx: Tx, now: Date, actor: Actor, organisationId: string, groupIds: string[]): Promise<Group[]> {
  if (groupIds.length === 0) return [];
  await groupsEnding(tx, now, actor, groupIds);
  const members = await tx.groupMembership.findMany({
    where: { groupId: { in: groupIds }, endedAt: null, group: { organisationId } },
    select: { groupId: true, userId: true },
  });
  await endGroupMemberships(tx, now, actor, organisationId, members);
  const ended = await tx.group.updateManyAndReturn({ where: { id: { in: groupIds }, organisationId, endedAt: null }, data: { endedAt: now } });
  const endedMemberships = count(members.map((m) => m.groupId));
  await recordAudits(
    tx,
    actor,
    now,
    ended.map((group) => ({
      action: 'GROUP_ENDED' as const,
      organisationId,
      schoolId: group.schoolId,
      groupId: group.id,
      after: { endedMemberships: endedMemberships.get(group.id) ?? 0 },
    })),
  );
  return ended;
}

export function groupData(input: Partial<GroupFields>, partial = false): Partial<GroupFields> {
  return {
    name: partial && input.name === undefined ? undefined : requiredText(input.name ?? '', 'name'),
    kind: input.kind ?? undefined,
    schoolYear: optional(input.schoolYear, (year) => {
      if (!Number.isInteger(year) || year < 0 || year > 13) throw new LicenseError('INVALID_INPUT', 'schoolYear', 'A school year is a grade from 0 to 13.');
      return year;
    }),
    externalId: optional(input.externalId, (id) => requiredText(id, 'externalId')),
  };
}

async function requireFreeGroupKeys(tx: Tx, organisationId: string, data: Partial<GroupFields>, exceptId: string | null) {
  if (!data.externalId) return;
  const other = await groupByExternalId(tx, organisationId, data.externalId);
  requireNoOther(other, exceptId, 'externalId', 'Another group of the organisation has this external id.');
}

/** A group whose school's roster the actor changes; another organisation's group is NOT_FOUND. */
async function requireRosterGroup(tx: Tx, actor: Actor, groupId: string, field = 'group'): Promise<{ group: Group; school: School }> {
  const group = await tx.group.findUnique({ where: { id: groupId } });
  if (!group) throw new LicenseError('NOT_FOUND', field, 'No such group.');
  return { group, school: await requireRosterSchool(tx, actor, group.schoolId, field) };
}

// ---- Group memberships ----

/** Adds a current member of the group's school to the group, adds them again, or changes their role. */
export async function setGroupMembership(
  tx: Tx,
  now: Date,
  actor: Actor,
  input: { groupId: string; userId: string; role: GroupRole },
): Promise<Written<GroupMembership>> {
  const { group, school } = await requireRosterGroup(tx, actor, input.groupId);
  if (group.endedAt) throw new LicenseError('ALREADY_ENDED', 'group', 'The group has ended.');
  const inSchool = await tx.schoolMembership.findFirst({ where: { userId: input.userId, schoolId: school.id, endedAt: null }, select: { role: true } });
  if (!inSchool) throw new LicenseError('USER_NOT_IN_SCHOOL', 'user', "The user is not a current member of the group's school.");
  const key = { groupId_userId: { groupId: group.id, userId: input.userId } };
  const existing = await tx.groupMembership.findUnique({ where: key });
  const entry = { organisationId: school.organisationId, schoolId: school.id, groupId: group.id, userId: input.userId };
  if (!existing) {
    const record = await tx.groupMembership.create({ data: { groupId: group.id, userId: input.userId, role: input.role, createdAt: now, startedAt: now } });
    await recordAudit(tx, actor, now, { ...entry, action: 'GROUP_MEMBERSHIP_STARTED', after: { role: input.role } });
    await groupMembershipStarted(tx, now, actor, record);
    return { record, change: 'created' };
  }
  if (!existing.endedAt && existing.role === input.role) return { record: existing, change: 'unchanged' };
  await updateGroupMemberships(tx, now, actor, school.organisationId, [{ groupId: group.id, userId: input.userId, role: input.role }]);
  const record = { ...existing, role: input.role, ...(existing.endedAt ? { startedAt: now, endedAt: null } : {}) };
  return { record, change: 'updated' };
}

/**
 * Memberships of the organisation's groups start again (ended ones) or change role:
 * setGroupMembership for many existing memberships at once (a roster import's updates), for a
 * caller that has checked the actor may change them. One UPDATE, the audit events in one more, and
 * the groups' standing rules once (groupMembershipsStarted: a license or a place in line for a role
 * a rule covers, the rule's license back for one it no longer does). A membership of an ended group,
 * or of someone who is not a current member of the group's school, is left as it is.
 */
export async function updateGroupMemberships(
  tx: Tx,
  now: Date,
  actor: Actor,
  organisationId: string,
  rows: { groupId: string; userId: string; role: GroupRole }[],
): Promise<void> {
  if (rows.length === 0) return;
  // `o` is the row as it was when the statement began: the audit event's "before".
  const updated = await tx.$queryRaw<{ groupId: string; userId: string; schoolId: string; role: GroupRole; oldRole: GroupRole; oldEndedAt: Date | null }[]>`
    UPDATE "GroupMembership" m SET role = r.role::"GroupRole",
      "startedAt" = CASE WHEN m."endedAt" IS NULL THEN m."startedAt" ELSE ${now} END, "endedAt" = NULL
    FROM ${jsonRows(rows, { groupId: 'uuid', userId: 'uuid', role: 'text' })}, "GroupMembership" o, "Group" g
    WHERE m."groupId" = r."groupId" AND m."userId" = r."userId" AND o."groupId" = m."groupId" AND o."userId" = m."userId"
      AND g.id = m."groupId" AND g."organisationId" = ${organisationId}::uuid AND g."endedAt" IS NULL
      AND EXISTS (SELECT 1 FROM "SchoolMembership" sm WHERE sm."userId" = m."userId" AND sm."schoolId" = g."schoolId" AND sm."endedAt" IS NULL)
      AND (m."endedAt" IS NOT NULL OR m.role::text <> r.role)
    RETURNING m."groupId"::text AS "groupId", m."userId"::text AS "userId", g."schoolId"::text AS "schoolId", m.role::text AS role,
      o.role::text AS "oldRole", o."endedAt" AS "oldEndedAt"`;
  await recordAudits(
    tx,
    actor,
    now,
    updated.map((m) => ({
      action: m.oldEndedAt ? ('GROUP_MEMBERSHIP_STARTED' as const) : ('GROUP_MEMBERSHIP_UPDATED' as const),
      organisationId,
      schoolId: m.schoolId,
      groupId: m.groupId,
      userId: m.userId,
      before: { role: m.oldRole, endedAt: m.oldEndedAt?.toISOString() ?? null },
      after: { role: m.role },
    })),
  );
  await groupMembershipsStarted(
    tx,
    now,
    actor,
    updated.map((m) => ({ groupId: m.groupId, userId: m.userId, role: m.role, previousRole: m.oldEndedAt ? null : m.oldRole })),
  );
}

export async function endGroupMembership(tx: Tx, now: Date, actor: Actor, input: { groupId: string; userId: string }): Promise<Written<GroupMembership>> {
  const { group, school } = await requireRosterGroup(tx, actor, input.groupId);
  const membership = await tx.groupMembership.findUnique({ where: { groupId_userId: { groupId: group.id, userId: input.userId } } });
  if (!membership) throw new LicenseError('NOT_FOUND', 'user', 'The user is not a member of this group.');
  if (membership.endedAt) return { record: membership, change: 'unchanged' };
  const [ended] = await endGroupMemberships(tx, now, actor, school.organisationId, [{ groupId: group.id, userId: input.userId }]);
  return ended ? { record: { ...membership, endedAt: now }, change: 'ended' } : { record: membership, change: 'unchanged' };
}

/**
 * Members leave groups of the organisation (endGroupMembership for many at once), for a caller
 * that has checked the actor may change them: one UPDATE, the standing rules' hook
 * (groupMembershipsEnded: waiting lists left, LEFT_GROUP), and the audit events in one statement.
 * Memberships already ended are left as they are; returns the ended.
 */
export async function endGroupMemberships(
  tx: Tx,
  now: Date,
  actor: Actor,
  organisationId: string,
  rows: { groupId: string; userId: string }[],
): Promise<{ groupId: string; userId: string; role: GroupRole; schoolId: string }[]> {
  if (rows.length === 0) return [];
  const ended = await tx.$queryRaw<{ groupId: string; userId: string; role: GroupRole; schoolId: string }[]>`
    UPDATE "GroupMembership" m SET "endedAt" = ${now}
    FROM ${jsonRows(rows, { groupId: 'uuid', userId: 'uuid' })}, "Group" g
    WHERE m."groupId" = r."groupId" AND m."userId" = r."userId" AND m."endedAt" IS NULL AND g.id = m."groupId" AND g."organisationId" = ${organisationId}::uuid
    RETURNING m."groupId"::text AS "groupId", m."userId"::text AS "userId", m.role::text AS role, g."schoolId"::text AS "schoolId"`;
  if (ended.length === 0) return [];
  await groupMembershipsEnded(tx, now, actor, ended);
  await recordAudits(
    tx,
    actor,
    now,
    ended.map((m) => ({
      action: 'GROUP_MEMBERSHIP_ENDED' as const,
      organisationId,
      schoolId: m.schoolId,
      groupId: m.groupId,
      userId: m.userId,
      before: { role: m.role },
    })),
  );
  return ended;
}

/** How many times each key occurs. */
function count(keys: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

// ---- Shared ----

const CONTROL = /[\u0000-\u001f\u007f]/;

function requiredText(value: string, field: string, max = 200): string {
  const text = value.trim();
  if (!text || text.length > max || CONTROL.test(text)) {
    throw new LicenseError('INVALID_INPUT', field, `Give 1 to ${max} characters, without control characters.`);
  }
  return text;
}

function emailAddress(value: string): string {
  const email = value.trim().toLowerCase();
  if (email.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    throw new LicenseError('INVALID_INPUT', 'email', 'Give an e-mail address like name@school.example.');
  }
  return email;
}

/** undefined keeps the value, null or an empty string clears it, anything else is checked. */
function optional<T>(value: T | null | undefined, check: (value: T) => T): T | null | undefined {
  if (value === undefined) return undefined;
  if (value === null || value === '') return null;
  return check(value);
}

function requireNoOther(other: { id: string } | null, exceptId: string | null, field: string, message: string): void {
  if (other && other.id !== exceptId) throw new LicenseError('ALREADY_EXISTS', field, message);
}

/** The fields of `wanted` whose values differ from the record's; null when none does. */
function changedFields<R extends object, W extends object>(record: R, wanted: W): Partial<W> | null {
  const changed = Object.entries(wanted).filter(([name, value]) => value !== undefined && !sameValue((record as Record<string, unknown>)[name], value));
  return changed.length ? (Object.fromEntries(changed) as Partial<W>) : null;
}

function sameValue(a: unknown, b: unknown): boolean {
  return a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b;
}

/**
 * The audit events of a bulk update, one a row it changed: each of `fields` as it is and as it
 * was (the row's `old<Field>`), those whose values differ; a reopened row also shows the fields
 * reopening set (`reopening`), as they were (`old<Field>`) and as they are now.
 */
function recordUpdates<Row extends { reopened: boolean }>(
  tx: Tx,
  actor: Actor,
  now: Date,
  rows: Row[],
  fields: (keyof Row & string)[],
  reopening: Record<string, unknown>,
  entry: (row: Row) => Omit<AuditEntry, 'before' | 'after'>,
): Promise<void> {
  const old = (row: Row, field: string) => (row as Record<string, unknown>)[`old${field[0]!.toUpperCase()}${field.slice(1)}`];
  return recordAudits(
    tx,
    actor,
    now,
    rows.map((row) => {
      const reopened = row.reopened ? Object.keys(reopening) : [];
      const before = Object.fromEntries([...fields, ...reopened].map((field) => [field, old(row, field)]));
      const after = { ...Object.fromEntries(fields.map((field) => [field, row[field]])), ...(row.reopened ? reopening : {}) };
      return { ...entry(row), ...changes(before, after) };
    }),
  );
}

/** An audit event's before and after: the fields whose values differ. */
function changes(before: Record<string, unknown>, after: Record<string, unknown>): Pick<AuditEntry, 'before' | 'after'> {
  const changed = Object.fromEntries(Object.entries(after).filter(([name, value]) => !sameValue(before[name], value)));
  return beforeAfter(before, changed);
}

function beforeAfter(record: object, changed: object): Pick<AuditEntry, 'before' | 'after'> {
  const before = Object.fromEntries(Object.keys(changed).map((name) => [name, (record as Record<string, unknown>)[name]]));
  return { before: json(before), after: json(changed) };
}

function json(value: object): Prisma.InputJsonValue {
  return JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue;
}
