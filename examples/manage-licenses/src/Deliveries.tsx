// The supplier's queue: orders of its products awaiting delivery, oldest first. Delayed ones are
// delivered here; activation e-mail ones are delivered by sending the school its activation link.
import { useEffect, useRef, useState } from 'react';
import { DeliverOrderDocument, OrdersToDeliverDocument, toResult, type Failure, type LicenseClient, type OrdersToDeliverQuery } from '@school-licenses/sdk';
import { useI18n } from './i18n/i18n.tsx';
import { all, useLoad } from './load.ts';
import { Empty, ErrorMessage, FailureMessage, Loaded, ViewHeading } from './ui.tsx';

type Queued = OrdersToDeliverQuery['ordersToDeliver']['edges'][number]['node'];

export function Deliveries({ client }: { client: LicenseClient }) {
  const { t } = useI18n();
  const [load, reload] = useLoad(() => all(client.nodes(OrdersToDeliverDocument, {}, (data) => data.ordersToDeliver)), []);
  const [done, setDone] = useState<string | null>(null);
  const statusRef = useRef<HTMLParagraphElement>(null);
  const delivered = (message: string) => {
    setDone(message);
    reload();
  };
  // The row (and its button) goes away: the focus goes to what happened.
  useEffect(() => statusRef.current?.focus(), [done]);
  return (
    <section aria-labelledby="deliveries" className="card">
      <ViewHeading id="deliveries">{t('deliveries')}</ViewHeading>
      <p className="muted">{t('deliveriesIntro')}</p>
      {done ? (
        <p className="ok" role="status" tabIndex={-1} ref={statusRef}>
          {done}
        </p>
      ) : null}
      <Loaded load={load} what={t('what_deliveries')}>
        {(orders) =>
          orders.length === 0 ? (
            <Empty>{t('noDeliveries')}</Empty>
          ) : (
            <ul className="rows" data-testid="deliveries">
              {orders.map((o) => (
                <QueuedOrder key={o.id} client={client} order={o} onDelivered={delivered} />
              ))}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}

function QueuedOrder({ client, order: o, onDelivered }: { client: LicenseClient; order: Queued; onDelivered: (message: string) => void }) {
  const { t, dayOfMoment, number } = useI18n();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [error, setError] = useState<unknown>(null);
  const what = { quantity: o.quantity, product: o.product.name, school: o.school.name };
  const deliver = async () => {
    setBusy(true);
    setFailure(null);
    setError(null);
    try {
      const result = toResult((await client.mutate(DeliverOrderDocument, { input: { order: o.id, idempotencyKey: crypto.randomUUID() } })).deliverOrder);
      if (result.ok) onDelivered(t('deliveredNow', what));
      else setFailure(result);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <li className="row" data-testid="queued-order" aria-label={t('deliverLabel', what)}>
      <div className="row-main">
        <strong>
          {number(o.quantity)} × {o.product.name}
        </strong>
        <span className="tag">{t(`delivery_${o.deliveryMode}`)}</span>
        <span className="muted">{t('orderedBy', { school: o.school.name, day: dayOfMoment(o.placedAt) })}</span>
      </div>
      {o.deliveryMode === 'DELAYED' ? (
        <div className="actions">
          <button type="button" disabled={busy} aria-label={t('deliverLabel', what)} onClick={() => void deliver()}>
            {busy ? t('delivering') : t('deliver')}
          </button>
        </div>
      ) : (
        <p className="muted">{t('activationEmailHint')}</p>
      )}
      {failure ? <FailureMessage failure={failure} /> : null}
      {error ? <ErrorMessage error={error} /> : null}
    </li>
  );
}
