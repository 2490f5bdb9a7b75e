// "Manage licenses", the administrator's path: pick a school and a product; the box of licenses
// to assign with its (i) details; the students and teachers with their license, Assign (a new
// license, or reuse a started one and choose its end date) and Revoke; the school's orders.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import {
  AvailabilityChangedDocument,
  SchoolDocument,
  SchoolOrdersDocument,
  type EndDateCountFieldsFragment,
  type Failure,
  type LicenseAvailabilityFieldsFragment,
  type LicenseClient,
  type LicenseFieldsFragment,
  type OrderFieldsFragment,
  type ProductFieldsFragment,
  type SchoolMembershipFieldsFragment,
} from '@school-licenses/sdk';
import { useI18n } from './i18n/i18n.tsx';
import { all, useLoad, type Load } from './load.ts';
import { ConfirmPanel, Empty, ErrorMessage, FailureMessage, Loaded, SchoolPicker, ViewHeading, type SchoolChoice } from './ui.tsx';

export function ManageLicenses({
  client,
  schools,
  school,
  onSchool,
  loadState,
}: {
  client: LicenseClient;
  schools: SchoolChoice[];
  school: SchoolChoice | null;
  onSchool: (id: string) => void;
  loadState: Load<unknown>;
}) {
  const { t } = useI18n();
  const [productId, setProductId] = useState<string | null>(null);
  const [detail, reloadDetail] = useLoad(async () => (school ? (await client.query(SchoolDocument, { id: school.id })).school : null), [school?.id]);
  const products = detail.status === 'done' ? (detail.data?.products ?? []) : [];
  const chosen = products.find((p) => p.product.id === productId) ?? products[0] ?? null;

  return (
    <>
      <section aria-labelledby="manage" className="card">
        <ViewHeading id="manage">{t('appName')}</ViewHeading>
        <Loaded load={loadState} what={t('what_schools')}>
          {() =>
            !school ? (
              <Empty>{t('noSchools')}</Empty>
            ) : (
              <div className="pickers">
                <SchoolPicker schools={schools} school={school} onChange={(id) => (onSchool(id), setProductId(null))} />
                <Loaded load={detail} what={t('what_products')}>
                  {() =>
                    products.length === 0 ? (
                      <Empty>{t('noProducts', { school: school.name })}</Empty>
                    ) : (
                      <div className="field">
                        <label htmlFor="product">{t('product')}</label>
                        <select id="product" value={chosen?.product.id ?? ''} onChange={(e) => setProductId(e.target.value)}>
                          {products.map(({ product, availability }) => (
                            <option key={product.id} value={product.id}>
                              {t('productOption', { product: product.name, count: availability.assignable })}
                            </option>
                          ))}
                        </select>
                      </div>
                    )
                  }
                </Loaded>
              </div>
            )
          }
        </Loaded>
      </section>
      {school && chosen ? (
        <ProductLicenses key={`${school.id}/${chosen.product.id}`} client={client} school={school.id} product={chosen.product} onChanged={reloadDetail} />
      ) : null}
      {school ? <Orders key={school.id} client={client} school={school.id} schoolName={school.name} /> : null}
    </>
  );
}

interface ProductState {
  availability: LicenseAvailabilityFieldsFragment;
  people: SchoolMembershipFieldsFragment[];
  licenseOf: Map<string, LicenseFieldsFragment>;
}

function ProductLicenses({
  client,
  school,
  product,
  onChanged,
}: {
  client: LicenseClient;
  school: string;
  product: ProductFieldsFragment;
  onChanged: () => void;
}) {
  const { t } = useI18n();
  const [load, reload] = useLoad(async (): Promise<ProductState | null> => {
    const [answer, members, assigned] = await Promise.all([
      client.availability({ school, product: product.id }),
      all(client.members({ school, pageSize: 100 })),
      all(client.licenses({ school, product: product.id, assigned: true, pageSize: 100 })),
    ]);
    if (!answer) return null;
    const order = { TEACHER: 0, STUDENT: 1, SCHOOL_ADMIN: 2 } as const;
    const people = members.filter((m) => m.role !== 'SCHOOL_ADMIN').sort((a, b) => order[a.role] - order[b.role] || a.user.name.localeCompare(b.user.name));
    const licenseOf = new Map(assigned.flatMap((l) => (l.holder ? [[l.holder.id, l] as const] : [])));
    return { availability: answer.availability, people, licenseOf };
  }, [school, product.id]);
  // Another admin's change shows at once: the API tells of every committed change to these licenses.
  useEffect(() => client.subscribe(AvailabilityChangedDocument, { school, product: product.id }, reload), [client, school, product.id, reload]);
  const changed = () => {
    reload();
    onChanged();
  };

  return (
    <Loaded load={load} what={t('what_licensesOf', { product: product.name })}>
      {(state) =>
        !state ? (
          <Empty>{t('notYours')}</Empty>
        ) : (
          <>
            <AvailabilityBox product={product} availability={state.availability} />
            <section aria-labelledby="people" className="card">
              <h2 id="people">{t('people')}</h2>
              {state.people.length === 0 ? (
                <Empty>{t('noPeople')}</Empty>
              ) : (
                <ul className="rows" aria-label={t('peopleOf', { product: product.name })}>
                  {state.people.map((m) => (
                    <PersonRow
                      key={m.user.id}
                      client={client}
                      school={school}
                      product={product}
                      member={m}
                      license={state.licenseOf.get(m.user.id) ?? null}
                      availability={state.availability}
                      onChanged={changed}
                    />
                  ))}
                </ul>
              )}
            </section>
          </>
        )
      }
    </Loaded>
  );
}

