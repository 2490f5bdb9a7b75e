// A product for a whole class (docs/CLASS-LICENSING.md): choose the product and where its licenses
// come from (the policy), see each member's outcome in a dry run, then give it, optionally as a
// standing rule; the class's standing rules and its waiting list, in line order.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import {
  SchoolDocument,
  type ErrorCode,
  type Failure,
  type GroupAssignment,
  type GroupFieldsFragment,
  type GroupLicensePolicy,
  type GroupLicenseRuleFieldsFragment,
  type LicenseClient,
  type LicenseWaiterFieldsFragment,
} from '@school-licenses/sdk';
import { useI18n } from './i18n/i18n.tsx';
import { failureMessage } from './messages.ts';
import { useLoad } from './load.ts';
import { Empty, FailureMessage, Loaded, type SchoolChoice } from './ui.tsx';

const POLICIES: readonly GroupLicensePolicy[] = ['REUSABLE_FIRST', 'REUSABLE_WITH_END_DATE', 'NEW_FIRST', 'ONLY_NEW'];

export function ClassLicensing({ client, school, group }: { client: LicenseClient; school: SchoolChoice; group: GroupFieldsFragment }) {
  const { t } = useI18n();
  const [licensing, reloadLicensing] = useLoad(() => client.groupLicensing({ group: group.id }), [group.id]);
  return (
    <div className="panel" data-testid="class-licensing">
      <h3>{t('classLicensing', { group: group.name })}</h3>
      <GiveProduct client={client} school={school} group={group} onApplied={reloadLicensing} />
      <Loaded load={licensing} what={t('what_classLicensing')}>
        {(data) =>
          data ? (
            <>
              <StandingRules client={client} group={group} rules={data.licenseRules} onEnded={reloadLicensing} />
              <WaitingList group={group} waiters={data.waitingList} />
            </>
          ) : (
            <Empty>{t('error_NOT_FOUND')}</Empty>
          )
        }
      </Loaded>
    </div>
  );
}

