// Moving unassigned licenses between two schools of the organisation (organisation admins,
// docs/DOMAIN.md "Moving licenses between schools"): by count, new or reusable with an end date,
// dates kept; each refusal beside its field, and both schools' availability after.
import { useId, useRef, useState, type FormEvent } from 'react';
import { SchoolDocument, type Failure, type LicenseAvailabilityFieldsFragment, type LicenseClient, type MoveKind } from '@school-licenses/sdk';
import { useI18n } from './i18n/i18n.tsx';
import { type Load, useLoad } from './load.ts';
import { Empty, FailureMessage, Loaded, ViewHeading, type SchoolChoice } from './ui.tsx';

interface Moved {
  moved: number;
  product: string;
  from: SchoolChoice;
  to: SchoolChoice;
  fromAvailability: LicenseAvailabilityFieldsFragment;
  toAvailability: LicenseAvailabilityFieldsFragment;
}

export function MoveLicenses({ client, schools, loadState }: { client: LicenseClient; schools: SchoolChoice[]; loadState: Load<unknown> }) {
  const { t } = useI18n();
  return (
    <section aria-labelledby="move" className="card">
      <ViewHeading id="move">{t('view_move')}</ViewHeading>
      <p className="muted">{t('moveIntro')}</p>
      <Loaded load={loadState} what={t('what_schools')}>
        {() => (schools.length < 2 ? <Empty>{t('moveNeedsTwoSchools')}</Empty> : <MoveForm client={client} schools={schools} />)}
      </Loaded>
    </section>
  );
}

