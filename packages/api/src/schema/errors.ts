// Business errors as typed data: every mutation answers with its payload or one of these.
import { EndDateChoiceError, errorCodes, LicenseError, type EndDateCount, type ErrorCode } from '../domain/errors.ts';
import { formatDay, parseDay } from '../domain/days.ts';
import { builder } from './builder.ts';

export const ErrorCodeEnum = builder.enumType('ErrorCode', {
  description: 'Why a mutation was refused. Stable, for programs to branch on.',
  values: Object.fromEntries(Object.entries(errorCodes).map(([code, description]) => [code, { value: code, description }])) as Record<
    keyof typeof errorCodes,
    { value: keyof typeof errorCodes; description: string }
  >,
});

/**
 * A business error kept as plain JSON data, e.g. one user's outcome of assignLicenses (replayed
 * from an idempotency record). A resolver must not return an Error instance as a field's value:
 * graphql-js treats that as thrown.
 */
export type ErrorData = {
  code: ErrorCode;
  message: string;
  field: string | null;
  availableEndDates?: { endDate: string; count: number; daysLeft: number }[];
};

export function errorData(error: LicenseError): ErrorData {
  const data: ErrorData = { code: error.code, message: error.message, field: error.field };
  if (!(error instanceof EndDateChoiceError)) return data;
  return {
    ...data,
    availableEndDates: error.availableEndDates.map(({ endDate, count, daysLeft }) => ({ endDate: formatDay(endDate), count, daysLeft })),
  };
}

function isErrorData(value: unknown): value is ErrorData {
  return typeof value === 'object' && value !== null && !(value instanceof Error) && (value as ErrorData).code in errorCodes;
}

export const ErrorInterface = builder.interfaceRef<Pick<ErrorData, 'code' | 'message' | 'field'>>('Error').implement({
  description: 'A business rule refused the request. Nothing was changed.',
  fields: (t) => ({
    code: t.field({ type: ErrorCodeEnum, description: 'What went wrong, machine-readable.', resolve: (error) => error.code }),
    message: t.exposeString('message', { description: 'What went wrong, for people.' }),
    field: t.exposeString('field', {
      nullable: true,
      description: 'The input field the error concerns (e.g. `endDate`), or null when it concerns none.',
    }),
  }),
});

export const EndDateCountRef = builder.objectRef<EndDateCount>('EndDateCount').implement({
  description: 'How many reusable started licenses end on one end date.',
  fields: (t) => ({
    endDate: t.expose('endDate', { type: 'LocalDate', description: 'The end date the licenses share: their last usable day.' }),
    count: t.exposeInt('count', { description: 'How many licenses with this end date can be assigned.' }),
    daysLeft: t.exposeInt('daysLeft', {
      description: "How many days they are still usable, today included (end date − today + 1, in the organisation's time zone).",
    }),
  }),
});

builder.objectType(LicenseError, {
  name: 'LicenseError',
  description: 'A business rule refused the request; `code` says which.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => (value instanceof LicenseError ? !(value instanceof EndDateChoiceError) : isErrorData(value) && !value.availableEndDates),
  fields: () => ({}),
});

builder.objectType(EndDateChoiceError, {
  name: 'EndDateChoiceError',
  isTypeOf: (value) => value instanceof EndDateChoiceError || (isErrorData(value) && !!value.availableEndDates),
  description:
    'Reusing a started license needs an end date: none was given while several exist (END_DATE_REQUIRED), or none is left at the chosen one (END_DATE_NOT_AVAILABLE).',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    availableEndDates: t.field({
      type: [EndDateCountRef],
      description: 'The end dates that can be chosen, earliest first, with how many licenses each has.',
      resolve: (error) =>
        error.availableEndDates.map(({ endDate, count, daysLeft }) => ({
          endDate: typeof endDate === 'string' ? parseDay(endDate)! : endDate,
          count,
          daysLeft,
        })),
    }),
  }),
});

/** The error types every mutation can answer with. */
export const licenseErrors = [LicenseError, EndDateChoiceError];
