// Buying and delivering licenses: direct delivery, delayed delivery by the supplier, and
// delivery by redeeming an activation link.
import { createHash, randomBytes } from 'node:crypto';
import type { Order, Product } from '@school-licenses/db';
import type { Clock } from '../clock.ts';
import { recordEvents } from '../events/outbox.ts';
import { requireManagedSchool, visibleOrders, withTimeZone, type Actor, type SchoolWithTimeZone, type Tx } from './actor.ts';
import { recordAudit, writeAudits, type AuditEntry } from './audit.ts';
import { assignLicense, lockSchoolProducts } from './assignments.ts';
import { requireOrderable } from './catalogue.ts';
import { LicenseError } from './errors.ts';
import { formatDay, localTime } from './days.ts';
import { deliveryDates } from './license-state.ts';
import { serveWaitingList } from './group-licensing.ts';
import { requireRenewable, type RenewalOf } from './renewal.ts';
import { applyReservations, describeReservations, requireReservable, reservationRows } from './reservations.ts';

export const MAX_ORDER_QUANTITY = 10_000;

export interface PlaceOrderInput {
  schoolId: string;
  productId: string;
  quantity: number;
  /** Users to assign the licenses to on delivery; direct delivery only. */
  preAssignUserIds?: string[] | null;
  /** Delayed and activation-link delivery: users, in order, to get the licenses when they arrive. */
  reserveForUserIds?: string[] | null;
  /** Delayed and activation-link delivery: a group whose student members at delivery get them. */
  reserveForGroupId?: string | null;
  /** The licenses this order renews: the school's licenses of the product with this end date. */
  renewalOf?: RenewalOf | null;
}

export async function placeOrder(tx: Tx, clock: Clock, actor: Actor, input: PlaceOrderInput): Promise<Order> {
  const now = clock.now();
  const school = await requireManagedSchool(tx, actor, input.schoolId);
  if (!Number.isInteger(input.quantity) || input.quantity < 1 || input.quantity > MAX_ORDER_QUANTITY) {
    throw new LicenseError('INVALID_INPUT', 'quantity', `Order between 1 and ${MAX_ORDER_QUANTITY} licenses.`);
  }
  const product = await tx.product.findUnique({ where: { id: input.productId } });
  if (!product) throw new LicenseError('NOT_FOUND', 'product', 'No such product.');
  requireOrderable(product);
  const preAssigned = input.preAssignUserIds ?? [];
  // One license per user given: a user given twice is refused rather than silently given one.
  const duplicate = preAssigned.find((userId, index) => preAssigned.indexOf(userId) !== index);
  if (duplicate) {
    throw new LicenseError('DUPLICATE_USER', 'preAssignTo', `User ${duplicate} is given more than once; give each user once.`);
  }
  if (preAssigned.length > 0 && product.deliveryMode !== 'DIRECT') {
    throw new LicenseError(
      'PRE_ASSIGNMENT_NOT_ALLOWED',
      'preAssignTo',
      'This product has delayed delivery: its licenses can be assigned once they arrive, not in advance.',
    );
  }
  if (preAssigned.length > input.quantity) {
    throw new LicenseError('INVALID_INPUT', 'preAssignTo', 'More users to assign to than licenses ordered.');
  }
  const reservations = { userIds: input.reserveForUserIds ?? [], groupId: input.reserveForGroupId ?? null };
  if (reservations.userIds.length > 0 || reservations.groupId) await requireReservable(tx, school, product, input.quantity, reservations);
  const renewal = input.renewalOf ?? null;
  if (renewal) await requireRenewable(tx, { schoolId: school.id, productId: product.id, today: localTime(now, school.organisation.timeZone).today }, renewal);
  const order = await tx.order.create({
    data: {
      schoolId: school.id,
      productId: product.id,
      quantity: input.quantity,
      deliveryMode: product.deliveryMode,
      status: 'AWAITING_DELIVERY',
      placedById: actor.kind === 'user' ? actor.userId : null,
      placedAt: now,
      preAssignments: { create: preAssigned.map((userId) => ({ userId })) },
      reservations: { create: reservationRows(reservations.userIds) },
      reservedForGroupId: reservations.groupId,
      renewalOfEndDate: renewal?.endDate ?? null,
      renewalOfGroupId: renewal?.groupId ?? null,
    },
  });
  // Only when given: the events of other orders stay as they were.
  const told = {
    productId: product.id,
    quantity: input.quantity,
    deliveryMode: product.deliveryMode,
    ...(renewal ? { renewalOf: { endDate: formatDay(renewal.endDate), groupId: renewal.groupId ?? null } } : {}),
    ...(reservations.userIds.length > 0 || reservations.groupId ? { reservedForGroupId: reservations.groupId } : {}),
  };
  await recordOrderChange(
    tx,
    actor,
    now,
    school,
    {
      action: 'ORDER_PLACED',
      organisationId: school.organisationId,
      schoolId: school.id,
      orderId: order.id,
      // The audit event keeps whom the licenses are for; the event (the supplier's too) does not.
      after: { ...told, preAssigned, ...(reservations.userIds.length > 0 || reservations.groupId ? { reservedFor: reservations.userIds } : {}) },
    },
    told,
  );
  if (product.deliveryMode !== 'DIRECT') return order;
  const delivered = await deliver(tx, clock, actor, order.id, school, product);
  // Pre-assignments are applied as the admin who placed the order, with every rule of assignment,
  // to this order's own licenses, so the order can be reconciled with who got its licenses.
  for (const userId of preAssigned) {
    try {
      await assignLicense(tx, clock, actor, { schoolId: school.id, productId: product.id, userId, reuseStarted: false, fromOrderId: order.id });
    } catch (error) {
      if (error instanceof LicenseError) {
        throw new LicenseError(error.code, 'preAssignTo', `Cannot assign to user ${userId}: ${error.message}`);
      }
      throw error;
    }
  }
  // What the pre-assignments left goes to the waiting list.
  await serveWaitingList(tx, now, school.id, product.id);
  return delivered;
}

