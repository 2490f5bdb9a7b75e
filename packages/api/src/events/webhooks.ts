// Webhooks: organisations and suppliers register endpoints; every event their owner may see and
// the endpoint wants becomes a delivery (created by the relay, relay.ts), POSTed at least once,
// signed by the Standard Webhooks scheme, retried with exponential backoff on a persisted schedule.
import { randomBytes } from 'node:crypto';
import type { Prisma, Event, PrismaClient, WebhookEndpoint } from '@school-licenses/db';
import { Webhook } from 'standardwebhooks';
import type { Clock } from '../clock.ts';
import type { Actor, Tx } from '../domain/actor.ts';
import { LicenseError } from '../domain/errors.ts';
import { inTransaction } from '../domain/transaction.ts';
import { encodeId } from '../schema/global-ids.ts';
import { EVENT_KINDS, SUPPLIER_EVENT_KINDS, type EventKind } from './kinds.ts';
import { checkWebhookUrl, OutboundRefused, postWebhook } from './outbound.ts';

export interface WebhookSettings {
  /** Allow endpoints on private and loopback addresses (tests, the demo). */
  allowPrivate: boolean;
  timeoutMs: number;
  /** The first retry waits this long; each next one twice as long, up to maxDelaySeconds. */
  retryBaseSeconds: number;
  maxDelaySeconds: number;
  /** Attempts of one delivery before it is given up as FAILED. */
  maxAttempts: number;
  /** Failed attempts in a row, over all its deliveries, that switch an endpoint off. */
  disableAfterFailures: number;
  /** A claimed delivery is not claimed again for this long (a worker that died mid-send). */
  leaseSeconds: number;
  batch: number;
}

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = {
  allowPrivate: false,
  timeoutMs: 10_000,
  retryBaseSeconds: 30,
  maxDelaySeconds: 6 * 3600,
  maxAttempts: 10,
  disableAfterFailures: 50,
  leaseSeconds: 60,
  batch: 20,
};

/** Seconds before the next attempt after `attempts` failed ones: 30 s, 1 min, 2 min, ... up to 6 h. */
export function retryDelaySeconds(attempts: number, settings: Pick<WebhookSettings, 'retryBaseSeconds' | 'maxDelaySeconds'>): number {
  return Math.min(settings.maxDelaySeconds, settings.retryBaseSeconds * 2 ** Math.max(0, attempts - 1));
}

/**
 * Whose endpoints the actor manages: its supplier's, or its organisation's when it is an
 * organisation administrator or a read-write integration; null for anyone else.
 */
function endpointOwner(actor: Actor): { organisationId: string } | { supplierId: string } | null {
  if (actor.kind === 'supplier') return { supplierId: actor.supplierId };
  if ((actor.kind === 'user' && actor.isOrganisationAdmin) || (actor.kind === 'integration' && actor.canWrite)) {
    return { organisationId: actor.organisationId };
  }
  return null;
}

export function ownedEndpoints(actor: Actor): Prisma.WebhookEndpointWhereInput {
  return endpointOwner(actor) ?? { id: { in: [] } };
}

export async function createWebhookEndpoint(
  tx: Tx,
  clock: Clock,
  actor: Actor,
  input: { url: string; kinds: readonly EventKind[] },
  settings: Pick<WebhookSettings, 'allowPrivate'>,
): Promise<WebhookEndpoint> {
  const owner = endpointOwner(actor);
  if (!owner) throw new LicenseError('FORBIDDEN', null, 'Only organisation administrators, read-write integrations and suppliers register webhooks.');
  try {
    checkWebhookUrl(input.url, settings.allowPrivate);
  } catch (error) {
    if (error instanceof OutboundRefused) throw new LicenseError('INVALID_INPUT', 'url', `The URL is refused: ${error.message}.`);
    throw error;
  }
  if (input.url.length > 2_000) throw new LicenseError('INVALID_INPUT', 'url', 'The URL is longer than 2,000 characters.');
  const allowed: readonly EventKind[] = actor.kind === 'supplier' ? SUPPLIER_EVENT_KINDS : EVENT_KINDS;
  const refused = input.kinds.find((kind) => !allowed.includes(kind));
  if (refused) throw new LicenseError('INVALID_INPUT', 'kinds', `${refused} is not an event you can receive.`);
  return tx.webhookEndpoint.create({
    data: {
      ...owner,
      createdByUserId: actor.kind === 'user' ? actor.userId : null,
      createdByCredentialId: actor.kind === 'integration' || actor.kind === 'supplier' ? actor.credentialId : null,
      url: input.url,
      kinds: [...new Set(input.kinds)],
      secret: `whsec_${randomBytes(24).toString('base64')}`,
      createdAt: clock.now(),
    },
  });
}

