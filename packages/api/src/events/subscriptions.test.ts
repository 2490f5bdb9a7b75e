// Subscriptions over Server-Sent Events, through the graphql-sse client: a subscriber on one API
// instance sees a change made on another (on PostgreSQL two instances with their own connections
// and relays, told by LISTEN/NOTIFY; on PGlite one process, told in process).
import { openDatabase, type Database, type Event } from '@school-licenses/db';
import { createClient, type Client } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUserToken } from '../auth/authenticate.ts';
import { createApi } from '../yoga.ts';
import { startTestApi, TEST_AUTH, type TestApi } from '../testing/harness.ts';
import { eventually, listen, postGraphQL, type Listening } from '../testing/http.ts';
import { ASSIGN_LICENSE, DELIVER_ORDER, END_SCHOOL_MEMBERSHIP, END_USER } from '../testing/operations.ts';
import { awaitingDelayedOrder, licensePool, tokenOf, type LicensePool } from '../testing/scenarios.ts';
import { gid } from '../testing/ids.ts';
import { systemActor } from '../domain/actor.ts';
import { issueApiKey, revokeApiKey } from '../domain/api-credentials.ts';
import { inTransaction } from '../domain/transaction.ts';
import { createEventHub, EventRelay, type EventHub } from './relay.ts';

const AVAILABILITY = /* GraphQL */ `
  subscription Availability($school: ID!, $product: ID!) {
    availabilityChanged(school: $school, product: $product) { newLicenses assigned assignable }
  }`;
const NOTIFICATIONS = /* GraphQL */ `
  subscription Notifications { notificationAdded { kind message order { id } } }`;

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

/** Everything a subscription received, read in the background. */
function collect<T>(client: Client, query: string, variables: Record<string, unknown> = {}) {
  const received: T[] = [];
  const errors: unknown[] = [];
  const state = { ended: false };
  const iterator = client.iterate<T>({ query, variables });
  void (async () => {
    try {
      for await (const result of iterator) {
        if (result.errors) errors.push(...result.errors);
        if (result.data) received.push(result.data);
      }
    } catch (error) {
      errors.push(error);
    }
    state.ended = true;
  })();
  return { received, errors, state, stop: () => iterator.return?.() };
}

