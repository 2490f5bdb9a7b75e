// Webhooks against a real HTTP receiver on 127.0.0.1: signed (verified with the Standard Webhooks
// library), retried with backoff on a persisted schedule, replayed, switched off after sustained
// failure, and never sent to a private address without WEBHOOKS_ALLOW_PRIVATE.
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dataOf, startTestApi, TEST_AUTH, type TestApi } from '../testing/harness.ts';
import { hashApiKey } from '../auth/authenticate.ts';
import { createApi } from '../yoga.ts';
import { licensePool, orderMore, tokenOf, type LicensePool, assignNewLicense } from '../testing/scenarios.ts';
import { publishPendingEvents } from './relay.ts';
import { DEFAULT_WEBHOOK_SETTINGS, deliverDueWebhooks, type WebhookSettings } from './webhooks.ts';
import { isPrivateAddress } from './outbound.ts';
import { encodeId } from '../schema/global-ids.ts';

const CREATE = /* GraphQL */ `
  mutation Create($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      __typename
      ... on CreateWebhookEndpointPayload { secret endpoint { id url kinds enabled } }
      ... on Error { code message field }
    }
  }`;
const ENDPOINTS = /* GraphQL */ `
  query Endpoints {
    webhookEndpoints(first: 10) {
      edges { node { id url enabled disabledReason failuresInRow
        deliveries(first: 50) { edges { node { id status attempts nextAttemptAt lastStatusCode lastError event { id type } } } } } }
    }
  }`;
const REPLAY = /* GraphQL */ `
  mutation Replay($input: ReplayWebhookDeliveryInput!) {
    replayWebhookDelivery(input: $input) { __typename ... on ReplayWebhookDeliveryPayload { delivery { status } } ... on Error { code } }
  }`;
const REVOKE_KEY = /* GraphQL */ `
  mutation RevokeKey($input: RevokeApiKeyInput!) {
    revokeApiKey(input: $input) { __typename ... on Error { code message } }
  }`;
const DELETE = /* GraphQL */ `
  mutation Delete($input: WebhookEndpointInput!) {
    deleteWebhookEndpoint(input: $input) { __typename ... on DeleteWebhookEndpointPayload { deletedEndpointId } ... on Error { code } }
  }`;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

