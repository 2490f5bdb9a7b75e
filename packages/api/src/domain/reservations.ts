// Reservations on delayed delivery: an order delivered later (by the supplier, or by redeeming
// its activation link) cannot pre-assign (Skolon's rule), but it can name users, or a group, to
// get its licenses the moment they arrive, in the transaction that delivers them.
import type { Order, Product, ReservationOutcome } from '@school-licenses/db';
import { systemActor, type SchoolWithTimeZone, type Tx } from './actor.ts';
import { assigningSchool, assignMember } from './assignments.ts';
import type { LocalTime } from './days.ts';
import { LicenseError } from './errors.ts';

export interface ReservationsInput {
  userIds: string[];
  groupId: string | null;
}

/**
 * Checks the reservations of an order being placed: only for delayed and activation-link
 * delivery (direct delivery pre-assigns), each user once and a current student or teacher of the
 * school, no more named users than licenses, and a current group of the school.
 */
export async function requireReservable(tx: Tx, school: { id: string }, product: Product, quantity: number, input: ReservationsInput): Promise<void> {
  const field = input.userIds.length > 0 ? 'reserveFor' : 'reserveForGroup';
  if (product.deliveryMode === 'DIRECT') {
    throw new LicenseError('WRONG_DELIVERY_MODE', field, 'Direct delivery creates the licenses at once: assign them with preAssignTo.');
  }
  const duplicate = input.userIds.find((userId, index) => input.userIds.indexOf(userId) !== index);
  if (duplicate) throw new LicenseError('DUPLICATE_USER', 'reserveFor', `User ${duplicate} is given more than once; give each user once.`);
  if (input.userIds.length > quantity) throw new LicenseError('INVALID_INPUT', 'reserveFor', 'More users to reserve for than licenses ordered.');
  if (input.userIds.length > 0) {
    const members = await tx.schoolMembership.count({
      where: { schoolId: school.id, userId: { in: input.userIds }, endedAt: null, role: { in: ['STUDENT', 'TEACHER'] } },
    });
    if (members !== input.userIds.length) throw new LicenseError('USER_NOT_IN_SCHOOL', 'reserveFor', 'Reserve only for students and teachers of the school.');
  }
  if (input.groupId) {
    const group = await tx.group.findFirst({ where: { id: input.groupId, schoolId: school.id, endedAt: null }, select: { id: true } });
    if (!group) throw new LicenseError('NOT_FOUND', 'reserveForGroup', 'No such group at this school.');
  }
}

/** The named users' reservations, in the order given: written with the order. */
export function reservationRows(userIds: string[]) {
  return userIds.map((userId, position) => ({ userId, position }));
}

export interface AppliedReservation {
  userName: string;
  outcome: ReservationOutcome;
}

const outcomeOf: Partial<Record<string, ReservationOutcome>> = {
  NO_LICENSE_AVAILABLE: 'NO_LICENSE_AVAILABLE',
  USER_NOT_IN_SCHOOL: 'USER_NOT_IN_SCHOOL',
  USER_ALREADY_HAS_LICENSE: 'USER_ALREADY_HAS_LICENSE',
};

/**
 * Applies a just-delivered order's reservations (its school's product locked: lockSchoolProducts) to its own new licenses: the named users in the
 * order given, then the reserved group's active student members at this moment (by name). Each
 * gets a license with every rule of assignment, by the system; one who cannot (no license left,
 * left the school, already holds one) is told in the outcome. Reservations come before anything
 * else that delivered licenses are served to.
 */
export async function applyReservations(tx: Tx, time: LocalTime, order: Order, school: SchoolWithTimeZone, product: Product): Promise<AppliedReservation[]> {
  if (order.reservedForGroupId) {
    const named = await tx.orderReservation.count({ where: { orderId: order.id } });
    const members = await tx.groupMembership.findMany({
      where: { groupId: order.reservedForGroupId, role: 'STUDENT', endedAt: null, user: { endedAt: null } },
      select: { userId: true },
      orderBy: [{ user: { name: 'asc' } }, { userId: 'asc' }],
    });
    await tx.orderReservation.createMany({
      data: members.map((m, i) => ({ orderId: order.id, userId: m.userId, groupId: order.reservedForGroupId, position: named + i })),
      skipDuplicates: true,
    });
  }
  const reservations = await tx.orderReservation.findMany({
    where: { orderId: order.id },
    orderBy: { position: 'asc' },
    select: { userId: true, user: { select: { name: true } } },
  });
  const applied: AppliedReservation[] = [];
  for (const reservation of reservations) {
    let outcome: ReservationOutcome = 'ASSIGNED';
    let licenseId: string | null = null;
    try {
      const { license } = await assignMember(tx, time, systemActor, assigningSchool(school), product, {
        userId: reservation.userId,
        reuseStarted: false,
        fromOrderId: order.id,
      });
      licenseId = license.id;
    } catch (error) {
      const known = error instanceof LicenseError ? outcomeOf[error.code] : undefined;
      if (!known) throw error;
      outcome = known;
    }
    await tx.orderReservation.update({ where: { orderId_userId: { orderId: order.id, userId: reservation.userId } }, data: { outcome, licenseId } });
    applied.push({ userName: reservation.user.name, outcome });
  }
  return applied;
}

const reasons: Record<Exclude<ReservationOutcome, 'ASSIGNED'>, string> = {
  NO_LICENSE_AVAILABLE: 'no license left',
  USER_NOT_IN_SCHOOL: 'no longer at the school',
  USER_ALREADY_HAS_LICENSE: 'already holds one',
};

/** What the admins' delivery notification adds about the reservations. */
export function describeReservations(applied: AppliedReservation[]): string {
  if (applied.length === 0) return '';
  const assigned = applied.filter((a) => a.outcome === 'ASSIGNED').map((a) => a.userName);
  const refused = applied.filter((a) => a.outcome !== 'ASSIGNED').map((a) => `${a.userName} (${reasons[a.outcome as keyof typeof reasons]})`);
  return [
    assigned.length ? ` Reserved and assigned: ${assigned.join(', ')}.` : ' No reservation could be assigned.',
    refused.length ? ` Not assigned: ${refused.join(', ')}.` : '',
  ].join('');
}
