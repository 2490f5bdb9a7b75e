import type { EndDateCountFieldsFragment, ErrorCode } from './gql/graphql.js';

/** The codes of {@link EndDateChoiceFailure}: reusing a started license needs a (valid) end date. */
export type EndDateChoiceCode = 'END_DATE_REQUIRED' | 'END_DATE_NOT_AVAILABLE';

/** Every other business-rule code. */
export type RuleCode = Exclude<ErrorCode, EndDateChoiceCode>;

/**
 * Reusing a started license needs an end date: none was given while several exist
 * (`END_DATE_REQUIRED`), or none is left with the one given (`END_DATE_NOT_AVAILABLE`).
 * Choose one of `availableEndDates` and call again.
 */
export interface EndDateChoiceFailure {
  ok: false;
  code: EndDateChoiceCode;
  /** What went wrong, for people. */
  message: string;
  /** The input field concerned: `endDate`. */
  field: string | null;
  /** The end dates that can be chosen, earliest first, with how many licenses each has. */
  availableEndDates: EndDateCountFieldsFragment[];
}

/** A business rule refused the request; `code` says which. Nothing was changed. */
export interface RuleFailure {
  ok: false;
  code: RuleCode;
  /** What went wrong, for people. */
  message: string;
  /** The input field concerned (e.g. `user`), or null. */
  field: string | null;
}

/**
 * A refused mutation: switch on `code`. `END_DATE_REQUIRED` and `END_DATE_NOT_AVAILABLE` narrow
 * to {@link EndDateChoiceFailure}, which carries the end dates to choose from.
 */
export type Failure = EndDateChoiceFailure | RuleFailure;

/** A mutation's outcome: `{ ok: true, …payload }`, or a {@link Failure}. */
export type Result<Success extends object> = ({ ok: true } & Success) | Failure;

/** The error members of every mutation result union, as the SDK's documents select them. */
export type ErrorMember =
  | { __typename: 'EndDateChoiceError'; code: ErrorCode; message: string; field: string | null; availableEndDates: EndDateCountFieldsFragment[] }
  | { __typename: 'LicenseError'; code: ErrorCode; message: string; field: string | null };

function isEndDateChoiceCode(code: ErrorCode): code is EndDateChoiceCode {
  return code === 'END_DATE_REQUIRED' || code === 'END_DATE_NOT_AVAILABLE';
}

/** Turns an error member of a mutation result into a {@link Failure}. */
export function toFailure(error: ErrorMember): Failure {
  const base = { ok: false as const, message: error.message, field: error.field ?? null };
  if (isEndDateChoiceCode(error.code)) {
    return { ...base, code: error.code, availableEndDates: error.__typename === 'EndDateChoiceError' ? error.availableEndDates : [] };
  }
  return { ...base, code: error.code };
}

/** Splits a mutation's result union into success (`{ ok: true, ...payload }`) or {@link Failure}. */
export function toResult<Payload extends { __typename: string }>(value: Payload | ErrorMember): Result<Omit<Payload, '__typename'>> {
  if (value.__typename === 'EndDateChoiceError' || value.__typename === 'LicenseError') {
    return toFailure(value as ErrorMember);
  }
  const { __typename: _typename, ...payload } = value as Payload;
  return { ok: true, ...payload } as { ok: true } & Omit<Payload, '__typename'>;
}

/**
 * For exhaustive `switch`es over {@link Failure} codes: a new code added to the API makes the
 * caller's code stop compiling here.
 */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
