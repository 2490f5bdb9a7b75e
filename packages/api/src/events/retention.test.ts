// The change feed's retention on a real database (PGlite, or PostgreSQL with DATABASE_URL): the
// sweep prunes events older than the retention that every webhook endpoint received, keeps the
// ones an endpoint still waits for and the newest, and a cursor older than what was pruned fails
// with CURSOR_EXPIRED; the rest of the feed, and other organisations' cursors, are unaffected.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSweep } from '../domain/sweep.ts';
import { dataOf, startTestApi, TEST_AUTH, type TestApi } from '../testing/harness.ts';
import { rawId } from '../testing/ids.ts';
import { assignNewLicense, licensePool, tokenOf, type LicensePool } from '../testing/scenarios.ts';
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
    test = await startTestApi({ webhooks: { allowPrivate: true } });
    pool = await licensePool(test.db.prisma, test.clock, { licenses: 10, students: 10 });
    await test.db.prisma.user.update({ where: { id: pool.adminId }, data: { isOrganisationAdmin: true } });
    receiver = createServer((req, res) => req.resume().on('end', () => res.writeHead(answer).end()));
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    expect(dataOf(await test.request(await token(), CREATE, { input: { url, kinds: ['LICENSE_ASSIGNED'] } })).createWebhookEndpoint.__typename).toBe(
      'CreateWebhookEndpointPayload',
    );
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