describe(`subscriptions on ${backend}`, () => {
  let test: TestApi;
  let pool: LicensePool;
  let instanceA: Listening;
  let instanceB: Listening;
  let hubB: EventHub;
  let databaseB: Database | undefined;
  let relayB: EventRelay | undefined;
  let adminToken: string;

  beforeAll(async () => {
    test = await startTestApi({ events: true });
    pool = await licensePool(test.db.prisma, test.clock, { licenses: 3, students: 3 });
    adminToken = await tokenOf(TEST_AUTH, test.clock, pool.adminId);
    instanceA = await listen(test.api);
    if (test.db.url) {
      // A second API instance on the same PostgreSQL database: its own pool, listener and relay.
      databaseB = await openDatabase({ url: test.db.url, maxConnections: 3 });
      hubB = createEventHub();
      relayB = new EventRelay({ database: databaseB, prisma: databaseB.prisma, clock: test.clock, hub: hubB });
      await relayB.start();
      instanceB = await listen(createApi({ prisma: databaseB.prisma, clock: test.clock, auth: TEST_AUTH, graphiql: false, events: hubB }));
    } else {
      instanceB = instanceA;
      hubB = test.events;
    }
  });
  afterAll(async () => {
    await instanceB.close();
    if (instanceB !== instanceA) await instanceA.close();
    await relayB?.stop();
    await databaseB?.close();
    await test.close();
  });

  const clientOf = (instance: Listening, token: string) => createClient({ url: instance.url, headers: { authorization: `Bearer ${token}` }, retryAttempts: 0 });

  it('a subscriber on instance B sees the availability change an assignment on instance A made', async () => {
    const client = clientOf(instanceB, adminToken);
    const live = collect<{ availabilityChanged: { newLicenses: number; assigned: number } }>(client, AVAILABILITY, {
      school: pool.gids.school,
      product: pool.gids.product,
    });
    // Until B's subscription listens, nothing could reach it: tell B's hub of a change until it answers.
    await eventually(async () => {
      hubB.publish('event', { schoolId: pool.schoolId, productId: pool.productId } as Event);
      if (live.received.length === 0) throw new Error(`not listening yet ${JSON.stringify(live.errors)}`);
    }, 'the subscription to listen');
    expect(live.received[0]!.availabilityChanged).toMatchObject({ newLicenses: 3, assigned: 0 });

    const assigned = await postGraphQL(instanceA.url, adminToken, ASSIGN_LICENSE, {
      input: { school: pool.gids.school, product: pool.gids.product, user: pool.gids.students[0], reuseStarted: false },
    });
    expect(assigned.data.assignLicense.__typename).toBe('AssignLicensePayload');
    const update = await eventually(async () => {
      const found = live.received.find((data) => data.availabilityChanged.assigned === 1);
      if (!found) throw new Error(`no update yet: ${JSON.stringify(live.received)}`);
      return found;
    }, 'B to see the assignment');
    expect(update.availabilityChanged).toMatchObject({ newLicenses: 2, assigned: 1, assignable: 2 });
    await live.stop();
    client.dispose();
  });

  it("ends an API key's subscriptions with CREDENTIAL_REVOKED when the key is revoked, on another instance too", async () => {
    const { organisationId } = await test.db.prisma.school.findUniqueOrThrow({ where: { id: pool.schoolId } });
    const issued = await inTransaction(test.db.prisma, (tx) => issueApiKey(tx, test.clock, { name: 'Pool LMS', kind: 'ORGANISATION_READ', organisationId }));
    const client = clientOf(instanceB, issued.key);
    const live = collect<{ availabilityChanged: { assigned: number } }>(client, AVAILABILITY, { school: pool.gids.school, product: pool.gids.product });
    await eventually(async () => {
      hubB.publish('event', { schoolId: pool.schoolId, productId: pool.productId } as Event);
      if (live.received.length === 0) throw new Error(`not listening yet ${JSON.stringify(live.errors)}`);
    }, 'the subscription to listen');

    // Revoked through instance A's database: B hears of it by its own listener.
    await inTransaction(test.db.prisma, (tx) => revokeApiKey(tx, test.clock, systemActor, { credentialId: issued.id }));
    await eventually(async () => {
      if (!live.state.ended) throw new Error('still open');
    }, 'the stream to end');
    expect(JSON.stringify(live.errors)).toContain('CREDENTIAL_REVOKED');
    client.dispose();

    // And a subscription opened with the revoked key is refused.
    const again = clientOf(instanceB, issued.key);
    const refused = collect(again, AVAILABILITY, { school: pool.gids.school, product: pool.gids.product });
    await eventually(async () => {
      if (!refused.state.ended) throw new Error('still open');
    }, 'the refusal');
    expect(refused.received).toEqual([]);
    again.dispose();
  });

  it("ends a subscription with TOKEN_EXPIRED when its user token's exp passes, by the time that passed or the clock", async () => {
    // A token with 2 seconds left: the stream ends by itself then, without any event.
    const shortLived = await signUserToken(TEST_AUTH, pool.adminId, { now: test.clock.now(), expiresInSeconds: 2 });
    const started = performance.now();
    const client = clientOf(instanceB, shortLived);
    const live = collect(client, NOTIFICATIONS);
    await eventually(async () => {
      if (!live.state.ended) throw new Error('still open');
    }, 'the stream to end');
    expect(performance.now() - started).toBeGreaterThan(1_500);
    expect(JSON.stringify(live.errors)).toContain('TOKEN_EXPIRED');
    client.dispose();

    // A token valid for an hour, and the clock moves two hours on: the next update ends it instead.
    const hourLong = await signUserToken(TEST_AUTH, pool.adminId, { now: test.clock.now(), expiresInSeconds: 3_600 });
    const second = clientOf(instanceB, hourLong);
    const availability = collect<{ availabilityChanged: { assigned: number } }>(second, AVAILABILITY, {
      school: pool.gids.school,
      product: pool.gids.product,
    });
    await eventually(async () => {
      hubB.publish('event', { schoolId: pool.schoolId, productId: pool.productId } as Event);
      if (availability.received.length === 0) throw new Error('not listening yet');
    }, 'the subscription to listen');
    const before = availability.received.length;
    const now = test.clock.now();
    test.clock.set(new Date(now.getTime() + 2 * 3_600_000));
    try {
      hubB.publish('event', { schoolId: pool.schoolId, productId: pool.productId } as Event);
      await eventually(async () => {
        if (!availability.state.ended) throw new Error('still open');
      }, 'the stream to end');
    } finally {
      test.clock.set(now);
    }
    expect(availability.received).toHaveLength(before);
    expect(JSON.stringify(availability.errors)).toContain('TOKEN_EXPIRED');
    second.dispose();
  });

  /** A school administrator of the pool's school, and an organisation administrator to end her. */
  async function schoolAdminAndOrganisationAdmin(name: string) {
    const organisationId = pool.organisationId;
    const tag = `${name.toLowerCase()}.${Date.now()}`;
    const eve = await test.db.prisma.user.create({
      data: { name, email: `${tag}@pool.example`, organisationId, memberships: { create: { schoolId: pool.schoolId, role: 'SCHOOL_ADMIN' } } },
    });
    const olle = await test.db.prisma.user.create({ data: { name: 'Olle', email: `olle.${tag}@pool.example`, organisationId, isOrganisationAdmin: true } });
    return { eve, eveToken: await tokenOf(TEST_AUTH, test.clock, eve.id), olleToken: await tokenOf(TEST_AUTH, test.clock, olle.id) };
  }

  /** Opens Eve's two subscriptions on instance B and waits until both listen. */
  async function openBoth(client: Client, userId: string) {
    const availability = collect<{ availabilityChanged: { assigned: number } }>(client, AVAILABILITY, { school: pool.gids.school, product: pool.gids.product });
    const notifications = collect<{ notificationAdded: { message: string } }>(client, NOTIFICATIONS);
    await eventually(async () => {
      hubB.publish('event', { schoolId: pool.schoolId, productId: pool.productId } as Event);
      if (notifications.received.length === 0) {
        await test.db.prisma.notification.create({ data: { userId, kind: 'LICENSES_DELIVERED', message: 'probe', createdAt: test.clock.now() } });
      }
      if (availability.received.length === 0 || notifications.received.length === 0) {
        throw new Error(`not listening yet ${JSON.stringify([...availability.errors, ...notifications.errors])}`);
      }
    }, 'the subscriptions to listen');
    // The probes still on their way arrive before anything else happens.
    await settled(() => availability.received.length + notifications.received.length);
    return { availability, notifications };
  }

  /** Until `count` stops changing for 300 ms. */
  async function settled(count: () => number) {
    for (let last = -1; last !== count(); ) {
      last = count();
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }

  /** Everything committed so far reached instance B's subscriptions (both relays numbered and read it). */
  const flushed = async () => {
    await test.relay?.flush();
    await relayB?.flush();
  };

  it("ends a user's subscriptions with UNAUTHENTICATED when the user leaves the organisation, on another instance too, and sends nothing after", async () => {
    const { eve, eveToken, olleToken } = await schoolAdminAndOrganisationAdmin('Eve');
    const client = clientOf(instanceB, eveToken);
    const { availability, notifications } = await openBoth(client, eve.id);
    const before = { availability: availability.received.length, notifications: notifications.received.length };

    // The organisation administrator ends Eve on instance A; then a license is assigned and Eve is notified.
    const ended = await postGraphQL(instanceA.url, olleToken, END_USER, { input: { user: gid('User', eve.id) } });
    expect(ended.data.endUser).toMatchObject({ change: 'ENDED' });
    const assigned = await postGraphQL(instanceA.url, olleToken, ASSIGN_LICENSE, {
      input: { school: pool.gids.school, product: pool.gids.product, user: pool.gids.students[1], reuseStarted: false },
    });
    expect(assigned.data.assignLicense.__typename).toBe('AssignLicensePayload');
    await test.db.prisma.notification.create({ data: { userId: eve.id, kind: 'LICENSES_DELIVERED', message: 'after leaving', createdAt: test.clock.now() } });
    await flushed();

    await eventually(
      async () => {
        if (!availability.state.ended || !notifications.state.ended) throw new Error(`still open: ${JSON.stringify({ availability, notifications })}`);
      },
      'the streams to end',
      100,
    );
    for (const stream of [availability, notifications]) {
      expect(JSON.stringify(stream.errors)).toContain('UNAUTHENTICATED');
      expect(JSON.stringify(stream.errors)).toContain('The user has left the organisation.');
    }
    expect(availability.received).toHaveLength(before.availability);
    expect(notifications.received).toHaveLength(before.notifications);
    expect(notifications.received.map((data) => data.notificationAdded.message)).not.toContain('after leaving');
    client.dispose();
  });

  it("ends a school administrator's availabilityChanged with FORBIDDEN when she leaves the school, and keeps her notifications", async () => {
    const { eve, eveToken, olleToken } = await schoolAdminAndOrganisationAdmin('Eva');
    const client = clientOf(instanceB, eveToken);
    const { availability, notifications } = await openBoth(client, eve.id);
    const before = availability.received.length;

    const left = await postGraphQL(instanceA.url, olleToken, END_SCHOOL_MEMBERSHIP, { input: { school: pool.gids.school, user: gid('User', eve.id) } });
    expect(left.data.endSchoolMembership).toMatchObject({ change: 'ENDED' });
    const assigned = await postGraphQL(instanceA.url, olleToken, ASSIGN_LICENSE, {
      input: { school: pool.gids.school, product: pool.gids.product, user: pool.gids.students[2], reuseStarted: false },
    });
    expect(assigned.data.assignLicense.__typename).toBe('AssignLicensePayload');
    await flushed();
    await eventually(
      async () => {
        if (!availability.state.ended) throw new Error(`still open: ${JSON.stringify(availability)}`);
      },
      'the stream to end',
      100,
    );
    expect(JSON.stringify(availability.errors)).toContain('FORBIDDEN');
    expect(availability.received).toHaveLength(before);

    // She is still a user of the organisation: her own notifications keep coming.
    await test.db.prisma.notification.create({ data: { userId: eve.id, kind: 'LICENSES_DELIVERED', message: 'still here', createdAt: test.clock.now() } });
    await eventually(async () => {
      if (!notifications.received.some((data) => data.notificationAdded.message === 'still here')) throw new Error('not yet');
    }, 'her notification');
    expect(notifications.state.ended).toBe(false);
    await notifications.stop();
    client.dispose();
  });

  it("sends the viewer's new notifications, and refuses what the viewer may not see", async () => {
    const client = clientOf(instanceB, adminToken);
    const live = collect<{ notificationAdded: { kind: string; order: { id: string } | null } }>(client, NOTIFICATIONS);
    const order = await awaitingDelayedOrder(test.db.prisma, test.clock, pool, 2);
    await eventually(async () => {
      // A notification written straight to the table is how the test knows B listens.
      await test.db.prisma.notification.create({
        data: { userId: pool.adminId, kind: 'LICENSES_DELIVERED', message: 'probe', createdAt: test.clock.now() },
      });
      if (live.received.length === 0) throw new Error(`not listening yet ${JSON.stringify(live.errors)}`);
    }, 'the subscription to listen');
    const delivered = await postGraphQL(instanceA.url, pool.supplierKey, DELIVER_ORDER, { input: { order: gid('Order', order.id) } });
    expect(delivered.data.deliverOrder.__typename).toBe('OrderPayload');
    await eventually(async () => {
      if (!live.received.some((data) => data.notificationAdded.order?.id === gid('Order', order.id))) throw new Error('not yet');
    }, 'the delivery notification');
    await live.stop();
    client.dispose();

    // Another organisation's admin cannot follow this school.
    const outsider = clientOf(instanceB, await tokenOf(TEST_AUTH, test.clock, pool.otherOrganisation.adminId));
    const refused = collect(outsider, AVAILABILITY, { school: pool.gids.school, product: pool.gids.product });
    await eventually(async () => {
      if (refused.errors.length === 0) throw new Error('no answer yet');
    }, 'the refusal');
    expect(JSON.stringify(refused.errors)).toContain('NOT_FOUND');
    outsider.dispose();
  });
});