async function requireOwnedEndpoint(tx: Tx, actor: Actor, endpointId: string, field: string): Promise<WebhookEndpoint> {
  const endpoint = await tx.webhookEndpoint.findFirst({ where: { AND: [{ id: endpointId }, ownedEndpoints(actor)] } });
  if (!endpoint) throw new LicenseError('NOT_FOUND', field, 'No such webhook endpoint.');
  return endpoint;
}

export async function deleteWebhookEndpoint(tx: Tx, _clock: Clock, actor: Actor, input: { endpointId: string }): Promise<string> {
  await requireOwnedEndpoint(tx, actor, input.endpointId, 'endpoint');
  await tx.webhookEndpoint.delete({ where: { id: input.endpointId } });
  return input.endpointId;
}

/**
 * Switches off the endpoints a revoked API key registered: a leaked key's endpoint would otherwise
 * go on receiving the organisation's events after the key itself is refused. An administrator who
 * trusts one sees it in webhookEndpoints and switches it back on by replaying a delivery.
 */
export async function switchOffEndpointsOfRevokedKey(tx: Tx, credentialId: string, now: Date): Promise<number> {
  const { count } = await tx.webhookEndpoint.updateMany({
    where: { createdByCredentialId: credentialId, disabledAt: null },
    data: { disabledAt: now, disabledReason: 'The API key that registered it was revoked.' },
  });
  return count;
}

/** Sends a delivery again now; on a switched-off endpoint this switches it back on. */
export async function replayWebhookDelivery(tx: Tx, clock: Clock, actor: Actor, input: { deliveryId: string }) {
  const delivery = await tx.webhookDelivery.findFirst({ where: { id: input.deliveryId, endpoint: ownedEndpoints(actor) } });
  if (!delivery) throw new LicenseError('NOT_FOUND', 'delivery', 'No such webhook delivery.');
  await tx.webhookEndpoint.update({
    where: { id: delivery.endpointId },
    data: { disabledAt: null, disabledReason: null, failuresInRow: 0 },
  });
  return tx.webhookDelivery.update({ where: { id: delivery.id }, data: { status: 'PENDING', nextAttemptAt: clock.now() } });
}

/** The body of a webhook: the Standard Webhooks shape { type, timestamp, data }, with global IDs. */
export function webhookPayload(event: Event) {
  const id = (type: string, value: string | null) => (value ? encodeId(type, value) : null);
  return {
    type: event.kind,
    timestamp: event.createdAt.toISOString(),
    data: {
      id: encodeId('Event', event.id),
      school: id('School', event.schoolId),
      product: id('Product', event.productId),
      license: id('License', event.licenseId),
      user: id('User', event.userId),
      order: id('Order', event.orderId),
      actor: event.actorLabel,
      ...(event.data as object),
    },
  };
}

/**
 * Claims the due deliveries (SKIP LOCKED: instances share them), sends them, and records each
 * outcome. Returns how many it sent. The claim pushes nextAttemptAt ahead by a lease, so a
 * delivery whose worker died is sent again later: at least once.
 */