/** A supplier delivers a delayed order: the licenses are created and every admin is told. */
export async function deliverOrder(tx: Tx, clock: Clock, actor: Actor, input: { orderId: string }): Promise<Order> {
  if (actor.kind !== 'supplier') throw new LicenseError('FORBIDDEN', null, 'Only the supplier delivers orders.');
  const order = await tx.order.findFirst({
    where: { AND: [{ id: input.orderId }, visibleOrders(actor)] },
    include: { school: { include: withTimeZone }, product: true },
  });
  if (!order) throw new LicenseError('NOT_FOUND', 'order', 'No such order.');
  if (order.deliveryMode !== 'DELAYED') {
    throw new LicenseError('WRONG_DELIVERY_MODE', 'order', 'This order is delivered by its activation link.');
  }
  return deliver(tx, clock, actor, order.id, order.school, order.product);
}

/**
 * Creates the order's licenses. The status change is conditional, so of two concurrent
 * deliveries exactly one creates licenses and the other gets ORDER_ALREADY_DELIVERED.
 */
async function deliver(tx: Tx, clock: Clock, actor: Actor, orderId: string, school: SchoolWithTimeZone, product: Product): Promise<Order> {
  const now = clock.now();
  const claimed = await tx.order.updateMany({
    where: { id: orderId, status: 'AWAITING_DELIVERY' },
    data: { status: 'DELIVERED', deliveredAt: now },
  });
  if (claimed.count === 0) throw new LicenseError('ORDER_ALREADY_DELIVERED', 'order');
  const order = await tx.order.findUniqueOrThrow({ where: { id: orderId } });
  // Before the new licenses touch the pool's counters: pre-assignments and reservations assign from it.
  await lockSchoolProducts(tx, [school.id], product.id);
  const time = localTime(now, school.organisation.timeZone);
  const dates = deliveryDates(time, product.validityMonths);
  const licenses = await tx.license.createManyAndReturn({
    data: Array.from({ length: order.quantity }, () => ({ schoolId: school.id, productId: product.id, orderId, ...dates })),
    select: { id: true },
  });
  const delivered: AuditEntry = {
    action: 'ORDER_DELIVERED',
    organisationId: school.organisationId,
    schoolId: school.id,
    orderId,
    after: { licenses: licenses.length, ...(renewalOf(order) ? { renewalOf: renewalOf(order) } : {}) },
  };
  // Each license's creation is audited with it, and publishes no event.
  await recordOrderChange(
    tx,
    actor,
    now,
    school,
    delivered,
    delivered.after,
    licenses.map((license) => ({
      action: 'LICENSE_CREATED' as const,
      organisationId: school.organisationId,
      schoolId: school.id,
      orderId,
      licenseId: license.id,
      after: { autoStartOn: formatDay(dates.autoStartOn) },
    })),
  );
  if (order.deliveryMode !== 'DIRECT') {
    // Reservations are served first, before anything else delivered licenses go to; then the waiting
    // list. (A direct order serves its waiting list after its own pre-assignments, in placeOrder.)
    const reserved = await applyReservations(tx, time, order, school, product);
    await notifyAdmins(tx, now, school, order, product, describeReservations(reserved));
    await serveWaitingList(tx, now, school.id, product.id);
  }
  return order;
}

