// The admin's notifications: e.g. a delayed delivery whose licenses have arrived.
import { useState } from 'react';
import { MarkNotificationsReadDocument, NotificationsDocument, toResult, type Failure, type LicenseClient } from '@school-licenses/sdk';
import { all, useLoad } from './load.ts';
import { dayOfMoment } from './messages.ts';
import { Empty, ErrorMessage, FailureMessage, Loaded } from './ui.tsx';

export function Notifications({ client, unread, onChanged }: { client: LicenseClient; unread: number; onChanged: () => void }) {
  const [load, reload] = useLoad(() => all(client.nodes(NotificationsDocument, { unreadOnly: null }, (data) => data.viewer.notifications)), [unread]);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [error, setError] = useState<unknown>(null);

  const markAllRead = async () => {
    setFailure(null);
    setError(null);
    try {
      const result = toResult((await client.mutate(MarkNotificationsReadDocument, { input: {} })).markNotificationsRead);
      if (!result.ok) return setFailure(result);
      reload();
      onChanged();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section aria-labelledby="notifications" className="card">
      <div className="heading-row">
        <h2 id="notifications">
          Notifications{' '}
          {unread > 0 ? (
            <span className="badge" role="img" aria-label={`${unread} unread`}>
              {unread}
            </span>
          ) : null}
        </h2>
        {unread > 0 ? (
          <button type="button" className="link" onClick={() => void markAllRead()}>
            Mark all as read
          </button>
        ) : null}
      </div>
      {failure ? <FailureMessage failure={failure} /> : null}
      {error ? <ErrorMessage error={error} /> : null}
      <Loaded load={load} what="notifications">
        {(notifications) =>
          notifications.length === 0 ? (
            <Empty>No notifications.</Empty>
          ) : (
            <ul className="rows" data-testid="notifications">
              {notifications.map((n) => (
                <li key={n.id} className={n.readAt ? 'row' : 'row unread'}>
                  <div className="row-main">
                    <span>{n.message}</span>
                    <span className="muted">
                      {dayOfMoment(n.createdAt)}
                      {n.readAt ? '' : ' · new'}
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
