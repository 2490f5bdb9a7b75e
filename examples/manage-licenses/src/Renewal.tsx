// What to renew (docs/DOMAIN.md "Renewal"): the started licenses ending within a window, per
// product and end date, for the school or one class; and an order marked as their renewal, which
// on a delayed delivery can reserve its licenses for the class.
import { useId, useRef, useState, type FormEvent } from 'react';
import {
  OrderRenewalAndReservationsDocument,
  PlaceOrderDocument,
  SchoolDocument,
  toResult,
  type ExpiringLicensesFieldsFragment,
  type Failure,
  type GroupFieldsFragment,
  type LicenseClient,
  type OrderRenewalAndReservationsQuery,
  type ProductFieldsFragment,
} from '@school-licenses/sdk';
import { useI18n } from './i18n/i18n.tsx';
import { all, useLoad } from './load.ts';
import { DaysLeft } from './ManageLicenses.tsx';
import { Empty, FailureMessage, Loaded, type SchoolChoice } from './ui.tsx';

const RENEWAL_WINDOWS = [30, 90, 180, 365] as const;

/**
 * What to renew: the started licenses ending within a window, per product and end date
 * (`expiringLicenses`), for the school or one class. The app has no order form: the list says what
 * to order, and links to the school's orders.
 */
export function Renewal({ client, school }: { client: LicenseClient; school: SchoolChoice }) {
  const { t, plural, day, number } = useI18n();
  const id = useId();
  const [within, setWithin] = useState<number>(90);
  const [group, setGroup] = useState('');
  const [groups] = useLoad(() => all(client.groups({ school: school.id, pageSize: 100 })), [school.id]);
  const [load] = useLoad(() => client.expiringLicenses({ school: school.id, within, group: group || undefined }), [school.id, within, group]);
  const [catalogue] = useLoad(async () => (await client.query(SchoolDocument, { id: school.id })).school?.products.map((p) => p.product) ?? [], [school.id]);
  const products = catalogue.status === 'done' ? catalogue.data : [];
  const groupList = groups.status === 'done' ? groups.data : [];
  const chosenGroup = groupList.find((g) => g.id === group) ?? null;
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
            {groupList.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
        </div>
      </div>
      <Loaded load={load} what={t('what_renewal')}>
        {(expiring) =>
          !expiring || expiring.length === 0 ? (
            <Empty>{t('noRenewal')}</Empty>
          ) : (
            <ul className="rows" data-testid="renewal">
              {expiring.map((p) => (
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
                  <RenewalOrder
                    client={client}
                    school={school}
                    expiring={p}
                    product={products.find((each) => each.id === p.product.id) ?? null}
                    group={chosenGroup}
                  />
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

type OrderRenewal = Extract<NonNullable<OrderRenewalAndReservationsQuery['node']>, { id: string }>;
type PlacedOrder = OrderRenewal & { quantity: number; product: string };

/**
 * An order renewing the licenses of one end date (`placeOrder` with `renewalOf`, for the class when
 * one is chosen). On a delayed or activation-link delivery it can reserve its licenses for the
 * class's students (`reserveForGroup`): they get them the moment the licenses arrive.
 */
function RenewalOrder(props: {
  client: LicenseClient;
  school: SchoolChoice;
  expiring: ExpiringLicensesFieldsFragment;
  product: ProductFieldsFragment | null;
  group: GroupFieldsFragment | null;
}) {
  const { client, school, expiring, product, group } = props;
  const { t, plural, day, number } = useI18n();
  const id = useId();
  const [open, setOpen] = useState(false);
  const [endDate, setEndDate] = useState(expiring.endDates[0]?.endDate.slice(0, 10) ?? '');
  const [quantity, setQuantity] = useState(String(expiring.endDates[0]?.licenses ?? 1));
  const [reserve, setReserve] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [placed, setPlaced] = useState<PlacedOrder | null>(null);
  const firstRef = useRef<HTMLSelectElement>(null);
  const doneRef = useRef<HTMLParagraphElement>(null);
  // Reservations wait for a delivery: a direct order's licenses exist at once (Skolon's rule).
  const canReserve = group != null && product != null && product.deliveryMode !== 'DIRECT';
  const formId = `${id}-form`;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const answer = toResult(
        (
          await client.mutate(PlaceOrderDocument, {
            input: {
              school: school.id,
              product: expiring.product.id,
              quantity: Number(quantity),
              renewalOf: { endDate, group: group?.id ?? null },
              reserveForGroup: canReserve && reserve ? group.id : null,
            },
          })
        ).placeOrder,
      );
      if (!answer.ok) {
        setFailure(answer);
        return;
      }
      // What the API recorded: the renewal, and the class the licenses are reserved for.
      const order = (await client.query(OrderRenewalAndReservationsDocument, { order: answer.order.id })).node;
      // The node of an order's id is that order.
      if (order && 'id' in order) setPlaced({ ...(order as OrderRenewal), quantity: answer.order.quantity, product: expiring.product.name });
      setOpen(false);
      requestAnimationFrame(() => doneRef.current?.focus());
    } finally {
      setBusy(false);
    }
  };
  const at = (field: string) => (failure?.field === field ? failure : null);
  const described = (field: string) => (at(field) ? { 'aria-invalid': true, 'aria-describedby': `${id}-${field}` } : {});
  const placedAt = new Set(['quantity', 'renewalOf', 'reserveForGroup']);

  return (
    <div className="renewal-order">
      {placed ? (
        <p className="ok" role="status" tabIndex={-1} ref={doneRef} data-testid="renewal-ordered">
          {t('renewalOrdered', { quantity: number(placed.quantity), product: placed.product, day: day(placed.renewalOf?.endDate) })}
          {placed.reservedForGroup ? ` ${t('reservedFor', { group: placed.reservedForGroup.name })}` : ''}
        </p>
      ) : null}
      <button
        type="button"
        aria-expanded={open}
        aria-controls={formId}
        onClick={() => (setOpen(!open), setPlaced(null), requestAnimationFrame(() => firstRef.current?.focus()))}
      >
        {t('orderRenewal', { product: expiring.product.name })}
      </button>
      {open ? (
        <form id={formId} className="panel" onSubmit={submit} noValidate aria-label={t('orderRenewal', { product: expiring.product.name })}>
          <div className="field">
            <label htmlFor={`${id}-end-date`}>{t('renewsEndDate')}</label>
            <select id={`${id}-end-date`} ref={firstRef} value={endDate} onChange={(e) => setEndDate(e.target.value)} {...described('renewalOf')}>
              {expiring.endDates.map((e) => (
                <option key={e.endDate} value={e.endDate.slice(0, 10)}>
                  {plural('renewalEndDateOption', e.licenses, { day: day(e.endDate) })}
                </option>
              ))}
            </select>
            {at('renewalOf') ? <FailureMessage failure={at('renewalOf')!} id={`${id}-renewalOf`} /> : null}
          </div>
          <div className="field">
            <label htmlFor={`${id}-quantity`}>{t('orderQuantity')}</label>
            <input
              id={`${id}-quantity`}
              type="number"
              min={1}
              inputMode="numeric"
              value={quantity}
              onChange={(e) => setQuantity(e.target.value)}
              {...described('quantity')}
            />
            {at('quantity') ? <FailureMessage failure={at('quantity')!} id={`${id}-quantity`} /> : null}
          </div>
          {group ? <p className="muted">{t('renewalForClass', { group: group.name })}</p> : null}
          {canReserve ? (
            <label className="choice">
              <input type="checkbox" checked={reserve} onChange={(e) => setReserve(e.target.checked)} {...described('reserveForGroup')} />
              {t('reserveForClass', { group: group.name })}
            </label>
          ) : null}
          {at('reserveForGroup') ? <FailureMessage failure={at('reserveForGroup')!} id={`${id}-reserveForGroup`} /> : null}
          {product ? <p className="muted">{t(`delivery_${product.deliveryMode}`)}</p> : null}
          {failure && !placedAt.has(failure.field ?? '') ? <FailureMessage failure={failure} /> : null}
          <div className="actions">
            <button type="submit" disabled={busy}>
              {busy ? t('ordering') : t('placeRenewalOrder')}
            </button>
          </div>
        </form>
      ) : null}
    </div>
  );
}