/**
 * Records a change of an order: its audit event, and its `order.*` event. The product's supplier
 * sees that event (the feed, webhooks: docs/EVENTS.md), and a supplier never learns who at the
 * school acted or whom the licenses are for. So the event tells `told`, the change without the
 * school's users, and names the school (by its name) as the actor when someone of the organisation
 * acted; the audit event, which the school's administrators read and suppliers do not, keeps both.
 * Every `order.*` event is written here: the rule of what suppliers are told is in this one place.
 */
async function recordOrderChange(
  tx: Tx,
  actor: Actor,
  now: Date,
  school: { name: string },
  entry: AuditEntry,
  told: AuditEntry['after'] = entry.after,
  alsoAudited: AuditEntry[] = [],
): Promise<void> {
  await writeAudits(tx, actor, now, [entry, ...alsoAudited]);
  const teller: Actor = actor.kind === 'user' || actor.kind === 'integration' ? { ...actor, label: school.name } : actor;
  await recordEvents(tx, teller, now, [{ ...entry, after: told }]);
}

/** A renewal order's renewalOf as its events tell it (only when given: other orders' events stay as they were). */
function renewalOf(order: Pick<Order, 'renewalOfEndDate' | 'renewalOfGroupId'>) {
  return order.renewalOfEndDate ? { endDate: formatDay(order.renewalOfEndDate), groupId: order.renewalOfGroupId ?? null } : null;
}

function renewalNote(order: Pick<Order, 'renewalOfEndDate' | 'renewalOfGroupId'>): string {
  const renewal = renewalOf(order);
  if (!renewal) return '';
  return ` The order renews the licenses ending ${renewal.endDate}${renewal.groupId ? " held by a group's members" : ''}.`;
}

/** Every admin of the school and of its organisation learns that the licenses can be assigned. */
async function notifyAdmins(tx: Tx, now: Date, school: SchoolWithTimeZone, order: Order, product: Product, reservations: string): Promise<void> {
  const admins = await tx.user.findMany({
    where: {
      organisationId: school.organisationId,
      OR: [{ isOrganisationAdmin: true }, { memberships: { some: { schoolId: school.id, role: 'SCHOOL_ADMIN', endedAt: null } } }],
      endedAt: null,
    },
    select: { id: true },
  });
  await tx.notification.createMany({
    data: admins.map((admin) => ({
      userId: admin.id,
      kind: 'LICENSES_DELIVERED' as const,
      orderId: order.id,
      message: `${order.quantity} license(s) of ${product.name} for ${school.name} have been delivered and can be assigned.${renewalNote(order)}${reservations}`,
      createdAt: now,
    })),
  });
}

