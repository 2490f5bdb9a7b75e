// Verifying the API's webhooks (the Standard Webhooks scheme), for
// integrators: check the signature over the raw body before trusting a delivery.
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

export { WebhookVerificationError };

/** A delivery's body. `data.id` is the event's global ID, also sent as `webhook-id`: deduplicate on it. */
export interface WebhookEvent {
  /** e.g. `license.assigned`, `order.placed` (the `EventKind` enum in lower case with a dot). */
  type: string;
  timestamp: string;
  data: {
    id: string;
    school: string | null;
    product: string | null;
    license: string | null;
    user: string | null;
    order: string | null;
    actor: string;
    before?: unknown;
    after?: unknown;
  };
}

type HeaderBag = Headers | Record<string, string | string[] | undefined>;

/**
 * Verifies a delivery with the endpoint's secret (`whsec_…`, from createWebhookEndpoint) and
 * returns its event. Pass the body exactly as received, before any JSON parsing. Throws
 * WebhookVerificationError when the signature is wrong or the timestamp is more than 5 minutes off.
 */
export function verifyWebhook(secret: string, body: string, headers: HeaderBag): WebhookEvent {
  const flat: Record<string, string> = {};
  const entries: Iterable<[string, string | string[] | undefined]> =
    typeof (headers as Headers).entries === 'function' && typeof (headers as Headers).get === 'function'
      ? (headers as Headers).entries()
      : Object.entries(headers as Record<string, string | string[] | undefined>);
  for (const [name, value] of entries) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return new Webhook(secret).verify(body, flat) as WebhookEvent;
}
