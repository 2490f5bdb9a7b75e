// The change feed's retention on a real database (PGlite, or PostgreSQL with DATABASE_URL): the
// sweep prunes events older than the retention that every webhook endpoint received, keeps the
// ones an endpoint still waits for and the newest, and a cursor older than what was pruned fails
// with CURSOR_EXPIRED; the rest of the feed, and other organisations' cursors, are unaffected.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../domain/actor.ts';
import { runSweep } from '../domain/sweep.ts';
import { inTransaction } from '../domain/transaction.ts';
import { dataOf, startTestApi, TEST_AUTH, type TestApi } from '../testing/harness.ts';
import { rawId } from '../testing/ids.ts';
import { assignNewLicense, licensePool, tokenOf, type LicensePool } from '../testing/scenarios.ts';
import { recordEvents } from './outbox.ts';
import { publishPendingEvents } from './relay.ts';
import { pruneEvents } from './retention.ts';
import { DEFAULT_WEBHOOK_SETTINGS, deliverDueWebhooks } from './webhooks.ts';

const FEED = /* GraphQL */ `
  query Feed($after: String) {
    events(after: $after, first: 100) { pageInfo { endCursor } edges { cursor node { id type } } }
  }`;
const CREATE = /* GraphQL */ `
  mutation Create($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) { __typename ... on CreateWebhookEndpointPayload { endpoint { id } } ... on Error { code message } }
  }`;

/**
 * A fresh API with a license pool whose administrator (of the organisation) registered one endpoint
 * for LICENSE_ASSIGNED, on a receiver on 127.0.0.1 that answers with the status `answer` gives.
 */
async function startWithEndpoint(answer: () => number): Promise<{ test: TestApi; pool: LicensePool; receiver: Server }> {
  const test = await startTestApi({ webhooks: { allowPrivate: true } });
  const pool = await licensePool(test.db.prisma, test.clock, { licenses: 10, students: 10 });
  await test.db.prisma.user.update({ where: { id: pool.adminId }, data: { isOrganisationAdmin: true } });
  const receiver = createServer((req, res) => req.resume().on('end', () => res.writeHead(answer()).end()));
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const token = await tokenOf(TEST_AUTH, test.clock, pool.adminId);
  expect(dataOf(await test.request(token, CREATE, { input: { url, kinds: ['LICENSE_ASSIGNED'] } })).createWebhookEndpoint.__typename).toBe(
    'CreateWebhookEndpointPayload',
  );
  return { test, pool, receiver };
}

