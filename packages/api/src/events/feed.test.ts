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
import { createActivationLink, redeemActivationLink } from '../domain/orders.ts';
import { publishPendingEvents } from './relay.ts';
import { webhookPayload } from './webhooks.ts';

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
    // Since a day after the first sweep: only the expiry, recorded when the second sweep wrote it down.
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

describe(`what a supplier's change feed tells of a school on ${backend}`, () => {
  let test: TestApi;
  let pool: LicensePool;
  const run = <T>(work: (tx: Tx) => Promise<T>) => inTransaction(test.db.prisma, work);
  const events = async (credential: string) => dataOf(await test.request(credential, FEED, { first: 100 })).events.edges.map((edge: any) => edge.node);

  beforeAll(async () => {
    test = await startTestApi();
    pool = await licensePool(test.db.prisma, test.clock, { licenses: 0, students: 4 });
  });
  afterAll(() => test.close());

  it("names no user of the school in its orders' events (feed and webhooks); the school's audit log keeps them", async () => {
    const [s0, s1, s2, s3] = pool.studentIds as [string, string, string, string];
    const admin = await run((tx) => userActor(tx, pool.adminId));
    const school = await test.db.prisma.school.findUniqueOrThrow({ where: { id: pool.schoolId } });
    // A direct order pre-assigned to s0, a delayed one reserved for s1 and s2 (delivered by its
    // supplier), an activation-link one reserved for s3 (redeemed by the admin).
    await run((tx) => placeOrder(tx, test.clock, admin, { schoolId: pool.schoolId, productId: pool.productId, quantity: 2, preAssignUserIds: [s0] }));
    const delayed = await run((tx) =>
      placeOrder(tx, test.clock, admin, { schoolId: pool.schoolId, productId: pool.delayedProductId, quantity: 2, reserveForUserIds: [s1, s2] }),
    );
    await run(async (tx) => deliverOrder(tx, test.clock, await apiKeyActor(tx, pool.supplierKey), { orderId: delayed.id }));
    const byLink = await run((tx) =>
      placeOrder(tx, test.clock, admin, { schoolId: pool.schoolId, productId: pool.activationProductId, quantity: 1, reserveForUserIds: [s3] }),
    );
    const { token } = await run(async (tx) => createActivationLink(tx, test.clock, await apiKeyActor(tx, pool.activationSupplierKey), { orderId: byLink.id }));
    await run((tx) => redeemActivationLink(tx, test.clock, admin, { token }));
    await publishPendingEvents(test.db.prisma, test.clock);

    const other = await test.db.prisma.school.findUniqueOrThrow({ where: { id: pool.otherOrganisation.schoolId } });
    const people = [pool.adminId, pool.otherOrganisation.adminId, s0, s1, s2, s3, 'Pool Admin', 'Annan Admin', 'Elev', '"preAssigned"', '"reservedFor"'];
    const supplierFeed = await events(pool.supplierKey);
    const appFeed = await events(pool.activationSupplierKey);
    expect(supplierFeed.map((e: any) => [e.type, e.actor])).toEqual([
      // The scenario's order of the other organisation, delivered at once.
      ['order.placed', other.name],
      ['order.delivered', other.name],
      ['order.placed', school.name],
      ['order.delivered', school.name],
      ['order.placed', school.name],
      ['order.delivered', expect.stringMatching(/Förlaget /)],
    ]);
    expect(appFeed.map((e: any) => [e.type, e.actor])).toEqual([
      ['order.placed', school.name],
      ['order.redeemed', school.name],
      ['order.delivered', school.name],
    ]);
    expect(supplierFeed[4].data.after).toEqual({ productId: pool.delayedProductId, quantity: 2, deliveryMode: 'DELAYED', reservedForGroupId: null });
    for (const event of [...supplierFeed, ...appFeed]) {
      expect(event.user).toBeNull();
      for (const person of people) expect(JSON.stringify(event), `${event.type} names ${person}`).not.toContain(person);
    }
    // Webhooks carry the same rows: a supplier's endpoint gets no user either.
    const rows = await test.db.prisma.event.findMany({ where: { supplierId: { not: null }, kind: { startsWith: 'order.' } } });
    expect(rows.length).toBe(9);
    for (const row of rows) {
      const body = JSON.stringify(webhookPayload(row));
      for (const person of people) expect(body, `${row.kind} webhook names ${person}`).not.toContain(person);
    }

    // The school's administrator still reads who ordered and for whom in the audit log.
    const audit = dataOf(
      await test.request(
        await tokenOf(TEST_AUTH, test.clock, pool.adminId),
        `query($school: ID) { auditEvents(school: $school, first: 100) { edges { node { action actor after } } } }`,
        { school: pool.gids.school },
      ),
    ).auditEvents.edges.map((edge: any) => edge.node);
    const placed = audit.filter((e: any) => e.action === 'ORDER_PLACED');
    expect(placed.map((e: any) => e.actor)).toEqual(['Pool Admin', 'Pool Admin', 'Pool Admin']);
    expect(placed.map((e: any) => [e.after.preAssigned, e.after.reservedFor ?? null]).sort()).toEqual(
      [
        [[s0], null],
        [[], [s1, s2]],
        [[], [s3]],
      ].sort(),
    );
    expect(audit.filter((e: any) => e.action === 'ACTIVATION_LINK_REDEEMED').map((e: any) => e.actor)).toEqual(['Pool Admin']);
  });
});

