// Business errors: answers to the client, returned as typed data in mutation payloads (never as
// top-level GraphQL errors), each with a machine-readable code and the input field it concerns.
import { formatDay } from './days.ts';

export const errorCodes = {
  END_DATE_REQUIRED: 'Several end dates can be reused: choose one.',
  END_DATE_NOT_AVAILABLE: 'No reusable started license is left with that end date.',
  NO_LICENSE_AVAILABLE: 'The school has no license of this product left to assign.',
  USER_ALREADY_HAS_LICENSE: 'The user already holds an active license of this product.',
  USER_NOT_IN_SCHOOL: 'The user is not a student or teacher of this school.',
  DUPLICATE_USER: 'This user was given more than once; only the first time counts.',
  LICENSE_NOT_ASSIGNED: 'The license is not assigned to anyone.',
  NOT_FOUND: 'Not found.',
  FORBIDDEN: 'You may not do this.',
  INVALID_INPUT: 'The input is not valid.',
  PRE_ASSIGNMENT_NOT_ALLOWED: 'Licenses with delayed delivery cannot be assigned in advance.',
  ORDER_ALREADY_DELIVERED: 'The order has already been delivered.',
  WRONG_DELIVERY_MODE: "The order's delivery mode does not allow this.",
  ACTIVATION_LINK_INVALID: 'The activation link is not valid.',
  ACTIVATION_LINK_EXPIRED: 'The activation link has expired.',
  ACTIVATION_LINK_ALREADY_REDEEMED: 'The activation link has already been used.',
  IDEMPOTENCY_KEY_REUSED: 'This idempotency key was used before with different input.',
  ALREADY_EXISTS: 'Another record of the organisation already has this value.',
  ALREADY_ENDED: 'It has ended: nothing can be changed or added to it.',
  PRODUCT_RETIRED: 'The supplier has retired this product: it cannot be ordered any more.',
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class LicenseError extends Error {
  override name = 'LicenseError';
  readonly code: ErrorCode;
  /** The input field the error concerns, as named in the GraphQL input; null for none. */
  readonly field: string | null;

  constructor(code: ErrorCode, field: string | null = null, message: string = errorCodes[code]) {
    super(message);
    this.code = code;
    this.field = field;
  }
}

export interface EndDateCount {
  /** A day (formatDay). */
  endDate: Date;
  count: number;
  /** Days the licenses are still usable, today included (license-state.ts endDateDaysLeft). */
  daysLeft: number;
}

/** END_DATE_REQUIRED or END_DATE_NOT_AVAILABLE, with the end dates the admin can choose from. */
export class EndDateChoiceError extends LicenseError {
  override name = 'EndDateChoiceError';
  readonly availableEndDates: EndDateCount[];

  constructor(code: 'END_DATE_REQUIRED' | 'END_DATE_NOT_AVAILABLE', availableEndDates: EndDateCount[]) {
    super(
      code,
      'endDate',
      `${errorCodes[code]} Available end dates: ${availableEndDates.map((e) => `${formatDay(e.endDate)} (${e.count})`).join(', ') || 'none'}.`,
    );
    this.availableEndDates = availableEndDates;
  }
}
