// Idempotency keys over real HTTP: a retry (also a concurrent one) returns the first result and
// writes nothing new; the same key with other input is refused; keys expire.
import { openTestDatabase, type TestDatabase } from '@school-licenses/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.ts';
import { TEST_AUTH, TEST_START } from '../testing/harness.ts';
import { listen, type Listening } from '../testing/http.ts';
import { checkInvariants, writeSnapshot } from '../testing/invariants.ts';
import { ASSIGN_LICENSE, ASSIGN_LICENSES, DELIVER_ORDER, mutate, PLACE_ORDER, REDEEM_ACTIVATION_LINK, REVOKE_LICENSE, tally } from '../testing/operations.ts';
import { gid } from '../testing/ids.ts';
import { activationLink, awaitingDelayedOrder, poolOfTen, tokenOf, type LicensePool } from '../testing/scenarios.ts';
import { createApi } from '../yoga.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';
const TTL_HOURS = 2;

describe(`idempotency keys over HTTP on ${backend}`, () => {
  let db: TestDatabase;
  let server: Listening;
  const clock = new ManualClock(TEST_START);
  let pool: LicensePool;
  let admin: string;
  let otherAdmin: string;
  let next = 0;
  const student = () => pool.gids.students[next++]!;
  const assignInput = (user: string, extra: Record<string, unknown> = {}) => ({
    school: pool.gids.school,
    product: pool.gids.product,
    user,
    reuseStarted: false,
    ...extra,
  });

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await listen(createApi({ prisma: db.prisma, clock, auth: TEST_AUTH, graphiql: false, idempotencyTtlHours: TTL_HOURS }));
    pool = await poolOfTen(db.prisma, clock);
    admin = await tokenOf(TEST_AUTH, clock, pool.adminId);
    // A second admin of the same school: keys belong to whoever sent them.
    const second = await db.prisma.user.create({
      data: {
        name: 'Andra Admin',
        email: `andra.${pool.schoolId}@pool.example`,
        organisationId: pool.organisationId,
        memberships: { create: { schoolId: pool.schoolId, role: 'SCHOOL_ADMIN' } },
      },
    });
    otherAdmin = await tokenOf(TEST_AUTH, clock, second.id);
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('assignLicense: a retry with the same key returns the first result and writes nothing new', async () => {
    const input = assignInput(student(), { idempotencyKey: 'assign-1' });
    const first = await mutate(server.url, admin, ASSIGN_LICENSE, input);
    expect(first.typename).toBe('AssignLicensePayload');
    const before = await writeSnapshot(db.prisma);
    const retry = await mutate(server.url, admin, ASSIGN_LICENSE, input);
    expect(retry.value).toEqual(first.value);
    expect(await writeSnapshot(db.prisma)).toEqual(before);
  });

  it('assignLicense: ten concurrent requests with one key assign one license, and all answer with it', async () => {
    const input = assignInput(student(), { idempotencyKey: 'assign-concurrent' });
    const before = await writeSnapshot(db.prisma);
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => mutate(server.url, admin, ASSIGN_LICENSE, input)));
    expect(tally(outcomes)).toEqual({ AssignLicensePayload: 10 });
    expect(new Set(outcomes.map((o) => o.value.license.id)).size).toBe(1);
    const after = await writeSnapshot(db.prisma);
    expect(after.assignments - before.assignments).toBe(1);
    expect(after.auditEvents - before.auditEvents).toBe(1);
    expect(after.idempotencyRecords - before.idempotencyRecords).toBe(1);
  });

  it('the same key with other input, or for another mutation, is IDEMPOTENCY_KEY_REUSED and writes nothing', async () => {
    await mutate(server.url, admin, ASSIGN_LICENSE, assignInput(student(), { idempotencyKey: 'reused' }));
    const before = await writeSnapshot(db.prisma);
    const otherUser = await mutate(server.url, admin, ASSIGN_LICENSE, assignInput(student(), { idempotencyKey: 'reused' }));
    expect(otherUser).toMatchObject({ typename: 'LicenseError', code: 'IDEMPOTENCY_KEY_REUSED', value: { field: 'idempotencyKey' } });
    const otherMutation = await mutate(server.url, admin, PLACE_ORDER, {
      school: pool.gids.school,
      product: pool.gids.product,
      quantity: 1,
      idempotencyKey: 'reused',
    });
    expect(otherMutation.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await writeSnapshot(db.prisma)).toEqual(before);
  });

  it('keys belong to the credential that sent them: another admin with the same key gets its own result', async () => {
    const mine = await mutate(server.url, admin, ASSIGN_LICENSE, assignInput(student(), { idempotencyKey: 'shared-name' }));
    const theirs = await mutate(server.url, otherAdmin, ASSIGN_LICENSE, assignInput(student(), { idempotencyKey: 'shared-name' }));
    expect(mine.typename).toBe('AssignLicensePayload');
    expect(theirs.typename).toBe('AssignLicensePayload');
    expect(theirs.value.license.id).not.toBe(mine.value.license.id);
  });

  it(`keys expire after the configured time (${TTL_HOURS} h): then the key is free for new input`, async () => {
    const first = await mutate(server.url, admin, ASSIGN_LICENSE, assignInput(student(), { idempotencyKey: 'expiring' }));
    expect(first.typename).toBe('AssignLicensePayload');
    clock.advanceDays((TTL_HOURS - 1) / 24);
    expect((await mutate(server.url, admin, ASSIGN_LICENSE, assignInput(student(), { idempotencyKey: 'expiring' }))).code).toBe('IDEMPOTENCY_KEY_REUSED');
    clock.advanceDays(1.01 / 24);
    const fresh = await mutate(server.url, admin, ASSIGN_LICENSE, assignInput(student(), { idempotencyKey: 'expiring' }));
    expect(fresh.typename).toBe('AssignLicensePayload');
    expect(fresh.value.license.id).not.toBe(first.value.license.id);
    clock.set(TEST_START);
  });

  it('a key with a control character (NUL, which PostgreSQL text cannot hold) is INVALID_INPUT, not a 500', async () => {
    const before = await writeSnapshot(db.prisma);
    const outcome = await mutate(server.url, admin, ASSIGN_LICENSE, assignInput(pool.gids.students[99]!, { idempotencyKey: 'a\u0000b' }));
    expect(outcome).toMatchObject({ status: 200, code: 'INVALID_INPUT', value: { field: 'idempotencyKey' } });
    expect(await writeSnapshot(db.prisma)).toEqual(before);
  });

  it('a business error is not remembered: nothing was written, so a retry runs again', async () => {
    const before = await writeSnapshot(db.prisma);
    const refused = await mutate(server.url, admin, ASSIGN_LICENSE, assignInput(gid('User', pool.adminId), { idempotencyKey: 'refused' }));
    expect(refused.code).toBe('USER_NOT_IN_SCHOOL');
    expect(await writeSnapshot(db.prisma)).toEqual(before);
  });

  it('revokeLicense: a retry after the license went to someone else returns the first result and revokes nothing', async () => {
    const assigned = await mutate(server.url, admin, ASSIGN_LICENSE, assignInput(student()));
    const license = assigned.value.license.id as string;
    const revoke = { license, idempotencyKey: 'revoke-1' };
    expect((await mutate(server.url, admin, REVOKE_LICENSE, revoke)).typename).toBe('LicensePayload');
    // Meanwhile the license is given to another student…
    const reassigned = await mutate(server.url, admin, ASSIGN_LICENSE, assignInput(student(), { reuseStarted: true, endDate: assigned.value.license.endDate }));
    expect(reassigned.value.license.id).toBe(license);
    const before = await writeSnapshot(db.prisma);
    // …and the first request's retry arrives: it must not take it back from them.
    const retry = await mutate(server.url, admin, REVOKE_LICENSE, revoke);
    expect(retry.typename).toBe('LicensePayload');
    expect(await writeSnapshot(db.prisma)).toEqual(before);
    expect(await db.prisma.license.findUniqueOrThrow({ where: { id: gidToId(license) } })).toMatchObject({ assignedUserId: expect.any(String) });
  });

  it('redeemActivationLink: a retry with the key returns the delivered order, not ACTIVATION_LINK_ALREADY_REDEEMED', async () => {
    const { order, token } = await activationLink(db.prisma, clock, pool, 3);
    const outcomes = await Promise.all(
      Array.from({ length: 3 }, () => mutate(server.url, admin, REDEEM_ACTIVATION_LINK, { token, idempotencyKey: 'redeem-1' })),
    );
    expect(tally(outcomes)).toEqual({ OrderPayload: 3 });
    expect(outcomes.map((o) => o.value.order.id)).toEqual(Array(3).fill(gid('Order', order.id)));
    expect(await db.prisma.license.count({ where: { orderId: order.id } })).toBe(3);
    // The token itself is never stored, also not in the idempotency record.
    const records = await db.prisma.$queryRawUnsafe<{ text: string }[]>(`SELECT row_to_json(r)::text AS text FROM "IdempotencyRecord" r`);
    expect(records.some((r) => r.text.includes(token))).toBe(false);
    // Without a key a second redeem is refused as before.
    expect((await mutate(server.url, admin, REDEEM_ACTIVATION_LINK, { token })).code).toBe('ACTIVATION_LINK_ALREADY_REDEEMED');
  });

  it('placeOrder, deliverOrder and assignLicenses: concurrent retries with one key create one order, one delivery, one batch', async () => {
    const placeInput = { school: pool.gids.school, product: pool.gids.delayedProduct, quantity: 4, idempotencyKey: 'order-1' };
    const placed = await Promise.all(Array.from({ length: 5 }, () => mutate(server.url, admin, PLACE_ORDER, placeInput)));
    expect(new Set(placed.map((o) => o.value.order.id)).size).toBe(1);
    const orderId = placed[0]!.value.order.id as string;
    expect(await db.prisma.order.count({ where: { id: gidToId(orderId) } })).toBe(1);
    expect(await db.prisma.auditEvent.count({ where: { action: 'ORDER_PLACED', orderId: gidToId(orderId) } })).toBe(1);

    const delivered = await Promise.all(
      Array.from({ length: 5 }, () => mutate(server.url, pool.supplierKey, DELIVER_ORDER, { order: orderId, idempotencyKey: 'deliver-1' })),
    );
    expect(tally(delivered)).toEqual({ OrderPayload: 5 });
    expect(await db.prisma.license.count({ where: { orderId: gidToId(orderId) } })).toBe(4);

    const other = await awaitingDelayedOrder(db.prisma, clock, pool, 2);
    const reusedKey = await mutate(server.url, pool.supplierKey, DELIVER_ORDER, { order: gid('Order', other.id), idempotencyKey: 'deliver-1' });
    expect(reusedKey.code).toBe('IDEMPOTENCY_KEY_REUSED');

    const users = [student(), student(), student()];
    const batch = { school: pool.gids.school, product: pool.gids.product, users, reuseStarted: false, idempotencyKey: 'batch-1' };
    const batches = await Promise.all(Array.from({ length: 4 }, () => mutate(server.url, admin, ASSIGN_LICENSES, batch)));
    expect(batches.map((o) => o.value)).toEqual(Array(4).fill(batches[0]!.value));
    expect(await db.prisma.assignment.count({ where: { userId: { in: users.map(gidToId) } } })).toBe(batches[0]!.value.assignedCount);
    expect(await checkInvariants(db.prisma)).toEqual({});
  });
});

function gidToId(globalId: string): string {
  return Buffer.from(globalId, 'base64').toString().split(':').slice(1).join(':');
}
