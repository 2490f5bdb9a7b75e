// Who may do what: every mutation and every sensitive query, as every kind of caller, on the
// standard scenario. Denials never change anything and never show another organisation's data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, signUserToken } from '../auth/authenticate.ts';
import type { DemoData } from '../seed/demo.ts';
import { dataOf, TEST_AUTH, tokenFor, startStandardScenario, type TestApi } from '../testing/harness.ts';
import { gid, productGid, userGid } from '../testing/ids.ts';
import {
  ASSIGN_LICENSE,
  ASSIGN_LICENSES,
  CREATE_ACTIVATION_LINK,
  DELIVER_ORDER,
  MARK_NOTIFICATIONS_READ,
  PLACE_ORDER,
  REDEEM_ACTIVATION_LINK,
  REMOVE_MY_LICENSE,
  REVOKE_LICENSE,
} from '../testing/operations.ts';
import { outcomeOf } from '../testing/outcome.ts';
import { addMember } from '../testing/people.ts';
import { countRows, rowChanges } from '../testing/rows.ts';
import { organisationKeyOf } from '../testing/scenarios.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

const ROLES = [
  'anonymous',
  'student',
  'teacher',
  'schoolAdmin',
  'otherSchoolAdmin',
  'organisationAdmin',
  'otherOrganisationAdmin',
  'readWriteKey',
  'readOnlyKey',
  'supplier',
  'otherSupplier',
] as const;
type Role = (typeof ROLES)[number];

/**
 * `allowed` get `ok`; the rest what `others` says, or a top-level FORBIDDEN (`denied`). Mutations
 * refuse a signed-in caller with a typed payload error (FORBIDDEN, NOT_FOUND…), never `denied`.
 */
function expectations(allowed: Role[], others: Partial<Record<Role, string>> = {}): Record<Role, string> {
  return Object.fromEntries(
    ROLES.map((role) => [role, role === 'anonymous' ? 'unauthenticated' : allowed.includes(role) ? 'ok' : (others[role] ?? 'denied')]),
  ) as Record<Role, string>;
}

/** Anything that names the demo organisation Nordstad or its people: Oskar of Sjöstad must never see it. */
const NORDSTAD = /Nordstad|Ekskolan|Björkskolan|Sara|Saga|Olivia|Tove|Theo|Bo Skoladmin|ekskolan\.example|nordstad\.example/;