describe(`the change feed's retention on ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`, () => {
  let test: TestApi;
  let pool: LicensePool;
  let receiver: Server;
  let answer = 200;
  const settings = { ...DEFAULT_WEBHOOK_SETTINGS, allowPrivate: true, timeoutMs: 5_000 };

  const token = (userId = pool.adminId) => tokenOf(TEST_AUTH, test.clock, userId);
  const feed = async (after: string | null, userId?: string) => test.request(await token(userId), FEED, { after });
  const publishAndDeliver = async () => {
    await publishPendingEvents(test.db.prisma, test.clock);
    await deliverDueWebhooks(test.db.prisma, test.clock, settings);
  };

  beforeAll(async () => {
    ({ test, pool, receiver } = await startWithEndpoint(() => answer));
  });
  afterAll(async () => {
    receiver?.close();
    await test?.close();
  });

  it('prunes what every endpoint received once it is older than the retention; a cursor older than that must resync', async () => {
    await assignNewLicense(test.db.prisma, test.clock, pool, 0);
    await assignNewLicense(test.db.prisma, test.clock, pool, 1);
    await publishAndDeliver();
    const early = dataOf(await feed(null)).events;
    const firstCursor = early.edges[0].cursor;
    const delivered = early.edges.map((edge: { node: { id: string } }) => edge.node.id);
    // The endpoint is down for the next one: its delivery waits for a retry.
    answer = 500;
    await assignNewLicense(test.db.prisma, test.clock, pool, 2);
    await publishAndDeliver();
    const all = dataOf(await feed(null)).events;
    const waiting = all.edges.at(-1).node.id;
    const otherOrganisationCursor = dataOf(await feed(null, pool.otherOrganisation.adminId)).events.pageInfo.endCursor;

    // Nothing is old yet.
    expect(await pruneEvents(test.db.prisma, test.clock, { retentionDays: 30 })).toBe(0);
    test.clock.advanceDays(31);
    const before = await test.db.prisma.event.count();
    const report = await runSweep(test.db.prisma, test.clock, undefined, { eventRetentionDays: 30 });
    // Both organisations' old events, but the one still waiting for its endpoint.
    expect(report.eventsPruned).toBeGreaterThanOrEqual(delivered.length);
    expect(await test.db.prisma.event.count()).toBe(before - report.eventsPruned);
    const keptIds = new Set((await test.db.prisma.event.findMany({ select: { id: true } })).map((event) => event.id));
    expect(delivered.filter((id: string) => keptIds.has(rawId(id)))).toEqual([]);
    expect(keptIds.has(rawId(waiting))).toBe(true);
    expect(await test.db.prisma.webhookDelivery.count({ where: { status: 'DELIVERED' } })).toBe(0);

    // A cursor from before what was pruned: resync.
    const expired = await feed(firstCursor);
    expect(expired.data).toBeNull();
    expect(expired.errors?.[0]).toMatchObject({ extensions: { code: 'CURSOR_EXPIRED', field: 'after' } });
    expect(expired.errors?.[0]?.message).toContain('Resync');
    // From the start, the feed has what it kept: the event an endpoint still waits for, and later ones.
    const now = dataOf(await feed(null)).events;
    expect(now.edges.map((edge: { node: { id: string } }) => edge.node.id)).toContain(waiting);
    expect(now.edges.map((edge: { node: { id: string } }) => edge.node.id)).not.toContain(delivered[0]);
    // The last cursor read before the pruning is still good, and so is another organisation's.
    expect((await feed(all.pageInfo.endCursor)).errors).toBeUndefined();
    expect((await feed(otherOrganisationCursor, pool.otherOrganisation.adminId)).errors).toBeUndefined();

    // Once the endpoint takes it, the waiting event goes at the next sweep too, but the newest
    // event stays, so the next one is numbered after it and no cursor is ever reused.
    answer = 200;
    await test.db.prisma.webhookDelivery.updateMany({ data: { nextAttemptAt: test.clock.now() } });
    await deliverDueWebhooks(test.db.prisma, test.clock, settings);
    test.clock.advanceDays(60);
    await pruneEvents(test.db.prisma, test.clock, { retentionDays: 30 });
    const [newest] = await test.db.prisma.event.findMany({ orderBy: { position: 'desc' }, take: 1 });
    expect(newest).toBeDefined();
    await assignNewLicense(test.db.prisma, test.clock, pool, 3);
    await publishPendingEvents(test.db.prisma, test.clock);
    const [next] = await test.db.prisma.event.findMany({ orderBy: { position: 'desc' }, take: 1 });
    expect(next!.position).toBe(newest!.position! + 1n);
  });
});

