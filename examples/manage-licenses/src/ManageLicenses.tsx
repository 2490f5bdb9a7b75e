// "Manage licenses", the administrator's path: pick a school and a product; the box of licenses
// to assign with its (i) details; the students and teachers with their license, Assign (a new
// license, or reuse a started one and choose its end date) and Revoke; the school's orders.
import { useEffect, useId, useState, type FormEvent } from 'react';
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
import { all, useLoad } from './load.ts';
import { day, dayOfMoment, daysLeftText } from './messages.ts';
import { Empty, ErrorMessage, FailureMessage, Loaded } from './ui.tsx';

export function ManageLicenses({ client }: { client: LicenseClient }) {
  const [schools] = useLoad(() => all(client.schools()), []);
  const [schoolId, setSchoolId] = useState<string | null>(null);
  const [productId, setProductId] = useState<string | null>(null);
  const schoolList = schools.status === 'done' ? schools.data : [];
  const school = schoolList.find((s) => s.id === schoolId) ?? schoolList[0] ?? null;

  const [detail, reloadDetail] = useLoad(async () => (school ? (await client.query(SchoolDocument, { id: school.id })).school : null), [school?.id]);
  const products = detail.status === 'done' ? (detail.data?.products ?? []) : [];
  const chosen = products.find((p) => p.product.id === productId) ?? products[0] ?? null;

  return (
    <>
      <section aria-labelledby="manage" className="card">
        <h2 id="manage">Manage licenses</h2>
        <Loaded load={schools} what="schools">
          {(list) =>
            list.length === 0 ? (
              <Empty>You administer no schools.</Empty>
            ) : (
              <div className="pickers">
                <div className="field">
                  <label htmlFor="school">School</label>
                  <select id="school" value={school?.id ?? ''} onChange={(e) => (setSchoolId(e.target.value), setProductId(null))}>
                    {list.map((s) => (
                      <option key={s.id} value={s.id}>
                        {s.name}
                      </option>
                    ))}
                  </select>
                </div>
                <Loaded load={detail} what="products">
                  {() =>
                    products.length === 0 ? (
                      <Empty>{school?.name} has no licenses of any product yet.</Empty>
                    ) : (
                      <div className="field">
                        <label htmlFor="product">Product</label>
                        <select id="product" value={chosen?.product.id ?? ''} onChange={(e) => setProductId(e.target.value)}>
                          {products.map(({ product, availability }) => (
                            <option key={product.id} value={product.id}>
                              {product.name} ({availability.assignable} to assign)
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
    <Loaded load={load} what={`licenses of ${product.name}`}>
      {(state) =>
        !state ? (
          <Empty>This product is not yours to manage.</Empty>
        ) : (
          <>
            <AvailabilityBox product={product} availability={state.availability} />
            <section aria-labelledby="people" className="card">
              <h2 id="people">Students and teachers</h2>
              {state.people.length === 0 ? (
                <Empty>This school has no students or teachers.</Empty>
              ) : (
                <ul className="rows" aria-label={`Students and teachers, ${product.name}`}>
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

function AvailabilityBox({ product, availability: a }: { product: ProductFieldsFragment; availability: LicenseAvailabilityFieldsFragment }) {
  const [open, setOpen] = useState(false);
  const detailsId = useId();
  return (
    <section aria-labelledby="availability" className="card availability" data-testid="availability">
      <div className="heading-row">
        <h2 id="availability">Licenses to assign</h2>
        <button
          type="button"
          className="info"
          aria-expanded={open}
          aria-controls={detailsId}
          aria-label="Details: new and started licenses"
          title="Details: new and started licenses"
          onClick={() => setOpen(!open)}
        >
          i
        </button>
      </div>
      <p className="count">
        <span data-testid="assignable-count">{a.assignable}</span>{' '}
        <span className="muted">
          of {product.name} ({product.validityMonths} months from start)
        </span>
      </p>
      <p className="summary">
        {a.newLicenses > 0 ? `${a.newLicenses} new` : 'No new licenses'} ·{' '}
        {a.reusable.total > 0 ? `${a.reusable.total} started licenses to reuse` : 'no started licenses to reuse'}
      </p>
      <dl id={detailsId} hidden={!open} className="details" data-testid="availability-details">
        <dt>New licenses</dt>
        <dd data-testid="new-count">{a.newLicenses}</dd>
        <dt>Reusable started licenses</dt>
        <dd data-testid="reusable-count">{a.reusable.total}</dd>
        {a.reusable.endDates.length > 0 ? (
          <dd className="wide">
            <ul className="end-dates" aria-label="Reusable started licenses per end date">
              {a.reusable.endDates.map((e) => (
                <li key={e.endDate} data-testid="reusable-end-date" data-end-date={day(e.endDate)}>
                  <span>ends {day(e.endDate)}</span> <strong>{e.count}</strong>{' '}
                  <span className="muted" data-testid="days-left">
                    {daysLeftText(e.daysLeft)}
                  </span>
                </li>
              ))}
            </ul>
          </dd>
        ) : null}
        <dt>Awaiting delivery</dt>
        <dd data-testid="awaiting-count">{a.awaitingDelivery}</dd>
        <dt>Start by themselves within 30 days</dt>
        <dd>{a.autoStartingSoon}</dd>
        {a.nextAutoStartOn ? <dd className="wide muted">The next new license starts by itself on {day(a.nextAutoStartOn)} unless assigned before.</dd> : null}
        <dt>Assigned now</dt>
        <dd>{a.assigned}</dd>
        <dt>Expired</dt>
        <dd>{a.expired}</dd>
      </dl>
    </section>
  );
}

const roleName = { STUDENT: 'Student', TEACHER: 'Teacher', SCHOOL_ADMIN: 'Administrator' } as const;

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
  const [mode, setMode] = useState<'idle' | 'assign' | 'revoke'>('idle');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const name = member.user.name;

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

  const revoke = () => run(() => client.revokeLicense({ license: license!.id }), `Revoked ${name}'s license: it is reusable until ${day(license!.endDate)}.`);

  return (
    <li className="row" data-testid="person" aria-label={name}>
      <div className="row-main">
        <strong>{name}</strong>
        <span className="tag">{roleName[member.role]}</span>
        <span className={license ? 'license' : 'muted'} data-testid="license-status">
          {license ? `License ends ${day(license.endDate)}` : 'No license'}
        </span>
        {license ? (
          <span className="muted" data-testid="days-left">
            {daysLeftText(license.daysLeft)}
          </span>
        ) : null}
      </div>
      {mode === 'idle' ? (
        <div className="actions">
          {license ? (
            <button type="button" onClick={() => (setMode('revoke'), setFailure(null), setError(null))}>
              Revoke
            </button>
          ) : (
            <button type="button" onClick={() => (setMode('assign'), setFailure(null), setError(null))}>
              Assign
            </button>
          )}
        </div>
      ) : null}
      {mode === 'revoke' && license ? (
        <div className="panel">
          <p>
            Revoke {name}'s license? It keeps its end date ({day(license.endDate)}) and can be reused.
          </p>
          <div className="actions">
            <button type="button" className="danger" disabled={busy} onClick={() => void revoke()}>
              {busy ? 'Revoking…' : 'Yes, revoke'}
            </button>
            <button type="button" className="link" onClick={() => setMode('idle')}>
              Cancel
            </button>
          </div>
        </div>
      ) : null}
      {mode === 'assign' && !license ? (
        <AssignForm
          {...props}
          busy={busy}
          failure={failure}
          onCancel={() => setMode('idle')}
          onAssign={(reuseStarted, endDate) =>
            run(
              async () => {
                const result = await client.assignLicense({ school: props.school, product: props.product.id, user: member.user.id, reuseStarted, endDate });
                return result;
              },
              `Assigned ${name} a ${reuseStarted ? 'started' : 'new'} license.`,
            )
          }
        />
      ) : null}
      {failure && mode !== 'assign' ? <FailureMessage failure={failure} /> : null}
      {error ? <ErrorMessage error={error} /> : null}
      {done && mode === 'idle' ? (
        <p className="ok" role="status">
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
  const pool = availability.reusable;
  const [reuse, setReuse] = useState(availability.newLicenses === 0 && pool.total > 0);
  const [endDate, setEndDate] = useState<string>('');
  // After END_DATE_REQUIRED / END_DATE_NOT_AVAILABLE, the API's own list is the one to choose from.
  const offered: EndDateCountFieldsFragment[] =
    failure && (failure.code === 'END_DATE_REQUIRED' || failure.code === 'END_DATE_NOT_AVAILABLE') ? failure.availableEndDates : pool.endDates;
  const id = useId();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const only = offered.length === 1 ? offered[0]!.endDate : null;
    onAssign(reuse, reuse ? endDate || only : null);
  };

  return (
    <form className="panel" onSubmit={submit} aria-label={`Assign ${product.name} to ${member.user.name}`}>
      <fieldset>
        <legend>Which license?</legend>
        <label className="choice">
          <input type="radio" name={`${id}-kind`} checked={!reuse} onChange={() => setReuse(false)} />
          New license <span className="muted">(starts today, {availability.newLicenses} left)</span>
        </label>
        <label className="choice">
          <input type="radio" name={`${id}-kind`} checked={reuse} onChange={() => setReuse(true)} />
          Reuse started license <span className="muted">({pool.total} left, keeps its end date)</span>
        </label>
      </fieldset>
      {reuse && offered.length > 1 ? (
        <div className="field">
          <label htmlFor={`${id}-end-date`}>End date</label>
          <select id={`${id}-end-date`} value={endDate} onChange={(e) => setEndDate(e.target.value)}>
            <option value="">Choose an end date…</option>
            {offered.map((e) => (
              <option key={e.endDate} value={e.endDate}>
                {day(e.endDate)} ({e.count} left)
              </option>
            ))}
          </select>
        </div>
      ) : null}
      {reuse && offered.length === 1 ? <p className="muted">Ends {day(offered[0]!.endDate)}.</p> : null}
      {failure ? <FailureMessage failure={failure} /> : null}
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Assigning…' : 'Assign license'}
        </button>
        <button type="button" className="link" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

const deliveryName = { DIRECT: 'Direct delivery', DELAYED: 'Delayed delivery', ACTIVATION_EMAIL: 'Activation e-mail' } as const;

function Orders({ client, school, schoolName }: { client: LicenseClient; school: string; schoolName: string }) {
  const [load] = useLoad(() => all(client.nodes(SchoolOrdersDocument, { school }, (data) => data.school?.orders)), [school]);
  return (
    <section aria-labelledby="orders" className="card">
      <h2 id="orders">Orders of {schoolName}</h2>
      <Loaded load={load} what="orders">
        {(orders: OrderFieldsFragment[]) =>
          orders.length === 0 ? (
            <Empty>No orders yet.</Empty>
          ) : (
            <ul className="rows" data-testid="orders">
              {orders.map((o) => (
                <li key={o.id} className="row" data-testid="order">
                  <div className="row-main">
                    <strong>
                      {o.quantity} × {o.product.name}
                    </strong>
                    <span className="tag">{deliveryName[o.deliveryMode]}</span>
                    <span className={o.status === 'DELIVERED' ? 'license' : 'waiting'}>
                      {o.status === 'DELIVERED' ? `Delivered ${dayOfMoment(o.deliveredAt)}` : `Awaiting delivery (ordered ${dayOfMoment(o.placedAt)})`}
                    </span>
                  </div>
                  {o.preAssignedUsers.length > 0 ? <p className="muted">Assigned at purchase: {o.preAssignedUsers.map((u) => u.name).join(', ')}</p> : null}
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}
