// Moving licenses between schools of one organisation, through the GraphQL API on a real
// database: dates kept, both schools' availability and history, every refusal with its field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoData } from '../seed/demo.ts';
import { dataOf, startStandardScenario, type TestApi } from '../testing/harness.ts';
import { gid, productGid, rawId } from '../testing/ids.ts';
import { countRows } from '../testing/rows.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

export const MOVE_LICENSES = /* GraphQL */ `
  mutation MoveLicenses($input: MoveLicensesInput!) {
    moveLicenses(input: $input) {
      __typename
      ... on MoveLicensesPayload {
        moved
        licenses { id state startedAt endDate autoStartOn school { name } }
        fromAvailability { newLicenses reusable { total endDates { endDate count } } }
        toAvailability { newLicenses reusable { total endDates { endDate count } } }
      }
      ... on EndDateChoiceError { availableEndDates { endDate count } }
      ... on Error { code message field }
    }
  }`;

describe(`moving licenses between schools on ${backend}`, () => {
  let test: TestApi;
  let demo: DemoData;
  let ekskolan: string;
  let bjorkskolan: string;
  let strandskolan: string;
  let matematik: string;
  let bjorkskolanId: string;

  const move = async (input: Record<string, unknown>, token = demo.tokens.organisationAdmin) =>
    dataOf(await test.request(token, MOVE_LICENSES, { input: { fromSchool: ekskolan, toSchool: bjorkskolan, product: matematik, ...input } })).moveLicenses;
  const licenseRows = (ids: string[]) =>
    test.db.prisma.license.findMany({
      where: { id: { in: ids } },
      select: { id: true, schoolId: true, orderId: true, deliveredAt: true, autoStartOn: true, startedAt: true, endDate: true, assignedUserId: true },
      orderBy: { id: 'asc' },
    });

  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario());
    const school = (name: string) => test.db.prisma.school.findFirstOrThrow({ where: { name } });
    ekskolan = gid('School', demo.ids.ekskolan);
    bjorkskolanId = (await school('Björkskolan')).id;
    bjorkskolan = gid('School', bjorkskolanId);
    strandskolan = gid('School', (await school('Strandskolan')).id);
    matematik = await productGid(test.db.prisma, 'Matematik 7 Digital');
  });
  afterAll(() => test.close());

  it('moves new licenses with their auto-start day, and tells both schools what they can assign now', async () => {
    const before = await test.db.prisma.license.findMany({
      where: { schoolId: demo.ids.ekskolan, productId: demo.ids.matematik, startedAt: null, autoStartOn: { gt: test.clock.now() } },
      orderBy: [{ autoStartOn: 'asc' }, { id: 'asc' }],
    });
    const result = await move({ count: 2, kind: 'NEW' });
    expect(result).toMatchObject({
      __typename: 'MoveLicensesPayload',
      moved: 2,
      fromAvailability: { newLicenses: before.length - 2 },
      toAvailability: { newLicenses: 2 },
    });
    expect(result.licenses.map((l: { state: string; school: { name: string } }) => [l.state, l.school.name])).toEqual([
      ['NEW', 'Björkskolan'],
      ['NEW', 'Björkskolan'],
    ]);
    // The ones closest to starting by themselves, as allocation takes them; every date kept.
    const moved = before.slice(0, 2);
    expect(await licenseRows(moved.map((l) => l.id))).toEqual(moved.map((l) => ({ ...pick(l), schoolId: bjorkskolanId })));
    // Each school's history and feed tell of its side of the move.
    const audits = await test.db.prisma.auditEvent.findMany({ where: { licenseId: { in: moved.map((l) => l.id) } }, orderBy: { action: 'asc' } }); // the enum's order: OUT, then IN
    expect(audits.filter((a) => a.action.startsWith('LICENSE_MOVED')).map((a) => [a.action, a.schoolId, a.actorLabel])).toEqual([
      ['LICENSE_MOVED_OUT', demo.ids.ekskolan, 'Olivia Organisationsadmin'],
      ['LICENSE_MOVED_OUT', demo.ids.ekskolan, 'Olivia Organisationsadmin'],
      ['LICENSE_MOVED_IN', bjorkskolanId, 'Olivia Organisationsadmin'],
      ['LICENSE_MOVED_IN', bjorkskolanId, 'Olivia Organisationsadmin'],
    ]);
    const events = await test.db.prisma.event.findMany({ where: { kind: 'license.moved', licenseId: moved[0]!.id } });
    expect(events.map((e) => [e.schoolId, e.productId, (e.data as { after: { schoolId: string } }).after.schoolId]).sort()).toEqual(
      [
        [demo.ids.ekskolan, demo.ids.matematik, bjorkskolanId],
        [bjorkskolanId, demo.ids.matematik, bjorkskolanId],
      ].sort(),
    );
  });

  it('moves reusable started licenses with their start and end date; several end dates need a choice', async () => {
    const required = await move({ count: 1, kind: 'REUSABLE' }, demo.keys.integration);
    expect(required).toMatchObject({ __typename: 'EndDateChoiceError', code: 'END_DATE_REQUIRED', field: 'endDate' });
    const { endDate, count } = required.availableEndDates[0];
    const pool = await test.db.prisma.license.findMany({
      where: { schoolId: demo.ids.ekskolan, productId: demo.ids.matematik, assignedUserId: null, endDate: new Date(endDate) },
      orderBy: { id: 'asc' },
    });
    const result = await move({ count, kind: 'REUSABLE', endDate }, demo.keys.integration);
    expect(result).toMatchObject({ moved: count, toAvailability: { reusable: { total: count, endDates: [{ endDate, count }] } } });
    expect(result.fromAvailability.reusable.endDates.map((e: { endDate: string }) => e.endDate)).not.toContain(endDate);
    expect(result.licenses.every((l: { state: string; endDate: string }) => l.state === 'STARTED' && l.endDate === endDate)).toBe(true);
    expect(await licenseRows(pool.map((l) => l.id))).toEqual(pool.map((l) => ({ ...pick(l), schoolId: bjorkskolanId })));
  });

  it('refuses, with the field, and changes nothing', async () => {
    const before = await countRows(test.db.prisma);
    const refusal = (code: string, field: string) => expect.objectContaining({ code, field });
    // More than the school has unassigned (assigned and expired licenses never count).
    expect(await move({ count: 1000, kind: 'NEW' })).toEqual(refusal('NO_LICENSE_AVAILABLE', 'count'));
    const svenska = await productGid(test.db.prisma, 'Svenska Direkt'); // only expired licenses
    expect(await move({ count: 1, kind: 'REUSABLE', product: svenska })).toEqual(refusal('NO_LICENSE_AVAILABLE', 'count'));
    expect(await move({ count: 1, kind: 'NEW', product: svenska })).toEqual(refusal('NO_LICENSE_AVAILABLE', 'count'));
    expect(await move({ count: 1, kind: 'REUSABLE', endDate: '2020-01-01' })).toEqual(refusal('END_DATE_NOT_AVAILABLE', 'endDate'));
    expect(await move({ count: 1, kind: 'NEW', endDate: '2027-01-01' })).toEqual(refusal('INVALID_INPUT', 'endDate'));
    expect(await move({ count: 0, kind: 'NEW' })).toEqual(refusal('INVALID_INPUT', 'count'));
    expect(await move({ count: 1, kind: 'NEW', toSchool: ekskolan })).toEqual(refusal('INVALID_INPUT', 'toSchool'));
    // Another organisation's school is as unknown as a made-up one.
    expect(await move({ count: 1, kind: 'NEW', toSchool: strandskolan })).toEqual(refusal('NOT_FOUND', 'toSchool'));
    expect(await move({ count: 1, kind: 'NEW', fromSchool: strandskolan })).toEqual(refusal('NOT_FOUND', 'fromSchool'));
    expect(await move({ count: 1, kind: 'NEW' }, demo.tokens.otherOrganisationAdmin)).toEqual(refusal('NOT_FOUND', 'fromSchool'));
    // A school administrator sees their school but does not decide between schools.
    expect(await move({ count: 1, kind: 'NEW' }, demo.tokens.schoolAdmin)).toEqual(refusal('FORBIDDEN', 'fromSchool'));
    expect(await move({ count: 1, kind: 'NEW' }, demo.tokens.teacher)).toEqual(refusal('FORBIDDEN', 'fromSchool'));
    expect(await countRows(test.db.prisma)).toEqual(before);
  });

  it('a retry with the same idempotency key moves nothing more', async () => {
    const input = { count: 1, kind: 'NEW', idempotencyKey: 'move-once' };
    const first = await move(input);
    const again = await move(input);
    expect(again.licenses).toEqual(first.licenses);
    expect(await test.db.prisma.auditEvent.count({ where: { action: 'LICENSE_MOVED_IN', licenseId: rawId(first.licenses[0].id) } })).toBe(1);
  });
});

function pick(license: {
  id: string;
  schoolId: string;
  orderId: string;
  deliveredAt: Date;
  autoStartOn: Date;
  startedAt: Date | null;
  endDate: Date;
  assignedUserId: string | null;
}) {
  const { id, schoolId, orderId, deliveredAt, autoStartOn, startedAt, endDate, assignedUserId } = license;
  return { id, schoolId, orderId, deliveredAt, autoStartOn, startedAt, endDate, assignedUserId };
}