describe(`every cursor the pruned feed hands out can be followed, on ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`, () => {
  let test: TestApi;
  let pool: LicensePool;
  let receiver: Server;
  let answer = 200;
  const settings = { ...DEFAULT_WEBHOOK_SETTINGS, allowPrivate: true, timeoutMs: 5_000 };
  const PAGE = /* GraphQL */ `
    query Page($after: String, $first: Int) {
      events(after: $after, first: $first) { pageInfo { hasNextPage endCursor } edges { cursor node { id type } } }
    }`;

  const page = async (after: string | null, first = 100) => test.request(await tokenOf(TEST_AUTH, test.clock, pool.adminId), PAGE, { after, first });
  const publishAndDeliver = async () => {
    await publishPendingEvents(test.db.prisma, test.clock);
    await deliverDueWebhooks(test.db.prisma, test.clock, settings);
  };
  /** Reads the whole feed from its start one event a page, as `client.events({ pageSize: 1 })` does; fails on any refusal. */
  const followFromStart = async () => {
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const events: { pageInfo: { hasNextPage: boolean; endCursor: string }; edges: { node: { id: string } }[] } = dataOf(await page(after, 1)).events;
      ids.push(...events.edges.map((edge) => edge.node.id));
      if (!events.pageInfo.hasNextPage) return ids;
      after = events.pageInfo.endCursor;
    }
  };
  const allIds = async () => dataOf(await page(null)).events.edges.map((edge: { node: { id: string } }) => edge.node.id);

  beforeAll(async () => {
    ({ test, pool, receiver } = await startWithEndpoint(() => answer));
  });
  afterAll(async () => {
    receiver?.close();
    await test?.close();
  });

  it('keeps no event below what it pruned: an event an endpoint waits for keeps the later ones of its feed', async () => {
    await assignNewLicense(test.db.prisma, test.clock, pool, 0);
    await publishAndDeliver();
    const staleCursor = dataOf(await page(null)).events.edges[0].cursor;
    // The endpoint is down for this one only: it stays until delivered.
    answer = 500;
    await assignNewLicense(test.db.prisma, test.clock, pool, 1);
    await publishAndDeliver();
    answer = 200;
    const waiting = (await allIds()).at(-1);
    await assignNewLicense(test.db.prisma, test.clock, pool, 2);
    await assignNewLicense(test.db.prisma, test.clock, pool, 3);
    await publishAndDeliver();
    const before = await allIds();

    test.clock.advanceDays(31);
    const pruned = await pruneEvents(test.db.prisma, test.clock, { retentionDays: 30 });
    expect(pruned).toBeGreaterThan(0);
    const kept = await allIds();
    // Read from the start one event at a time, every cursor is followed.
    expect(await followFromStart()).toEqual(kept);
    expect(kept[0]).toBe(waiting);
    expect(kept).toEqual(before.slice(before.indexOf(waiting)));
    // A cursor read before the pruning, with events after it gone: resync.
    expect((await page(staleCursor)).errors?.[0]).toMatchObject({ extensions: { code: 'CURSOR_EXPIRED', field: 'after' } });
  });

  it('keeps no event below what it pruned: an event recorded with an older moment after a newer one waits for it', async () => {
    // Once the waiting event is delivered, the feed prunes up to its newest event.
    await test.db.prisma.webhookDelivery.updateMany({ data: { nextAttemptAt: test.clock.now() } });
    await deliverDueWebhooks(test.db.prisma, test.clock, settings);
    await pruneEvents(test.db.prisma, test.clock, { retentionDays: 30 });
    // A change recorded now, then one recorded (after it, so later in the feed) with a moment 40 days ago.
    await assignNewLicense(test.db.prisma, test.clock, pool, 4);
    const older = new Date(test.clock.now().getTime() - 40 * 86_400_000);
    await inTransaction(test.db.prisma, (tx) =>
      recordEvents(tx, systemActor, older, [
        { action: 'ORGANISATION_UPDATED', organisationId: pool.organisationId, after: { graduateLicensePolicy: 'REVOKE_TO_POOL' } },
      ]),
    );
    await assignNewLicense(test.db.prisma, test.clock, pool, 5);
    await publishAndDeliver();
    const before = await allIds();
    test.clock.advanceDays(10);
    await pruneEvents(test.db.prisma, test.clock, { retentionDays: 30 });
    // The older one waits for the newer ones before it: nothing above a kept event is pruned.
    const kept = await allIds();
    expect(await followFromStart()).toEqual(kept);
    expect(kept).toEqual(before.slice(before.length - kept.length));
    expect(kept).toHaveLength(3);
  });
});
