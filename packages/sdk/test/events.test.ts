// The SDK's events: catching up through the feed with a kept cursor, a typed subscription over
// SSE, and the webhook signature verifier.
import { startStandardScenario } from '@school-licenses/api/testing';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AvailabilityChangedDocument,
  LicenseApiError,
  verifyWebhook,
  WebhookVerificationError,
  type AvailabilityChangedSubscription,
  type LicenseClient,
} from '../src/index.ts';
import { backend, startStory, type Story } from './support.ts';

describe(`the SDK's events on ${backend}`, () => {
  let story: Story;

  beforeAll(async () => {
    story = await startStory('http', () => startStandardScenario({ events: true }));
  });
  afterAll(() => story.close());

  it('catches up through the feed from a kept cursor, and follows availability live', async () => {
    const admin = story.client(story.demo.tokens.schoolAdmin);
    await story.test.relay!.flush();
    let kept: string | null = null;
    for await (const { cursor } of admin.events()) kept = cursor;

    const updates: AvailabilityChangedSubscription[] = [];
    const errors: unknown[] = [];
    const stop = admin.subscribe(
      AvailabilityChangedDocument,
      { school: story.ids.ekskolan, product: story.ids.matematik },
      (data) => updates.push(data),
      (error) => errors.push(error),
    );
    const user = await story.userId('svante.student@ekskolan.example');
    // Until the subscription listens an assignment could pass it by: assign only once it answers a probe.
    for (let i = 0; updates.length === 0 && i < 100; i++) {
      story.test.events.publish('event', { schoolId: rawId(story.ids.ekskolan), productId: rawId(story.ids.matematik) } as never);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(errors).toEqual([]);
    const before = updates.at(-1)!.availabilityChanged.assigned;
    const result = await admin.assignLicense({ school: story.ids.ekskolan, product: story.ids.matematik, user, reuseStarted: false });
    expect(result.ok).toBe(true);
    for (let i = 0; !updates.some((u) => u.availabilityChanged.assigned === before + 1) && i < 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(updates.at(-1)!.availabilityChanged.assigned).toBe(before + 1);
    stop();

    await story.test.relay!.flush();
    const caughtUp = [];
    for await (const { event } of admin.events({ after: kept })) caughtUp.push(event.type);
    expect(caughtUp).toEqual(['license.assigned']);
  });

  /** A subscription to Ekskolan's Matematik availability, collecting what it gets. */
  const follow = (client: LicenseClient, school = story.ids.ekskolan) => {
    const updates: AvailabilityChangedSubscription[] = [];
    const errors: LicenseApiError[] = [];
    const stop = client.subscribe(
      AvailabilityChangedDocument,
      { school, product: story.ids.matematik },
      (data) => updates.push(data),
      (error) => errors.push(error),
    );
    return { updates, errors, stop };
  };
  /** Until the subscription listens an event could pass it by: publish a probe until it answers. */
  const listening = async (live: ReturnType<typeof follow>) => {
    for (let i = 0; live.updates.length === 0 && live.errors.length === 0 && i < 100; i++) {
      story.test.events.publish('event', { schoolId: rawId(story.ids.ekskolan), productId: rawId(story.ids.matematik) } as never);
      await sleep(50);
    }
    expect(live.errors).toEqual([]);
    expect(live.updates.length).toBeGreaterThan(0);
  };
  /** Waits for the first error, then a while longer for a second one that must not come. */
  const settled = async (live: ReturnType<typeof follow>) => {
    for (let i = 0; live.errors.length === 0 && i < 200; i++) await sleep(25);
    await sleep(300);
    return live.errors;
  };

  it('calls onError once for an error that ends a stream: a bad ID, an expired token, a revoked key', async () => {
    const badId = follow(story.client(story.demo.tokens.schoolAdmin), 'nope');
    const [invalid, ...more] = await settled(badId);
    expect(more).toEqual([]);
    expect(invalid).toBeInstanceOf(LicenseApiError);
    expect(invalid).toMatchObject({ kind: 'graphql', message: expect.stringContaining('nope') });

    // A user token (valid for 30 days), and the clock moves 31 days on: the next update ends the stream.
    const expiring = follow(story.client(await story.tokenFor('sara.admin@ekskolan.example')));
    await listening(expiring);
    const now = story.test.clock.now();
    story.test.clock.set(new Date(now.getTime() + 31 * 86_400_000));
    try {
      story.test.events.publish('event', { schoolId: rawId(story.ids.ekskolan), productId: rawId(story.ids.matematik) } as never);
      expect((await settled(expiring)).map((e) => e.code)).toEqual(['TOKEN_EXPIRED']);
    } finally {
      story.test.clock.set(now);
    }

    const olivia = story.client(story.demo.tokens.organisationAdmin);
    const organisation = (await olivia.viewer()).organisation!.id;
    const created = await olivia.createApiKey({ organisation, name: 'Revoked while listening', kind: 'ORGANISATION_READ' });
    if (!created.ok) throw new Error(created.message);
    const revokedLive = follow(story.client(created.key));
    await listening(revokedLive);
    expect(await olivia.revokeApiKey({ apiKey: created.apiKey.id })).toMatchObject({ ok: true });
    expect((await settled(revokedLive)).map((e) => e.code)).toEqual(['CREDENTIAL_REVOKED']);
  });

  it('refuses a subscription with a revoked key as UNAUTHENTICATED with its 401, like a query', async () => {
    const olivia = story.client(story.demo.tokens.organisationAdmin);
    const organisation = (await olivia.viewer()).organisation!.id;
    const created = await olivia.createApiKey({ organisation, name: 'Revoked before', kind: 'ORGANISATION_READ' });
    if (!created.ok) throw new Error(created.message);
    expect(await olivia.revokeApiKey({ apiKey: created.apiKey.id })).toMatchObject({ ok: true });
    const lms = story.client(created.key);
    const queried = await lms.viewer().catch((e: unknown) => e);
    expect(queried).toMatchObject({ kind: 'graphql', code: 'UNAUTHENTICATED', status: 401 });

    const refused = follow(lms);
    const [error, ...more] = await settled(refused);
    expect(more).toEqual([]);
    expect(refused.updates).toEqual([]);
    expect(error).toBeInstanceOf(LicenseApiError);
    expect(error).toMatchObject({ kind: 'graphql', code: 'UNAUTHENTICATED', status: 401, graphQLErrors: [{ code: 'UNAUTHENTICATED' }] });
  });

  it('verifies a webhook signed by the Standard Webhooks scheme, and refuses a tampered one', () => {
    const secret = `whsec_${Buffer.from('a secret of twenty-four b').toString('base64')}`;
    const body = JSON.stringify({ type: 'order.placed', timestamp: new Date().toISOString(), data: { id: 'RXZlbnQ6MQ==' } });
    const signature = new Webhook(secret).sign('RXZlbnQ6MQ==', new Date(), body);
    const headers = { 'webhook-id': 'RXZlbnQ6MQ==', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': signature };
    expect(verifyWebhook(secret, body, headers)).toMatchObject({ type: 'order.placed', data: { id: 'RXZlbnQ6MQ==' } });
    expect(verifyWebhook(secret, body, new Headers(headers)).type).toBe('order.placed');
    expect(() => verifyWebhook(secret, body.replace('placed', 'delivered'), headers)).toThrow(WebhookVerificationError);
  });
});

function rawId(globalId: string): string {
  return atob(globalId).split(':').slice(1).join(':');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