function GiveProduct(props: { client: LicenseClient; school: SchoolChoice; group: GroupFieldsFragment; onApplied: () => void }) {
  const { client, school, group } = props;
  const { t, plural, day } = useI18n();
  const id = useId();
  const [products, reloadProducts] = useLoad(async () => (await client.query(SchoolDocument, { id: school.id })).school?.products ?? [], [school.id]);
  const [productId, setProductId] = useState('');
  const [policy, setPolicy] = useState<GroupLicensePolicy>('REUSABLE_FIRST');
  const [endDate, setEndDate] = useState('');
  const [keep, setKeep] = useState(false);
  const [keepOnLeave, setKeepOnLeave] = useState(false);
  const [busy, setBusy] = useState(false);
  const [missing, setMissing] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [result, setResult] = useState<GroupAssignment | null>(null);
  const resultRef = useRef<HTMLDivElement>(null);
  const endDateRef = useRef<HTMLSelectElement>(null);
  const list = products.status === 'done' ? products.data : [];
  const chosen = list.find((p) => p.product.id === productId) ?? list[0] ?? null;
  const endDates = chosen?.availability.reusable.endDates ?? [];

  // A new choice makes the shown dry run stale: the admin previews again before giving.
  const change =
    <T,>(set: (value: T) => void) =>
    (value: T) => (set(value), setResult(null), setFailure(null), setMissing(false));
  useEffect(() => {
    if (result) resultRef.current?.focus();
  }, [result]);

  const run = async (dryRun: boolean) => {
    if (!chosen) return;
    if (policy === 'REUSABLE_WITH_END_DATE' && !endDate) {
      // Never sent: the end date is chosen from the pool first.
      setMissing(true);
      endDateRef.current?.focus();
      return;
    }
    setBusy(true);
    setFailure(null);
    try {
      const answer = await client.assignLicenseToGroup({
        group: group.id,
        product: chosen.product.id,
        policy,
        endDate: policy === 'REUSABLE_WITH_END_DATE' ? endDate : null,
        keep,
        keepOnLeave: keep && keepOnLeave,
        dryRun,
      });
      if (answer.ok) {
        setResult(answer);
        if (!dryRun) {
          // The counts to assign changed; the rules and the waiting list too.
          reloadProducts();
          props.onApplied();
        }
      } else {
        setResult(null);
        setFailure(answer);
      }
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(true);
  };
  const endDateFailure = failure?.field === 'endDate' ? failure : null;

  return (
    <Loaded load={products} what={t('what_products')}>
      {() =>
        !chosen ? (
          <Empty>{t('noProducts', { school: school.name })}</Empty>
        ) : (
          <form onSubmit={submit} noValidate aria-label={t('giveClassProduct', { group: group.name })} data-testid="give-class">
            <h4>{t('giveClassProduct', { group: group.name })}</h4>
            <div className="field">
              <label htmlFor={`${id}-product`}>{t('product')}</label>
              <select id={`${id}-product`} value={chosen.product.id} onChange={(e) => change(setProductId)(e.target.value)}>
                {list.map(({ product, availability }) => (
                  <option key={product.id} value={product.id}>
                    {t('productOption', { product: product.name, count: availability.assignable })}
                  </option>
                ))}
              </select>
            </div>
            <fieldset>
              <legend>{t('policy')}</legend>
              {POLICIES.map((p) => (
                <label key={p} className="choice">
                  <input type="radio" name={`${id}-policy`} value={p} checked={policy === p} onChange={() => change(setPolicy)(p)} />
                  {t(`policy_${p}`)}
                </label>
              ))}
            </fieldset>
            {policy === 'REUSABLE_WITH_END_DATE' ? (
              <div className="field">
                <label htmlFor={`${id}-end-date`}>{t('endDate')}</label>
                <select
                  id={`${id}-end-date`}
                  ref={endDateRef}
                  value={endDate}
                  required
                  aria-invalid={missing || endDateFailure ? true : undefined}
                  aria-describedby={missing ? `${id}-missing` : endDateFailure ? `${id}-failure` : undefined}
                  onChange={(e) => change(setEndDate)(e.target.value)}
                >
                  <option value="">{t('chooseEndDate')}</option>
                  {endDates.map((e) => (
                    <option key={e.endDate} value={e.endDate.slice(0, 10)} data-end-date={e.endDate.slice(0, 10)}>
                      {plural('endDateOption', e.count, { day: day(e.endDate) })}
                    </option>
                  ))}
                </select>
                {endDates.length === 0 ? <p className="muted">{t('noReusableToChoose')}</p> : null}
                {missing ? (
                  <p className="error" id={`${id}-missing`} role="alert" data-testid="end-date-missing">
                    {t('classEndDateMissing')}
                  </p>
                ) : null}
                {endDateFailure ? <FailureMessage failure={endDateFailure} id={`${id}-failure`} /> : null}
              </div>
            ) : null}
            <label className="choice">
              <input type="checkbox" checked={keep} onChange={(e) => change(setKeep)(e.target.checked)} />
              {t('keepAsRule')}
            </label>
            <label className="choice">
              <input type="checkbox" checked={keep && keepOnLeave} disabled={!keep} onChange={(e) => change(setKeepOnLeave)(e.target.checked)} />
              {t('keepOnLeave')}
            </label>
            {failure && !endDateFailure ? <FailureMessage failure={failure} /> : null}
            <div className="actions">
              <button type="submit" disabled={busy}>
                {busy ? t('previewing') : t('previewClass')}
              </button>
            </div>
            {result ? (
              <div ref={resultRef} tabIndex={-1} data-testid="class-outcome" data-dry-run={result.dryRun}>
                <p role="status">
                  {result.dryRun
                    ? t('dryRunSummary', { assigned: result.assignedCount, waiting: result.waitingCount })
                    : t('appliedSummary', { assigned: result.assignedCount, waiting: result.waitingCount })}
                </p>
                <Outcomes result={result} />
                {result.dryRun ? (
                  <div className="actions">
                    <button type="button" disabled={busy} onClick={() => void run(false)}>
                      {busy ? t('assigning') : t('assignClass', { group: group.name })}
                    </button>
                  </div>
                ) : null}
              </div>
            ) : null}
          </form>
        )
      }
    </Loaded>
  );
}

/** A member's refusal in the outcomes, as the Failure the messages word (it carries no end dates). */
const outcomeFailure = (error: { code: ErrorCode; message: string; field?: string | null }): Failure =>
  ({ ok: false, code: error.code, message: error.message, field: error.field ?? null, availableEndDates: [] }) as Failure;

function Outcomes({ result }: { result: GroupAssignment }) {
  const i18n = useI18n();
  const { t, day } = i18n;
  return (
    <ul className="rows" aria-label={t('outcomes')}>
      {result.outcomes.map((o, i) => (
        <li key={o.user?.id ?? i} className="row" data-testid="member-outcome" data-outcome={o.outcome} data-end-date={o.endDate?.slice(0, 10)}>
          <div className="row-main">
            <strong>{o.user?.name}</strong>
            <span className={o.outcome === 'ASSIGNED' ? 'license' : o.outcome === 'WAITING' ? 'waiting' : 'muted'}>
              {o.outcome === 'ASSIGNED'
                ? t(result.dryRun ? 'outcome_wouldAssign' : 'outcome_assigned', { day: day(o.endDate) })
                : o.outcome === 'WAITING'
                  ? t(result.dryRun ? 'outcome_wouldWait' : 'outcome_waits', { reason: t(`waitReason_${o.waitReason ?? 'NO_LICENSE_AVAILABLE'}`) })
                  : o.outcome === 'ALREADY_HOLDS'
                    ? t('outcome_ALREADY_HOLDS')
                    : t('outcome_NOT_ELIGIBLE', { reason: o.error ? failureMessage(outcomeFailure(o.error), i18n) : '' })}
            </span>
          </div>
        </li>
      ))}
    </ul>
  );
}

function StandingRules(props: { client: LicenseClient; group: GroupFieldsFragment; rules: GroupLicenseRuleFieldsFragment[]; onEnded: () => void }) {
  const { t, day, dayOfMoment } = useI18n();
  const [busy, setBusy] = useState<string | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  const end = async (rule: string) => {
    setBusy(rule);
    const answer = await props.client.endGroupLicenseRule({ rule });
    setBusy(null);
    if (answer.ok) props.onEnded();
    else setFailure(answer);
  };
  return (
    <section aria-label={t('standingRules', { group: props.group.name })}>
      <h4>{t('standingRules', { group: props.group.name })}</h4>
      {failure ? <FailureMessage failure={failure} /> : null}
      {props.rules.length === 0 ? (
        <Empty>{t('noStandingRules')}</Empty>
      ) : (
        <ul className="rows" data-testid="standing-rules">
          {props.rules.map((r) => (
            <li key={r.id} className="row" data-testid="standing-rule" aria-label={r.product.name}>
              <div className="row-main">
                <strong>{r.product.name}</strong>
                <span className="tag">{t(`policy_${r.policy}`)}</span>
                {r.endDate ? <span>{t('endsOn', { day: day(r.endDate) })}</span> : null}
                {r.keepOnLeave ? <span className="muted">{t('keepsOnLeave')}</span> : null}
                <span className="muted">{t('ruleSince', { day: dayOfMoment(r.createdAt) })}</span>
              </div>
              <div className="actions">
                <button type="button" className="danger" disabled={busy === r.id} onClick={() => void end(r.id)}>
                  {t('endRule', { product: r.product.name })}
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function WaitingList({ group, waiters }: { group: GroupFieldsFragment; waiters: LicenseWaiterFieldsFragment[] }) {
  const { t } = useI18n();
  return (
    <section aria-label={t('waitingList', { group: group.name })}>
      <h4>{t('waitingList', { group: group.name })}</h4>
      {waiters.length === 0 ? (
        <Empty>{t('noWaiting')}</Empty>
      ) : (
        <ol className="rows" data-testid="waiting-list">
          {waiters.map((w) => (
            <li key={w.id} className="row" data-testid="waiter">
              <div className="row-main">
                <span>{t('inLine', { position: w.position ?? 0 })}</span>
                <strong>{w.user.name}</strong>
                <span>{w.product.name}</span>
                <span className="waiting">{t(`waitReason_${w.reason === 'END_DATE_NOT_AVAILABLE' ? 'END_DATE_NOT_AVAILABLE' : 'NO_LICENSE_AVAILABLE'}`)}</span>
              </div>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
