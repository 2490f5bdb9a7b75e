// A teacher's or student's own licenses. A teacher may give theirs back (it keeps its end date and
// becomes reusable at the school); a student may not.
import { useState } from 'react';
import type { AssignmentFieldsFragment, Failure, LicenseClient } from '@school-licenses/sdk';
import { useI18n } from './i18n/i18n.tsx';
import { ConfirmPanel, Empty, ErrorMessage, FailureMessage } from './ui.tsx';

export function MyLicenses({
  client,
  licenses,
  canRemove,
  onChanged,
}: {
  client: LicenseClient;
  licenses: AssignmentFieldsFragment[];
  canRemove: boolean;
  onChanged: () => void;
}) {
  const { t } = useI18n();
  return (
    <section aria-labelledby="my-licenses" className="card">
      <h2 id="my-licenses" tabIndex={-1}>
        {t('myLicenses')}
      </h2>
      {licenses.length === 0 ? (
        <Empty>{t('noMyLicenses')}</Empty>
      ) : (
        <ul className="rows">
          {licenses.map((assignment) => (
            <MyLicense key={assignment.id} client={client} assignment={assignment} canRemove={canRemove} onChanged={onChanged} />
          ))}
        </ul>
      )}
      {!canRemove && licenses.length > 0 ? <p className="muted">{t('onlyAdminChanges')}</p> : null}
    </section>
  );
}

function MyLicense({
  client,
  assignment,
  canRemove,
  onChanged,
}: {
  client: LicenseClient;
  assignment: AssignmentFieldsFragment;
  canRemove: boolean;
  onChanged: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [error, setError] = useState<unknown>(null);
  const { license } = assignment;
  const { t, plural, day } = useI18n();

  const remove = async () => {
    setBusy(true);
    setFailure(null);
    setError(null);
    try {
      const result = await client.removeMyLicense({ license: license.id });
      // The license leaves the list: the focus goes to the list's heading instead of the page's top.
      if (result.ok) return (document.getElementById('my-licenses')?.focus(), onChanged());
      setFailure(result);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <li className="row" data-testid="my-license" aria-label={license.product.name}>
      <div className="row-main">
        <strong>{license.product.name}</strong>
        <span className="muted">
          {t('myLicenseEnds', {
            day: day(license.endDate),
            left: license.daysLeft === 0 ? t('daysLeftExpired') : license.daysLeft == null ? '' : plural('daysLeft', license.daysLeft),
          })}
        </span>
      </div>
      {canRemove && !confirming ? (
        <div className="actions">
          <button type="button" onClick={() => setConfirming(true)}>
            {t('removeFromMe')}
          </button>
        </div>
      ) : null}
      {confirming ? (
        <ConfirmPanel
          question={t('removeQuestion', { product: license.product.name })}
          confirm={t('yesRemove')}
          busyLabel={t('removing')}
          busy={busy}
          onConfirm={() => void remove()}
          onCancel={() => setConfirming(false)}
        />
      ) : null}
      {failure ? <FailureMessage failure={failure} /> : null}
      {error ? <ErrorMessage error={error} /> : null}
    </li>
  );
}
