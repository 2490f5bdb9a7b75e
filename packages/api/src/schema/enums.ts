import { AssignmentEndReason, AuditAction, DeliveryMode, NotificationKind, OrderStatus, SchoolRole } from '@school-licenses/db';
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
  description: 'Why an assignment ended: revoked by an admin, removed by the teacher themself, or the license expired.',
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
