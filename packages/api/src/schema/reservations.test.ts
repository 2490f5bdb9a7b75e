// Reservations on delayed delivery: an order that cannot pre-assign keeps its licenses for named
// users and a class, applied in the transaction that delivers them (by the supplier or by an
// activation link), with the admins told who got one and who could not. Through the GraphQL API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoData } from '../seed/demo.ts';
import { dataOf, startStandardScenario, type TestApi } from '../testing/harness.ts';
import { gid, productGid, rawId, userGid } from '../testing/ids.ts';
import { CREATE_ACTIVATION_LINK, DELIVER_ORDER, END_SCHOOL_MEMBERSHIP, REDEEM_ACTIVATION_LINK } from '../testing/operations.ts';
import { countRows } from '../testing/rows.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

const RESERVATIONS = 'reservedForGroup { name } reservations { user { name } fromGroup outcome license { id holder { name } } }';
const PLACE = /* GraphQL */ `
  mutation Place($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      __typename
      ... on OrderPayload { order { id status ${RESERVATIONS} } }
      ... on Error { code message field }
    }
  }`;
const ORDER = /* GraphQL */ `query Order($id: ID!) { node(id: $id) { ... on Order { status ${RESERVATIONS} } } }`;

describe(`reservations on delayed delivery on ${backend}`, () => {
  let test: TestApi;
  let demo: DemoData;
  let school: string;
  let classGid: string;
  const user = (email: string) => userGid(test.db.prisma, email);
  const place = async (input: Record<string, unknown>) =>
    dataOf(await test.request(demo.tokens.schoolAdmin, PLACE, { input: { school, ...input } })).placeOrder;

  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario());
    school = gid('School', demo.ids.ekskolan);
    classGid = gid('Group', (await test.db.prisma.group.findFirstOrThrow({ where: { name: '7A' } })).id);
  });
  afterAll(() => test.close());

  it("the supplier's delivery assigns to the named users, then to the class's students, and tells the admins who could not get one", async () => {
    const tove = await user('tove.teacher@ekskolan.example'); // already holds Engelska Plus
    const svante = await user('svante.student@ekskolan.example'); // leaves the school before delivery
    const siri = await user('siri.student@ekskolan.example'); // named, and in 7A: reserved once
    const placed = await place({
      product: await productGid(test.db.prisma, 'Engelska Plus'),
      quantity: 3,
      reserveFor: [tove, svante, siri],
      reserveForGroup: classGid,
    });
    expect(placed).toMatchObject({ __typename: 'OrderPayload', order: { status: 'AWAITING_DELIVERY', reservedForGroup: { name: '7A' } } });
    expect(placed.order.reservations).toEqual(
      ['Tove Lärare', 'Svante Elev', 'Siri Elev'].map((name) => ({ user: { name }, fromGroup: false, outcome: null, license: null })),
    );
    const left = dataOf(await test.request(demo.tokens.schoolAdmin, END_SCHOOL_MEMBERSHIP, { input: { school, user: svante } })).endSchoolMembership;
    expect(left.change).toBe('ENDED');

    const delivered = dataOf(await test.request(demo.keys.supplier, DELIVER_ORDER, { input: { order: placed.order.id } })).deliverOrder;
    expect(delivered.__typename).toBe('OrderPayload');
    const order = dataOf(await test.request(demo.tokens.schoolAdmin, ORDER, { id: placed.order.id })).node;
    const outcomes = order.reservations.map(
      (r: { user: { name: string }; fromGroup: boolean; outcome: string; license: { holder: { name: string } } | null }) => [
        r.user.name,
        r.fromGroup,
        r.outcome,
        r.license?.holder.name ?? null,
      ],
    );
    // 7A's students by name after the named users; Siri and Svante (who left) are not reserved twice.
    expect(outcomes.slice(0, 5)).toEqual([
      ['Tove Lärare', false, 'USER_ALREADY_HAS_LICENSE', null],
      ['Svante Elev', false, 'USER_NOT_IN_SCHOOL', null],
      ['Siri Elev', false, 'ASSIGNED', 'Siri Elev'],
      ['Saga Elev', true, 'ASSIGNED', 'Saga Elev'],
      ['Sam Elev', true, 'ASSIGNED', 'Sam Elev'],
    ]);
    expect(outcomes.slice(5).every(([, fromGroup, outcome]: unknown[]) => fromGroup === true && outcome === 'NO_LICENSE_AVAILABLE')).toBe(true);
    expect(new Set(outcomes.map(([name]: string[]) => name)).size).toBe(outcomes.length);
    // Every license of the order went to a reservation, in the delivery's transaction.
    const licenses = await test.db.prisma.license.findMany({ where: { orderId: rawId(placed.order.id) } });
    expect(licenses.filter((l) => l.assignedUserId !== null)).toHaveLength(3);
    const notification = await test.db.prisma.notification.findFirstOrThrow({
      where: { orderId: rawId(placed.order.id), kind: 'LICENSES_DELIVERED', user: { email: 'sara.admin@ekskolan.example' } },
    });
    expect(notification.message).toContain('Reserved and assigned: Siri Elev, Saga Elev, Sam Elev.');
    expect(notification.message).toContain('Tove Lärare (already holds one), Svante Elev (no longer at the school), ');
    expect(notification.message).toMatch(/Sebastian Elev \(no license left\)/);
  });

  it('redeeming an activation link applies its reservations in the same transaction', async () => {
    const saga = await user('saga.student@ekskolan.example');
    const placed = await place({ product: await productGid(test.db.prisma, 'Kemilabbet (app)'), quantity: 2, reserveFor: [saga] });
    const link = dataOf(await test.request(demo.keys.activationSupplier, CREATE_ACTIVATION_LINK, { input: { order: placed.order.id } })).createActivationLink;
    const redeemed = dataOf(await test.request(demo.tokens.schoolAdmin, REDEEM_ACTIVATION_LINK, { input: { token: link.token } })).redeemActivationLink;
    expect(redeemed.__typename).toBe('OrderPayload');
    const order = dataOf(await test.request(demo.tokens.schoolAdmin, ORDER, { id: placed.order.id })).node;
    expect(order.reservations).toEqual([
      { user: { name: 'Saga Elev' }, fromGroup: false, outcome: 'ASSIGNED', license: { id: expect.any(String), holder: { name: 'Saga Elev' } } },
    ]);
    const assignment = await test.db.prisma.assignment.findFirstOrThrow({ where: { licenseId: rawId(order.reservations[0].license.id) } });
    const audit = await test.db.prisma.auditEvent.findFirstOrThrow({ where: { action: 'LICENSE_ASSIGNED', licenseId: assignment.licenseId } });
    expect(audit.actorLabel).toBe('system');
  });

  it('refuses reservations that cannot be kept, with the field, and writes nothing', async () => {
    const before = await countRows(test.db.prisma);
    const engelska = await productGid(test.db.prisma, 'Engelska Plus');
    const saga = await user('saga.student@ekskolan.example');
    const refusal = (code: string, field: string) => expect.objectContaining({ code, field });
    expect(await place({ product: await productGid(test.db.prisma, 'Svenska Direkt'), quantity: 1, reserveFor: [saga] })).toEqual(
      refusal('WRONG_DELIVERY_MODE', 'reserveFor'),
    );
    expect(await place({ product: engelska, quantity: 3, reserveFor: [saga, saga] })).toEqual(refusal('DUPLICATE_USER', 'reserveFor'));
    expect(await place({ product: engelska, quantity: 1, reserveFor: [saga, await user('sam.student@ekskolan.example')] })).toEqual(
      refusal('INVALID_INPUT', 'reserveFor'),
    );
    expect(await place({ product: engelska, quantity: 1, reserveFor: [await user('bjorn.student@bjorkskolan.example')] })).toEqual(
      refusal('USER_NOT_IN_SCHOOL', 'reserveFor'),
    );
    expect(await place({ product: engelska, quantity: 1, reserveFor: [await user('sara.admin@ekskolan.example')] })).toEqual(
      refusal('USER_NOT_IN_SCHOOL', 'reserveFor'),
    );
    const otherGroup = await test.db.prisma.group.create({
      data: {
        name: '9B',
        kind: 'CLASS',
        organisationId: (await test.db.prisma.school.findFirstOrThrow({ where: { name: 'Björkskolan' } })).organisationId,
        schoolId: (await test.db.prisma.school.findFirstOrThrow({ where: { name: 'Björkskolan' } })).id,
      },
    });
    const afterGroup = await countRows(test.db.prisma);
    expect(await place({ product: engelska, quantity: 1, reserveForGroup: gid('Group', otherGroup.id) })).toEqual(refusal('NOT_FOUND', 'reserveForGroup'));
    // Skolon's rule stays: no assignment in advance.
    expect(await place({ product: engelska, quantity: 1, preAssignTo: [saga] })).toEqual(refusal('PRE_ASSIGNMENT_NOT_ALLOWED', 'preAssignTo'));
    expect(afterGroup.groups).toBe(before.groups + 1);
    expect(await countRows(test.db.prisma)).toEqual(afterGroup);
  });
});