describe(`what the sweep writes down later is in the feed when it is written, on ${backend}`, () => {
  let test: TestApi;
  let pool: LicensePool;
  let admin: Actor;
  const run = <T>(work: (tx: Tx) => Promise<T>) => inTransaction(test.db.prisma, work);

  beforeAll(async () => {
    test = await startTestApi();
    pool = await licensePool(test.db.prisma, test.clock, { licenses: 2, students: 3 });
    admin = await run((tx) => userActor(tx, pool.adminId));
  });
  afterAll(() => test.close());

  it('records an expiry or auto-start in the feed when it is written down, and its audit event at the moment it happened', async () => {
    const assign = (userId: string, productId = pool.productId, reuseStarted = false) =>
      run((tx) => assignLicense(tx, test.clock, admin, { schoolId: pool.schoolId, productId, userId, reuseStarted }));
    const [student0, student1, student2] = pool.studentIds as [string, string, string];
    // Two licenses ending on two different days, and a delivered one that starts by itself.
    const first = await assign(student0);
    test.clock.advanceDays(3);
    const second = await assign(student1);
    const delayed = await run((tx) => placeOrder(tx, test.clock, admin, { schoolId: pool.schoolId, productId: pool.delayedProductId, quantity: 1 }));
    await run(async (tx) => deliverOrder(tx, test.clock, await apiKeyActor(tx, pool.supplierKey), { orderId: delayed.id }));

    // Five months on it has started by itself, and the sweep has not written it down: assigning it does.
    test.clock.advanceMonths(5);
    const reusedAt = test.clock.now();
    const reused = await assign(student2, pool.delayedProductId, true);
    const autoStartAudit = await test.db.prisma.auditEvent.findFirstOrThrow({ where: { action: 'LICENSE_AUTO_STARTED', licenseId: reused.license.id } });
    expect(autoStartAudit.createdAt).toEqual(reused.license.startedAt);
    expect(autoStartAudit.createdAt.getTime()).toBeLessThan(reusedAt.getTime());

    // A year on, both have expired; the sweep writes it down now.
    test.clock.advanceMonths(8);
    const sweptAt = test.clock.now();
    expect((await runSweep(test.db.prisma, test.clock)).assignmentsExpired).toBe(2);
    await publishPendingEvents(test.db.prisma, test.clock);

    const licenses = [first.license.id, second.license.id];
    const events = await test.db.prisma.event.findMany({ where: { kind: 'license.expired', licenseId: { in: licenses } } });
    expect(events.map((event) => event.createdAt)).toEqual([sweptAt, sweptAt]);
    const autoStarted = await test.db.prisma.event.findFirstOrThrow({ where: { kind: 'license.auto_started', licenseId: reused.license.id } });
    expect(autoStarted.createdAt).toEqual(reusedAt);
    // Each audit event keeps its own license's expiry, when its assignment ended.
    const audits = await test.db.prisma.auditEvent.findMany({ where: { action: 'ASSIGNMENT_EXPIRED', licenseId: { in: licenses } } });
    const ended = await test.db.prisma.assignment.findMany({ where: { licenseId: { in: licenses } }, select: { licenseId: true, endedAt: true } });
    expect(audits).toHaveLength(2);
    for (const audit of audits) expect(audit.createdAt).toEqual(ended.find((a) => a.licenseId === audit.licenseId)!.endedAt);
    expect(new Set(audits.map((audit) => audit.createdAt.getTime())).size).toBe(2);
    expect(Math.max(...audits.map((audit) => audit.createdAt.getTime()))).toBeLessThan(sweptAt.getTime());

    // So an integration asking for what happened since the sweep began gets them, in the feed's order.
    const token = await tokenOf(TEST_AUTH, test.clock, pool.adminId);
    const since = dataOf(await test.request(token, FEED, { first: 100, since: sweptAt.toISOString() })).events;
    expect(since.edges.map((edge: { node: { type: string; license: string } }) => [edge.node.type, rawId(edge.node.license)])).toEqual(
      expect.arrayContaining(licenses.map((license) => ['license.expired', license])),
    );
    const sinceReused = dataOf(await test.request(token, FEED, { first: 100, since: reusedAt.toISOString(), kinds: ['LICENSE_AUTO_STARTED'] })).events;
    expect(sinceReused.edges.map((edge: { node: { license: string } }) => rawId(edge.node.license))).toEqual([reused.license.id]);
  });
});