export const DEFAULT_ACTIVATION_LINK_DAYS = 30;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The supplier's side of an activation e-mail: a single-use token, returned once. */
export async function createActivationLink(
  tx: Tx,
  clock: Clock,
  actor: Actor,
  input: { orderId: string; validForDays?: number | null },
): Promise<{ token: string; expiresAt: Date; orderId: string }> {
  if (actor.kind !== 'supplier') throw new LicenseError('FORBIDDEN', null, 'Only the supplier creates activation links.');
  const days = input.validForDays ?? DEFAULT_ACTIVATION_LINK_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > 365) {
    throw new LicenseError('INVALID_INPUT', 'validForDays', 'An activation link is valid for 1 to 365 days.');
  }
  const order = await tx.order.findFirst({
    where: { AND: [{ id: input.orderId }, visibleOrders(actor)] },
    include: { school: true },
  });
  if (!order) throw new LicenseError('NOT_FOUND', 'order', 'No such order.');
  if (order.deliveryMode !== 'ACTIVATION_EMAIL') {
    throw new LicenseError('WRONG_DELIVERY_MODE', 'order', 'This order is not delivered by activation link.');
  }
  if (order.status !== 'AWAITING_DELIVERY') throw new LicenseError('ORDER_ALREADY_DELIVERED', 'order');
  const now = clock.now();
  const token = `act_${randomBytes(24).toString('base64url')}`;
  const expiresAt = new Date(now.getTime() + days * 86_400_000);
  await tx.activationLink.create({ data: { orderId: order.id, tokenHash: hashToken(token), expiresAt, createdAt: now } });
  await recordAudit(tx, actor, now, {
    action: 'ACTIVATION_LINK_CREATED',
    organisationId: order.school.organisationId,
    schoolId: order.schoolId,
    orderId: order.id,
    after: { expiresAt: expiresAt.toISOString() },
  });
  return { token, expiresAt, orderId: order.id };
}

/** A school admin follows the link: the order's licenses arrive in the school. Works once. */
export async function redeemActivationLink(tx: Tx, clock: Clock, actor: Actor, input: { token: string }): Promise<Order> {
  const now = clock.now();
  const link = await tx.activationLink.findUnique({
    where: { tokenHash: hashToken(input.token) },
    include: { order: { include: { school: { include: withTimeZone }, product: true } } },
  });
  // A link for another organisation's school is as unknown as a made-up one.
  const school = link?.order.school;
  if (!link || !school) throw new LicenseError('ACTIVATION_LINK_INVALID', 'token');
  await requireManagedSchool(tx, actor, school.id, 'token').catch((error: unknown) => {
    throw error instanceof LicenseError && error.code === 'NOT_FOUND' ? new LicenseError('ACTIVATION_LINK_INVALID', 'token') : error;
  });
  if (link.redeemedAt) throw new LicenseError('ACTIVATION_LINK_ALREADY_REDEEMED', 'token');
  if (link.expiresAt <= now) throw new LicenseError('ACTIVATION_LINK_EXPIRED', 'token');
  const claimed = await tx.activationLink.updateMany({
    where: { id: link.id, redeemedAt: null },
    data: { redeemedAt: now, redeemedById: actor.kind === 'user' ? actor.userId : null },
  });
  if (claimed.count === 0) throw new LicenseError('ACTIVATION_LINK_ALREADY_REDEEMED', 'token');
  await recordOrderChange(tx, actor, now, school, {
    action: 'ACTIVATION_LINK_REDEEMED',
    organisationId: school.organisationId,
    schoolId: school.id,
    orderId: link.orderId,
  });
  return deliver(tx, clock, actor, link.orderId, school, link.order.product);
}
