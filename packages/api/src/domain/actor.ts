// Who is acting, and what they may see and change. Every rule of "who may do what" lives here.
import { Prisma, type SchoolRole } from '@school-licenses/db';
import { SUPPLIER_EVENT_KINDS } from '../events/kinds.ts';
import { LicenseError } from './errors.ts';
import { idIn, sqlColumn } from './sql.ts';

export type Tx = Prisma.TransactionClient;

export interface UserActor {
  kind: 'user';
  userId: string;
  organisationId: string;
  isOrganisationAdmin: boolean;
  /** The user's role in each school they belong to. */
  schoolRoles: ReadonlyMap<string, SchoolRole>;
  /** The organisation's time zone: the days of every license the user sees are counted in it. */
  timeZone: string;
  label: string;
  /** When the user's token expires (its `exp`), if it does: a live subscription ends then. */
  expiresAt?: Date;
}

/** An LMS or other integration with an organisation API key. */
export interface IntegrationActor {
  kind: 'integration';
  credentialId: string;
  organisationId: string;
  canWrite: boolean;
  /** The organisation's time zone, as for a user. */
  timeZone: string;
  label: string;
}

/** A supplier's integration, delivering orders of its own products. */
export interface SupplierActor {
  kind: 'supplier';
  credentialId: string;
  supplierId: string;
  label: string;
}

/** The API itself, e.g. the auto-start sweep. */
export interface SystemActor {
  kind: 'system';
  label: 'system';
}

export type Actor = UserActor | IntegrationActor | SupplierActor | SystemActor;

export const systemActor: SystemActor = { kind: 'system', label: 'system' };

/** The organisation an actor belongs to; suppliers and the system belong to none. */
export function organisationOf(actor: Actor): string | null {
  return actor.kind === 'user' || actor.kind === 'integration' ? actor.organisationId : null;
}

/** Admins of a school, admins of its organisation, and read-write integrations of it. */
export function canManageSchool(actor: Actor, school: { id: string; organisationId: string }): boolean {
  switch (actor.kind) {
    case 'user':
      return actor.organisationId === school.organisationId && (actor.isOrganisationAdmin || actor.schoolRoles.get(school.id) === 'SCHOOL_ADMIN');
    case 'integration':
      return actor.canWrite && actor.organisationId === school.organisationId;
    default:
      return false;
  }
}

/**
 * Who changes an organisation's roster as a whole (its schools and people): its administrators,
 * its read-write integrations, and the API's own commands (the roster import an operator runs).
 */
export function canManageOrganisation(actor: Actor, organisationId: string): boolean {
  switch (actor.kind) {
    case 'user':
      return actor.organisationId === organisationId && actor.isOrganisationAdmin;
    case 'integration':
      return actor.canWrite && actor.organisationId === organisationId;
    case 'system':
      return true;
    default:
      return false;
  }
}

/**
 * Who issues, lists and revokes an organisation's API keys: its administrators (users) and the
 * API's own commands. Not its integrations: a leaked key must not be able to mint another that
 * outlives its revocation.
 */
export function canManageApiKeys(actor: Actor, organisationId: string): boolean {
  return actor.kind === 'system' || (actor.kind === 'user' && actor.isOrganisationAdmin && actor.organisationId === organisationId);
}

/** The API keys the actor sees: those of the organisation it administers (canManageApiKeys). */
export function visibleApiKeys(actor: Actor): Prisma.ApiCredentialWhereInput {
  return actor.kind === 'user' && actor.isOrganisationAdmin ? { organisationId: actor.organisationId } : nothing;
}

/** Admins of the school and every integration of its organisation see its licenses and orders. */
export function canReadSchoolLicenses(actor: Actor, school: { id: string; organisationId: string }): boolean {
  return canManageSchool(actor, school) || (actor.kind === 'integration' && actor.organisationId === school.organisationId);
}

/**
 * canReadSchoolLicenses as a SQL condition on the school table under `alias`, so a read joins the
 * reader's right to it instead of reading the school first (data/school-products.ts).
 */
export function readableSchoolLicensesSql(actor: Actor, alias: string): Prisma.Sql {
  const column = (name: keyof Prisma.SchoolGetPayload<object> & string) => sqlColumn<Prisma.SchoolGetPayload<object>>(alias, name);
  if (actor.kind === 'integration' || (actor.kind === 'user' && actor.isOrganisationAdmin)) {
    return Prisma.sql`${column('organisationId')} = ${actor.organisationId}::uuid`;
  }
  if (actor.kind !== 'user') return Prisma.sql`false`;
  return Prisma.sql`(${column('organisationId')} = ${actor.organisationId}::uuid AND ${idIn(column('id'), rolesIn(actor, ['SCHOOL_ADMIN']))})`;
}

