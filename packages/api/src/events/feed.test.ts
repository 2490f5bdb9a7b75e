// The change feed: every kind of event, in commit order, exactly those that committed.
import { addMonths } from '../clock.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyActor, userActor } from '../auth/authenticate.ts';
import type { Actor, Tx } from '../domain/actor.ts';
import { assignLicense, removeMyLicense, revokeLicense } from '../domain/assignments.ts';
import { deliverOrder, placeOrder } from '../domain/orders.ts';
import { runSweep } from '../domain/sweep.ts';
import { inTransaction } from '../domain/transaction.ts';
import { dataOf, startTestApi, TEST_AUTH, type TestApi } from '../testing/harness.ts';
import { rawId } from '../testing/ids.ts';
import { addMember } from '../testing/people.ts';
import { activationLink, licensePool, tokenOf, type LicensePool } from '../testing/scenarios.ts';
import { redeemActivationLink } from '../domain/orders.ts';
import { publishPendingEvents } from './relay.ts';

const FEED = /* GraphQL */ `
  query Feed($after: String, $first: Int, $kinds: [EventKind!], $school: ID, $since: DateTime) {
    events(after: $after, first: $first, kinds: $kinds, school: $school, since: $since) {
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id kind type school license user order actor data createdAt } }
    }
  }`;

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

describe(`the change feed on ${backend}`, () => {
  let test: TestApi;
  let pool: LicensePool;
  let admin: Actor;
  const run = <T>(work: (tx: Tx) => Promise<T>) => inTransaction(test.db.prisma, work);
  const tokenOfUser = (userId: string) => tokenOf(TEST_AUTH, test.clock, userId);
  const feed = async (variables: Record<string, unknown> = {}, userId = pool.adminId) =>
    dataOf(await test.request(await tokenOfUser(userId), FEED, { first: 100, ...variables })).events;
  const kindsOf = (page: { edges: { node: { type: string } }[] }) => page.edges.map((edge) => edge.node.type);

  beforeAll(async () => {
    test = await startTestApi();
    pool = await licensePool(test.db.prisma, test.clock, { licenses: 2, students: 2 });
    admin = await run((tx) => userActor(tx, pool.adminId));
  });
  afterAll(() => test.close());

  it('tells every kind of change, in the order they committed, and nothing of another organisation', async () => {
    const [student0, student1] = pool.studentIds as [string, string];
    const teacher = rawId(await addMember(test.db.prisma, pool.schoolId, 'TEACHER'));
    const teacherActor = await run((tx) => userActor(tx, teacher));
    const assign = (userId: string, reuseStarted = false) =>
      run((tx) => assignLicense(tx, test.clock, admin, { schoolId: pool.schoolId, productId: pool.productId, userId, reuseStarted }));

    const first = await assign(student0);
    const second = await assign(teacher); // the last new license: the pool is exhausted
    await run((tx) => revokeLicense(tx, test.clock, admin, { licenseId: first.license.id }));
    await run((tx) => removeMyLicense(tx, test.clock, teacherActor, { licenseId: second.license.id }));
    const delayed = await run((tx) => placeOrder(tx, test.clock, admin, { schoolId: pool.schoolId, productId: pool.delayedProductId, quantity: 2 }));
    await run(async (tx) => deliverOrder(tx, test.clock, await apiKeyActor(tx, pool.supplierKey), { orderId: delayed.id }));
    const { token } = await activationLink(test.db.prisma, test.clock, pool, 1);
    await run((tx) => redeemActivationLink(tx, test.clock, admin, { token }));
    await assign(student1, true); // reuses a started license, ending in 12 months
    test.clock.advanceMonths(5);
    await runSweep(test.db.prisma, test.clock); // the 3 delivered licenses start by themselves
    test.clock.advanceMonths(12);
    await runSweep(test.db.prisma, test.clock); // student1's license expired
    await publishPendingEvents(test.db.prisma, test.clock);

    const page = await feed();
    expect(kindsOf(page)).toEqual([
      'order.placed', // the scenario's order, of a product delivered at once
      'order.delivered',
      'license.assigned',
      'license.assigned',
      'pool.exhausted',
      'license.revoked',
      'license.removed_by_self',
      'order.placed',
      'order.delivered',
      'order.placed',
      'order.redeemed',
      'order.delivered',
      'license.assigned',
      'license.auto_started',
      'license.auto_started',
      'license.auto_started',
      'license.expired',
    ]);
    expect(page.edges[2].node).toMatchObject({ kind: 'LICENSE_ASSIGNED', actor: 'Pool Admin', license: expect.any(String) });
    expect(page.edges[2].node.data.after).toMatchObject({ assignedUserId: student0 });
    // The other organisation's admin sees only its own order and licenses.
    const other = await feed({}, pool.otherOrganisation.adminId);
    expect(kindsOf(other)).toEqual(['order.placed', 'order.delivered', ...Array(3).fill('license.auto_started')]);
  });

  it('pages with cursors that stay valid, and filters by kind, school and time', async () => {
    const all = await feed();
    const firstPage = await feed({ first: 4 });
    expect(firstPage.pageInfo.hasNextPage).toBe(true);
    const rest = await feed({ after: firstPage.pageInfo.endCursor });
    expect([...kindsOf(firstPage), ...kindsOf(rest)]).toEqual(kindsOf(all));
    expect(kindsOf(await feed({ kinds: ['ORDER_PLACED', 'POOL_EXHAUSTED'] }))).toEqual(['order.placed', 'pool.exhausted', 'order.placed', 'order.placed']);
    // Since a day after the first sweep: only the expiry, recorded at the moment the license expired.
    const afterFirstSweep = new Date(addMonths(test.clock.now(), -12).getTime() + 86_400_000);
    expect(kindsOf(await feed({ since: afterFirstSweep.toISOString() }))).toEqual(['license.expired']);
    const bad = await test.request(await tokenOfUser(pool.adminId), FEED, { after: 'bm90IGEgY3Vyc29y' });
    expect(bad.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
  });

  it('has no event of a change whose transaction failed after writing it', async () => {
    const before = kindsOf(await feed());
    const student = rawId(await addMember(test.db.prisma, pool.schoolId));
    await test.db.prisma
      .$transaction(async (tx) => {
        await placeOrder(tx, test.clock, admin, { schoolId: pool.schoolId, productId: pool.productId, quantity: 1 });
        await assignLicense(tx, test.clock, admin, { schoolId: pool.schoolId, productId: pool.productId, userId: student, reuseStarted: false });
        expect(await tx.event.count({ where: { position: null } })).toBe(2);
        throw new Error('the process fails after the change, before the commit');
      })
      .catch(() => {});
    await publishPendingEvents(test.db.prisma, test.clock);
    expect(kindsOf(await feed())).toEqual(before);
  });

  it('publishes a committed change even when the instance that made it stopped before publishing', async () => {
    // Committed, and no relay ran: as if the process was killed right after the commit.
    await run((tx) => placeOrder(tx, test.clock, admin, { schoolId: pool.schoolId, productId: pool.productId, quantity: 1 }));
    expect(await test.db.prisma.event.count({ where: { position: null } })).toBe(2);
    const beforeRestart = (await feed()).edges.length;
    // Another instance's relay (or this one restarted) publishes it from the table.
    await publishPendingEvents(test.db.prisma, test.clock);
    const after = await feed();
    expect(kindsOf(after).slice(beforeRestart)).toEqual(['order.placed', 'order.delivered']);
  });
});
