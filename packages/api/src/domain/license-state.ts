// A license's state follows from its dates and the day it is in its organisation's time zone, so
// it is right at every moment whether or not the sweep has run (see License in
// packages/db/prisma/schema.prisma and docs/DOMAIN.md). Every form of the rule lives here: on a
// loaded license (TypeScript), as a Prisma filter, and as SQL, for one organisation's today; and
// as SQL for every organisation at once (the sweep). license-state.test.ts checks they agree.
import { Prisma, type License } from '@school-licenses/db';
import { addDays, addMonthsToDay, daysBetween, dayAt, sqlDay, startOfDay, type LocalTime } from './days.ts';
import { sqlColumn } from './sql.ts';

/** Licenses not started within this many months of delivery start by themselves. */
export const AUTO_START_AFTER_MONTHS = 4;

export type LicenseState = 'NEW' | 'STARTED' | 'EXPIRED';

type Dates = Pick<License, 'startedAt' | 'autoStartOn' | 'endDate'>;

/** Whether the license has started: it was, or its auto-start day has come. */
// Days compared by getTime(): `<=` on two Dates converts each through valueOf, which cost the
// admin view about a millisecond for its thousand licenses' three states.
function hasStarted(license: Pick<License, 'startedAt' | 'autoStartOn'>, today: Date): boolean {
  return license.startedAt !== null || license.autoStartOn.getTime() <= today.getTime();
}

/** When the license started: when it was started, or 00:00 of its auto-start day once that came. */
export function effectiveStartedAt(license: Pick<License, 'startedAt' | 'autoStartOn'>, time: LocalTime): Date | null {
  if (license.startedAt) return license.startedAt;
  return license.autoStartOn.getTime() <= time.today.getTime() ? startOfDay(license.autoStartOn, time.timeZone) : null;
}

export function licenseState(license: Dates, today: Date): LicenseState {
  if (!hasStarted(license, today)) return 'NEW';
  return license.endDate.getTime() >= today.getTime() ? 'STARTED' : 'EXPIRED';
}

/** The end date a license in `state` shows: none while new (it has none until it starts). */
export function shownEndDate(license: Pick<License, 'endDate'>, state: LicenseState): Date | null {
  return state === 'NEW' ? null : license.endDate;
}

/** Who holds a license in `state`: the holder written down, but nobody once it has expired (whether or not the sweep has run). */
export function holderIdToday(license: Pick<License, 'assignedUserId'>, state: LicenseState): string | null {
  return state === 'EXPIRED' ? null : license.assignedUserId;
}

/** Whether a license in `state` is reusable: started, and held by nobody. */
export function isReusable(license: Pick<License, 'assignedUserId'>, state: LicenseState): boolean {
  return state === 'STARTED' && !license.assignedUserId;
}

/** Whether the license has expired: usable through its whole end date, expired from the next day. */
export function isExpired(license: Dates, today: Date): boolean {
  return licenseState(license, today) === 'EXPIRED';
}

/** The moment an end date runs out: 00:00 of the next day in the zone (not 24 hours after its start). */
export function expiryMoment(endDate: Date, timeZone: string): Date {
  return startOfDay(addDays(endDate, 1), timeZone);
}

/** Days a started license is still usable, today included; 0 once expired, null while new. */
export function daysLeft(license: Dates, today: Date): number | null {
  if (!hasStarted(license, today)) return null;
  return endDateDaysLeft(license.endDate, today);
}

/** Days left to licenses ending on `endDate`, today included; 0 once past. */
export function endDateDaysLeft(endDate: Date, today: Date): number {
  return Math.max(0, daysBetween(today, endDate) + 1);
}

/** New licenses that auto-start within this many days are "auto-starting soon" (the (i) box, the notices). */
export const AUTO_START_SOON_DAYS = 30;
/** Held licenses whose end date is within this many days are "expiring soon" (the notices, renewal). */
export const EXPIRING_SOON_DAYS = 30;

/**
 * The rules built on the states, each written once below in TypeScript (licenseIs) and in SQL on
 * a license row (licensesWhereSql) or a counter row (countedWhereSql).
 * - HELD: someone holds it today (a holder written down, not expired).
 * - REUSABLE: started, not expired, held by nobody: an admin can hand it out again.
 * - ASSIGNABLE: held by nobody and not expired: new or reusable.
 * - AUTO_STARTING_SOON: new, and its auto-start day is within AUTO_START_SOON_DAYS.
 * - EXPIRING_SOON: held, started, and its end date is within EXPIRING_SOON_DAYS.
 */
