// Moving licenses between schools of one organisation (Apple School Manager moves licenses
// between locations): unassigned licenses, new or reusable, keep every date.
import type { Clock } from '../clock.ts';
import { canManageOrganisation, visibleSchools, withTimeZone, type Actor, type Tx } from './actor.ts';
import { recordAudits } from './audit.ts';
import { chooseEndDate, lockSchoolProducts, lockUnassignedLicenses } from './assignments.ts';
import { formatDay, localTime } from './days.ts';
import { LicenseError } from './errors.ts';
import { MAX_ORDER_QUANTITY } from './orders.ts';
import { day, moment } from './sql.ts';

export type MoveKind = 'NEW' | 'REUSABLE';

export interface MoveLicensesInput {
  fromSchoolId: string;
  toSchoolId: string;
  productId: string;
  /** How many licenses: an admin moves "5 new licenses", as the (i) box counts them. */
  count: number;
  kind: MoveKind;
  /** REUSABLE only: which end date of the pool (needed when it has several). */
  endDate?: Date | null;
}

export interface MovedLicenses {
  fromSchoolId: string;
  toSchoolId: string;
  productId: string;
  licenseIds: string[];
}

/**
 * Moves `count` unassigned licenses of a product from one school of the organisation to another.
 * The licenses are locked as allocation locks them (SKIP LOCKED), so a license being assigned at
 * this moment is not moved, and one being moved is not assigned. All or nothing.
 */
export async function moveLicenses(tx: Tx, clock: Clock, actor: Actor, input: MoveLicensesInput): Promise<MovedLicenses> {
  if (!Number.isInteger(input.count) || input.count < 1 || input.count > MAX_ORDER_QUANTITY) {
    throw new LicenseError('INVALID_INPUT', 'count', `Move between 1 and ${MAX_ORDER_QUANTITY} licenses.`);
  }
  if (input.kind === 'NEW' && input.endDate) {
    throw new LicenseError('INVALID_INPUT', 'endDate', 'An end date chooses among reusable started licenses (kind: REUSABLE).');
  }
  const from = await tx.school.findFirst({ where: { AND: [{ id: input.fromSchoolId }, visibleSchools(actor)] }, include: withTimeZone });
  if (!from) throw new LicenseError('NOT_FOUND', 'fromSchool', 'No such school.');
  // A school admin sees one school: moving between schools is the organisation's decision.
  if (!canManageOrganisation(actor, from.organisationId)) {
    throw new LicenseError('FORBIDDEN', 'fromSchool', 'Only administrators of the organisation move licenses between its schools.');
  }
  if (input.toSchoolId === from.id) throw new LicenseError('INVALID_INPUT', 'toSchool', 'Choose another school to move the licenses to.');
  // Another organisation's school is as unknown as a made-up one.
  const to = await tx.school.findFirst({ where: { id: input.toSchoolId, organisationId: from.organisationId } });
  if (!to) throw new LicenseError('NOT_FOUND', 'toSchool', 'No such school.');
  if (to.endedAt) throw new LicenseError('ALREADY_ENDED', 'toSchool', 'The school has closed.');
  const product = await tx.product.findUnique({ where: { id: input.productId }, select: { id: true } });
  if (!product) throw new LicenseError('NOT_FOUND', 'product', 'No such product.');

  // Both pools, as assignments lock them: a move and an assignment of one pool run one after the other.
  await lockSchoolProducts(tx, [from.id, to.id], product.id);
  const now = clock.now();
  const { today } = localTime(now, from.organisation.timeZone);
  const where = { schoolId: from.id, productId: product.id, today };
  const locked =
    input.kind === 'NEW'
      ? await lockUnassignedLicenses(tx, { ...where, kind: 'new' }, input.count)
      : await lockUnassignedLicenses(tx, { ...where, kind: 'reusable', endDate: await chooseEndDate(tx, where, input.endDate ?? null, 'count') }, input.count);
  if (locked.length < input.count) {
    // Throwing rolls back: nothing is moved, and the locks are released.
    throw new LicenseError(
      'NO_LICENSE_AVAILABLE',
      'count',
      `Only ${locked.length} unassigned ${input.kind === 'NEW' ? 'new' : 'reusable'} license(s) of this product can be moved now.`,
    );
  }
  const licenseIds = locked.map((row) => row.id as string);
  await tx.license.updateMany({ where: { id: { in: licenseIds } }, data: { schoolId: to.id } });
  // One entry on each school's side: each school's history, feed and availability hear of it.
  await recordAudits(
    tx,
    actor,
    now,
    locked.flatMap((row) => {
      const dates = {
        autoStartOn: formatDay(day(row.autoStartOn)),
        startedAt: row.startedAt === null ? null : moment(row.startedAt).toISOString(),
        endDate: formatDay(day(row.endDate)),
      };
      const common = { organisationId: from.organisationId, productId: product.id, licenseId: row.id as string };
      const before = { schoolId: from.id, ...dates };
      const after = { schoolId: to.id, ...dates };
      return [
        { ...common, action: 'LICENSE_MOVED_OUT' as const, schoolId: from.id, before, after },
        { ...common, action: 'LICENSE_MOVED_IN' as const, schoolId: to.id, before, after },
      ];
    }),
  );
  return { fromSchoolId: from.id, toSchoolId: to.id, productId: product.id, licenseIds };
}
