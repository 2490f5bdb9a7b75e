// What to say, in the chosen language, for everything the API can refuse and for requests that fail
// whole. The API's own `message` is English and for developers; people get the catalogue's words.
import { assertNever, LicenseApiError, type Failure } from '@school-licenses/sdk';
import type { I18n } from './i18n/i18n.tsx';

/** What to tell the user when a business rule refused the change (nothing was changed). */
export function failureMessage(failure: Failure, { t, day }: I18n): string {
  switch (failure.code) {
    case 'END_DATE_REQUIRED':
      return t('error_END_DATE_REQUIRED', { days: failure.availableEndDates.map((e) => day(e.endDate)).join(', ') });
    case 'END_DATE_NOT_AVAILABLE':
      return failure.availableEndDates.length > 0
        ? t('error_END_DATE_NOT_AVAILABLE', { days: failure.availableEndDates.map((e) => day(e.endDate)).join(', ') })
        : t('error_END_DATE_NONE_LEFT');
    case 'INVALID_INPUT':
      return failure.field ? t('error_INVALID_INPUT_FIELD', { field: failure.field }) : t('error_INVALID_INPUT');
    case 'NO_LICENSE_AVAILABLE':
    case 'USER_ALREADY_HAS_LICENSE':
    case 'USER_NOT_IN_SCHOOL':
    case 'FORBIDDEN':
    case 'NOT_FOUND':
    case 'LICENSE_NOT_ASSIGNED':
    case 'DUPLICATE_USER':
    case 'PRODUCT_RETIRED':
    case 'ALREADY_EXISTS':
    case 'ALREADY_ENDED':
    case 'IDEMPOTENCY_KEY_REUSED':
    case 'ORDER_ALREADY_DELIVERED':
    case 'PRE_ASSIGNMENT_NOT_ALLOWED':
    case 'WRONG_DELIVERY_MODE':
    case 'ACTIVATION_LINK_INVALID':
    case 'ACTIVATION_LINK_EXPIRED':
    case 'ACTIVATION_LINK_ALREADY_REDEEMED':
      return t(`error_${failure.code}`);
    default:
      return assertNever(failure);
  }
}

/** What to tell the user when a request failed as a whole (network, sign-in, a bad request). */
export function errorMessage(error: unknown, { t }: I18n): { message: string; code: string | undefined } {
  if (error instanceof LicenseApiError) {
    if (error.kind === 'network') return { message: t('error_NETWORK'), code: 'NETWORK' };
    if (error.code === 'UNAUTHENTICATED') return { message: t('error_UNAUTHENTICATED'), code: error.code };
    if (error.code === 'FORBIDDEN') return { message: t('error_FORBIDDEN_READ'), code: error.code };
    return { message: t('error_OTHER', { detail: error.graphQLErrors[0]?.message ?? error.message }), code: error.code ?? error.kind.toUpperCase() };
  }
  return { message: t('error_OTHER', { detail: error instanceof Error ? error.message : String(error) }), code: undefined };
}