function MoveForm({ client, schools }: { client: LicenseClient; schools: SchoolChoice[] }) {
  const { t, plural, day } = useI18n();
  const id = useId();
  const [fromId, setFromId] = useState(schools[0]!.id);
  const [toId, setToId] = useState(schools[1]!.id);
  const [productId, setProductId] = useState('');
  const [kind, setKind] = useState<MoveKind>('NEW');
  const [endDate, setEndDate] = useState('');
  const [count, setCount] = useState('1');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [moved, setMoved] = useState<Moved | null>(null);
  const endDateRef = useRef<HTMLSelectElement>(null);
  const countRef = useRef<HTMLInputElement>(null);
  const [products, reloadProducts] = useLoad(async () => (await client.query(SchoolDocument, { id: fromId })).school?.products ?? [], [fromId]);
  const list = products.status === 'done' ? products.data : [];
  const chosen = list.find((p) => p.product.id === productId) ?? list[0] ?? null;
  const from = schools.find((s) => s.id === fromId)!;
  const to = schools.find((s) => s.id === toId)!;
  // After END_DATE_REQUIRED / END_DATE_NOT_AVAILABLE the API's list of end dates is the one offered.
  const offered =
    failure && (failure.code === 'END_DATE_REQUIRED' || failure.code === 'END_DATE_NOT_AVAILABLE')
      ? failure.availableEndDates
      : (chosen?.availability.reusable.endDates ?? []);
  const reset = () => (setFailure(null), setMoved(null));
  // The receiving school is never the giving one unless the admin chooses so.
  const chooseFrom = (next: string) => {
    setFromId(next);
    if (next === toId) setToId(schools.find((s) => s.id !== next)!.id);
    setProductId('');
    reset();
  };
  const at = (field: string) => (failure?.field === field ? failure : null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!chosen) return;
    setBusy(true);
    setMoved(null);
    setFailure(null);
    try {
      const answer = await client.moveLicenses({
        fromSchool: fromId,
        toSchool: toId,
        product: chosen.product.id,
        kind,
        count: Number(count),
        endDate: kind === 'REUSABLE' && endDate ? endDate : null,
      });
      if (answer.ok) {
        setMoved({
          moved: answer.moved,
          product: chosen.product.name,
          from,
          to,
          fromAvailability: answer.fromAvailability,
          toAvailability: answer.toAvailability,
        });
        reloadProducts();
      } else {
        setFailure(answer);
        // The focus goes to the field the refusal is about, where its message is.
        if (answer.field === 'endDate') requestAnimationFrame(() => endDateRef.current?.focus());
        if (answer.field === 'count') requestAnimationFrame(() => countRef.current?.focus());
      }
    } finally {
      setBusy(false);
    }
  };
  const placed = new Set(['fromSchool', 'toSchool', 'endDate', 'count']);
  const fieldError = (field: string) => {
    const f = at(field);
    return f ? <FailureMessage failure={f} id={`${id}-${field}-failure`} /> : null;
  };
  const described = (field: string) => (at(field) ? { 'aria-invalid': true, 'aria-describedby': `${id}-${field}-failure` } : {});

  return (
    <form onSubmit={submit} noValidate data-testid="move-form" aria-label={t('view_move')}>
      <div className="pickers">
        <div className="field">
          <label htmlFor={`${id}-from`}>{t('fromSchool')}</label>
          <select id={`${id}-from`} value={fromId} onChange={(e) => chooseFrom(e.target.value)} {...described('fromSchool')}>
            {schools.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
          {fieldError('fromSchool')}
        </div>
        <div className="field">
          <label htmlFor={`${id}-to`}>{t('toSchool')}</label>
          <select id={`${id}-to`} value={toId} onChange={(e) => (setToId(e.target.value), reset())} {...described('toSchool')}>
            {schools.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
          {fieldError('toSchool')}
        </div>
      </div>
      <Loaded load={products} what={t('what_products')}>
        {() =>
          !chosen ? (
            <Empty>{t('noProducts', { school: from.name })}</Empty>
          ) : (
            <>
              <div className="field">
                <label htmlFor={`${id}-product`}>{t('product')}</label>
                <select id={`${id}-product`} value={chosen.product.id} onChange={(e) => (setProductId(e.target.value), setEndDate(''), reset())}>
                  {list.map(({ product, availability }) => (
                    <option key={product.id} value={product.id}>
                      {t('moveProductOption', { product: product.name, fresh: availability.newLicenses, reusable: availability.reusable.total })}
                    </option>
                  ))}
                </select>
              </div>
              <fieldset>
                <legend>{t('moveKind')}</legend>
                <label className="choice">
                  <input type="radio" name={`${id}-kind`} checked={kind === 'NEW'} onChange={() => (setKind('NEW'), reset())} />
                  {t('newLicense')} <span className="muted">{plural('moveAvailable', chosen.availability.newLicenses)}</span>
                </label>
                <label className="choice">
                  <input type="radio" name={`${id}-kind`} checked={kind === 'REUSABLE'} onChange={() => (setKind('REUSABLE'), reset())} />
                  {t('reuseStarted')} <span className="muted">{plural('moveAvailable', chosen.availability.reusable.total)}</span>
                </label>
              </fieldset>
              {kind === 'REUSABLE' ? (
                <div className="field">
                  <label htmlFor={`${id}-end-date`}>{t('endDate')}</label>
                  <select
                    id={`${id}-end-date`}
                    ref={endDateRef}
                    value={endDate}
                    onChange={(e) => (setEndDate(e.target.value), reset())}
                    {...described('endDate')}
                  >
                    <option value="">{t('chooseEndDate')}</option>
                    {offered.map((e) => (
                      <option key={e.endDate} value={e.endDate.slice(0, 10)} data-end-date={e.endDate.slice(0, 10)}>
                        {plural('endDateOption', e.count, { day: day(e.endDate) })}
                      </option>
                    ))}
                  </select>
                  {fieldError('endDate')}
                </div>
              ) : null}
              <div className="field">
                <label htmlFor={`${id}-count`}>{t('moveCount')}</label>
                <input
                  id={`${id}-count`}
                  ref={countRef}
                  type="number"
                  min={1}
                  inputMode="numeric"
                  value={count}
                  onChange={(e) => (setCount(e.target.value), reset())}
                  {...described('count')}
                />
                {fieldError('count')}
              </div>
              {failure && !placed.has(failure.field ?? '') ? <FailureMessage failure={failure} /> : null}
              <div className="actions">
                <button type="submit" disabled={busy}>
                  {busy ? t('moving') : t('moveButton')}
                </button>
              </div>
            </>
          )
        }
      </Loaded>
      {moved ? <MovedResult moved={moved} /> : null}
    </form>
  );
}

function MovedResult({ moved }: { moved: Moved }) {
  const { t, plural } = useI18n();
  return (
    <div className="panel" data-testid="moved">
      <p role="status">{plural('movedCount', moved.moved, { product: moved.product, from: moved.from.name, to: moved.to.name })}</p>
      <table>
        <caption>{t('availabilityAfter')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('school')}</th>
            <th scope="col">{t('newLicenses')}</th>
            <th scope="col">{t('reusableLicenses')}</th>
          </tr>
        </thead>
        <tbody>
          {[
            { school: moved.from, a: moved.fromAvailability },
            { school: moved.to, a: moved.toAvailability },
          ].map(({ school, a }) => (
            <tr key={school.id} data-testid="availability-after" data-school={school.name}>
              <th scope="row">{school.name}</th>
              <td data-testid="after-new">{a.newLicenses}</td>
              <td data-testid="after-reusable">{a.reusable.total}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
