// The kinds of events the feed, the subscriptions and the webhooks carry. Open: a new change
// (a waiting member served) adds a kind here and, when an audit action records
// it, a line in eventKindOfAudit; the database stores the kind as text and needs no migration.
import type { AuditAction } from '@school-licenses/db';

export const EVENT_KINDS = [
  'license.assigned',
  'license.revoked',
  'license.removed_by_self',
  'license.expired',
  'license.auto_started',
  'license.moved',
  'order.placed',
  'order.delivered',
  'order.redeemed',
  'pool.exhausted',
  'organisation.updated',
  'school.created',
  'school.updated',
  'school.ended',
  'user.created',
  'user.updated',
  'user.ended',
  'school_membership.started',
  'school_membership.updated',
  'school_membership.ended',
  'group.created',
  'group.updated',
  'group.ended',
  'group_membership.started',
  'group_membership.updated',
  'group_membership.ended',
  'group_license_rule.created',
  'group_license_rule.ended',
  'waiting_list.joined',
  'waiting_list.served',
  'waiting_list.cancelled',
] as const;

export type EventKind = (typeof EVENT_KINDS)[number];

/** The event each audited change publishes; actions missing here publish none. */
export const eventKindOfAudit: Partial<Record<AuditAction, EventKind>> = {
  LICENSE_ASSIGNED: 'license.assigned',
  LICENSE_REVOKED: 'license.revoked',
  // A holder who left the school: the same revocation for integrations (the audit event keeps the reason).
  LICENSE_REVOKED_LEFT_SCHOOL: 'license.revoked',
  // A holder who left a group whose standing rule gave the license: the same revocation.
  LICENSE_REVOKED_LEFT_GROUP: 'license.revoked',
  LICENSE_REMOVED_BY_SELF: 'license.removed_by_self',
  ASSIGNMENT_EXPIRED: 'license.expired',
  LICENSE_AUTO_STARTED: 'license.auto_started',
  // One event on each school's side of a move: both schools' feeds and availability hear of it.
  LICENSE_MOVED_OUT: 'license.moved',
  LICENSE_MOVED_IN: 'license.moved',
  ORDER_PLACED: 'order.placed',
  ORDER_DELIVERED: 'order.delivered',
  ACTIVATION_LINK_REDEEMED: 'order.redeemed',
  // The roster: an organisation's own changes (a supplier's catalogue publishes none).
  ORGANISATION_UPDATED: 'organisation.updated',
  SCHOOL_CREATED: 'school.created',
  SCHOOL_UPDATED: 'school.updated',
  SCHOOL_ENDED: 'school.ended',
  USER_CREATED: 'user.created',
  USER_UPDATED: 'user.updated',
  USER_ENDED: 'user.ended',
  SCHOOL_MEMBERSHIP_STARTED: 'school_membership.started',
  SCHOOL_MEMBERSHIP_UPDATED: 'school_membership.updated',
  SCHOOL_MEMBERSHIP_ENDED: 'school_membership.ended',
  GROUP_CREATED: 'group.created',
  GROUP_UPDATED: 'group.updated',
  GROUP_ENDED: 'group.ended',
  GROUP_MEMBERSHIP_STARTED: 'group_membership.started',
  GROUP_MEMBERSHIP_UPDATED: 'group_membership.updated',
  GROUP_MEMBERSHIP_ENDED: 'group_membership.ended',
  // Class licensing (domain/group-licensing.ts).
  GROUP_LICENSE_RULE_CREATED: 'group_license_rule.created',
  GROUP_LICENSE_RULE_ENDED: 'group_license_rule.ended',
  WAITING_LIST_JOINED: 'waiting_list.joined',
  WAITING_LIST_SERVED: 'waiting_list.served',
  WAITING_LIST_CANCELLED: 'waiting_list.cancelled',
};

/** Suppliers learn of the orders of their products, never of who holds a license. */
export const SUPPLIER_EVENT_KINDS: readonly EventKind[] = ['order.placed', 'order.delivered', 'order.redeemed'];

/** The GraphQL enum's name of a kind: license.removed_by_self → LICENSE_REMOVED_BY_SELF. */
export const enumNameOfKind = (kind: EventKind) => kind.replace('.', '_').toUpperCase();
