// The SDK's events: catching up through the feed with a kept cursor, a typed subscription over
// SSE, and the webhook signature verifier.
import { startStandardScenario } from '@school-licenses/api/testing';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvailabilityChangedDocument, verifyWebhook, WebhookVerificationError, type AvailabilityChangedSubscription } from '../src/index.ts';
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
