// Licenses ending or starting by themselves soon at a school: the (i) box's auto-start numbers for
// every product, the started licenses whose end date is within 30 days, and the notices about them.
import { SchoolDocument, type LicenseClient, type LicenseFieldsFragment } from '@school-licenses/sdk';
import { useI18n } from './i18n/i18n.tsx';
import { all, useLoad, type Load } from './load.ts';
import { DaysLeft } from './ManageLicenses.tsx';
import { Renewal } from './Renewal.tsx';
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
