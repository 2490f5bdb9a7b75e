// Row counts of every table a mutation writes to: a refused or dry-run change must leave them all
// as they were, so tests compare a snapshot before and after.
import type { PrismaClient } from '@school-licenses/db';

export type RowCounts = Awaited<ReturnType<typeof countRows>>;

export async function countRows(prisma: PrismaClient) {
  const [orders, preAssignments, licenses, assignments, activationLinks, notifications, auditEvents, idempotencyRecords, apiCredentials] = await Promise.all([
    prisma.order.count(),
    prisma.orderPreAssignment.count(),
    prisma.license.count(),
    prisma.assignment.count(),
    prisma.activationLink.count(),
    prisma.notification.count(),
    prisma.auditEvent.count(),
    prisma.idempotencyRecord.count(),
    prisma.apiCredential.count(),
  ]);
  const reservations = await prisma.orderReservation.count();
  const [schools, users, schoolMemberships, groups, groupMemberships, products] = await Promise.all([
    prisma.school.count(),
    prisma.user.count(),
    prisma.schoolMembership.count(),
    prisma.group.count(),
    prisma.groupMembership.count(),
    prisma.product.count(),
  ]);
  // Writes that leave the number of rows alone: assigning, revoking, delivering, redeeming.
  const [assignedLicenses, deliveredOrders, redeemedLinks, readNotifications] = await Promise.all([
    prisma.license.count({ where: { assignedUserId: { not: null } } }),
    prisma.order.count({ where: { status: 'DELIVERED' } }),
    prisma.activationLink.count({ where: { redeemedAt: { not: null } } }),
    prisma.notification.count({ where: { readAt: { not: null } } }),
  ]);
  return {
    orders,
    preAssignments,
    reservations,
    licenses,
    assignments,
    activationLinks,
    notifications,
    auditEvents,
    idempotencyRecords,
    apiCredentials,
    schools,
    users,
    schoolMemberships,
    groups,
    groupMemberships,
    products,
    assignedLicenses,
    deliveredOrders,
    redeemedLinks,
    readNotifications,
  };
}

/** The change in each count since `before`, leaving out the ones that did not change. */
export function rowChanges(before: RowCounts, after: RowCounts): Partial<Record<keyof RowCounts, number>> {
  const changes: Partial<Record<keyof RowCounts, number>> = {};
  for (const key of Object.keys(before) as (keyof RowCounts)[]) {
    if (after[key] !== before[key]) changes[key] = after[key] - before[key];
  }
  return changes;
}