export async function deliverDueWebhooks(prisma: PrismaClient, clock: Clock, settings: WebhookSettings): Promise<number> {
  const now = clock.now();
  const claimed = await prisma.$queryRaw<{ id: string }[]>`
    UPDATE "WebhookDelivery" SET "nextAttemptAt" = ${new Date(now.getTime() + settings.leaseSeconds * 1000)}
    WHERE id IN (
      SELECT d.id FROM "WebhookDelivery" d JOIN "WebhookEndpoint" w ON w.id = d."endpointId"
      WHERE d.status = 'PENDING' AND d."nextAttemptAt" <= ${now} AND w."disabledAt" IS NULL
      ORDER BY d."nextAttemptAt" LIMIT ${settings.batch}
      FOR UPDATE OF d SKIP LOCKED)
    RETURNING id`;
  if (claimed.length === 0) return 0;
  const deliveries = await prisma.webhookDelivery.findMany({
    where: { id: { in: claimed.map((row) => row.id) } },
    include: { event: true, endpoint: true },
  });
  await Promise.all(
    deliveries.map(async (delivery) => {
      const body = JSON.stringify(webhookPayload(delivery.event));
      const webhookId = encodeId('Event', delivery.event.id);
      const sentAt = clock.now();
      const signature = new Webhook(delivery.endpoint.secret).sign(webhookId, sentAt, body);
      let status: number | null = null;
      let error: string | null = null;
      try {
        status = await postWebhook(
          delivery.endpoint.url,
          body,
          { 'webhook-id': webhookId, 'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)), 'webhook-signature': signature },
          settings,
        );
        if (status < 200 || status > 299) error = `HTTP ${status}`;
      } catch (failure) {
        error = (failure as Error).message || String(failure);
      }
      await recordAttempt(prisma, clock, settings, delivery, { status, error });
    }),
  );
  return deliveries.length;
}

async function recordAttempt(
  prisma: PrismaClient,
  clock: Clock,
  settings: WebhookSettings,
  delivery: { id: string; attempts: number; endpoint: WebhookEndpoint },
  outcome: { status: number | null; error: string | null },
): Promise<void> {
  const now = clock.now();
  const attempts = delivery.attempts + 1;
  await inTransaction(prisma, async (tx) => {
    if (!outcome.error) {
      await tx.webhookDelivery.update({
        where: { id: delivery.id },
        data: { status: 'DELIVERED', attempts, lastAttemptAt: now, lastStatusCode: outcome.status, lastError: null, deliveredAt: now, nextAttemptAt: null },
      });
      await tx.webhookEndpoint.update({ where: { id: delivery.endpoint.id }, data: { failuresInRow: 0 } });
      return;
    }
    const givenUp = attempts >= settings.maxAttempts;
    await tx.webhookDelivery.update({
      where: { id: delivery.id },
      data: {
        status: givenUp ? 'FAILED' : 'PENDING',
        attempts,
        lastAttemptAt: now,
        lastStatusCode: outcome.status,
        lastError: outcome.error.slice(0, 500),
        nextAttemptAt: givenUp ? null : new Date(now.getTime() + retryDelaySeconds(attempts, settings) * 1000),
      },
    });
    const endpoint = await tx.webhookEndpoint.update({
      where: { id: delivery.endpoint.id },
      data: { failuresInRow: { increment: 1 } },
    });
    if (endpoint.failuresInRow >= settings.disableAfterFailures && !endpoint.disabledAt) await disableEndpoint(tx, endpoint, now, outcome.error);
  });
}

/** Switches the endpoint off and tells who registered it (or, for an integration's, the organisation's administrators). */
async function disableEndpoint(tx: Tx, endpoint: WebhookEndpoint, now: Date, lastError: string): Promise<void> {
  const reason = `${endpoint.failuresInRow} failed attempts in a row; the last: ${lastError}`.slice(0, 500);
  await tx.webhookEndpoint.update({ where: { id: endpoint.id }, data: { disabledAt: now, disabledReason: reason } });
  const owners = endpoint.createdByUserId
    ? [{ id: endpoint.createdByUserId }]
    : endpoint.organisationId
      ? await tx.user.findMany({ where: { organisationId: endpoint.organisationId, isOrganisationAdmin: true }, select: { id: true } })
      : []; // a supplier's endpoint: the supplier sees it switched off in webhookEndpoints
  await tx.notification.createMany({
    data: owners.map((owner) => ({
      userId: owner.id,
      kind: 'WEBHOOK_ENDPOINT_DISABLED' as const,
      message: `The webhook endpoint ${endpoint.url} was switched off after ${endpoint.failuresInRow} failed attempts in a row. Fix it, then replay a delivery to switch it on again.`,
      createdAt: now,
    })),
  });
}

/** Runs in every API instance beside the relay: sends due deliveries when told and on an interval. */
export class WebhookWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private again = false;

  private readonly prisma: PrismaClient;
  private readonly clock: Clock;
  private readonly settings: WebhookSettings;
  private readonly onError: (error: unknown) => void;

  constructor(prisma: PrismaClient, clock: Clock, settings: WebhookSettings, onError: (error: unknown) => void = () => {}) {
    this.prisma = prisma;
    this.clock = clock;
    this.settings = settings;
    this.onError = onError;
  }

  start(intervalMs = 1_000): void {
    this.timer = setInterval(() => this.kick(), intervalMs);
    this.timer.unref();
  }

  /** Sends what is due now, again while a batch was full or a kick came meanwhile. */
  kick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          while ((await deliverDueWebhooks(this.prisma, this.clock, this.settings)) === this.settings.batch);
        } catch (error) {
          this.onError(error);
        }
      } while (this.again);
    })().finally(() => (this.running = null));
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