describe(`authorization on ${backend}`, () => {
  let test: TestApi;
  let demo: DemoData;
  const credentials = {} as Record<Role, string | null>;
  let ekskolan: string;
  let matematik: string;
  let sara: string;

  const as = (role: Role, query: string, variables?: Record<string, unknown>) => test.request(credentials[role], query, variables);
  const saraDoes = async (query: string, variables: Record<string, unknown>) => dataOf(await test.request(sara, query, variables));

  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario());
    const prisma = test.db.prisma;
    const nordstad = await prisma.organisation.findFirstOrThrow({ where: { name: 'Nordstad kommun' } });
    const readOnly = await createApiKey(prisma, test.clock, { name: 'Read-only LMS', kind: 'ORGANISATION_READ', organisationId: nordstad.id });
    Object.assign(credentials, {
      anonymous: null,
      student: demo.tokens.student,
      teacher: demo.tokens.teacher,
      schoolAdmin: demo.tokens.schoolAdmin,
      otherSchoolAdmin: await tokenFor(test, 'bo.admin@bjorkskolan.example'),
      organisationAdmin: demo.tokens.organisationAdmin,
      otherOrganisationAdmin: demo.tokens.otherOrganisationAdmin,
      readWriteKey: demo.keys.integration,
      readOnlyKey: readOnly.key,
      supplier: demo.keys.supplier,
      otherSupplier: demo.keys.activationSupplier,
    } satisfies Record<Role, string | null>);
    ekskolan = gid('School', demo.ids.ekskolan);
    matematik = gid('Product', demo.ids.matematik);
    sara = demo.tokens.schoolAdmin;
    // Plenty of new licenses, so every allowed assignment below succeeds.
    await saraDoes(PLACE_ORDER, { input: { school: ekskolan, product: matematik, quantity: 200 } });
  });
  afterAll(() => test.close());

  const freshStudent = () => addMember(test.db.prisma, demo.ids.ekskolan);
  const assignedLicense = async (user: string) => {
    const result = await saraDoes(ASSIGN_LICENSE, { input: { school: ekskolan, product: matematik, user, reuseStarted: false } });
    return result.assignLicense.license.id as string;
  };
  const placedOrder = async (productName: string) => {
    const result = await saraDoes(PLACE_ORDER, { input: { school: ekskolan, product: await productGid(test.db.prisma, productName), quantity: 2 } });
    return result.placeOrder.order.id as string;
  };
  const tovesLicense = async () => {
    const tove = await userGid(test.db.prisma, 'tove.teacher@ekskolan.example');
    const held = await test.db.prisma.license.findFirst({ where: { assignedUser: { email: 'tove.teacher@ekskolan.example' }, productId: demo.ids.matematik } });
    return held ? gid('License', held.id) : assignedLicense(tove);
  };

  // A signed-in caller a mutation is not for gets a typed payload error: FORBIDDEN where it may see
  // what the input names, NOT_FOUND where it may not (suppliers see no school).
  const notAdminOfIt = { student: 'FORBIDDEN', teacher: 'FORBIDDEN', readOnlyKey: 'FORBIDDEN', supplier: 'NOT_FOUND', otherSupplier: 'NOT_FOUND' };
  const notAUser = { readWriteKey: 'FORBIDDEN', readOnlyKey: 'FORBIDDEN', supplier: 'FORBIDDEN', otherSupplier: 'FORBIDDEN' };
  const notASupplier = {
    student: 'FORBIDDEN',
    teacher: 'FORBIDDEN',
    schoolAdmin: 'FORBIDDEN',
    otherSchoolAdmin: 'FORBIDDEN',
    organisationAdmin: 'FORBIDDEN',
    otherOrganisationAdmin: 'FORBIDDEN',
    readWriteKey: 'FORBIDDEN',
    readOnlyKey: 'FORBIDDEN',
  };

  const mutations: { field: string; query: string; prepare: () => Promise<Record<string, unknown>>; expected: Record<Role, string> }[] = [
    {
      field: 'assignLicense',
      query: ASSIGN_LICENSE,
      prepare: async () => ({ input: { school: ekskolan, product: matematik, user: await freshStudent(), reuseStarted: false } }),
      // Bo administers the other school of the organisation; Oskar another organisation.
      expected: expectations(['schoolAdmin', 'organisationAdmin', 'readWriteKey'], {
        ...notAdminOfIt,
        otherSchoolAdmin: 'NOT_FOUND',
        otherOrganisationAdmin: 'NOT_FOUND',
      }),
    },
    {
      field: 'assignLicenses',
      query: ASSIGN_LICENSES,
      prepare: async () => ({ input: { school: ekskolan, product: matematik, users: [await freshStudent()], reuseStarted: false } }),
      expected: expectations(['schoolAdmin', 'organisationAdmin', 'readWriteKey'], {
        ...notAdminOfIt,
        otherSchoolAdmin: 'NOT_FOUND',
        otherOrganisationAdmin: 'NOT_FOUND',
      }),
    },
    {
      field: 'revokeLicense',
      query: REVOKE_LICENSE,
      prepare: async () => ({ input: { license: await assignedLicense(await freshStudent()) } }),
      // Students and teachers do not see another student's license; the read-only key sees it, but may not change it.
      expected: expectations(['schoolAdmin', 'organisationAdmin', 'readWriteKey'], {
        ...notAdminOfIt,
        student: 'NOT_FOUND',
        teacher: 'NOT_FOUND',
        otherSchoolAdmin: 'NOT_FOUND',
        otherOrganisationAdmin: 'NOT_FOUND',
      }),
    },
    {
      field: 'removeMyLicense',
      query: REMOVE_MY_LICENSE,
      prepare: async () => ({ input: { license: await tovesLicense() } }),
      // Only Tove holds it: to everyone else it is a license they do not hold.
      expected: expectations(['teacher'], {
        ...notAUser,
        student: 'NOT_FOUND',
        schoolAdmin: 'NOT_FOUND',
        otherSchoolAdmin: 'NOT_FOUND',
        organisationAdmin: 'NOT_FOUND',
        otherOrganisationAdmin: 'NOT_FOUND',
      }),
    },
    {
      field: 'placeOrder',
      query: PLACE_ORDER,
      prepare: async () => ({ input: { school: ekskolan, product: await productGid(test.db.prisma, 'NO-boken'), quantity: 1 } }),
      expected: expectations(['schoolAdmin', 'organisationAdmin', 'readWriteKey'], {
        ...notAdminOfIt,
        otherSchoolAdmin: 'NOT_FOUND',
        otherOrganisationAdmin: 'NOT_FOUND',
      }),
    },
    {
      field: 'deliverOrder',
      query: DELIVER_ORDER,
      prepare: async () => ({ input: { order: await placedOrder('Engelska Plus') } }),
      // AppStudio does not supply Engelska Plus.
      expected: expectations(['supplier'], { ...notASupplier, otherSupplier: 'NOT_FOUND' }),
    },
    {
      field: 'createActivationLink',
      query: CREATE_ACTIVATION_LINK,
      prepare: async () => ({ input: { order: await placedOrder('Kemilabbet (app)') } }),
      expected: expectations(['otherSupplier'], { ...notASupplier, supplier: 'NOT_FOUND' }),
    },
    {
      field: 'redeemActivationLink',
      query: REDEEM_ACTIVATION_LINK,
      prepare: async () => {
        const order = await placedOrder('Kemilabbet (app)');
        const link = dataOf(await test.request(demo.keys.activationSupplier, CREATE_ACTIVATION_LINK, { input: { order } }));
        return { input: { token: link.createActivationLink.token } };
      },
      // A link for a school you do not administer is as unknown as a made-up one.
      expected: expectations(['schoolAdmin', 'organisationAdmin', 'readWriteKey'], {
        student: 'FORBIDDEN',
        teacher: 'FORBIDDEN',
        readOnlyKey: 'FORBIDDEN',
        supplier: 'ACTIVATION_LINK_INVALID',
        otherSupplier: 'ACTIVATION_LINK_INVALID',
        otherSchoolAdmin: 'ACTIVATION_LINK_INVALID',
        otherOrganisationAdmin: 'ACTIVATION_LINK_INVALID',
      }),
    },
    {
      field: 'markNotificationsRead',
      query: MARK_NOTIFICATIONS_READ,
      prepare: async () => ({}),
      expected: expectations(['student', 'teacher', 'schoolAdmin', 'otherSchoolAdmin', 'organisationAdmin', 'otherOrganisationAdmin'], notAUser),
    },
  ];

  describe.each(mutations)('mutation $field', ({ field, query, prepare, expected }) => {
    it.each(ROLES)('as %s', async (role) => {
      const variables = await prepare();
      const before = await countRows(test.db.prisma);
      const response = await as(role, query, variables);
      expect(outcomeOf(response, field), JSON.stringify(response)).toBe(expected[role]);
      if (expected[role] !== 'ok') expect(rowChanges(before, await countRows(test.db.prisma))).toEqual({});
      if (role === 'anonymous') expect(response.status).toBe(401);
      if (role === 'otherOrganisationAdmin') expect(JSON.stringify(response)).not.toMatch(NORDSTAD);
    });
  });

  describe('sensitive queries', () => {
    let targets: Record<'license' | 'order' | 'user' | 'assignment' | 'notification' | 'auditEvent' | 'organisation', string>;

    beforeAll(async () => {
      const prisma = test.db.prisma;
      const saga = await prisma.user.findFirstOrThrow({ where: { email: 'saga.student@ekskolan.example' } });
      const sagasLicense = await prisma.license.findFirstOrThrow({ where: { assignedUserId: saga.id, productId: demo.ids.matematik } });
      const assignment = await prisma.assignment.findFirstOrThrow({ where: { licenseId: sagasLicense.id, isActive: true } });
      const notification = await prisma.notification.findFirstOrThrow({ where: { user: { email: 'sara.admin@ekskolan.example' } } });
      const auditEvent = await prisma.auditEvent.findFirstOrThrow({ where: { schoolId: demo.ids.ekskolan } });
      targets = {
        license: gid('License', sagasLicense.id),
        order: gid('Order', demo.ids.awaitingOrder),
        user: gid('User', saga.id),
        assignment: gid('Assignment', assignment.id),
        notification: gid('Notification', notification.id),
        auditEvent: gid('AuditEvent', auditEvent.id),
        organisation: gid('Organisation', saga.organisationId),
      };
    });

    type Summary = (data: any) => unknown;
    const queries: {
      name: string;
      query: string;
      variables?: () => Record<string, unknown>;
      summary: Summary;
      expected: Partial<Record<Role, unknown>>;
      otherwise: unknown;
    }[] = [
      {
        name: 'school(id:)',
        query: 'query($id: ID!) { school(id: $id) { name } }',
        variables: () => ({ id: ekskolan }),
        summary: (data) => data.school?.name ?? null,
        expected: {
          student: 'Ekskolan',
          teacher: 'Ekskolan',
          schoolAdmin: 'Ekskolan',
          organisationAdmin: 'Ekskolan',
          readWriteKey: 'Ekskolan',
          readOnlyKey: 'Ekskolan',
        },
        otherwise: null,
      },
      {
        name: "a school's licenses and availability",
        query: 'query($id: ID!, $p: ID!) { school(id: $id) { product(id: $p) { licenses { totalCount } availability { assignable } } } }',
        variables: () => ({ id: ekskolan, p: matematik }),
        summary: (data) => (data.school === null ? null : data.school.product.licenses.totalCount > 0 && data.school.product.availability.assignable > 0),
        expected: { schoolAdmin: true, organisationAdmin: true, readWriteKey: true, readOnlyKey: true, student: 'denied', teacher: 'denied' },
        otherwise: null,
      },
      {
        name: "a school's members and orders",
        query: 'query($id: ID!) { school(id: $id) { members { totalCount } orders { totalCount } } }',
        variables: () => ({ id: ekskolan }),
        summary: (data) => (data.school === null ? null : data.school.members.totalCount > 0 && data.school.orders.totalCount > 0),
        // Students and teachers see their school, but not who else is in it nor what it bought.
        expected: { schoolAdmin: true, organisationAdmin: true, readWriteKey: true, readOnlyKey: true, student: false, teacher: false },
        otherwise: null,
      },
      {
        name: 'node(id:) of a student\u2019s license',
        query: 'query($id: ID!) { node(id: $id) { id ... on License { endDate holder { name } } } }',
        variables: () => ({ id: targets.license }),
        summary: (data) => data.node?.holder?.name ?? data.node,
        expected: { student: 'Saga Elev', schoolAdmin: 'Saga Elev', organisationAdmin: 'Saga Elev', readWriteKey: 'Saga Elev', readOnlyKey: 'Saga Elev' },
        otherwise: null,
      },
      {
        name: 'node(id:) of an order',
        query: 'query($id: ID!) { node(id: $id) { id ... on Order { quantity school { name } } } }',
        variables: () => ({ id: targets.order }),
        summary: (data) => data.node?.school.name ?? null,
        // The supplier of the order sees it, to deliver it.
        expected: { schoolAdmin: 'Ekskolan', organisationAdmin: 'Ekskolan', readWriteKey: 'Ekskolan', readOnlyKey: 'Ekskolan', supplier: 'Ekskolan' },
        otherwise: null,
      },
      {
        name: 'node(id:) of a student',
        query: 'query($id: ID!) { node(id: $id) { id ... on User { name email } } }',
        variables: () => ({ id: targets.user }),
        summary: (data) => data.node?.name ?? null,
        expected: { student: 'Saga Elev', schoolAdmin: 'Saga Elev', organisationAdmin: 'Saga Elev', readWriteKey: 'Saga Elev', readOnlyKey: 'Saga Elev' },
        otherwise: null,
      },
      {
        name: 'node(id:) of an assignment',
        query: 'query($id: ID!) { node(id: $id) { id ... on Assignment { user { name } } } }',
        variables: () => ({ id: targets.assignment }),
        summary: (data) => data.node?.user.name ?? null,
        expected: { student: 'Saga Elev', schoolAdmin: 'Saga Elev', organisationAdmin: 'Saga Elev', readWriteKey: 'Saga Elev', readOnlyKey: 'Saga Elev' },
        otherwise: null,
      },
      {
        name: 'node(id:) of a notification',
        query: 'query($id: ID!) { node(id: $id) { id ... on Notification { message } } }',
        variables: () => ({ id: targets.notification }),
        summary: (data) => (data.node ? 'seen' : null),
        expected: { schoolAdmin: 'seen' },
        otherwise: null,
      },
      {
        name: 'node(id:) of an audit event',
        query: 'query($id: ID!) { node(id: $id) { id ... on AuditEvent { action actor } } }',
        variables: () => ({ id: targets.auditEvent }),
        summary: (data) => (data.node ? 'seen' : null),
        expected: { schoolAdmin: 'seen', organisationAdmin: 'seen', readWriteKey: 'seen', readOnlyKey: 'seen' },
        otherwise: null,
      },
      {
        name: 'node(id:) of an organisation',
        query: 'query($id: ID!) { node(id: $id) { id ... on Organisation { name schools { totalCount } } } }',
        variables: () => ({ id: targets.organisation }),
        summary: (data) => data.node?.name ?? null,
        expected: {
          student: 'Nordstad kommun',
          teacher: 'Nordstad kommun',
          schoolAdmin: 'Nordstad kommun',
          otherSchoolAdmin: 'Nordstad kommun',
          organisationAdmin: 'Nordstad kommun',
          readWriteKey: 'Nordstad kommun',
          readOnlyKey: 'Nordstad kommun',
        },
        otherwise: null,
      },
      {
        name: 'nodes(ids:)',
        query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }',
        variables: () => ({ ids: [ekskolan, targets.license, targets.order, targets.user] }),
        summary: (data) => data.nodes.map((node: unknown) => (node ? 1 : 0)).join(''),
        expected: {
          student: '1101',
          teacher: '1000',
          schoolAdmin: '1111',
          organisationAdmin: '1111',
          readWriteKey: '1111',
          readOnlyKey: '1111',
          supplier: '0010',
        },
        otherwise: '0000',
      },
      {
        name: 'schools',
        query: '{ schools { totalCount edges { node { name } } } }',
        summary: (data) => `${data.schools.totalCount}:${data.schools.edges.map((e: any) => e.node.name).join(',')}`,
        expected: {
          student: '1:Ekskolan',
          teacher: '1:Ekskolan',
          schoolAdmin: '1:Ekskolan',
          otherSchoolAdmin: '1:Björkskolan',
          organisationAdmin: '2:Björkskolan,Ekskolan',
          readWriteKey: '2:Björkskolan,Ekskolan',
          readOnlyKey: '2:Björkskolan,Ekskolan',
          otherOrganisationAdmin: '1:Strandskolan',
        },
        otherwise: '0:',
      },
      {
        name: 'organisations',
        query: '{ organisations { edges { node { name } } } }',
        summary: (data) => data.organisations.edges.map((e: any) => e.node.name).join(','),
        expected: { otherOrganisationAdmin: 'Sjöstad kommun', supplier: '', otherSupplier: '' },
        otherwise: 'Nordstad kommun',
      },
      {
        name: 'auditEvents',
        query: 'query($school: ID) { auditEvents(school: $school) { totalCount edges { node { actor } } } }',
        variables: () => ({ school: ekskolan }),
        summary: (data) => (data.auditEvents.totalCount > 0 && data.auditEvents.edges.length > 0 ? 'some' : 'none'),
        expected: { schoolAdmin: 'some', organisationAdmin: 'some', readWriteKey: 'some', readOnlyKey: 'some' },
        otherwise: 'none',
      },
      {
        name: 'viewer',
        query: '{ viewer { kind name organisation { name } notifications { totalCount } } }',
        summary: (data) => data.viewer.kind,
        expected: { readWriteKey: 'INTEGRATION', readOnlyKey: 'INTEGRATION', supplier: 'SUPPLIER', otherSupplier: 'SUPPLIER' },
        otherwise: 'USER',
      },
    ];

    describe.each(queries)('$name', ({ query, variables, summary, expected, otherwise }) => {
      it.each(ROLES)('as %s', async (role) => {
        const response = await as(role, query, variables?.());
        if (role === 'anonymous') {
          expect(response.status).toBe(401);
          expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
          expect(Object.values(response.data ?? {}).every((value) => value === null)).toBe(true);
          return;
        }
        const wanted = role in expected ? expected[role] : otherwise;
        const got = response.errors?.length ? outcomeOf(response, '') : summary(response.data);
        expect(got, JSON.stringify(response)).toEqual(wanted);
        if (role === 'otherOrganisationAdmin') expect(JSON.stringify(response)).not.toMatch(NORDSTAD);
      });
    });
  });

  describe('what a role sees through the graph', () => {
    it("a student reaching their license's order sees no other student's license", async () => {
      // Signe's license came with an order pre-assigned to her and Sebastian; others hold its licenses too.
      const signe = await tokenFor(test, 'signe.student@ekskolan.example');
      const response = await test.request(
        signe,
        `{ viewer { user { licenses { license { order { preAssignedUsers { name } licenses { totalCount edges { node { holder { name } } } } } } } } } }`,
      );
      const [held] = dataOf(response).viewer.user.licenses;
      expect(held.license.order).toEqual({
        preAssignedUsers: [{ name: 'Signe Elev' }],
        licenses: { totalCount: 1, edges: [{ node: { holder: { name: 'Signe Elev' } } }] },
      });
    });

    it('a student who once held a license does not see who holds it now', async () => {
      // Sixten's Matematik license was revoked in the demo story; give it to a new student.
      const sixten = await test.db.prisma.user.findFirstOrThrow({ where: { email: 'sixten.student@ekskolan.example' } });
      const old = await test.db.prisma.assignment.findFirstOrThrow({ where: { userId: sixten.id, endReason: 'REVOKED_BY_ADMIN' } });
      const license = await test.db.prisma.license.findUniqueOrThrow({ where: { id: old.licenseId } });
      await saraDoes(ASSIGN_LICENSE, {
        input: { school: ekskolan, product: matematik, user: await freshStudent(), reuseStarted: true, endDate: license.endDate.toISOString().slice(0, 10) },
      });
      const response = await test.request(
        await tokenFor(test, 'sixten.student@ekskolan.example'),
        `query($id: ID!) { node(id: $id) { ... on License { holder { name } assignments { totalCount edges { node { user { name } } } } } } }`,
        { id: gid('License', license.id) },
      );
      // The other license of that end date may have been the one reused: only look at Sixten's view.
      const node = dataOf(response).node;
      if (node.holder) throw new Error(`Sixten sees the holder ${node.holder.name}`);
      expect(node.assignments.edges.map((e: any) => e.node.user.name)).toEqual(['Sixten Elev']);
    });

    it('a supplier sees the licenses it delivered, but not the students who hold them', async () => {
      const engelska = await productGid(test.db.prisma, 'Engelska Plus');
      const delivered = await test.db.prisma.order.findFirstOrThrow({ where: { product: { name: 'Engelska Plus' }, status: 'DELIVERED' } });
      await saraDoes(ASSIGN_LICENSE, {
        input: { school: ekskolan, product: engelska, user: await userGid(test.db.prisma, 'stina.student@ekskolan.example'), reuseStarted: false },
      });
      const response = await as(
        'supplier',
        `query($id: ID!) { node(id: $id) { ... on Order { licenses { totalCount edges { node { holder { name } assignments { totalCount edges { node { user { name email } } } } } } } } } }`,
        { id: gid('Order', delivered.id) },
      );
      const licenses = dataOf(response).node.licenses;
      expect(licenses.totalCount).toBe(8);
      expect(licenses.edges.every((e: any) => e.node.holder === null && e.node.assignments.totalCount === 0)).toBe(true);
      // Tove holds one of the order's licenses since the demo story: she stays as unseen as Stina.
      expect(JSON.stringify(response)).not.toMatch(/Stina|stina|Tove|tove/);
    });
  });

  describe('what a supplier sees of the school of its order', () => {
    const SCHOOL_OF_ORDER = (fields: string) => `query($id: ID!) { node(id: $id) { ... on Order { school { ${fields} } } } }`;
    const SCHOOL_OF_LICENSE = (fields: string) =>
      `query($id: ID!) { node(id: $id) { ... on Order { licenses(first: 1) { edges { node { school { ${fields} } } } } } } }`;
    const CLASSES = 'groups { edges { node { name externalId schoolYear } } }';
    let order: string;
    beforeAll(async () => {
      const engelska = await test.db.prisma.order.findFirstOrThrow({ where: { product: { name: 'Engelska Plus' }, status: 'DELIVERED' } });
      order = gid('Order', engelska.id);
      await test.db.prisma.school.update({ where: { id: demo.ids.ekskolan }, data: { externalId: 'sis-ekskolan' } });
    });
    afterAll(() => test.db.prisma.school.update({ where: { id: demo.ids.ekskolan }, data: { externalId: null } }));

    it('its name and school unit code, to deliver; its other columns are null', async () => {
      const fields = 'id name schoolUnitCode externalId endedAt';
      const response = await as('supplier', SCHOOL_OF_ORDER(fields), { id: order });
      expect(response.errors).toBeUndefined();
      expect(response.data.node.school).toEqual({ id: ekskolan, name: 'Ekskolan', schoolUnitCode: '20000001', externalId: null, endedAt: null });
      // The school's own administrators read it all.
      expect(dataOf(await as('organisationAdmin', SCHOOL_OF_ORDER(fields), { id: order })).node.school).toMatchObject({ externalId: 'sis-ekskolan' });
    });

    it.each([
      ['its classes', CLASSES],
      ['its members', 'members { edges { node { user { name } } } }'],
      ['its organisation', 'organisation { name graduateLicensePolicy }'],
      ['its products', 'products { product { name } }'],
    ])('not %s, through the order or one of its licenses', async (_what, fields) => {
      for (const query of [SCHOOL_OF_ORDER(fields), SCHOOL_OF_LICENSE(fields)]) {
        const response = await as('supplier', query, { id: order });
        expect(response.errors?.[0]?.extensions?.code, JSON.stringify(response)).toBe('FORBIDDEN');
        expect(JSON.stringify(response)).not.toMatch(/7A|demo-7a|Saga|Sara|Nordstad/);
      }
    });

    it("while the school's administrators still see its classes through the order", async () => {
      const school = dataOf(await as('schoolAdmin', SCHOOL_OF_ORDER(`schoolUnitCode ${CLASSES}`), { id: order })).node.school;
      expect(school.groups.edges.map((edge: any) => edge.node)).toContainEqual({ name: '7A', externalId: 'demo-7a', schoolYear: 7 });
    });
  });

  describe('credentials that are not valid', () => {
    const cases: [string, () => Promise<string>][] = [
      ['a token that is not a JWT', async () => 'not-a-jwt'],
      [
        'an expired JWT',
        async () => {
          const user = await test.db.prisma.user.findFirstOrThrow({ where: { email: 'sara.admin@ekskolan.example' } });
          return signUserToken(TEST_AUTH, user.id, { now: new Date(test.clock.now().getTime() - 60 * 86_400_000), expiresInSeconds: 86_400 });
        },
      ],
      [
        'a JWT signed with another secret',
        async () => {
          const user = await test.db.prisma.user.findFirstOrThrow({ where: { email: 'sara.admin@ekskolan.example' } });
          return signUserToken({ jwtSecret: 'another-secret-that-is-long-enough-9876543210' }, user.id, { now: test.clock.now() });
        },
      ],
      ['a JWT for a user who does not exist', async () => signUserToken(TEST_AUTH, '00000000-0000-4000-8000-000000000000', { now: test.clock.now() })],
      ['an unknown API key', async () => 'slk_this_key_was_never_issued'],
      ['a JWT whose subject is not a UUID', async () => signUserToken(TEST_AUTH, '-'.repeat(36), { now: test.clock.now() })],
    ];

    it.each(cases)('%s answers 401 UNAUTHENTICATED, for queries and mutations alike', async (_name, token) => {
      const before = await countRows(test.db.prisma);
      for (const [query, variables] of [
        ['{ viewer { name } }', {}],
        [PLACE_ORDER, { input: { school: ekskolan, product: matematik, quantity: 1 } }],
      ] as const) {
        const response = await test.request(await token(), query, variables);
        expect(response.status).toBe(401);
        expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
        expect(response.data ?? null).toBeNull();
      }
      expect(rowChanges(before, await countRows(test.db.prisma))).toEqual({});
    });

    it('a JWT whose subject is not a UUID names no known user', async () => {
      for (const subject of ['-'.repeat(36), 'ffffffff-ffff-ffff-ffff-fffffffffff-', '0190a5f20000700080000000000000000001']) {
        const response = await test.request(await signUserToken(TEST_AUTH, subject, { now: test.clock.now() }), '{ viewer { name } }');
        expect(response.status, subject).toBe(401);
        expect(response.errors?.[0]?.message, subject).toBe('The token names no known user.');
      }
    });

    it('a malformed Authorization header answers 401', async () => {
      const response = await test.api.fetch('http://api.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Basic c2FyYTpzZWNyZXQ=' },
        body: JSON.stringify({ query: '{ viewer { name } }' }),
      });
      expect(response.status).toBe(401);
      expect((await response.json()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    });

    it('a JWT accepted before answers 401 once it expires, and when its user has left', async () => {
      const start = test.clock.now();
      const user = await test.db.prisma.user.findFirstOrThrow({ where: { email: 'sara.admin@ekskolan.example' } });
      const token = await signUserToken(TEST_AUTH, user.id, { now: start, expiresInSeconds: 60 });
      try {
        expect((await test.request(token, '{ viewer { name } }')).status).toBe(200);
        test.clock.set(new Date(start.getTime() + 60_000));
        const expired = await test.request(token, '{ viewer { name } }');
        expect(expired.status).toBe(401);
        expect(expired.errors?.[0]?.message).toBe('The token has expired.');
        test.clock.set(start);
        expect((await test.request(token, '{ viewer { name } }')).status).toBe(200);
        // A remembered token is the user's claim only: their row is read at every request.
        await test.db.prisma.user.update({ where: { id: user.id }, data: { endedAt: start } });
        expect((await test.request(token, '{ viewer { name } }')).status).toBe(401);
      } finally {
        test.clock.set(start);
        await test.db.prisma.user.update({ where: { id: user.id }, data: { endedAt: null } });
      }
    });

    it("a token's remembered user is confirmed in every request: a change of role or a departure counts at once", async () => {
      const start = test.clock.now();
      const user = await test.db.prisma.user.findFirstOrThrow({ where: { email: 'sara.admin@ekskolan.example' } });
      const membership = { userId_schoolId: { userId: user.id, schoolId: demo.ids.ekskolan } };
      let signed = 0;
      // A token never seen is read before its request: the reference a remembered token must answer as.
      const freshToken = () => signUserToken(TEST_AUTH, user.id, { now: start, expiresInSeconds: 600 + ++signed });
      const token = await freshToken();
      // One query confirms the user in its own statement (availability), one after its execution.
      const reads: [string, Record<string, unknown>][] = [
        [
          `query ($school: ID!, $product: ID!) { schoolProduct(school: $school, product: $product) { availability { assignable } } }`,
          { school: ekskolan, product: matematik },
        ],
        [`query ($school: ID!) { school(id: $school) { name products { product { name } availability { assignable } } } }`, { school: ekskolan }],
      ];
      const expectAsFresh = async () => {
        const reference = await freshToken();
        for (const [query, variables] of reads) {
          const expected = await test.request(reference, query, variables);
          // Twice: the first may read the user before; the second has them remembered.
          for (let i = 0; i < 2; i++) expect(await test.request(token, query, variables), query).toEqual(expected);
        }
      };
      try {
        await expectAsFresh();
        expect(dataOf(await test.request(token, ...reads[0]!)).schoolProduct.availability.assignable).toBeGreaterThan(0);
        await test.db.prisma.schoolMembership.update({ where: membership, data: { role: 'TEACHER' } });
        await expectAsFresh();
        expect(dataOf(await test.request(token, ...reads[0]!)).schoolProduct).toBeNull();
        await test.db.prisma.schoolMembership.update({ where: membership, data: { role: 'SCHOOL_ADMIN' } });
        await expectAsFresh();
        expect(dataOf(await test.request(token, ...reads[0]!)).schoolProduct.availability.assignable).toBeGreaterThan(0);
        await test.db.prisma.user.update({ where: { id: user.id }, data: { endedAt: start } });
        const before = await countRows(test.db.prisma);
        for (const [query, variables] of [...reads, [PLACE_ORDER, { input: { school: ekskolan, product: matematik, quantity: 1 } }] as const]) {
          const refused = await test.request(token, query, variables);
          expect(refused.status, query).toBe(401);
          expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
          expect(refused.data ?? null).toBeNull();
        }
        expect(rowChanges(before, await countRows(test.db.prisma))).toEqual({});
      } finally {
        await test.db.prisma.user.update({ where: { id: user.id }, data: { endedAt: null } });
        await test.db.prisma.schoolMembership.update({ where: membership, data: { role: 'SCHOOL_ADMIN' } });
      }
    });

    it("an API key's remembered actor is confirmed in every request: a key made read-only or revoked counts at once", async () => {
      const { key, id } = await organisationKeyOf(test.db.prisma, test.clock, demo.ids.ekskolan, 'Launch LMS', 'ORGANISATION_READ_WRITE');
      const saga = await userGid(test.db.prisma, 'saga.student@ekskolan.example');
      // The entitlement check and availability confirm the key in their own statement; the school's products after execution.
      const reads: [string, Record<string, unknown>][] = [
        [`query ($user: ID!, $product: ID!) { entitlement(user: $user, product: $product) { holds } }`, { user: saga, product: matematik }],
        [
          `query ($school: ID!, $product: ID!) { schoolProduct(school: $school, product: $product) { availability { assignable } } }`,
          { school: ekskolan, product: matematik },
        ],
        [`query ($school: ID!) { school(id: $school) { name products { product { name } } } }`, { school: ekskolan }],
      ];
      const first = await Promise.all(reads.map(([query, variables]) => test.request(key, query, variables)));
      expect(dataOf(first[0]!).entitlement).toEqual({ holds: true });
      // Remembered now: the same answers, and a read-only key is the same to a read.
      await test.db.prisma.apiCredential.update({ where: { id }, data: { kind: 'ORGANISATION_READ' } });
      for (const [index, [query, variables]] of reads.entries()) expect(await test.request(key, query, variables), query).toEqual(first[index]);
      const before = await countRows(test.db.prisma);
      const order = await test.request(key, PLACE_ORDER, { input: { school: ekskolan, product: matematik, quantity: 1 } });
      expect(dataOf(order).placeOrder).toMatchObject({ code: 'FORBIDDEN' });
      await test.db.prisma.apiCredential.update({ where: { id }, data: { revokedAt: test.clock.now() } });
      for (const [query, variables] of [...reads, [PLACE_ORDER, { input: { school: ekskolan, product: matematik, quantity: 1 } }] as const]) {
        const refused = await test.request(key, query, variables);
        expect(refused.status, query).toBe(401);
        expect(refused.errors?.[0]).toMatchObject({ message: 'Unknown or revoked API key.', extensions: { code: 'UNAUTHENTICATED' } });
        expect(refused.data ?? null).toBeNull();
      }
      expect(rowChanges(before, await countRows(test.db.prisma))).toEqual({});
    });

    it('a revoked API key answers 401', async () => {
      const nordstad = await test.db.prisma.organisation.findFirstOrThrow({ where: { name: 'Nordstad kommun' } });
      const { key, id } = await createApiKey(test.db.prisma, test.clock, { name: 'Old LMS', kind: 'ORGANISATION_READ_WRITE', organisationId: nordstad.id });
      expect((await test.request(key, '{ viewer { name } }')).status).toBe(200);
      await test.db.prisma.apiCredential.update({ where: { id }, data: { revokedAt: test.clock.now() } });
      const response = await test.request(key, '{ viewer { name } }');
      expect(response.status).toBe(401);
      expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });
  });
});