/** Whether the actor administers at least one school: the `admin` scope of the API. */
export function isAdmin(actor: Actor): boolean {
  if (actor.kind === 'integration') return actor.canWrite;
  if (actor.kind !== 'user') return false;
  return actor.isOrganisationAdmin || [...actor.schoolRoles.values()].includes('SCHOOL_ADMIN');
}

/** Schools the actor administers or reads in full (not just as a student or teacher). */
export function managedSchoolsWhere(actor: Actor): Prisma.SchoolWhereInput {
  switch (actor.kind) {
    case 'user':
      return actor.isOrganisationAdmin
        ? { organisationId: actor.organisationId }
        : { organisationId: actor.organisationId, id: { in: rolesIn(actor, ['SCHOOL_ADMIN']) } };
    case 'integration':
      return { organisationId: actor.organisationId };
    default:
      return { id: { in: [] } };
  }
}

function rolesIn(actor: UserActor, roles: SchoolRole[]): string[] {
  return [...actor.schoolRoles].filter(([, role]) => roles.includes(role)).map(([schoolId]) => schoolId);
}

const nothing = { id: { in: [] as string[] } };

// What each actor may see. Anything outside answers as if it did not exist.

export function visibleSchools(actor: Actor): Prisma.SchoolWhereInput {
  if (actor.kind === 'user' && !actor.isOrganisationAdmin) {
    return { organisationId: actor.organisationId, id: { in: [...actor.schoolRoles.keys()] } };
  }
  return managedSchoolsWhere(actor);
}

/** visibleSchools on a school already read (of the actor's organisation, by the read itself). */
export function canSeeSchool(actor: Actor, school: { id: string; organisationId: string }): boolean {
  switch (actor.kind) {
    case 'user':
      return actor.organisationId === school.organisationId && (actor.isOrganisationAdmin || actor.schoolRoles.has(school.id));
    case 'integration':
      return actor.organisationId === school.organisationId;
    default:
      return false;
  }
}

export function visibleOrganisations(actor: Actor): Prisma.OrganisationWhereInput {
  const organisationId = organisationOf(actor);
  return organisationId ? { id: organisationId } : nothing;
}

export function visibleUsers(actor: Actor): Prisma.UserWhereInput {
  if (actor.kind === 'integration') return { organisationId: actor.organisationId };
  if (actor.kind !== 'user') return nothing;
  if (actor.isOrganisationAdmin) return { organisationId: actor.organisationId };
  const adminOf = rolesIn(actor, ['SCHOOL_ADMIN']);
  return {
    organisationId: actor.organisationId,
    OR: [{ id: actor.userId }, { memberships: { some: { schoolId: { in: adminOf } } } }],
  };
}

/**
 * visibleUsers as a SQL condition on the user table under `alias`, for a raw statement that reads
 * users beside other rows (the holders of a page of licenses, license-pages.ts).
 */
export function visibleUsersSql(actor: Actor, alias: string): Prisma.Sql {
  const column = (name: keyof Prisma.UserGetPayload<object> & string) => sqlColumn<Prisma.UserGetPayload<object>>(alias, name);
  if (actor.kind === 'integration' || (actor.kind === 'user' && actor.isOrganisationAdmin)) {
    return Prisma.sql`${column('organisationId')} = ${actor.organisationId}::uuid`;
  }
  if (actor.kind !== 'user') return Prisma.sql`false`;
  return Prisma.sql`(${column('organisationId')} = ${actor.organisationId}::uuid AND (${column('id')} = ${actor.userId}::uuid
    OR EXISTS (SELECT 1 FROM "SchoolMembership" m WHERE m."userId" = ${column('id')} AND ${idIn(Prisma.raw('m."schoolId"'), rolesIn(actor, ['SCHOOL_ADMIN']))})))`;
}

export function visibleLicenses(actor: Actor): Prisma.LicenseWhereInput {
  if (actor.kind === 'supplier') return { product: { supplierId: actor.supplierId } };
  if (actor.kind === 'user') {
    return {
      OR: [{ school: managedSchoolsWhere(actor) }, { assignments: { some: { userId: actor.userId } } }],
    };
  }
  return { school: managedSchoolsWhere(actor) };
}

export function visibleAssignments(actor: Actor): Prisma.AssignmentWhereInput {
  if (actor.kind === 'user') {
    return {
      OR: [{ license: { school: managedSchoolsWhere(actor) } }, { userId: actor.userId }],
    };
  }
  // Suppliers see the licenses they delivered, not who held them.
  if (actor.kind === 'supplier') return nothing;
  return { license: visibleLicenses(actor) };
}

export function visibleOrders(actor: Actor): Prisma.OrderWhereInput {
  if (actor.kind === 'supplier') return { product: { supplierId: actor.supplierId } };
  return { school: managedSchoolsWhere(actor) };
}

/**
 * The organisation's changes an integration or an administrator reads, on the columns the audit log
 * and the events share (organisationId, schoolId, id), so one rule serves both.
 */
