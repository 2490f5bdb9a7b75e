import { AssignmentEndReason, AuditAction, DeliveryMode, GroupKind, GroupRole, NotificationKind, OrderStatus, SchoolRole } from '@school-licenses/db';
import { builder } from './builder.ts';

export const SchoolRoleEnum = builder.enumType(SchoolRole, {
  name: 'SchoolRole',
  description: "A user's role in one school.",
});

export const DeliveryModeEnum = builder.enumType(DeliveryMode, {
  name: 'DeliveryMode',
  description:
    'How licenses of a product reach the school: DIRECT (created at checkout, may be pre-assigned), DELAYED (the supplier delivers later; no assignment in advance), ACTIVATION_EMAIL (delivered by redeeming an activation link).',
});

export const OrderStatusEnum = builder.enumType(OrderStatus, {
  name: 'OrderStatus',
  description: 'Whether the ordered licenses have arrived.',
});

export const AssignmentEndReasonEnum = builder.enumType(AssignmentEndReason, {
  name: 'AssignmentEndReason',
  description:
    'Why an assignment ended: revoked by an admin, removed by the teacher themself, the license expired, or the holder left the school (or stopped being its student or teacher).',
});

export const AuditActionEnum = builder.enumType(AuditAction, {
  name: 'AuditAction',
  description: 'What a recorded change did.',
});

export const NotificationKindEnum = builder.enumType(NotificationKind, {
  name: 'NotificationKind',
  description: 'What a notification is about.',
});

export const LicenseStateEnum = builder.enumType('LicenseState', {
  description: "A license's state at this moment.",
  values: {
    NEW: { description: 'Delivered, not started. It starts when assigned, or by itself 4 months after delivery.' },
    STARTED: { description: 'Started and not expired: assigned to a user, or reusable.' },
    EXPIRED: { description: 'Past its end date. Never reusable.' },
  } as const,
});

export const GroupKindEnum = builder.enumType(GroupKind, {
  name: 'GroupKind',
  description: 'What a group is: a class, a teaching group (a course), a mentor group, or another group.',
});

export const GroupRoleEnum = builder.enumType(GroupRole, {
  name: 'GroupRole',
  description: "A user's role in a group.",
});

export const RosterChangeEnum = builder.enumType('RosterChange', {
  description: 'What a roster write did. Writing what is already there changes nothing (UNCHANGED).',
  values: {
    CREATED: { value: 'created', description: 'A new record.' },
    UPDATED: { value: 'updated', description: 'Changed, or started again after it had ended.' },
    ENDED: { value: 'ended', description: 'Ended now.' },
    UNCHANGED: { value: 'unchanged', description: 'It was already so: nothing was written.' },
  } as const,
});
