// A license's state follows from its dates at a given moment, so it is right at every moment
// whether or not the auto-start sweep has run (see License in packages/db/prisma/schema.prisma).
import { Prisma, type License } from '@school-licenses/db';
import { addMonths } from '../clock.ts';
import { sqlColumn } from './sql.ts';

/** Licenses not started within this many months of delivery start by themselves. */
export const AUTO_START_AFTER_MONTHS = 4;

export type LicenseState = 'NEW' | 'STARTED' | 'EXPIRED';

type Dates = Pick<License, 'startedAt' | 'autoStartAt' | 'endDate'>;

/** When the license started: when it was started, or its auto-start deadline once that passed. */
export function effectiveStartedAt(license: Dates, now: Date): Date | null {
  if (license.startedAt) return license.startedAt;
  return license.autoStartAt <= now ? license.autoStartAt : null;
}

export function licenseState(license: Dates, now: Date): LicenseState {
  if (!effectiveStartedAt(license, now)) return 'NEW';
  return license.endDate > now ? 'STARTED' : 'EXPIRED';
}

/** The dates of licenses delivered now of a product valid `validityMonths` once started. */
export function deliveryDates(now: Date, validityMonths: number) {
  const autoStartAt = addMonths(now, AUTO_START_AFTER_MONTHS);
  return { deliveredAt: now, autoStartAt, endDate: addMonths(autoStartAt, validityMonths) };
}

// The same states as Prisma filters.

const started = (now: Date): Prisma.LicenseWhereInput => ({
  OR: [{ startedAt: { not: null } }, { autoStartAt: { lte: now } }],
});

export function licensesInState(state: LicenseState, now: Date): Prisma.LicenseWhereInput {
  switch (state) {
    case 'NEW':
      return { startedAt: null, autoStartAt: { gt: now } };
    case 'STARTED':
      return { AND: [started(now), { endDate: { gt: now } }] };
    case 'EXPIRED':
      return { AND: [started(now), { endDate: { lte: now } }] };
  }
}

/** Started, unexpired and held by nobody: what an admin can hand out again. */
export function reusableLicenses(now: Date): Prisma.LicenseWhereInput {
  return { AND: [licensesInState('STARTED', now), { assignedUserId: null }] };
}

// The same states as SQL conditions on the license table under `alias`, for the statements
// Prisma cannot write (a page per product, the counts of the availability box).

export function licensesInStateSql(state: LicenseState, now: Date, alias = 'l'): Prisma.Sql {
  const column = (name: keyof License & string) => sqlColumn<License>(alias, name);
  const started = Prisma.sql`(${column('startedAt')} IS NOT NULL OR ${column('autoStartAt')} <= ${now})`;
  switch (state) {
    case 'NEW':
      return Prisma.sql`(${column('startedAt')} IS NULL AND ${column('autoStartAt')} > ${now})`;
    case 'STARTED':
      return Prisma.sql`(${started} AND ${column('endDate')} > ${now})`;
    case 'EXPIRED':
      return Prisma.sql`(${started} AND ${column('endDate')} <= ${now})`;
  }
}
