// An organisation's roster through the GraphQL API on a real database: schools, users, school
// memberships, groups and group memberships, who may write them, and what leaving a school does
// to a student's licenses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../auth/authenticate.ts';
import { systemActor } from '../domain/actor.ts';
import { formatDay } from '../domain/days.ts';
import { setSchoolMembership, upsertGroupByExternalId, upsertSchoolByExternalId, upsertUserByExternalId } from '../domain/roster.ts';
import { inTransaction } from '../domain/transaction.ts';
import type { DemoData } from '../seed/demo.ts';
import { dataOf, startStandardScenario, tokenFor, type TestApi } from '../testing/harness.ts';
import { gid, rawId } from '../testing/ids.ts';
import { checkInvariants } from '../testing/invariants.ts';
import {
  ASSIGN_LICENSE,
  CREATE_GROUP,
  CREATE_SCHOOL,
  CREATE_USER,
  END_GROUP,
  END_SCHOOL,
  END_SCHOOL_MEMBERSHIP,
  END_USER,
  SET_GROUP_MEMBERSHIP,
  SET_SCHOOL_MEMBERSHIP,
  UPDATE_GROUP,
  UPDATE_SCHOOL,
  UPDATE_USER,
} from '../testing/operations.ts';
import { outcomeOf } from '../testing/outcome.ts';
import { countRows, rowChanges } from '../testing/rows.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';
const SJOSTAD_KEY = 'slk_test_sjostad_read_write';

