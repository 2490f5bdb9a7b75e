// Plain-language messages for everything the API can refuse, and for requests that fail whole.
import { assertNever, LicenseApiError, type Failure } from '@school-licenses/sdk';

/** A day as the API gives it: end dates are days (YYYY-MM-DD) in the school's time zone, shown as they come. */
export const day = (localDate: string | null | undefined) => localDate ?? '';

/** The day of a moment (an order placed, a notification sent), as its UTC date. */
export const dayOfMoment = (iso: string | null | undefined) => (iso ? iso.slice(0, 10) : '');

/** "1 day left", "30 days left": how long a license is still usable, today included. */
export const daysLeftText = (daysLeft: number | null | undefined) =>
  daysLeft == null ? '' : daysLeft === 0 ? 'expired' : `${daysLeft} ${daysLeft === 1 ? 'day' : 'days'} left`;

/** What to tell the user when a business rule refused the change (nothing was changed). */
export function failureMessage(failure: Failure): string {
  switch (failure.code) {
    case 'END_DATE_REQUIRED':
      return `Started licenses with several end dates can be reused: choose which end date to assign (${failure.availableEndDates.map((e) => day(e.endDate)).join(', ')}).`;
    case 'END_DATE_NOT_AVAILABLE':
      return failure.availableEndDates.length > 0
        ? `No started license with that end date is left. Choose another end date (${failure.availableEndDates.map((e) => day(e.endDate)).join(', ')}).`
        : 'No started license is left to reuse. Assign a new license instead, or order more.';
    case 'NO_LICENSE_AVAILABLE':
      return 'No license of this kind is left to assign. Choose the other kind, or order more licenses.';
    case 'USER_ALREADY_HAS_LICENSE':
      return 'This person already has a license of this product.';
    case 'USER_NOT_IN_SCHOOL':
      return 'This person is not a student or teacher of this school.';
    case 'FORBIDDEN':
      return `You may not do this: ${failure.message}`;
    case 'NOT_FOUND':
      return 'It no longer exists, or is not yours to see.';
    case 'LICENSE_NOT_ASSIGNED':
      return 'This license is no longer assigned to anyone (it may have just been revoked or given back).';
    case 'DUPLICATE_USER':
      return 'This person was given twice; they get one license.';
    case 'INVALID_INPUT':
      return `Invalid input${failure.field ? ` (${failure.field})` : ''}: ${failure.message}`;
    case 'PRODUCT_RETIRED':
      return 'The supplier no longer sells this product: it cannot be ordered. Licenses already bought stay valid.';
    case 'ALREADY_EXISTS':
    case 'ALREADY_ENDED':
    case 'IDEMPOTENCY_KEY_REUSED':
    case 'ORDER_ALREADY_DELIVERED':
    case 'PRE_ASSIGNMENT_NOT_ALLOWED':
    case 'WRONG_DELIVERY_MODE':
    case 'ACTIVATION_LINK_INVALID':
    case 'ACTIVATION_LINK_EXPIRED':
    case 'ACTIVATION_LINK_ALREADY_REDEEMED':
      return failure.message;
    default:
      return assertNever(failure);
  }
}

/** What to tell the user when a request failed as a whole (network, sign-in, a bad request). */
export function errorMessage(error: unknown): { message: string; code: string | undefined } {
  if (error instanceof LicenseApiError) {
    if (error.kind === 'network') return { message: 'The API cannot be reached. Is it running? Try again in a moment.', code: 'NETWORK' };
    if (error.code === 'UNAUTHENTICATED') return { message: 'Your sign-in is no longer valid: sign out and sign in again.', code: error.code };
    if (error.code === 'FORBIDDEN') return { message: `You may not see this: ${error.graphQLErrors[0]?.message ?? error.message}`, code: error.code };
    return { message: error.graphQLErrors[0]?.message ?? error.message, code: error.code ?? error.kind.toUpperCase() };
  }
  return { message: error instanceof Error ? error.message : String(error), code: undefined };
}