export type LicenseRule = 'HELD' | 'REUSABLE' | 'ASSIGNABLE' | 'AUTO_STARTING_SOON' | 'EXPIRING_SOON';

export function licenseIs(rule: LicenseRule, license: Dates & Pick<License, 'assignedUserId'>, today: Date): boolean {
  const state = licenseState(license, today);
  const held = license.assignedUserId !== null;
  switch (rule) {
    case 'HELD':
      return held && state !== 'EXPIRED';
    case 'REUSABLE':
      return !held && state === 'STARTED';
    case 'ASSIGNABLE':
      return !held && state !== 'EXPIRED';
    case 'AUTO_STARTING_SOON':
      return state === 'NEW' && license.autoStartOn <= addDays(today, AUTO_START_SOON_DAYS);
    case 'EXPIRING_SOON':
      return held && state === 'STARTED' && license.endDate <= addDays(today, EXPIRING_SOON_DAYS);
  }
}

/** The end date of a license started on day `startDay`: that day + the product's validity. */
export function endDateFrom(startDay: Date, validityMonths: number): Date {
  return addMonthsToDay(startDay, validityMonths);
}

/** The dates of licenses delivered now of a product valid `validityMonths` once started. */
export function deliveryDates(time: LocalTime, validityMonths: number) {
  const autoStartOn = addMonthsToDay(time.today, AUTO_START_AFTER_MONTHS);
  return { deliveredAt: time.now, autoStartOn, endDate: endDateFrom(autoStartOn, validityMonths) };
}

/** The dates a license gets when started now: its start, and its end date from today. */
export function startDates(time: LocalTime, validityMonths: number) {
  return { startedAt: time.now, endDate: endDateFrom(dayAt(time.now, time.timeZone), validityMonths) };
}

// The same states as Prisma filters, for one organisation's today.

const started = (today: Date): Prisma.LicenseWhereInput => ({
  OR: [{ startedAt: { not: null } }, { autoStartOn: { lte: today } }],
});

export function licensesInState(state: LicenseState, today: Date): Prisma.LicenseWhereInput {
  switch (state) {
    case 'NEW':
      return { startedAt: null, autoStartOn: { gt: today } };
    case 'STARTED':
      return { AND: [started(today), { endDate: { gte: today } }] };
    case 'EXPIRED':
      return { AND: [started(today), { endDate: { lt: today } }] };
  }
}

/** Started, unexpired and held by nobody: what an admin can hand out again. */
export function reusableLicenses(today: Date): Prisma.LicenseWhereInput {
  return { AND: [licensesInState('STARTED', today), { assignedUserId: null }] };
}

/** Held by someone today: a holder is written down and the license has not expired (sweep or not). */
export function heldLicenses(today: Date): Prisma.LicenseWhereInput {
  return { AND: [{ assignedUserId: { not: null } }, { NOT: licensesInState('EXPIRED', today) }] };
}

// The same states as SQL conditions on the license table under `alias`, for the statements
// Prisma cannot write (a page per product, the counts of the availability box). `today` is one
// organisation's day (sqlDay), or for statements over many organisations, todaySql.

export function licensesInStateSql(state: LicenseState, today: Date | Prisma.Sql, alias = 'l'): Prisma.Sql {
  return stateSql(state, today, Prisma.sql`${sqlColumn<License>(alias, 'startedAt')} IS NOT NULL`, alias);
}

/**
 * The same states as SQL conditions on a counter row (LicenseDayCount, license-counts.ts) under
 * `alias`: a group of licenses with one end date, auto-start day and `started` flag is in one state.
 */
export function countedInStateSql(state: LicenseState, today: Date | Prisma.Sql, alias = 'c'): Prisma.Sql {
  return stateSql(state, today, Prisma.raw(`${alias}."started"`), alias);
}

/** The rule once, over a row whose start is written when `startWritten` holds. */
function stateSql(state: LicenseState, today: Date | Prisma.Sql, startWritten: Prisma.Sql, alias: string): Prisma.Sql {
  const column = (name: 'autoStartOn' | 'endDate') => sqlColumn<License>(alias, name);
  const day = today instanceof Date ? sqlDay(today) : today;
  const started = Prisma.sql`(${startWritten} OR ${column('autoStartOn')} <= ${day})`;
  switch (state) {
    case 'NEW':
      return Prisma.sql`(NOT ${startWritten} AND ${column('autoStartOn')} > ${day})`;
    case 'STARTED':
      return Prisma.sql`(${started} AND ${column('endDate')} >= ${day})`;
    case 'EXPIRED':
      return Prisma.sql`(${started} AND ${column('endDate')} < ${day})`;
  }
}

