// The Skolon stories of buying and delivering licenses, through the GraphQL API on a real
// database: direct delivery with pre-assignments, delayed delivery by the supplier with a
// notification to every admin, activation links, bulk assignment and idempotency keys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonths } from '../clock.ts';
import type { DemoData } from '../seed/demo.ts';
import { dataOf, TEST_START, tokenFor, startStandardScenario, type TestApi } from '../testing/harness.ts';
import { gid, productGid, rawId, userGid } from '../testing/ids.ts';
import {
  ASSIGN_LICENSE,
  ASSIGN_LICENSES,
  CREATE_ACTIVATION_LINK,
  DELIVER_ORDER,
  MARK_NOTIFICATIONS_READ,
  NOTIFICATIONS,
  PLACE_ORDER,
  REDEEM_ACTIVATION_LINK,
} from '../testing/operations.ts';
import { countRows, rowChanges } from '../testing/rows.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';
/** The day `months` after the test's first day: an end date as the API gives it. */
const at = (months: number) => addMonths(new Date(TEST_START), months).toISOString().slice(0, 10);

describe(`orders and delivery (Skolon) on ${backend}`, () => {
  let test: TestApi;
  let demo: DemoData;
  let school: string;
  let admin: string;
  const product = (name: string) => productGid(test.db.prisma, name);
  const user = (email: string) => userGid(test.db.prisma, email);
  const rows = () => countRows(test.db.prisma);

  const placeOrder = async (input: Record<string, unknown>, token = admin) =>
    dataOf(await test.request(token, PLACE_ORDER, { input: { school, ...input } })).placeOrder;
  const notificationsOf = async (token: string) => dataOf(await test.request(token, NOTIFICATIONS)).viewer;

  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario());
    school = gid('School', demo.ids.ekskolan);
    admin = demo.tokens.schoolAdmin;
  });
  afterAll(() => test.close());

  describe('direct delivery', () => {
    it('creates the licenses at once and starts the pre-assigned users\u2019 licenses', async () => {
      const before = await rows();
      const svante = await user('svante.student@ekskolan.example');
      const siri = await user('siri.student@ekskolan.example');
      const result = await placeOrder({ product: await product('Svenska Direkt'), quantity: 3, preAssignTo: [svante, siri] });
      expect(result).toMatchObject({
        __typename: 'OrderPayload',
        order: { status: 'DELIVERED', deliveryMode: 'DIRECT', quantity: 3, deliveredAt: TEST_START },
      });
      expect(result.order.preAssignedUsers.map((u: { name: string }) => u.name).sort()).toEqual(['Siri Elev', 'Svante Elev']);
      const licenses = result.order.licenses.edges.map((e: { node: unknown }) => e.node);
      expect(result.order.licenses.totalCount).toBe(3);
      // Svenska Direkt is valid 6 months: assigning starts the license now.
      expect(licenses.filter((l: { state: string }) => l.state === 'STARTED')).toEqual([
        expect.objectContaining({ startedAt: TEST_START, endDate: at(6), holder: { name: expect.stringMatching(/^(Svante|Siri) Elev$/) } }),
        expect.objectContaining({ startedAt: TEST_START, endDate: at(6), holder: { name: expect.stringMatching(/^(Svante|Siri) Elev$/) } }),
      ]);
      expect(licenses.filter((l: { state: string }) => l.state === 'NEW')).toHaveLength(1);
      expect(rowChanges(before, await rows())).toEqual({
        orders: 1,
        preAssignments: 2,
        licenses: 3,
        assignments: 2,
        assignedLicenses: 2,
        deliveredOrders: 1,
        auditEvents: 1 + 1 + 3 + 2, // placed, delivered, 3 created, 2 assigned
      });

      // The student sees the license on their own account.
      const svanteToken = await tokenFor(test, 'svante.student@ekskolan.example');
      const mine = dataOf(await test.request(svanteToken, '{ viewer { user { licenses { license { state endDate product { name } } } } } }'));
      expect(mine.viewer.user.licenses).toContainEqual({ license: { state: 'STARTED', endDate: at(6), product: { name: 'Svenska Direkt' } } });
    });

    it('writes nothing when a pre-assignment is refused (USER_ALREADY_HAS_LICENSE)', async () => {
      const before = await rows();
      // Saga already holds Matematik 7.
      const result = await placeOrder({
        product: await product('Matematik 7 Digital'),
        quantity: 2,
        preAssignTo: [await user('sune.student@ekskolan.example'), await user('saga.student@ekskolan.example')],
      });
      expect(result).toMatchObject({ __typename: 'LicenseError', code: 'USER_ALREADY_HAS_LICENSE', field: 'preAssignTo' });
      expect(rowChanges(before, await rows())).toEqual({});
    });

    it('refuses more pre-assignments than licenses', async () => {
      const before = await rows();
      const result = await placeOrder({
        product: await product('NO-boken'),
        quantity: 1,
        preAssignTo: [await user('sune.student@ekskolan.example'), await user('siri.student@ekskolan.example')],
      });
      expect(result).toMatchObject({ code: 'INVALID_INPUT', field: 'preAssignTo' });
      expect(rowChanges(before, await rows())).toEqual({});
    });
  });

  describe('delayed delivery', () => {
    let orderId: string;
    let admins: { email: string; token: string }[];
    let notAdmins: string[];

    beforeAll(async () => {
      // A second admin of the school and a second organisation admin: every one is notified.
      const prisma = test.db.prisma;
      const nordstad = await prisma.organisation.findFirstOrThrow({ where: { name: 'Nordstad kommun' } });
      await prisma.user.create({
        data: {
          name: 'Ulla Skoladmin',
          email: 'ulla.admin@ekskolan.example',
          organisationId: nordstad.id,
          memberships: { create: { schoolId: demo.ids.ekskolan, role: 'SCHOOL_ADMIN' } },
        },
      });
      await prisma.user.create({
        data: { name: 'Otto Organisationsadmin', email: 'otto.admin@nordstad.example', organisationId: nordstad.id, isOrganisationAdmin: true },
      });
      const emails = ['sara.admin@ekskolan.example', 'ulla.admin@ekskolan.example', 'olivia.admin@nordstad.example', 'otto.admin@nordstad.example'];
      admins = await Promise.all(emails.map(async (email) => ({ email, token: await tokenFor(test, email) })));
      // The admin of the organisation's other school, a teacher, and another organisation's admin.
      notAdmins = await Promise.all(
        ['bo.admin@bjorkskolan.example', 'tove.teacher@ekskolan.example', 'oskar.admin@sjostad.example'].map((email) => tokenFor(test, email)),
      );
    });

    it('refuses pre-assignments (PRE_ASSIGNMENT_NOT_ALLOWED) and writes nothing', async () => {
      const before = await rows();
      const result = await placeOrder({
        product: await product('Engelska Plus'),
        quantity: 5,
        preAssignTo: [await user('sune.student@ekskolan.example')],
      });
      expect(result).toMatchObject({ __typename: 'LicenseError', code: 'PRE_ASSIGNMENT_NOT_ALLOWED', field: 'preAssignTo' });
      expect(result.message).toMatch(/delayed delivery/);
      expect(rowChanges(before, await rows())).toEqual({});
    });

    it('leaves the order awaiting delivery, with no licenses yet', async () => {
      const before = await rows();
      const result = await placeOrder({ product: await product('Engelska Plus'), quantity: 5 });
      expect(result).toMatchObject({
        __typename: 'OrderPayload',
        order: { status: 'AWAITING_DELIVERY', deliveryMode: 'DELAYED', deliveredAt: null, licenses: { totalCount: 0 } },
      });
      orderId = result.order.id;
      expect(rowChanges(before, await rows())).toEqual({ orders: 1, auditEvents: 1 });
      const availability = dataOf(
        await test.request(admin, `query($s: ID!, $p: ID!) { school(id: $s) { product(id: $p) { availability { awaitingDelivery } } } }`, {
          s: school,
          p: await product('Engelska Plus'),
        }),
      );
      // The demo's 25 awaiting the supplier, and these 5.
      expect(availability.school.product.availability.awaitingDelivery).toBe(30);
    });

    it('the supplier delivers: the licenses are created and every admin of the school and organisation is notified', async () => {
      const unreadBefore = await Promise.all(admins.map(async (a) => (await notificationsOf(a.token)).unreadNotificationCount));
      const othersBefore = await Promise.all(notAdmins.map(async (token) => (await notificationsOf(token)).notifications.totalCount));

      const result = dataOf(await test.request(demo.keys.supplier, DELIVER_ORDER, { input: { order: orderId } })).deliverOrder;
      expect(result).toMatchObject({
        __typename: 'OrderPayload',
        order: { id: orderId, status: 'DELIVERED', deliveredAt: TEST_START, licenses: { totalCount: 5 } },
      });

      for (const [i, { email, token }] of admins.entries()) {
        const viewer = await notificationsOf(token);
        expect(viewer.unreadNotificationCount, email).toBe(unreadBefore[i]! + 1);
        const [newest] = viewer.notifications.edges.map((e: { node: unknown }) => e.node);
        expect(newest, email).toMatchObject({ kind: 'LICENSES_DELIVERED', readAt: null, order: { id: orderId } });
        expect(newest.message).toContain('Engelska Plus');
        expect(newest.message).toContain('Ekskolan');
      }
      for (const [i, token] of notAdmins.entries()) {
        expect((await notificationsOf(token)).notifications.totalCount).toBe(othersBefore[i]);
      }
    });

    it('marks notifications read: one by ID, then all the rest', async () => {
      const [sara] = admins;
      const viewer = await notificationsOf(sara!.token);
      expect(viewer.unreadNotificationCount).toBeGreaterThanOrEqual(2); // the demo's delivery, and this one
      const newest = viewer.notifications.edges[0].node.id;
      const one = dataOf(await test.request(sara!.token, MARK_NOTIFICATIONS_READ, { input: { notifications: [newest] } }));
      expect(one.markNotificationsRead).toEqual({ __typename: 'MarkNotificationsReadPayload', markedCount: 1 });
      const after = await notificationsOf(sara!.token);
      expect(after.unreadNotificationCount).toBe(viewer.unreadNotificationCount - 1);
      expect(after.notifications.edges[0].node.readAt).toBe(TEST_START);

      const rest = dataOf(await test.request(sara!.token, MARK_NOTIFICATIONS_READ, {})).markNotificationsRead;
      expect(rest.markedCount).toBe(viewer.unreadNotificationCount - 1);
      expect((await notificationsOf(sara!.token)).unreadNotificationCount).toBe(0);
      expect((await notificationsOf(sara!.token)).notifications.totalCount).toBe(viewer.notifications.totalCount);
      // Only Sara's own: the other admins still have theirs unread.
      expect((await notificationsOf(admins[1]!.token)).unreadNotificationCount).toBeGreaterThan(0);
    });

    it('a second delivery is refused (ORDER_ALREADY_DELIVERED) and creates nothing', async () => {
      const before = await rows();
      const again = dataOf(await test.request(demo.keys.supplier, DELIVER_ORDER, { input: { order: orderId } })).deliverOrder;
      expect(again).toMatchObject({ __typename: 'LicenseError', code: 'ORDER_ALREADY_DELIVERED', field: 'order' });
      expect(rowChanges(before, await rows())).toEqual({});
    });

    it('a supplier cannot deliver another supplier\u2019s order', async () => {
      const before = await rows();
      const result = dataOf(
        await test.request(demo.keys.activationSupplier, DELIVER_ORDER, { input: { order: gid('Order', demo.ids.awaitingOrder) } }),
      ).deliverOrder;
      expect(result).toMatchObject({ code: 'NOT_FOUND', field: 'order' });
      expect(rowChanges(before, await rows())).toEqual({});
    });
  });

  describe('activation links', () => {
    const placeKemiOrder = async (quantity = 4) => {
      const result = await placeOrder({ product: await product('Kemilabbet (app)'), quantity });
      expect(result.order).toMatchObject({ status: 'AWAITING_DELIVERY', deliveryMode: 'ACTIVATION_EMAIL' });
      return result.order.id as string;
    };
    const createLink = async (order: string, validForDays?: number) =>
      dataOf(await test.request(demo.keys.activationSupplier, CREATE_ACTIVATION_LINK, { input: { order, validForDays } })).createActivationLink;
    const redeem = async (token: string, as = admin) => dataOf(await test.request(as, REDEEM_ACTIVATION_LINK, { input: { token } })).redeemActivationLink;

    it('works once: the licenses arrive, and a second redemption is refused', async () => {
      const order = await placeKemiOrder(4);
      const link = await createLink(order, 10);
      expect(link).toMatchObject({
        __typename: 'ActivationLinkPayload',
        token: expect.stringMatching(/^act_/),
        expiresAt: new Date(new Date(TEST_START).getTime() + 10 * 86_400_000).toISOString(),
        order: { id: order, status: 'AWAITING_DELIVERY' },
      });
      // Only the hash is stored.
      expect(await test.db.prisma.activationLink.count({ where: { tokenHash: link.token } })).toBe(0);

      const before = await rows();
      const redeemed = await redeem(link.token);
      expect(redeemed).toMatchObject({ __typename: 'OrderPayload', order: { id: order, status: 'DELIVERED', licenses: { totalCount: 4 } } });
      expect(rowChanges(before, await rows())).toMatchObject({ licenses: 4, redeemedLinks: 1, deliveredOrders: 1 });

      const mid = await rows();
      expect(await redeem(link.token)).toMatchObject({ __typename: 'LicenseError', code: 'ACTIVATION_LINK_ALREADY_REDEEMED', field: 'token' });
      expect(rowChanges(mid, await rows())).toEqual({});
    });

    it('the demo\u2019s unredeemed link works for the organisation admin too', async () => {
      const redeemed = await redeem(demo.activationToken!, demo.tokens.organisationAdmin);
      expect(redeemed).toMatchObject({ __typename: 'OrderPayload', order: { status: 'DELIVERED', licenses: { totalCount: 15 } } });
    });

    it('an expired link is refused (ACTIVATION_LINK_EXPIRED) and delivers nothing', async () => {
      const order = await placeKemiOrder(2);
      const link = await createLink(order, 1);
      test.clock.advanceDays(2);
      try {
        const before = await rows();
        const result = await redeem(link.token, await tokenFor(test, 'sara.admin@ekskolan.example'));
        expect(result).toMatchObject({ __typename: 'LicenseError', code: 'ACTIVATION_LINK_EXPIRED', field: 'token' });
        expect(rowChanges(before, await rows())).toEqual({});
        expect(await test.db.prisma.order.findUniqueOrThrow({ where: { id: rawId(order) } })).toMatchObject({ status: 'AWAITING_DELIVERY' });
      } finally {
        test.clock.set(TEST_START);
      }
      // A new link for the same order still works.
      const fresh = await createLink(order);
      expect(await redeem(fresh.token)).toMatchObject({ __typename: 'OrderPayload', order: { status: 'DELIVERED' } });
    });

    it('an unknown token is refused (ACTIVATION_LINK_INVALID)', async () => {
      const before = await rows();
      expect(await redeem('act_not-a-real-token')).toMatchObject({ code: 'ACTIVATION_LINK_INVALID', field: 'token' });
      expect(await redeem('')).toMatchObject({ code: 'ACTIVATION_LINK_INVALID', field: 'token' });
      expect(rowChanges(before, await rows())).toEqual({});
    });

    it('no link for a delayed order, nor for one already delivered', async () => {
      const engelska = await placeOrder({ product: await product('Engelska Plus'), quantity: 1 });
      // AppStudio does not supply Engelska Plus: as unknown as a made-up order.
      expect(await createLink(engelska.order.id)).toMatchObject({ code: 'NOT_FOUND', field: 'order' });
      const order = await placeKemiOrder(1);
      await redeem((await createLink(order)).token);
      expect(await createLink(order)).toMatchObject({ code: 'ORDER_ALREADY_DELIVERED', field: 'order' });
      expect(await createLink(order, 0)).toMatchObject({ code: 'INVALID_INPUT', field: 'validForDays' });
    });
  });

  describe('assigning many users at once', () => {
    const input = async (emails: string[], extra: Record<string, unknown> = {}) => ({
      school,
      product: await product('Matematik 7 Digital'),
      users: await Promise.all(emails.map(user)),
      reuseStarted: false,
      ...extra,
    });
    const users = [
      'sune.student@ekskolan.example', // gets one
      'saga.student@ekskolan.example', // holds one already
      'theo.teacher@ekskolan.example', // holds one already
      'bjorn.student@bjorkskolan.example', // of another school
      'sixten.student@ekskolan.example', // gets one
    ];

    it('a dry run shows each outcome and end date and writes nothing', async () => {
      const before = await rows();
      const result = dataOf(await test.request(admin, ASSIGN_LICENSES, { input: await input(users, { dryRun: true }) })).assignLicenses;
      expect(result).toMatchObject({ __typename: 'AssignLicensesPayload', dryRun: true, assignedCount: 2 });
      expect(result.outcomes).toEqual([
        { user: { name: 'Sune Elev' }, assigned: true, endDate: at(12), license: null, error: null },
        {
          user: { name: 'Saga Elev' },
          assigned: false,
          endDate: null,
          license: null,
          error: expect.objectContaining({ __typename: 'LicenseError', code: 'USER_ALREADY_HAS_LICENSE', field: 'user' }),
        },
        { user: { name: 'Theo Lärare' }, assigned: false, endDate: null, license: null, error: expect.objectContaining({ code: 'USER_ALREADY_HAS_LICENSE' }) },
        { user: { name: 'Björn Elev' }, assigned: false, endDate: null, license: null, error: expect.objectContaining({ code: 'USER_NOT_IN_SCHOOL' }) },
        { user: { name: 'Sixten Elev' }, assigned: true, endDate: at(12), license: null, error: null },
      ]);
      expect(rowChanges(before, await rows())).toEqual({});
    });

    it('a dry run of reusing started licenses shows the chosen end date', async () => {
      const before = await rows();
      const result = dataOf(
        await test.request(admin, ASSIGN_LICENSES, { input: await input(users.slice(0, 1), { dryRun: true, reuseStarted: true, endDate: at(3) }) }),
      ).assignLicenses;
      expect(result.outcomes).toEqual([{ user: { name: 'Sune Elev' }, assigned: true, endDate: at(3), license: null, error: null }]);
      expect(rowChanges(before, await rows())).toEqual({});
    });

    it('without an end date while several exist, each user is told which end dates can be chosen', async () => {
      const before = await rows();
      const result = dataOf(
        await test.request(admin, ASSIGN_LICENSES, { input: await input(users.slice(0, 1), { dryRun: true, reuseStarted: true }) }),
      ).assignLicenses;
      expect(result.outcomes[0]).toMatchObject({
        assigned: false,
        error: { __typename: 'EndDateChoiceError', code: 'END_DATE_REQUIRED', field: 'endDate' },
      });
      expect(result.outcomes[0].error.availableEndDates).toContainEqual({ endDate: at(3), count: 1 });
      expect(rowChanges(before, await rows())).toEqual({});
    });

    it('for real: an outcome per user, a typed error for each refused one', async () => {
      const before = await rows();
      const result = dataOf(await test.request(admin, ASSIGN_LICENSES, { input: await input(users) })).assignLicenses;
      expect(result).toMatchObject({ dryRun: false, assignedCount: 2 });
      expect(result.outcomes.map((o: { assigned: boolean; error: { code: string } | null }) => o.error?.code ?? 'ASSIGNED')).toEqual([
        'ASSIGNED',
        'USER_ALREADY_HAS_LICENSE',
        'USER_ALREADY_HAS_LICENSE',
        'USER_NOT_IN_SCHOOL',
        'ASSIGNED',
      ]);
      expect(result.outcomes[0].license.holder).toEqual({ name: 'Sune Elev' });
      expect(result.outcomes[4].license.holder).toEqual({ name: 'Sixten Elev' });
      expect(rowChanges(before, await rows())).toEqual({ assignments: 2, assignedLicenses: 2, auditEvents: 2 });
    });

    it('refuses an empty user list as a whole', async () => {
      const before = await rows();
      const result = dataOf(await test.request(admin, ASSIGN_LICENSES, { input: await input([]) })).assignLicenses;
      expect(result).toMatchObject({ __typename: 'LicenseError', code: 'INVALID_INPUT', field: 'users' });
      expect(rowChanges(before, await rows())).toEqual({});
    });
  });

  describe('idempotency keys', () => {
    it('assignLicense: the same key returns the same result and writes nothing more; other input is refused', async () => {
      const input = {
        school,
        product: await product('Matematik 7 Digital'),
        user: await user('selma.student@ekskolan.example'),
        reuseStarted: false,
        idempotencyKey: 'assign-selma-1',
      };
      const first = dataOf(await test.request(admin, ASSIGN_LICENSE, { input })).assignLicense;
      expect(first).toMatchObject({ __typename: 'AssignLicensePayload', assignment: { user: { name: 'Selma Elev' } } });
      const before = await rows();
      const retry = dataOf(await test.request(admin, ASSIGN_LICENSE, { input })).assignLicense;
      expect(retry).toEqual(first);
      expect(rowChanges(before, await rows())).toEqual({});

      const other = { ...input, user: await user('sam.student@ekskolan.example') };
      const reused = dataOf(await test.request(admin, ASSIGN_LICENSE, { input: other })).assignLicense;
      expect(reused).toMatchObject({ __typename: 'LicenseError', code: 'IDEMPOTENCY_KEY_REUSED', field: 'idempotencyKey' });
      expect(rowChanges(before, await rows())).toEqual({});

      // Keys belong to whoever sent them: the organisation admin may use the same key for her own request.
      const olivias = dataOf(await test.request(demo.tokens.organisationAdmin, ASSIGN_LICENSE, { input: other })).assignLicense;
      expect(olivias).toMatchObject({ __typename: 'AssignLicensePayload', assignment: { user: { name: 'Sam Elev' } } });
    });

    it('a refused request does not use up its key', async () => {
      const input = {
        school,
        product: await product('Matematik 7 Digital'),
        user: await user('saga.student@ekskolan.example'),
        reuseStarted: false,
        idempotencyKey: 'assign-saga-1',
      };
      const before = await rows();
      expect(dataOf(await test.request(admin, ASSIGN_LICENSE, { input })).assignLicense).toMatchObject({ code: 'USER_ALREADY_HAS_LICENSE' });
      expect(rowChanges(before, await rows())).toEqual({});
    });

    it('placeOrder: the same key places one order; other input is refused', async () => {
      const input = { product: await product('NO-boken'), quantity: 7, idempotencyKey: 'order-no-boken-7' };
      const before = await rows();
      const first = await placeOrder(input);
      expect(first).toMatchObject({ __typename: 'OrderPayload', order: { status: 'DELIVERED', licenses: { totalCount: 7 } } });
      const afterFirst = await rows();
      expect(rowChanges(before, afterFirst)).toMatchObject({ orders: 1, licenses: 7, idempotencyRecords: 1 });

      expect(await placeOrder(input)).toEqual(first);
      expect(rowChanges(afterFirst, await rows())).toEqual({});

      const reused = await placeOrder({ ...input, quantity: 8 });
      expect(reused).toMatchObject({ __typename: 'LicenseError', code: 'IDEMPOTENCY_KEY_REUSED', field: 'idempotencyKey' });
      expect(rowChanges(afterFirst, await rows())).toEqual({});
    });

    it('a key is remembered for its time to live, then free again', async () => {
      const input = { product: await product('NO-boken'), quantity: 1, idempotencyKey: 'order-no-boken-1' };
      const first = await placeOrder(input);
      test.clock.advanceDays(2);
      try {
        const later = await placeOrder(input, await tokenFor(test, 'sara.admin@ekskolan.example'));
        expect(later.order.id).not.toBe(first.order.id);
      } finally {
        test.clock.set(TEST_START);
      }
    });
  });
});