describe(`webhooks on ${backend}`, () => {
  let test: TestApi;
  let pool: LicensePool;
  let receiver: Server;
  let url: string;
  const received: Received[] = [];
  let answer = 200;
  const settings: WebhookSettings = { ...DEFAULT_WEBHOOK_SETTINGS, allowPrivate: true, timeoutMs: 5_000, maxAttempts: 4, disableAfterFailures: 100 };

  const admin = () => tokenOf(TEST_AUTH, test.clock, pool.adminId);
  const request = async (token: string, query: string, variables: Record<string, unknown> = {}) => dataOf(await test.request(token, query, variables));
  const publishAndDeliver = async (with_: WebhookSettings = settings) => {
    await publishPendingEvents(test.db.prisma, test.clock);
    return deliverDueWebhooks(test.db.prisma, test.clock, with_);
  };
  const assignOne = (student: number) => assignNewLicense(test.db.prisma, test.clock, pool, student);
  const endpoints = async () => (await request(await admin(), ENDPOINTS)).webhookEndpoints.edges.map((e: any) => e.node);
  const register = async (token: string, input: Record<string, unknown>) => (await request(token, CREATE, { input })).createWebhookEndpoint;

  beforeAll(async () => {
    test = await startTestApi({ webhooks: { allowPrivate: true } });
    // Standard Webhooks refuses a signature more than 5 minutes from the verifier's clock.
    test.clock.set(new Date());
    pool = await licensePool(test.db.prisma, test.clock, { licenses: 10, students: 10 });
    // Webhooks carry the whole organisation's events: its administrators register them.
    await test.db.prisma.user.update({ where: { id: pool.adminId }, data: { isOrganisationAdmin: true } });
    await publishPendingEvents(test.db.prisma, test.clock); // the scenario's own events, before any endpoint
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(answer).end();
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    receiver.close();
    await test.close();
  });
  beforeEach(async () => {
    received.length = 0;
    answer = 200;
    for (const endpoint of await endpoints()) await request(await admin(), DELETE, { input: { endpoint: endpoint.id } });
  });

  it('signs each delivery so the Standard Webhooks verifier accepts it, with the event id as webhook-id', async () => {
    const created = await register(await admin(), { url, kinds: ['LICENSE_ASSIGNED'] });
    expect(created.secret).toMatch(/^whsec_/);
    await assignOne(0);
    expect(await publishAndDeliver()).toBe(1);
    expect(received).toHaveLength(1);
    const [delivery] = received as [Received];
    const verified = new Webhook(created.secret).verify(delivery.body, delivery.headers as Record<string, string>) as any;
    expect(verified).toMatchObject({ type: 'license.assigned', data: { actor: 'Pool Admin' } });
    expect(delivery.headers['webhook-id']).toBe(verified.data.id);
    // The same id is the event's in the feed: receivers deduplicate on it.
    const [endpoint] = await endpoints();
    expect(endpoint.deliveries.edges[0].node).toMatchObject({ status: 'DELIVERED', attempts: 1, event: { id: verified.data.id, type: 'license.assigned' } });
    // A tampered body does not verify.
    expect(() => new Webhook(created.secret).verify(delivery.body.replace('Pool Admin', 'Someone'), delivery.headers as Record<string, string>)).toThrow();
  });

  it('retries a failed delivery with exponential backoff, then delivers; replay sends it again', async () => {
    await register(await admin(), { url, kinds: ['ORDER_PLACED'] });
    await orderMore(test.db.prisma, test.clock, pool, 1);
    answer = 500;
    expect(await publishAndDeliver()).toBe(1);
    let [delivery] = (await endpoints())[0].deliveries.edges.map((e: any) => e.node);
    expect(delivery).toMatchObject({ status: 'PENDING', attempts: 1, lastStatusCode: 500, lastError: 'HTTP 500' });
    const failedAt = test.clock.now().getTime();
    expect(new Date(delivery.nextAttemptAt).getTime() - failedAt).toBe(30_000);
    // Not due yet: nothing is sent.
    expect(await deliverDueWebhooks(test.db.prisma, test.clock, settings)).toBe(0);
    test.clock.advanceDays(30 / 86_400);
    expect(await deliverDueWebhooks(test.db.prisma, test.clock, settings)).toBe(1);
    [delivery] = (await endpoints())[0].deliveries.edges.map((e: any) => e.node);
    expect(delivery).toMatchObject({ status: 'PENDING', attempts: 2 });
    expect(new Date(delivery.nextAttemptAt).getTime() - test.clock.now().getTime()).toBe(60_000);
    answer = 200;
    test.clock.advanceDays(60 / 86_400);
    expect(await deliverDueWebhooks(test.db.prisma, test.clock, settings)).toBe(1);
    [delivery] = (await endpoints())[0].deliveries.edges.map((e: any) => e.node);
    expect(delivery).toMatchObject({ status: 'DELIVERED', attempts: 3, lastStatusCode: 200 });
    expect(new Set(received.map((r) => r.headers['webhook-id'])).size).toBe(1);

    const replayed = await request(await admin(), REPLAY, { input: { delivery: delivery.id } });
    expect(replayed.replayWebhookDelivery.delivery.status).toBe('PENDING');
    expect(await deliverDueWebhooks(test.db.prisma, test.clock, settings)).toBe(1);
    expect(received).toHaveLength(4);
    expect(received[3]!.headers['webhook-id']).toBe(received[0]!.headers['webhook-id']);
  });

  it('gives a delivery up after its last attempt, and switches off an endpoint that keeps failing, telling its owner', async () => {
    await register(await admin(), { url });
    answer = 503;
    const strict = { ...settings, maxAttempts: 2, disableAfterFailures: 3 };
    await orderMore(test.db.prisma, test.clock, pool, 1); // order.placed and order.delivered: 2 deliveries
    expect(await publishAndDeliver(strict)).toBe(2);
    test.clock.advanceDays(1);
    expect(await deliverDueWebhooks(test.db.prisma, test.clock, strict)).toBe(2);
    const [endpoint] = await endpoints();
    expect(endpoint.enabled).toBe(false);
    expect(endpoint.disabledReason).toMatch(/failed attempts in a row; the last: HTTP 503/);
    expect(endpoint.deliveries.edges.map((e: any) => e.node.status)).toEqual(['FAILED', 'FAILED']);
    const notified = await test.db.prisma.notification.findMany({ where: { userId: pool.adminId, kind: 'WEBHOOK_ENDPOINT_DISABLED' } });
    expect(notified).toHaveLength(1);
    // Switched off: new events make no delivery to it.
    await orderMore(test.db.prisma, test.clock, pool, 1);
    expect(await publishAndDeliver(strict)).toBe(0);
  });

  it("an integration's endpoint switched off is told to every administrator of its organisation, and to nobody else", async () => {
    const key = `slk_test_${Math.random().toString(36).slice(2)}`;
    await test.db.prisma.apiCredential.create({
      data: {
        name: 'Webhook LMS',
        kind: 'ORGANISATION_READ_WRITE',
        keyHash: hashApiKey(key),
        organisationId: pool.organisationId,
        createdAt: test.clock.now(),
      },
    });
    const secondAdmin = await test.db.prisma.user.create({
      data: { name: 'Andra Admin', email: `andra.${key}@pool.example`, organisationId: pool.organisationId, isOrganisationAdmin: true },
    });
    const told = (userId: string) => test.db.prisma.notification.count({ where: { userId, kind: 'WEBHOOK_ENDPOINT_DISABLED' } });
    const before = { admin: await told(pool.adminId), second: await told(secondAdmin.id), other: await told(pool.otherOrganisation.adminId) };
    expect((await register(key, { url })).__typename).toBe('CreateWebhookEndpointPayload');
    answer = 500;
    const strict = { ...settings, maxAttempts: 1, disableAfterFailures: 2 };
    await orderMore(test.db.prisma, test.clock, pool, 1);
    expect(await publishAndDeliver(strict)).toBe(2);
    const [endpoint] = await endpoints();
    expect(endpoint.enabled).toBe(false);
    expect(await told(pool.adminId)).toBe(before.admin + 1);
    expect(await told(secondAdmin.id)).toBe(before.second + 1);
    expect(await told(pool.otherOrganisation.adminId)).toBe(before.other);
    const message = await test.db.prisma.notification.findFirstOrThrow({ where: { userId: secondAdmin.id, kind: 'WEBHOOK_ENDPOINT_DISABLED' } });
    expect(message.message).toContain(url);
  });

  it("revoking an integration's key switches off the endpoints it registered: a leaked key's endpoint receives nothing more", async () => {
    const key = `slk_test_${Math.random().toString(36).slice(2)}`;
    const credential = await test.db.prisma.apiCredential.create({
      data: { name: 'Leaked LMS', kind: 'ORGANISATION_READ_WRITE', keyHash: hashApiKey(key), organisationId: pool.organisationId, createdAt: test.clock.now() },
    });
    expect((await register(key, { url: `${url}?leaked` })).__typename).toBe('CreateWebhookEndpointPayload');
    expect((await register(await admin(), { url: `${url}?admin` })).__typename).toBe('CreateWebhookEndpointPayload');
    const revoked = await request(await admin(), REVOKE_KEY, { input: { apiKey: encodeId('ApiKey', credential.id) } });
    expect(revoked.revokeApiKey.__typename).toBe('RevokeApiKeyPayload');
    await assignOne(7);
    await publishAndDeliver();
    // The administrator's own endpoint still receives; the revoked key's gets nothing.
    const byUrl = Object.fromEntries((await endpoints()).map((endpoint: any) => [new URL(endpoint.url).search, endpoint]));
    expect(byUrl['?admin']).toMatchObject({ enabled: true });
    expect(byUrl['?admin'].deliveries.edges.length).toBeGreaterThan(0);
    expect(received).toHaveLength(byUrl['?admin'].deliveries.edges.length);
    expect(byUrl['?leaked']).toMatchObject({ enabled: false, disabledReason: 'The API key that registered it was revoked.' });
    expect(byUrl['?leaked'].deliveries.edges).toHaveLength(0);
  });

  it('sends nothing to a private or loopback address unless allowed', async () => {
    expect(['127.0.0.1', '10.1.2.3', '192.168.0.1', '169.254.169.254', '::1', '::ffff:127.0.0.1', 'fd00::1'].every(isPrivateAddress)).toBe(true);
    expect(['93.184.216.34', '2606:4700::1111'].some(isPrivateAddress)).toBe(false);
    // An API without the setting refuses the URL when it is registered.
    const strictApi = createApi({ prisma: test.db.prisma, clock: test.clock, auth: TEST_AUTH, graphiql: false });
    const response = await strictApi.fetch('http://api.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await admin()}` },
      body: JSON.stringify({ query: CREATE, variables: { input: { url } } }),
    });
    const refused = ((await response.json()) as any).data.createWebhookEndpoint;
    expect(refused).toMatchObject({ code: 'INVALID_INPUT', field: 'url' });
    for (const other of ['http://localhost:9/x', 'ftp://example.org/', 'http://[::1]:9/']) {
      const answer = await strictApi.fetch('http://api.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await admin()}` },
        body: JSON.stringify({ query: CREATE, variables: { input: { url: other } } }),
      });
      expect(((await answer.json()) as any).data.createWebhookEndpoint.code).toBe('INVALID_INPUT');
    }
    // An endpoint registered while allowed is not sent to once the setting is off.
    await register(await admin(), { url });
    await orderMore(test.db.prisma, test.clock, pool, 1);
    expect(await publishAndDeliver({ ...settings, allowPrivate: false })).toBe(2);
    expect(received).toHaveLength(0);
    const [endpoint] = await endpoints();
    expect(endpoint.deliveries.edges[0].node.lastError).toMatch(/private or loopback/);
  });

  it("sends a supplier the orders of its products, and nothing of the schools' licenses", async () => {
    const supplier = await register(pool.supplierKey, { url });
    expect(supplier.endpoint.kinds).toEqual([]);
    const forbidden = await register(pool.supplierKey, { url, kinds: ['LICENSE_ASSIGNED'] });
    expect(forbidden).toMatchObject({ code: 'INVALID_INPUT', field: 'kinds' });
    await assignOne(1);
    await orderMore(test.db.prisma, test.clock, pool, 2, pool.delayedProductId);
    await publishAndDeliver();
    expect(received.map((r) => JSON.parse(r.body).type)).toEqual(['order.placed']);
    // A student may register nothing.
    const student = await register(await tokenOf(TEST_AUTH, test.clock, pool.studentIds[2]!), { url });
    expect(student.code).toBe('FORBIDDEN');
  });
});