/** "12 days left", "expired": how long a license is still usable, today included. */
export function DaysLeft({ daysLeft }: { daysLeft: number | null | undefined }) {
  const { t, plural } = useI18n();
  if (daysLeft == null) return null;
  return (
    <span className="muted" data-testid="days-left">
      {daysLeft === 0 ? t('daysLeftExpired') : plural('daysLeft', daysLeft)}
    </span>
  );
}

function AvailabilityBox({ product, availability: a }: { product: ProductFieldsFragment; availability: LicenseAvailabilityFieldsFragment }) {
  const { t, plural, day, number } = useI18n();
  const [open, setOpen] = useState(false);
  const detailsId = useId();
  return (
    <section aria-labelledby="availability" className="card availability" data-testid="availability">
      <div className="heading-row">
        <h2 id="availability">{t('toAssign')}</h2>
        <button
          type="button"
          className="info"
          aria-expanded={open}
          aria-controls={detailsId}
          aria-label={t('detailsButton')}
          title={t('detailsButton')}
          onClick={() => setOpen(!open)}
        >
          i
        </button>
      </div>
      <p className="count">
        <span data-testid="assignable-count" data-count={a.assignable}>
          {number(a.assignable)}
        </span>{' '}
        <span className="muted">{t('ofProduct', { product: product.name, months: product.validityMonths })}</span>
      </p>
      <p className="summary">
        {a.newLicenses > 0 ? plural('summaryNew', a.newLicenses) : t('summaryNoNew')} ·{' '}
        {a.reusable.total > 0 ? plural('summaryReusable', a.reusable.total) : t('summaryNoReusable')}
      </p>
      <dl id={detailsId} hidden={!open} className="details" data-testid="availability-details">
        <dt>{t('newLicenses')}</dt>
        <dd data-testid="new-count">{number(a.newLicenses)}</dd>
        <dt>{t('reusableLicenses')}</dt>
        <dd data-testid="reusable-count" data-count={a.reusable.total}>
          {number(a.reusable.total)}
        </dd>
        {a.reusable.endDates.length > 0 ? (
          <dd className="wide">
            <ul className="end-dates" aria-label={t('perEndDate')}>
              {a.reusable.endDates.map((e) => (
                <li key={e.endDate} data-testid="reusable-end-date" data-end-date={e.endDate.slice(0, 10)} data-count={e.count}>
                  <span>{t('endsOn', { day: day(e.endDate) })}</span> <strong>{number(e.count)}</strong> <DaysLeft daysLeft={e.daysLeft} />
                </li>
              ))}
            </ul>
          </dd>
        ) : null}
        <dt>{t('awaitingDelivery')}</dt>
        <dd data-testid="awaiting-count">{number(a.awaitingDelivery)}</dd>
        <dt>{t('autoStartingSoon')}</dt>
        <dd data-testid="auto-starting-count">{number(a.autoStartingSoon)}</dd>
        {a.nextAutoStartOn ? <dd className="wide muted">{t('nextAutoStart', { day: day(a.nextAutoStartOn) })}</dd> : null}
        <dt>{t('assignedNow')}</dt>
        <dd>{number(a.assigned)}</dd>
        <dt>{t('expired')}</dt>
        <dd>{number(a.expired)}</dd>
      </dl>
    </section>
  );
}