/** The day it is at `now` in the zone of the organisation under `organisationAlias`, in SQL. */
export function todaySql(now: Date, organisationAlias = 'o'): Prisma.Sql {
  return Prisma.sql`((${now.toISOString()}::timestamptz AT TIME ZONE ${Prisma.raw(`${organisationAlias}."timeZone"`)})::date)`;
}

/**
 * The moment in SQL that `day` begins in the zone of the organisation under `organisationAlias`:
 * its 00:00 there, as a UTC timestamp like the other stored moments. PostgreSQL applies the
 * zone's offset of that day, so it holds across daylight-saving changes.
 */
export function startOfDaySql(day: Prisma.Sql, organisationAlias = 'o'): Prisma.Sql {
  return Prisma.sql`((${day}::timestamp AT TIME ZONE ${Prisma.raw(`${organisationAlias}."timeZone"`)}) AT TIME ZONE 'UTC')`;
}

/** heldLicenses in SQL. */
export function heldLicensesSql(today: Date | Prisma.Sql, alias = 'l'): Prisma.Sql {
  return licensesWhereSql('HELD', today, alias);
}

/** heldLicenses on a counter row (LicenseDayCount): its licenses are held and not expired. */
export function heldCountedSql(today: Date | Prisma.Sql, alias = 'c'): Prisma.Sql {
  return countedWhereSql('HELD', today, alias);
}

/** A LicenseRule as a SQL condition on the license table under `alias`. */
export function licensesWhereSql(rule: LicenseRule, today: Date | Prisma.Sql, alias = 'l'): Prisma.Sql {
  const holder = sqlColumn<License>(alias, 'assignedUserId');
  return ruleSql(rule, today, alias, Prisma.sql`${sqlColumn<License>(alias, 'startedAt')} IS NOT NULL`, {
    held: Prisma.sql`${holder} IS NOT NULL`,
    free: Prisma.sql`${holder} IS NULL`,
  });
}

/** A LicenseRule as a SQL condition on a counter row (LicenseDayCount) under `alias`: true for all its licenses or none. */
export function countedWhereSql(rule: LicenseRule, today: Date | Prisma.Sql, alias = 'c'): Prisma.Sql {
  return ruleSql(rule, today, alias, Prisma.raw(`${alias}."started"`), {
    held: Prisma.raw(`${alias}."assigned"`),
    free: Prisma.raw(`NOT ${alias}."assigned"`),
  });
}

/**
 * The rules once, over a row whose start is written when `startWritten` holds and whose holder is
 * written when `holder.held` holds (`holder.free` its negation, as the partial indexes of
 * unassigned licenses name it, so the planner uses them).
 */
function ruleSql(
  rule: LicenseRule,
  today: Date | Prisma.Sql,
  alias: string,
  startWritten: Prisma.Sql,
  holder: { held: Prisma.Sql; free: Prisma.Sql },
): Prisma.Sql {
  const state = (name: LicenseState) => stateSql(name, today, startWritten, alias);
  const day = today instanceof Date ? sqlDay(today) : today;
  const within = (column: 'autoStartOn' | 'endDate', days: number) => Prisma.sql`${sqlColumn<License>(alias, column)} <= (${day} + ${days}::int)`;
  switch (rule) {
    case 'HELD':
      return Prisma.sql`(${holder.held} AND NOT ${state('EXPIRED')})`;
    case 'REUSABLE':
      return Prisma.sql`(${holder.free} AND ${state('STARTED')})`;
    case 'ASSIGNABLE':
      return Prisma.sql`(${holder.free} AND NOT ${state('EXPIRED')})`;
    case 'AUTO_STARTING_SOON':
      return Prisma.sql`(${state('NEW')} AND ${within('autoStartOn', AUTO_START_SOON_DAYS)})`;
    case 'EXPIRING_SOON':
      return Prisma.sql`(${holder.held} AND ${state('STARTED')} AND ${within('endDate', EXPIRING_SOON_DAYS)})`;
  }
}