function organisationChanges(actor: Actor): { organisationId: string; schoolId?: { in: string[] } } | typeof nothing {
  if (actor.kind === 'integration') return { organisationId: actor.organisationId };
  if (actor.kind !== 'user' || !isAdmin(actor)) return nothing;
  return actor.isOrganisationAdmin
    ? { organisationId: actor.organisationId }
    : { organisationId: actor.organisationId, schoolId: { in: rolesIn(actor, ['SCHOOL_ADMIN']) } };
}

export function visibleAuditEvents(actor: Actor): Prisma.AuditEventWhereInput {
  // A supplier sees the changes to its own catalogue.
  if (actor.kind === 'supplier') return { supplierId: actor.supplierId };
  return organisationChanges(actor);
}

/** Events follow the audit log's rule; suppliers see the events of orders of their products. */
export function visibleEvents(actor: Actor): Prisma.EventWhereInput {
  if (actor.kind === 'supplier') return { supplierId: actor.supplierId, kind: { in: [...SUPPLIER_EVENT_KINDS] } };
  return organisationChanges(actor);
}

/** Groups are seen with their school; their members as visibleGroupMemberships says. */
export function visibleGroups(actor: Actor): Prisma.GroupWhereInput {
  return { school: visibleSchools(actor) };
}

/**
 * Who is in which group: administrators and integrations see their schools' groups, a teacher the
 * groups they teach, everyone their own memberships.
 */
export function visibleGroupMemberships(actor: Actor): Prisma.GroupMembershipWhereInput {
  if (actor.kind === 'integration') return { group: { organisationId: actor.organisationId } };
  if (actor.kind !== 'user') return { groupId: { in: [] } };
  return {
    OR: [
      { group: { school: managedSchoolsWhere(actor) } },
      { group: { memberships: { some: { userId: actor.userId, role: 'TEACHER', endedAt: null } } } },
      { userId: actor.userId },
    ],
  };
}

/** The organisation whose roster the actor writes: their own. */
export function requireOrganisationOf(actor: Actor): string {
  const organisationId = organisationOf(actor);
  if (!organisationId) throw new LicenseError('FORBIDDEN', null, 'Only users and integrations of an organisation change its roster.');
  return organisationId;
}

export function visibleNotifications(actor: Actor): Prisma.NotificationWhereInput {
  return actor.kind === 'user' ? { userId: actor.userId } : nothing;
}

/**
 * Loads a school the actor must be able to manage. A school the actor cannot even see is
 * NOT_FOUND, so the answer does not reveal that another organisation's school exists.
 */
export async function requireManagedSchool(tx: Tx, actor: Actor, schoolId: string, field = 'school') {
  const school = await tx.school.findFirst({ where: { AND: [{ id: schoolId }, visibleSchools(actor)] }, include: withTimeZone });
  if (!school) throw new LicenseError('NOT_FOUND', field, 'No such school.');
  if (!canManageSchool(actor, school)) {
    throw new LicenseError('FORBIDDEN', field, 'Only administrators of this school may do this.');
  }
  return school;
}

/** A school read with its organisation's time zone, which its days are counted in. */
export const withTimeZone = { organisation: { select: { timeZone: true } } } as const;
export type SchoolWithTimeZone = Prisma.SchoolGetPayload<{ include: typeof withTimeZone }>;

/** The actor's own organisation's time zone; null for suppliers and the system, which span organisations. */
export function timeZoneOf(actor: Actor): string | null {
  return actor.kind === 'user' || actor.kind === 'integration' ? actor.timeZone : null;
}

/** The actor as stored in audit events. */
export function auditActor(actor: Actor) {
  return {
    actorUserId: actor.kind === 'user' ? actor.userId : null,
    actorCredentialId: actor.kind === 'integration' || actor.kind === 'supplier' ? actor.credentialId : null,
    actorLabel: actor.label,
  };
}

/** The key idempotency records are kept under: keys are per actor. */
export function actorKey(actor: Actor): string {
  switch (actor.kind) {
    case 'user':
      return `user:${actor.userId}`;
    case 'integration':
    case 'supplier':
      return `credential:${actor.credentialId}`;
    default:
      return 'system';
  }
}

/** Refuses unless the actor manages the organisation's roster as a whole. */
export function requireManagedOrganisation(actor: Actor, organisationId: string, field: string | null = null): void {
  if (!canManageOrganisation(actor, organisationId)) {
    throw new LicenseError('FORBIDDEN', field, 'Only administrators of the organisation may do this.');
  }
}

/**
 * A school whose roster (members, groups) the actor changes: as requireManagedSchool, and for the
 * API's own commands any school.
 */
export async function requireRosterSchool(tx: Tx, actor: Actor, schoolId: string, field = 'school') {
  if (actor.kind !== 'system') return requireManagedSchool(tx, actor, schoolId, field);
  const school = await tx.school.findUnique({ where: { id: schoolId } });
  if (!school) throw new LicenseError('NOT_FOUND', field, 'No such school.');
  return school;
}
