// The admin's notifications (a delayed delivery that arrived, licenses ending or starting soon),
// worded in the chosen language from what each is about. They update live: the app follows the
// API's notificationAdded subscription (App.tsx), which changes the unread count loaded here.
import { useEffect, useRef, useState } from 'react';
import {
  MarkNotificationsReadDocument,
  NotificationsDocument,
  toResult,
  type Failure,
  type LicenseClient,
  type NotificationsQuery,
} from '@school-licenses/sdk';
import { useI18n, type I18n } from './i18n/i18n.tsx';
import { all, useLoad } from './load.ts';
import { Empty, ErrorMessage, FailureMessage, Loaded } from './ui.tsx';

export type Notice = NonNullable<NotificationsQuery['viewer']['notifications']>['edges'][number]['node'];

/** The notices of the viewer, with the product names they refer to by id. */
export function useNotices(client: LicenseClient, unread: number) {
  return useLoad(async () => {
    const [notices, products] = await Promise.all([
      all(client.nodes(NotificationsDocument, { unreadOnly: null }, (data) => data.viewer.notifications)),
      all(client.products()),
    ]);
    return { notices, productName: new Map(products.map((p) => [p.id, p.name])) };
  }, [unread]);
}

export function noticeText(n: Notice, productName: Map<string, string>, { t, day }: I18n): string {
  const product = (n.product ? productName.get(n.product) : undefined) ?? n.order?.product.name ?? t('aProduct');
  // A due day is a moment at 00:00 in the school's time zone: its calendar day is what people mean.
  const due = n.dueAt ? day(n.dueAt.slice(0, 10)) : '';
  switch (n.kind) {
    case 'LICENSES_DELIVERED':
      return n.order
        ? t('notice_LICENSES_DELIVERED', { quantity: n.order.quantity, product: n.order.product.name, school: n.order.school.name })
        : t('notice_LICENSES_DELIVERED_short');
    case 'LICENSES_AUTO_STARTING_SOON':
      return t('notice_LICENSES_AUTO_STARTING_SOON', { product, day: due });
    case 'LICENSES_EXPIRING_SOON':
      return t('notice_LICENSES_EXPIRING_SOON', { product, day: due });
    case 'POOL_EXHAUSTED':
      return t('notice_POOL_EXHAUSTED', { product });
    case 'WEBHOOK_ENDPOINT_DISABLED':
      return t('notice_WEBHOOK_ENDPOINT_DISABLED');
  }
}

export function Notifications({ client, unread, onChanged }: { client: LicenseClient; unread: number; onChanged: () => void }) {
  const i18n = useI18n();
  const { t, plural, dayOfMoment, number } = i18n;
  const [load, reload] = useNotices(client, unread);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [error, setError] = useState<unknown>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [marked, setMarked] = useState(false);
  // "Mark all as read" disappears once done: the focus goes to the section's heading, not to the page's top.
  useEffect(() => {
    if (marked && unread === 0) headingRef.current?.focus();
  }, [marked, unread]);

  const markAllRead = async () => {
    setFailure(null);
    setError(null);
    try {
      const result = toResult((await client.mutate(MarkNotificationsReadDocument, { input: {} })).markNotificationsRead);
      if (!result.ok) return setFailure(result);
      setMarked(true);
      reload();
      onChanged();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section aria-labelledby="notifications" className="card">
      <div className="heading-row">
        <h2 id="notifications" ref={headingRef} tabIndex={-1}>
          {t('notifications')}{' '}
          {unread > 0 ? (
            <span className="badge" data-testid="unread-count">
              {number(unread)}
              <span className="visually-hidden"> {plural('unread', unread)}</span>
            </span>
          ) : null}
        </h2>
        {unread > 0 ? (
          <button type="button" className="link" onClick={() => void markAllRead()}>
            {t('markAllRead')}
          </button>
        ) : null}
      </div>
      {failure ? <FailureMessage failure={failure} /> : null}
      {error ? <ErrorMessage error={error} /> : null}
      <Loaded load={load} what={t('what_notifications')}>
        {({ notices, productName }) =>
          notices.length === 0 ? (
            <Empty>{t('noNotifications')}</Empty>
          ) : (
            <ul className="rows" data-testid="notifications">
              {notices.map((n) => (
                <li key={n.id} className={n.readAt ? 'row' : 'row unread'} data-kind={n.kind}>
                  <div className="row-main">
                    <span>{noticeText(n, productName, i18n)}</span>
                    <span className="muted">
                      {dayOfMoment(n.createdAt)}
                      {n.readAt ? '' : ` · ${t('isNew')}`}
                    </span>
                  </div>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}