describe(`the roster on ${backend}`, () => {
  let test: TestApi;
  let demo: DemoData;
  let ekskolan: string;
  let strandskolan: string;
  let tokens: Record<'olivia' | 'sara' | 'bo' | 'tove' | 'saga' | 'oskar' | 'lms' | 'sjostadLms' | 'supplier', string>;
  const rows = () => countRows(test.db.prisma);
  // Sjöstad gets a user with a Nordstad address below: look users up in Nordstad.
  const user = async (email: string) =>
    gid('User', (await test.db.prisma.user.findFirstOrThrow({ where: { email, organisation: { name: 'Nordstad kommun' } } })).id);
  const send = async (token: string, query: string, input: Record<string, unknown>) => {
    const response = await test.request(token, query, { input });
    const field = Object.keys(response.data ?? {})[0] ?? '';
    return { outcome: outcomeOf(response, field), value: response.data?.[field], response };
  };

  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario());
    const prisma = test.db.prisma;
    ekskolan = gid('School', demo.ids.ekskolan);
    const strand = await prisma.school.findFirstOrThrow({ where: { name: 'Strandskolan' } });
    strandskolan = gid('School', strand.id);
    // A read-write integration of the other organisation.
    await prisma.apiCredential.create({
      data: {
        name: 'Sjöstad LMS',
        kind: 'ORGANISATION_READ_WRITE',
        keyHash: hashApiKey(SJOSTAD_KEY),
        organisationId: strand.organisationId,
        createdAt: test.clock.now(),
      },
    });
    tokens = {
      olivia: demo.tokens.organisationAdmin,
      sara: demo.tokens.schoolAdmin,
      bo: await tokenFor(test, 'bo.admin@bjorkskolan.example'),
      tove: demo.tokens.teacher,
      saga: demo.tokens.student,
      oskar: demo.tokens.otherOrganisationAdmin,
      lms: demo.keys.integration,
      sjostadLms: SJOSTAD_KEY,
      supplier: demo.keys.supplier,
    };
  });
  afterAll(() => test.close());

  describe('schools', () => {
    it('an organisation administrator creates a school with its codes, found by its school unit code', async () => {
      const before = await rows();
      const { value } = await send(tokens.olivia, CREATE_SCHOOL, { name: ' Granskolan ', schoolUnitCode: '12345678', externalId: 'sis-gran' });
      expect(value).toMatchObject({
        __typename: 'SchoolPayload',
        change: 'CREATED',
        school: { name: 'Granskolan', schoolUnitCode: '12345678', externalId: 'sis-gran', endedAt: null },
      });
      expect(rowChanges(before, await rows())).toEqual({ schools: 1, auditEvents: 1 });
      const found = dataOf(await test.request(tokens.olivia, 'query($code: String!) { schoolByCode(code: $code) { id name } }', { code: '12345678' }));
      expect(found.schoolByCode).toEqual({ id: value.school.id, name: 'Granskolan' });
      // Another organisation does not find it.
      const elsewhere = dataOf(await test.request(tokens.oskar, 'query($code: String!) { schoolByCode(code: $code) { id } }', { code: '12345678' }));
      expect(elsewhere.schoolByCode).toBeNull();
    });

    it('replays a create with the same idempotency key instead of creating twice', async () => {
      const input = { name: 'Lindskolan', idempotencyKey: 'create-lindskolan' };
      const first = await send(tokens.lms, CREATE_SCHOOL, input);
      const before = await rows();
      const again = await send(tokens.lms, CREATE_SCHOOL, input);
      expect(again.value.school.id).toBe(first.value.school.id);
      expect(rowChanges(before, await rows())).toEqual({});
    });

    it('refuses a taken code (ALREADY_EXISTS) or a malformed one (INVALID_INPUT), writing nothing', async () => {
      const before = await rows();
      expect((await send(tokens.olivia, CREATE_SCHOOL, { name: 'Kopia', schoolUnitCode: '12345678' })).value).toMatchObject({
        code: 'ALREADY_EXISTS',
        field: 'schoolUnitCode',
      });
      expect((await send(tokens.olivia, CREATE_SCHOOL, { name: 'Kopia', externalId: 'sis-gran' })).value).toMatchObject({
        code: 'ALREADY_EXISTS',
        field: 'externalId',
      });
      expect((await send(tokens.olivia, CREATE_SCHOOL, { name: 'Kopia', schoolUnitCode: '1234' })).value).toMatchObject({
        code: 'INVALID_INPUT',
        field: 'schoolUnitCode',
      });
      expect((await send(tokens.olivia, CREATE_SCHOOL, { name: '  ' })).value).toMatchObject({ code: 'INVALID_INPUT', field: 'name' });
      expect(rowChanges(before, await rows())).toEqual({});
    });

    it('the same school unit code may exist in another organisation', async () => {
      const { value } = await send(tokens.sjostadLms, CREATE_SCHOOL, { name: 'Sjöskolan', schoolUnitCode: '12345678' });
      expect(value).toMatchObject({ change: 'CREATED', school: { schoolUnitCode: '12345678' } });
    });

    it.each([
      ['a school administrator', 'sara', 'FORBIDDEN'],
      ['a teacher', 'tove', 'FORBIDDEN'],
      ['a supplier', 'supplier', 'FORBIDDEN'],
    ] as const)('%s may not create a school', async (_who, token, outcome) => {
      expect((await send(tokens[token], CREATE_SCHOOL, { name: 'Otillåten' })).outcome).toBe(outcome);
    });

    it.each([
      ['its school administrator', 'sara', 'ok'],
      ['the read-write integration', 'lms', 'ok'],
      ['the administrator of another school', 'bo', 'NOT_FOUND'],
      ["another organisation's administrator", 'oskar', 'NOT_FOUND'],
      ["another organisation's integration", 'sjostadLms', 'NOT_FOUND'],
    ] as const)('%s renaming Ekskolan: %s', async (_who, token, outcome) => {
      const before = await test.db.prisma.school.findUniqueOrThrow({ where: { id: demo.ids.ekskolan } });
      const result = await send(tokens[token], UPDATE_SCHOOL, { school: ekskolan, name: `Ekskolan (${token})`, schoolUnitCode: '87654321' });
      expect(result.outcome).toBe(outcome);
      const after = await test.db.prisma.school.findUniqueOrThrow({ where: { id: demo.ids.ekskolan } });
      if (outcome === 'ok') expect(after.name).toBe(`Ekskolan (${token})`);
      else expect(after).toEqual(before);
    });

    it('an update that changes nothing writes nothing', async () => {
      const school = await test.db.prisma.school.findUniqueOrThrow({ where: { id: demo.ids.ekskolan } });
      const before = await rows();
      const { value } = await send(tokens.sara, UPDATE_SCHOOL, { school: ekskolan, name: school.name });
      expect(value.change).toBe('UNCHANGED');
      expect(rowChanges(before, await rows())).toEqual({});
    });
  });

  describe('users', () => {
    it('a school administrator creates a student into their school, not into none', async () => {
      const { value } = await send(tokens.sara, CREATE_USER, {
        name: 'Nils Elev',
        email: 'Nils.Elev@Ekskolan.example',
        externalId: 'p-nils',
        school: ekskolan,
        role: 'STUDENT',
      });
      expect(value).toMatchObject({
        change: 'CREATED',
        user: { name: 'Nils Elev', email: 'nils.elev@ekskolan.example', externalId: 'p-nils', memberships: [{ role: 'STUDENT', school: { id: ekskolan } }] },
      });
      expect((await send(tokens.sara, CREATE_USER, { name: 'Ingen Skola', email: 'ingen@ekskolan.example' })).value).toMatchObject({
        code: 'FORBIDDEN',
        field: 'school',
      });
      expect((await send(tokens.olivia, CREATE_USER, { name: 'Ingen Skola', email: 'ingen@ekskolan.example', role: 'TEACHER' })).value).toMatchObject({
        code: 'INVALID_INPUT',
        field: 'role',
      });
      expect((await send(tokens.bo, CREATE_USER, { name: 'Fel Skola', email: 'fel@ekskolan.example', school: ekskolan })).value).toMatchObject({
        code: 'NOT_FOUND',
        field: 'school',
      });
      expect((await send(tokens.oskar, CREATE_USER, { name: 'Fel Kommun', email: 'fel@sjostad.example', school: ekskolan })).value).toMatchObject({
        code: 'NOT_FOUND',
        field: 'school',
      });
    });

    it('e-mail addresses are unique within an organisation, not across organisations', async () => {
      const before = await rows();
      expect((await send(tokens.olivia, CREATE_USER, { name: 'Dubblett', email: 'saga.student@ekskolan.example' })).value).toMatchObject({
        code: 'ALREADY_EXISTS',
        field: 'email',
      });
      expect((await send(tokens.olivia, CREATE_USER, { name: 'Dubblett', email: 'x@y.example', externalId: 'p-nils' })).value).toMatchObject({
        code: 'ALREADY_EXISTS',
        field: 'externalId',
      });
      expect((await send(tokens.olivia, CREATE_USER, { name: 'Dubblett', email: 'not-an-address' })).value).toMatchObject({
        code: 'INVALID_INPUT',
        field: 'email',
      });
      expect(rowChanges(before, await rows())).toEqual({});
      const other = await send(tokens.oskar, CREATE_USER, { name: 'Saga i Sjöstad', email: 'saga.student@ekskolan.example', school: strandskolan });
      expect(other.value).toMatchObject({ change: 'CREATED', user: { email: 'saga.student@ekskolan.example' } });
    });

    it('finds users by external id and by name or e-mail, within the organisation only', async () => {
      const byId = dataOf(await test.request(tokens.lms, 'query { userByExternalId(externalId: "p-nils") { name } }'));
      expect(byId.userByExternalId).toEqual({ name: 'Nils Elev' });
      const elsewhere = dataOf(await test.request(tokens.sjostadLms, 'query { userByExternalId(externalId: "p-nils") { name } }'));
      expect(elsewhere.userByExternalId).toBeNull();

      const search = (token: string, text: string) =>
        test.request(token, 'query($s: String) { users(search: $s, first: 50) { totalCount edges { node { name } } } }', { s: text });
      const byName = dataOf(await search(tokens.olivia, 'SAGA'));
      expect(byName.users.edges.map((e: any) => e.node.name)).toEqual(['Saga Elev']);
      const byEmail = dataOf(await search(tokens.olivia, '@bjorkskolan'));
      expect(byEmail.users.edges.map((e: any) => e.node.name).sort()).toEqual(['Björn Elev', 'Bo Skoladmin']);
      // Sjöstad's Saga has the same address; each organisation sees its own.
      expect(dataOf(await search(tokens.oskar, 'saga')).users.edges.map((e: any) => e.node.name)).toEqual(['Saga i Sjöstad']);
      // A school administrator searches their school's members only.
      expect(dataOf(await search(tokens.bo, 'elev')).users.edges.map((e: any) => e.node.name)).toEqual(['Björn Elev']);
    });

    it.each([
      ["the student's school administrator", 'sara', 'ok'],
      ['the organisation administrator', 'olivia', 'ok'],
      ['the administrator of another school', 'bo', 'NOT_FOUND'],
      ["another organisation's administrator", 'oskar', 'NOT_FOUND'],
      ["another organisation's integration", 'sjostadLms', 'NOT_FOUND'],
    ] as const)('%s renaming a student: %s', async (_who, token, outcome) => {
      const nils = await user('nils.elev@ekskolan.example');
      expect((await send(tokens[token], UPDATE_USER, { user: nils, name: `Nils (${token})` })).outcome).toBe(outcome);
    });

    it('a school administrator may not edit an organisation administrator', async () => {
      const olivia = await user('olivia.admin@nordstad.example');
      await send(tokens.olivia, SET_SCHOOL_MEMBERSHIP, { school: ekskolan, user: olivia, role: 'TEACHER' });
      expect((await send(tokens.sara, UPDATE_USER, { user: olivia, name: 'Olivia' })).value).toMatchObject({ code: 'FORBIDDEN', field: 'user' });
    });
  });

  describe('leaving a school', () => {
    /** The end date of the Matematik license Saga gives back by leaving. */
    let sagasEndDate: Date;

    it("revokes the leaver's licenses there in the same write: started licenses keep their end dates and become reusable", async () => {
      const prisma = test.db.prisma;
      const saga = await prisma.user.findFirstOrThrow({ where: { email: 'saga.student@ekskolan.example', organisation: { name: 'Nordstad kommun' } } });
      const held = await prisma.license.findMany({ where: { assignedUserId: saga.id, schoolId: demo.ids.ekskolan } });
      expect(held.length).toBeGreaterThan(0);
      sagasEndDate = held.find((license) => license.productId === demo.ids.matematik)!.endDate;
      const before = await rows();

      const { value } = await send(tokens.sara, END_SCHOOL_MEMBERSHIP, { school: ekskolan, user: gid('User', saga.id) });
      expect(value).toMatchObject({ change: 'ENDED', membership: { role: 'STUDENT', endedAt: test.clock.now().toISOString() } });

      for (const license of held) {
        const after = await prisma.license.findUniqueOrThrow({ where: { id: license.id } });
        expect(after).toEqual({ ...license, assignedUserId: null });
      }
      const ended = await prisma.assignment.findMany({ where: { userId: saga.id, endedAt: test.clock.now() } });
      expect(ended.map((a) => a.endReason)).toEqual(held.map(() => 'LEFT_SCHOOL'));
      const audits = await prisma.auditEvent.groupBy({ by: ['action'], where: { userId: saga.id, createdAt: test.clock.now() }, _count: true });
      // She leaves the demo's class 7A too.
      expect(Object.fromEntries(audits.map((a) => [a.action, a._count]))).toEqual({
        LICENSE_REVOKED_LEFT_SCHOOL: held.length,
        SCHOOL_MEMBERSHIP_ENDED: 1,
        GROUP_MEMBERSHIP_ENDED: 1,
      });
      expect(await prisma.groupMembership.count({ where: { userId: saga.id, endedAt: null } })).toBe(0);
      // Integrations learn of each license taken back, from the feed and their webhooks.
      const revokedEvents = await prisma.event.findMany({ where: { userId: saga.id, kind: 'license.revoked', createdAt: test.clock.now() } });
      expect(revokedEvents.map((event) => event.licenseId).sort()).toEqual(held.map((license) => license.id).sort());
      const rosterEvents = await prisma.event.findMany({ where: { userId: saga.id, createdAt: test.clock.now(), kind: { not: 'license.revoked' } } });
      expect(rosterEvents.map((event) => event.kind).sort()).toEqual(['group_membership.ended', 'school_membership.ended']);
      expect(rowChanges(before, await rows())).toEqual({ assignedLicenses: -held.length, auditEvents: held.length + 2 });
      expect(await checkInvariants(prisma)).toEqual({});
    });

    it('keeps the leaver out: no new license (USER_NOT_IN_SCHOOL), no role at the school, and ending again changes nothing', async () => {
      const saga = await user('saga.student@ekskolan.example');
      const assign = await send(tokens.sara, ASSIGN_LICENSE, {
        school: ekskolan,
        product: gid('Product', demo.ids.matematik),
        user: saga,
        reuseStarted: false,
      });
      expect(assign.value).toMatchObject({ code: 'USER_NOT_IN_SCHOOL' });
      const viewer = dataOf(await test.request(tokens.saga, '{ viewer { user { memberships { role } } } }'));
      expect(viewer.viewer.user.memberships).toEqual([]);
      const before = await rows();
      expect((await send(tokens.sara, END_SCHOOL_MEMBERSHIP, { school: ekskolan, user: saga })).value.change).toBe('UNCHANGED');
      expect(rowChanges(before, await rows())).toEqual({});
      // The school's member list leaves her out, unless asked for those who left.
      const members = (includeEnded: boolean) =>
        test.request(
          tokens.sara,
          'query($s: ID!, $e: Boolean) { school(id: $s) { members(first: 100, includeEnded: $e) { edges { node { user { id } endedAt } } } } }',
          { s: ekskolan, e: includeEnded },
        );
      expect(dataOf(await members(false)).school.members.edges.some((e: any) => e.node.user.id === saga)).toBe(false);
      expect(dataOf(await members(true)).school.members.edges.find((e: any) => e.node.user.id === saga).node.endedAt).not.toBeNull();
    });

    it('coming back starts the membership again, and licenses can be assigned again', async () => {
      const saga = await user('saga.student@ekskolan.example');
      test.clock.advanceDays(1);
      const { value } = await send(tokens.sara, SET_SCHOOL_MEMBERSHIP, { school: ekskolan, user: saga, role: 'STUDENT' });
      expect(value).toMatchObject({ change: 'UPDATED', membership: { startedAt: test.clock.now().toISOString(), endedAt: null } });
      const assign = await send(tokens.sara, ASSIGN_LICENSE, {
        school: ekskolan,
        product: gid('Product', demo.ids.matematik),
        user: saga,
        reuseStarted: true,
        endDate: formatDay(sagasEndDate),
      });
      expect(assign.value).toMatchObject({ __typename: 'AssignLicensePayload', license: { endDate: formatDay(sagasEndDate) } });
    });

    it('nobody ends a membership in another organisation or another school', async () => {
      const selma = await user('selma.student@ekskolan.example');
      for (const token of [tokens.bo, tokens.oskar, tokens.sjostadLms]) {
        expect((await send(token, END_SCHOOL_MEMBERSHIP, { school: ekskolan, user: selma })).value).toMatchObject({ code: 'NOT_FOUND', field: 'school' });
      }
      expect((await send(tokens.oskar, SET_SCHOOL_MEMBERSHIP, { school: strandskolan, user: selma, role: 'STUDENT' })).value).toMatchObject({
        code: 'NOT_FOUND',
        field: 'user',
      });
    });

    it('a user who leaves the organisation loses every membership and license, and can no longer sign in', async () => {
      const prisma = test.db.prisma;
      const sixten = await prisma.user.findFirstOrThrow({ where: { email: 'sixten.student@ekskolan.example' } });
      const token = await tokenFor(test, 'sixten.student@ekskolan.example');
      expect((await send(tokens.sara, END_USER, { user: gid('User', sixten.id) })).value).toMatchObject({ code: 'FORBIDDEN' });
      const { value } = await send(tokens.olivia, END_USER, { user: gid('User', sixten.id) });
      expect(value).toMatchObject({ change: 'ENDED', user: { endedAt: test.clock.now().toISOString() } });
      expect(await prisma.schoolMembership.count({ where: { userId: sixten.id, endedAt: null } })).toBe(0);
      expect(await prisma.license.count({ where: { assignedUserId: sixten.id } })).toBe(0);
      expect(outcomeOf(await test.request(token, '{ viewer { user { name } } }'), 'viewer')).toBe('unauthenticated');
      expect(await checkInvariants(prisma)).toEqual({});
    });
  });

  describe('groups', () => {
    let klass: string;

    it('a school administrator creates a class and puts students and a teacher in it', async () => {
      const { value } = await send(tokens.sara, CREATE_GROUP, { school: ekskolan, name: '8B', kind: 'CLASS', schoolYear: 8, externalId: 'g-8b' });
      expect(value).toMatchObject({ change: 'CREATED', group: { name: '8B', kind: 'CLASS', schoolYear: 8, externalId: 'g-8b', school: { id: ekskolan } } });
      klass = value.group.id;
      for (const [email, role] of [
        ['selma.student@ekskolan.example', 'STUDENT'],
        ['sam.student@ekskolan.example', 'STUDENT'],
        ['tove.teacher@ekskolan.example', 'TEACHER'],
      ]) {
        const result = await send(tokens.sara, SET_GROUP_MEMBERSHIP, { group: klass, user: await user(email!), role });
        expect(result.value).toMatchObject({ change: 'CREATED', membership: { role, endedAt: null } });
      }
      expect(
        (await send(tokens.sara, SET_GROUP_MEMBERSHIP, { group: klass, user: await user('sam.student@ekskolan.example'), role: 'STUDENT' })).value.change,
      ).toBe('UNCHANGED');
    });

    it('only current members of the school join its groups (USER_NOT_IN_SCHOOL)', async () => {
      const bjorn = await user('bjorn.student@bjorkskolan.example');
      expect((await send(tokens.olivia, SET_GROUP_MEMBERSHIP, { group: klass, user: bjorn, role: 'STUDENT' })).value).toMatchObject({
        code: 'USER_NOT_IN_SCHOOL',
        field: 'user',
      });
    });

    it("the class's teacher sees its members; a student sees only their own membership", async () => {
      const members = async (token: string) =>
        dataOf(
          await test.request(token, 'query($g: ID!) { node(id: $g) { ... on Group { name members { totalCount edges { node { role user { name } } } } } } }', {
            g: klass,
          }),
        ).node;
      const byTeacher = await members(tokens.tove);
      expect(byTeacher.members.edges.map((e: any) => `${e.node.role} ${e.node.user.name}`)).toEqual([
        'TEACHER Tove Lärare',
        'STUDENT Selma Elev',
        'STUDENT Sam Elev',
      ]);
      const selma = await tokenFor(test, 'selma.student@ekskolan.example');
      expect((await members(selma)).members.edges.map((e: any) => e.node.user.name)).toEqual(['Selma Elev']);
      const classes = dataOf(
        await test.request(tokens.sara, 'query($s: ID!) { school(id: $s) { groups(kind: CLASS) { totalCount edges { node { name } } } } }', { s: ekskolan }),
      );
      // The demo's class 7A and the new one.
      expect(classes.school.groups.edges.map((e: any) => e.node.name)).toEqual(['7A', '8B']);
    });

    it('nobody outside the school changes its groups', async () => {
      expect((await send(tokens.bo, UPDATE_GROUP, { group: klass, name: '8C' })).value).toMatchObject({ code: 'NOT_FOUND', field: 'group' });
      expect((await send(tokens.oskar, UPDATE_GROUP, { group: klass, name: '8C' })).value).toMatchObject({ code: 'NOT_FOUND', field: 'group' });
      expect((await send(tokens.sjostadLms, CREATE_GROUP, { school: ekskolan, name: '8C', kind: 'CLASS' })).value).toMatchObject({
        code: 'NOT_FOUND',
        field: 'school',
      });
      expect((await send(tokens.lms, UPDATE_GROUP, { group: klass, schoolYear: 14 })).value).toMatchObject({ code: 'INVALID_INPUT', field: 'schoolYear' });
    });

    it("leaving the school ends the student's groups there", async () => {
      const sam = await user('sam.student@ekskolan.example');
      await send(tokens.sara, END_SCHOOL_MEMBERSHIP, { school: ekskolan, user: sam });
      const membership = await test.db.prisma.groupMembership.findFirstOrThrow({ where: { groupId: rawId(klass), userId: rawId(sam) } });
      expect(membership.endedAt).toEqual(test.clock.now());
    });

    it('ending a group ends its memberships; an ended group takes no new members', async () => {
      const { value } = await send(tokens.sara, END_GROUP, { group: klass });
      expect(value).toMatchObject({ change: 'ENDED', group: { endedAt: test.clock.now().toISOString() } });
      expect(await test.db.prisma.groupMembership.count({ where: { groupId: rawId(klass), endedAt: null } })).toBe(0);
      const selma = await user('selma.student@ekskolan.example');
      expect((await send(tokens.sara, SET_GROUP_MEMBERSHIP, { group: klass, user: selma, role: 'STUDENT' })).value).toMatchObject({
        code: 'ALREADY_ENDED',
        field: 'group',
      });
      expect(await checkInvariants(test.db.prisma)).toEqual({});
    });
  });

  describe('closing a school', () => {
    it('ends every membership (revoking licenses) and every group, for organisation administrators only', async () => {
      const prisma = test.db.prisma;
      const created = await send(tokens.olivia, CREATE_SCHOOL, { name: 'Stängs' });
      const school = created.value.school.id;
      const pupil = await send(tokens.olivia, CREATE_USER, { name: 'Pia Elev', email: 'pia@stangs.example', school, role: 'STUDENT' });
      await send(tokens.olivia, CREATE_GROUP, { school, name: '1A', kind: 'CLASS' });
      expect((await send(tokens.sara, END_SCHOOL, { school })).value).toMatchObject({ code: 'NOT_FOUND' });
      expect((await send(tokens.oskar, END_SCHOOL, { school })).value).toMatchObject({ code: 'NOT_FOUND' });
      const { value } = await send(tokens.olivia, END_SCHOOL, { school });
      expect(value).toMatchObject({ change: 'ENDED' });
      expect(await prisma.schoolMembership.count({ where: { schoolId: rawId(school), endedAt: null } })).toBe(0);
      expect(await prisma.group.count({ where: { schoolId: rawId(school), endedAt: null } })).toBe(0);
      expect((await send(tokens.olivia, SET_SCHOOL_MEMBERSHIP, { school, user: pupil.value.user.id, role: 'STUDENT' })).value).toMatchObject({
        code: 'ALREADY_ENDED',
      });
      expect(await checkInvariants(prisma)).toEqual({});
    });
  });

  describe("the organisation's graduate license policy", () => {
    const UPDATE_ORGANISATION = /* GraphQL */ `
      mutation UpdateOrganisation($input: UpdateOrganisationInput!) {
        updateOrganisation(input: $input) {
          __typename
          ... on OrganisationPayload { change organisation { name graduateLicensePolicy } }
          ... on Error { code message field }
        }
      }`;
    const nordstad = () => gid('Organisation', demo.ids.nordstad);

    it('an organisation administrator sets it (audited, as an event); setting it again writes nothing', async () => {
      const before = await rows();
      const events = await test.db.prisma.event.count({ where: { kind: 'organisation.updated' } });
      const { value } = await send(tokens.olivia, UPDATE_ORGANISATION, { organisation: nordstad(), graduateLicensePolicy: 'KEEP_UNTIL_END_DATE' });
      expect(value).toMatchObject({ change: 'UPDATED', organisation: { name: 'Nordstad kommun', graduateLicensePolicy: 'KEEP_UNTIL_END_DATE' } });
      expect(rowChanges(before, await rows())).toEqual({ auditEvents: 1 });
      expect(await test.db.prisma.event.count({ where: { kind: 'organisation.updated' } })).toBe(events + 1);
      const audit = await test.db.prisma.auditEvent.findFirstOrThrow({ where: { action: 'ORGANISATION_UPDATED' }, orderBy: { createdAt: 'desc' } });
      expect(audit).toMatchObject({ before: { graduateLicensePolicy: 'REVOKE_TO_POOL' }, after: { graduateLicensePolicy: 'KEEP_UNTIL_END_DATE' } });
      const again = await rows();
      expect((await send(tokens.olivia, UPDATE_ORGANISATION, { organisation: nordstad(), graduateLicensePolicy: 'KEEP_UNTIL_END_DATE' })).value.change).toBe(
        'UNCHANGED',
      );
      expect(rowChanges(again, await rows())).toEqual({});
      // The read-write integration may too: back to the default.
      const back = await send(tokens.lms, UPDATE_ORGANISATION, { organisation: nordstad(), graduateLicensePolicy: 'REVOKE_TO_POOL' });
      expect(back.value).toMatchObject({ change: 'UPDATED', organisation: { graduateLicensePolicy: 'REVOKE_TO_POOL' } });
    });

    it.each([
      ['a school administrator', 'sara', 'FORBIDDEN'],
      ['a student', 'saga', 'FORBIDDEN'],
      ["another organisation's administrator", 'oskar', 'NOT_FOUND'],
      ["another organisation's integration", 'sjostadLms', 'NOT_FOUND'],
      ['a supplier', 'supplier', 'NOT_FOUND'],
    ] as const)('%s may not set it: %s, nothing written', async (_who, token, outcome) => {
      const before = await rows();
      const result = await send(tokens[token], UPDATE_ORGANISATION, { organisation: nordstad(), graduateLicensePolicy: 'KEEP_UNTIL_END_DATE' });
      expect(result.outcome).toBe(outcome);
      expect(rowChanges(before, await rows())).toEqual({});
      expect(await test.db.prisma.organisation.findUniqueOrThrow({ where: { id: demo.ids.nordstad } })).toMatchObject({
        graduateLicensePolicy: 'REVOKE_TO_POOL',
      });
    });
  });

  describe('the import functions', () => {
    it('upsert by external id: the second run with the same data changes nothing', async () => {
      const prisma = test.db.prisma;
      const nordstad = await prisma.organisation.findFirstOrThrow({ where: { name: 'Nordstad kommun' } });
      const now = test.clock.now();
      const apply = () =>
        inTransaction(prisma, async (tx) => {
          const school = await upsertSchoolByExternalId(tx, now, systemActor, nordstad.id, {
            externalId: 'imp-s1',
            name: 'Importskolan',
            schoolUnitCode: '55500011',
          });
          const person = await upsertUserByExternalId(tx, now, systemActor, nordstad.id, {
            externalId: 'imp-u1',
            name: 'Ida Import',
            email: 'ida@import.example',
          });
          const membership = await setSchoolMembership(tx, now, systemActor, { schoolId: school.record.id, userId: person.record.id, role: 'STUDENT' });
          const group = await upsertGroupByExternalId(tx, now, systemActor, nordstad.id, {
            externalId: 'imp-g1',
            schoolId: school.record.id,
            name: '9C',
            kind: 'CLASS',
            schoolYear: 9,
          });
          return [school.change, person.change, membership.change, group.change];
        });
      expect(await apply()).toEqual(['created', 'created', 'created', 'created']);
      const before = await rows();
      expect(await apply()).toEqual(['unchanged', 'unchanged', 'unchanged', 'unchanged']);
      expect(rowChanges(before, await rows())).toEqual({});
      // A changed name is an update, recorded with what it was.
      const renamed = await inTransaction(prisma, (tx) =>
        upsertUserByExternalId(tx, now, systemActor, nordstad.id, { externalId: 'imp-u1', name: 'Ida Importsson', email: 'ida@import.example' }),
      );
      expect(renamed.change).toBe('updated');
      const audit = await prisma.auditEvent.findFirstOrThrow({ where: { action: 'USER_UPDATED', userId: renamed.record.id } });
      expect({ before: audit.before, after: audit.after }).toEqual({ before: { name: 'Ida Import' }, after: { name: 'Ida Importsson' } });

      // Records entered by hand before the first sync are adopted, not duplicated.
      const adopted = await inTransaction(prisma, async (tx) => [
        await upsertUserByExternalId(tx, now, systemActor, nordstad.id, {
          externalId: 'imp-svante',
          name: 'Svante Elev',
          email: 'SVANTE.student@ekskolan.example',
        }),
        await upsertSchoolByExternalId(tx, now, systemActor, nordstad.id, { externalId: 'imp-bjork', name: 'Björkskolan', schoolUnitCode: '20000002' }),
      ]);
      expect(adopted.map((written) => [written.change, written.record.id, written.record.externalId])).toEqual([
        ['updated', demo.ids.studentWithoutLicense, 'imp-svante'],
        ['updated', (await prisma.school.findFirstOrThrow({ where: { name: 'Björkskolan' } })).id, 'imp-bjork'],
      ]);
    });
  });
});