function PersonRow(props: {
  client: LicenseClient;
  school: string;
  product: ProductFieldsFragment;
  member: SchoolMembershipFieldsFragment;
  license: LicenseFieldsFragment | null;
  availability: LicenseAvailabilityFieldsFragment;
  onChanged: () => void;
}) {
  const { client, member, license } = props;
  const { t, day } = useI18n();
  const [mode, setMode] = useState<'idle' | 'assign' | 'revoke'>('idle');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const name = member.user.name;
  const actionRef = useRef<HTMLButtonElement>(null);
  const statusRef = useRef<HTMLParagraphElement>(null);
  // After a change or a cancel, focus goes back to the row (its outcome, or its button), not to the page's top.
  const [focusBack, setFocusBack] = useState<'status' | 'action' | null>(null);
  useEffect(() => {
    if (focusBack === 'status') statusRef.current?.focus();
    if (focusBack === 'action') actionRef.current?.focus();
    if (focusBack && mode === 'idle') setFocusBack(null);
  });

  const run = async (change: () => Promise<{ ok: true } | Failure>, success: string) => {
    setBusy(true);
    setDone(null);
    setFailure(null);
    setError(null);
    try {
      const result = await change();
      if (result.ok) {
        setMode('idle');
        setDone(success);
        setFocusBack('status');
        props.onChanged();
      } else {
        setFailure(result);
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const open = (next: 'assign' | 'revoke') => (setMode(next), setFailure(null), setError(null), setDone(null));
  const cancel = () => (setMode('idle'), setFocusBack('action'));

  const revoke = () => run(() => client.revokeLicense({ license: license!.id }), t('revoked', { name, day: day(license!.endDate) }));

  return (
    <li className="row" data-testid="person" aria-label={name}>
      <div className="row-main">
        <strong>{name}</strong>
        <span className="tag">{t(`role_${member.role}`)}</span>
        <span className={license ? 'license' : 'muted'} data-testid="license-status" data-end-date={license?.endDate?.slice(0, 10)}>
          {license ? t('licenseEnds', { day: day(license.endDate) }) : t('noLicense')}
        </span>
        {license ? <DaysLeft daysLeft={license.daysLeft} /> : null}
      </div>
      {mode === 'idle' ? (
        <div className="actions">
          {license ? (
            <button type="button" ref={actionRef} onClick={() => open('revoke')}>
              {t('revoke')}
            </button>
          ) : (
            <button type="button" ref={actionRef} onClick={() => open('assign')}>
              {t('assign')}
            </button>
          )}
        </div>
      ) : null}
      {mode === 'revoke' && license ? (
        <ConfirmPanel
          question={t('revokeQuestion', { name, day: day(license.endDate) })}
          confirm={t('yesRevoke')}
          busyLabel={t('revoking')}
          busy={busy}
          onConfirm={() => void revoke()}
          onCancel={cancel}
        />
      ) : null}
      {mode === 'assign' && !license ? (
        <AssignForm
          {...props}
          busy={busy}
          failure={failure}
          onCancel={cancel}
          onAssign={(reuseStarted, endDate) =>
            run(
              () => client.assignLicense({ school: props.school, product: props.product.id, user: member.user.id, reuseStarted, endDate }),
              t(reuseStarted ? 'assignedStarted' : 'assignedNew', { name }),
            )
          }
        />
      ) : null}
      {failure && mode !== 'assign' ? <FailureMessage failure={failure} /> : null}
      {error ? <ErrorMessage error={error} /> : null}
      {done && mode === 'idle' ? (
        <p className="ok" role="status" tabIndex={-1} ref={statusRef}>
          {done}
        </p>
      ) : null}
    </li>
  );
}

function AssignForm({
  member,
  product,
  availability,
  busy,
  failure,
  onAssign,
  onCancel,
}: {
  member: SchoolMembershipFieldsFragment;
  product: ProductFieldsFragment;
  availability: LicenseAvailabilityFieldsFragment;
  busy: boolean;
  failure: Failure | null;
  onAssign: (reuseStarted: boolean, endDate: string | null) => void;
  onCancel: () => void;
}) {
  const { t, plural, day } = useI18n();
  const pool = availability.reusable;
  const [reuse, setReuse] = useState(availability.newLicenses === 0 && pool.total > 0);
  const [endDate, setEndDate] = useState<string>('');
  const [missing, setMissing] = useState(false);
  const endDateRef = useRef<HTMLSelectElement>(null);
  const firstRef = useRef<HTMLInputElement>(null);
  // After END_DATE_REQUIRED / END_DATE_NOT_AVAILABLE, the API's own list is the one to choose from.
  const endDateFailure = failure && (failure.code === 'END_DATE_REQUIRED' || failure.code === 'END_DATE_NOT_AVAILABLE') ? failure : null;
  const offered: EndDateCountFieldsFragment[] = endDateFailure ? endDateFailure.availableEndDates : pool.endDates;
  const id = useId();
  const needsChoice = reuse && offered.length > 1;
  const chosen = offered.some((e) => e.endDate === endDate) ? endDate : '';
  useEffect(() => firstRef.current?.focus(), []);
  // The API's refusal about the end date goes to that field, and the focus with it.
  useEffect(() => {
    if (endDateFailure) endDateRef.current?.focus();
  }, [endDateFailure]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    // An assignment that still needs an end-date choice is never sent: the choice is asked for here.
    if (needsChoice && !chosen) {
      setMissing(true);
      endDateRef.current?.focus();
      return;
    }
    setMissing(false);
    onAssign(reuse, reuse ? chosen || (offered.length === 1 ? offered[0]!.endDate : null) : null);
  };

  const endDateProblem = missing && needsChoice && !chosen;
  const fieldFailure = endDateFailure ?? (failure?.field === 'endDate' ? failure : null);
  return (
    <form className="panel" onSubmit={submit} noValidate aria-label={t('assignTo', { product: product.name, name: member.user.name })}>
      <fieldset>
        <legend>{t('whichLicense')}</legend>
        <label className="choice">
          <input ref={firstRef} type="radio" name={`${id}-kind`} checked={!reuse} onChange={() => setReuse(false)} />
          {t('newLicense')} <span className="muted">{plural('newLicenseHint', availability.newLicenses)}</span>
        </label>
        <label className="choice">
          <input type="radio" name={`${id}-kind`} checked={reuse} onChange={() => setReuse(true)} />
          {t('reuseStarted')} <span className="muted">{plural('reuseHint', pool.total)}</span>
        </label>
      </fieldset>
      {needsChoice ? (
        <div className="field">
          <label htmlFor={`${id}-end-date`}>{t('endDate')}</label>
          <select
            id={`${id}-end-date`}
            ref={endDateRef}
            value={chosen}
            required
            aria-invalid={endDateProblem || fieldFailure ? true : undefined}
            aria-describedby={endDateProblem ? `${id}-missing` : fieldFailure ? `${id}-failure` : undefined}
            onChange={(e) => (setEndDate(e.target.value), setMissing(false))}
          >
            <option value="">{t('chooseEndDate')}</option>
            {offered.map((e) => (
              <option key={e.endDate} value={e.endDate} data-end-date={e.endDate.slice(0, 10)}>
                {plural('endDateOption', e.count, { day: day(e.endDate) })}
              </option>
            ))}
          </select>
          {endDateProblem ? (
            <p className="error" id={`${id}-missing`} role="alert" data-testid="end-date-missing">
              {t('endDateMissing')}
            </p>
          ) : null}
          {fieldFailure && !endDateProblem ? <FailureMessage failure={fieldFailure} id={`${id}-failure`} /> : null}
        </div>
      ) : null}
      {reuse && offered.length === 1 ? <p className="muted">{t('endsOnly', { day: day(offered[0]!.endDate) })}</p> : null}
      {failure && !(needsChoice && fieldFailure) ? <FailureMessage failure={failure} /> : null}
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? t('assigning') : t('assignLicense')}
        </button>
        <button type="button" className="link" onClick={onCancel}>
          {t('cancel')}
        </button>
      </div>
    </form>
  );
}

function Orders({ client, school, schoolName }: { client: LicenseClient; school: string; schoolName: string }) {
  const { t, dayOfMoment, number } = useI18n();
  const [load] = useLoad(() => all(client.nodes(SchoolOrdersDocument, { school }, (data) => data.school?.orders)), [school]);
  return (
    <section aria-labelledby="orders" className="card">
      <h2 id="orders">{t('orders', { school: schoolName })}</h2>
      <Loaded load={load} what={t('what_orders')}>
        {(orders: OrderFieldsFragment[]) =>
          orders.length === 0 ? (
            <Empty>{t('noOrders')}</Empty>
          ) : (
            <ul className="rows" data-testid="orders">
              {orders.map((o) => (
                <li key={o.id} className="row" data-testid="order">
                  <div className="row-main">
                    <strong>
                      {number(o.quantity)} × {o.product.name}
                    </strong>
                    <span className="tag">{t(`delivery_${o.deliveryMode}`)}</span>
                    <span className={o.status === 'DELIVERED' ? 'license' : 'waiting'}>
                      {o.status === 'DELIVERED' ? t('delivered', { day: dayOfMoment(o.deliveredAt) }) : t('awaitingOrdered', { day: dayOfMoment(o.placedAt) })}
                    </span>
                  </div>
                  {o.preAssignedUsers.length > 0 ? (
                    <p className="muted">{t('preAssigned', { names: o.preAssignedUsers.map((u) => u.name).join(', ') })}</p>
                  ) : null}
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}
