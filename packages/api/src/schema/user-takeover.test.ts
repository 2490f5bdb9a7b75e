// A school administrator may not take over a user who belongs to another school: not by editing
// them, and not by first enrolling them into their own school (docs/DOMAIN.md, "Whose identity a
// school administrator changes"). Over the API on a real database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoData } from '../seed/demo.ts';
import { startStandardScenario, type TestApi } from '../testing/harness.ts';
import { gid, rawId } from '../testing/ids.ts';
import { CREATE_USER, END_SCHOOL_MEMBERSHIP, SET_SCHOOL_MEMBERSHIP, UPDATE_USER } from '../testing/operations.ts';
import { outcomeOf } from '../testing/outcome.ts';
import { addMember } from '../testing/people.ts';
import { countRows, rowChanges } from '../testing/rows.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

describe(`taking over a user of another school, on ${backend}`, () => {
  let test: TestApi;
  let demo: DemoData;
  let ekskolan: string;
  let sara: string;
  let olivia: string;
  let lms: string;
  const send = async (token: string, query: string, input: Record<string, unknown>) => {
    const response = await test.request(token, query, { input });
    const field = Object.keys(response.data ?? {})[0] ?? '';
    return { outcome: outcomeOf(response, field), value: response.data?.[field] };
  };
  /** A user with every membership they ever had, and the audit events about them. */
  const snapshot = async (userId: string) => ({
    user: await test.db.prisma.user.findUniqueOrThrow({ where: { id: userId }, include: { memberships: { orderBy: { schoolId: 'asc' } } } }),
    audits: await test.db.prisma.auditEvent.count({ where: { userId } }),
  });

  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario());
    ekskolan = gid('School', demo.ids.ekskolan);
    sara = demo.tokens.schoolAdmin;
    olivia = demo.tokens.organisationAdmin;
    lms = demo.keys.integration;
  });
  afterAll(() => test.close());

  it("Ekskolan's administrator cannot enrol, rename and re-address Björkskolan's administrator, then hide it", async () => {
    const boRow = await test.db.prisma.user.findFirstOrThrow({ where: { email: 'bo.admin@bjorkskolan.example' } });
    const bo = gid('User', boRow.id);
    const before = { rows: await countRows(test.db.prisma), bo: await snapshot(boRow.id) };

    const enrol = await send(sara, SET_SCHOOL_MEMBERSHIP, { school: ekskolan, user: bo, role: 'STUDENT' });
    expect(enrol.value).toMatchObject({ code: 'NOT_FOUND', field: 'user' });
    const edit = await send(sara, UPDATE_USER, { user: bo, email: 'evil@attacker.example', name: 'Bo (hijacked)' });
    expect(edit.value).toMatchObject({ code: 'NOT_FOUND', field: 'user' });
    const hide = await send(sara, END_SCHOOL_MEMBERSHIP, { school: ekskolan, user: bo });
    expect(hide.value).toMatchObject({ code: 'NOT_FOUND', field: 'user' });

    // Nothing was written: Bo is who he was, still administrator of Björkskolan only.
    expect(rowChanges(before.rows, await countRows(test.db.prisma))).toEqual({});
    expect(await snapshot(boRow.id)).toEqual(before.bo);
    expect(before.bo.user).toMatchObject({ name: 'Bo Skoladmin', email: 'bo.admin@bjorkskolan.example' });
    expect(before.bo.user.memberships.map((m) => [m.schoolId, m.role, m.endedAt])).toEqual([[demo.ids.bjorkskolan, 'SCHOOL_ADMIN', null]]);
  });

  it("a user of both schools she sees is FORBIDDEN to edit or enrol again; her own school's role she still sets", async () => {
    const both = await addMember(test.db.prisma, demo.ids.bjorkskolan, 'TEACHER');
    await test.db.prisma.schoolMembership.create({ data: { userId: rawId(both), schoolId: demo.ids.ekskolan, role: 'TEACHER' } });
    const before = await snapshot(rawId(both));

    expect((await send(sara, UPDATE_USER, { user: both, email: 'evil@attacker.example' })).value).toMatchObject({ code: 'FORBIDDEN', field: 'user' });
    expect(await snapshot(rawId(both))).toEqual(before);

    // Ekskolan's memberships are hers: a role there, and leaving it.
    expect((await send(sara, SET_SCHOOL_MEMBERSHIP, { school: ekskolan, user: both, role: 'STUDENT' })).value).toMatchObject({ change: 'UPDATED' });
    expect((await send(sara, END_SCHOOL_MEMBERSHIP, { school: ekskolan, user: both })).value).toMatchObject({ change: 'ENDED' });
    // Gone from Ekskolan (she still sees the ended membership), the teacher of Björkskolan is not hers to take back.
    const rows = await countRows(test.db.prisma);
    expect((await send(sara, SET_SCHOOL_MEMBERSHIP, { school: ekskolan, user: both, role: 'STUDENT' })).value).toMatchObject({
      code: 'FORBIDDEN',
      field: 'user',
    });
    expect((await send(sara, UPDATE_USER, { user: both, name: 'Taken' })).value).toMatchObject({ code: 'FORBIDDEN', field: 'user' });
    expect(rowChanges(rows, await countRows(test.db.prisma))).toEqual({});
  });

  it('she may not enrol an organisation administrator', async () => {
    const oliviaId = (await test.db.prisma.user.findFirstOrThrow({ where: { email: 'olivia.admin@nordstad.example' } })).id;
    const rows = await countRows(test.db.prisma);
    // Olivia was never a member of Ekskolan: Sara does not see her.
    const result = await send(sara, SET_SCHOOL_MEMBERSHIP, { school: ekskolan, user: gid('User', oliviaId), role: 'STUDENT' });
    expect(result.value).toMatchObject({ code: 'NOT_FOUND', field: 'user' });
    expect(rowChanges(rows, await countRows(test.db.prisma))).toEqual({});
  });

  it('she enrols and edits a user of no school, and a student of her school only, as before', async () => {
    const created = await send(olivia, CREATE_USER, { name: 'Utan Skola', email: 'utan.skola@nordstad.example' });
    const loose = created.value.user.id as string;
    expect((await send(sara, SET_SCHOOL_MEMBERSHIP, { school: ekskolan, user: loose, role: 'STUDENT' })).value).toMatchObject({ change: 'CREATED' });
    expect((await send(sara, UPDATE_USER, { user: loose, name: 'Med Skola' })).value).toMatchObject({ change: 'UPDATED', user: { name: 'Med Skola' } });

    const student = await addMember(test.db.prisma, demo.ids.ekskolan);
    expect((await send(sara, UPDATE_USER, { user: student, email: 'ny.adress@ekskolan.example' })).value).toMatchObject({ change: 'UPDATED' });
    const made = await send(sara, CREATE_USER, { name: 'Ny Elev', email: 'ny.elev@ekskolan.example', school: ekskolan, role: 'STUDENT' });
    expect(made.value).toMatchObject({ change: 'CREATED' });
  });

  it("the organisation's administrator and read-write key still enrol and edit anyone of it", async () => {
    const bo = gid('User', (await test.db.prisma.user.findFirstOrThrow({ where: { email: 'bo.admin@bjorkskolan.example' } })).id);
    expect((await send(olivia, SET_SCHOOL_MEMBERSHIP, { school: ekskolan, user: bo, role: 'TEACHER' })).value).toMatchObject({ change: 'CREATED' });
    expect((await send(lms, UPDATE_USER, { user: bo, name: 'Bo Björk' })).value).toMatchObject({ change: 'UPDATED', user: { name: 'Bo Björk' } });
    expect((await send(olivia, UPDATE_USER, { user: bo, name: 'Bo Skoladmin' })).value).toMatchObject({ change: 'UPDATED' });
    // Now a teacher of Ekskolan too, but still Björkskolan's administrator: not Sara's to edit.
    expect((await send(sara, UPDATE_USER, { user: bo, email: 'evil@attacker.example' })).value).toMatchObject({ code: 'FORBIDDEN', field: 'user' });
  });
});
