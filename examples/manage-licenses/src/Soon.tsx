// Licenses ending or starting by themselves soon at a school: the (i) box's auto-start numbers for
// every product, the started licenses whose end date is within 30 days, and the notices about them.
import { useId, useState } from 'react';
import { SchoolDocument, type LicenseClient, type LicenseFieldsFragment } from '@school-licenses/sdk';
import { useI18n } from './i18n/i18n.tsx';
import { all, useLoad, type Load } from './load.ts';
import { DaysLeft } from './ManageLicenses.tsx';
import { noticeText, useNotices } from './Notifications.tsx';
import { Empty, Loaded, SchoolPicker, ViewHeading, type SchoolChoice } from './ui.tsx';

const WINDOW_DAYS = 30;

export function Soon(props: {
  client: LicenseClient;
  schools: SchoolChoice[];
  school: SchoolChoice | null;
  onSchool: (id: string) => void;
  loadState: Load<unknown>;
  unread: number;
}) {
  const { client, school } = props;
  const { t } = useI18n();
  return (
    <>
      <section aria-labelledby="soon" className="card">
        <ViewHeading id="soon">{t('view_soon')}</ViewHeading>
        <p className="muted">{t('soonIntro')}</p>
        <Loaded load={props.loadState} what={t('what_schools')}>
          {() => (school ? <SchoolPicker schools={props.schools} school={school} onChange={props.onSchool} /> : <Empty>{t('noSchools')}</Empty>)}
        </Loaded>
      </section>
      {school ? <SchoolSoon key={school.id} client={client} school={school} /> : null}
      {school ? <Renewal key={`renewal-${school.id}`} client={client} school={school} /> : null}
      <Notices client={client} unread={props.unread} />
    </>
  );
}

function SchoolSoon({ client, school }: { client: LicenseClient; school: SchoolChoice }) {
  const { t, plural, day } = useI18n();
  const [load] = useLoad(async () => {
    const products = (await client.query(SchoolDocument, { id: school.id })).school?.products ?? [];
    // The API filters by end date (a day); the days left (the school's today) decide what is shown.
    const until = new Date(Date.now() + (WINDOW_DAYS + 1) * 86_400_000).toISOString().slice(0, 10);
    const ending = await Promise.all(
      products.map(({ product }) => all(client.licenses({ school: school.id, product: product.id, state: 'STARTED', endDateTo: until, pageSize: 100 }))),
    );
    const endingSoon = ending
      .flat()
      .filter((l) => l.daysLeft != null && l.daysLeft > 0 && l.daysLeft <= WINDOW_DAYS)
      .sort((a, b) => (a.endDate ?? '').localeCompare(b.endDate ?? '') || a.product.name.localeCompare(b.product.name));
    const startingSoon = products.filter((p) => p.availability.autoStartingSoon > 0);
    return { endingSoon, startingSoon };
  }, [school.id]);
  return (
    <Loaded load={load} what={t('what_soon')}>
      {({ endingSoon, startingSoon }) => (
        <>
          <section aria-labelledby="ending-soon" className="card">
            <h2 id="ending-soon">{t('endingSoon')}</h2>
            {endingSoon.length === 0 ? (
              <Empty>{t('noEndingSoon')}</Empty>
            ) : (
              <ul className="rows" data-testid="ending-soon">
                {endingSoon.map((l: LicenseFieldsFragment) => (
                  <li key={l.id} className="row" data-testid="ending-license" data-end-date={l.endDate?.slice(0, 10)}>
                    <div className="row-main">
                      <strong>{l.product.name}</strong>
                      <span>{t('endsOn', { day: day(l.endDate) })}</span>
                      <DaysLeft daysLeft={l.daysLeft} />
                      <span className="muted">{l.holder ? t('heldBy', { name: l.holder.name }) : t('reusableNobody')}</span>
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section aria-labelledby="starting-soon" className="card">
            <h2 id="starting-soon">{t('startingSoon')}</h2>
            {startingSoon.length === 0 ? (
              <Empty>{t('noStartingSoon')}</Empty>
            ) : (
              <ul className="rows" data-testid="starting-soon">
                {startingSoon.map(({ product, availability }) => (
                  <li key={product.id} className="row" data-testid="starting-product">
                    <div className="row-main">
                      <span>{plural('startsOn', availability.autoStartingSoon, { product: product.name, day: day(availability.nextAutoStartOn) })}</span>
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </Loaded>
  );
}

function Notices({ client, unread }: { client: LicenseClient; unread: number }) {
  const i18n = useI18n();
  const { t, dayOfMoment } = i18n;
  const [load] = useNotices(client, unread);
  return (
    <section aria-labelledby="notices" className="card">
      <h2 id="notices">{t('notices')}</h2>
      <Loaded load={load} what={t('what_notifications')}>
        {({ notices, productName }) => {
          const soon = notices.filter((n) => n.kind === 'LICENSES_EXPIRING_SOON' || n.kind === 'LICENSES_AUTO_STARTING_SOON');
          return soon.length === 0 ? (
            <Empty>{t('noNotices')}</Empty>
          ) : (
            <ul className="rows" data-testid="notices">
              {soon.map((n) => (
                <li key={n.id} className="row" data-kind={n.kind}>
                  <div className="row-main">
                    <span>{noticeText(n, productName, i18n)}</span>
                    <span className="muted">{dayOfMoment(n.createdAt)}</span>
                  </div>
                </li>
              ))}
            </ul>
          );
        }}
      </Loaded>
    </section>
  );
}

const RENEWAL_WINDOWS = [30, 90, 180, 365] as const;

/**
 * What to renew: the started licenses ending within a window, per product and end date
 * (`expiringLicenses`), for the school or one class. The app has no order form: the list says what
 * to order, and links to the school's orders.
 */
function Renewal({ client, school }: { client: LicenseClient; school: SchoolChoice }) {
  const { t, plural, day, number } = useI18n();
  const id = useId();
  const [within, setWithin] = useState<number>(90);
  const [group, setGroup] = useState('');
  const [groups] = useLoad(() => all(client.groups({ school: school.id, pageSize: 100 })), [school.id]);
  const [load] = useLoad(() => client.expiringLicenses({ school: school.id, within, group: group || undefined }), [school.id, within, group]);
  return (
    <section aria-labelledby="renewal" className="card">
      <h2 id="renewal">{t('renewal')}</h2>
      <p className="muted">{t('renewalIntro')}</p>
      <div className="pickers">
        <div className="field">
          <label htmlFor={`${id}-within`}>{t('renewalWindow')}</label>
          <select id={`${id}-within`} value={within} onChange={(e) => setWithin(Number(e.target.value))}>
            {RENEWAL_WINDOWS.map((days) => (
              <option key={days} value={days}>
                {plural('withinDays', days)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-group`}>{t('renewalClass')}</label>
          <select id={`${id}-group`} value={group} onChange={(e) => setGroup(e.target.value)}>
            <option value="">{t('wholeSchool')}</option>
            {(groups.status === 'done' ? groups.data : []).map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
        </div>
      </div>
      <Loaded load={load} what={t('what_renewal')}>
        {(products) =>
          !products || products.length === 0 ? (
            <Empty>{t('noRenewal')}</Empty>
          ) : (
            <ul className="rows" data-testid="renewal">
              {products.map((p) => (
                <li key={p.product.id} className="row" data-testid="renewal-product" aria-label={p.product.name} data-licenses={p.licenses}>
                  <div className="row-main">
                    <strong>{p.product.name}</strong>
                    {p.group ? <span className="tag">{p.group.name}</span> : null}
                    <span>{t('renewalCounts', { licenses: p.licenses, assigned: p.assigned })}</span>
                  </div>
                  <ul className="members">
                    {p.endDates.map((e) => (
                      <li key={e.endDate} data-testid="renewal-end-date" data-end-date={e.endDate.slice(0, 10)} data-licenses={e.licenses}>
                        {t('renewalEndDate', { day: day(e.endDate), licenses: number(e.licenses), assigned: number(e.assigned) })}{' '}
                        <DaysLeft daysLeft={e.daysLeft} />
                      </li>
                    ))}
                  </ul>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
      <p>
        <a href="#licenses">{t('renewalOrders')}</a>
      </p>
    </section>
  );
}
