// A teacher's or student's own licenses. A teacher may give theirs back (it keeps its end date and
// becomes reusable at the school); a student may not.
import { useState } from 'react';
import type { AssignmentFieldsFragment, Failure, LicenseClient } from '@school-licenses/sdk';
import { day, daysLeftText } from './messages.ts';
import { Empty, ErrorMessage, FailureMessage } from './ui.tsx';

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
  return (
    <section aria-labelledby="my-licenses" className="card">
      <h2 id="my-licenses">My licenses</h2>
      {licenses.length === 0 ? (
        <Empty>You have no licenses right now.</Empty>
      ) : (
        <ul className="rows">
          {licenses.map((assignment) => (
            <MyLicense key={assignment.id} client={client} assignment={assignment} canRemove={canRemove} onChanged={onChanged} />
          ))}
        </ul>
      )}
      {!canRemove && licenses.length > 0 ? <p className="muted">Only your school's administrator can change your licenses.</p> : null}
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

  const remove = async () => {
    setBusy(true);
    setFailure(null);
    setError(null);
    try {
      const result = await client.removeMyLicense({ license: license.id });
      if (result.ok) return onChanged();
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
          ends {day(license.endDate)} ({daysLeftText(license.daysLeft)})
        </span>
      </div>
      {canRemove && !confirming ? (
        <div className="actions">
          <button type="button" onClick={() => setConfirming(true)}>
            Remove from me
          </button>
        </div>
      ) : null}
      {confirming ? (
        <div className="panel">
          <p>Give back your license of {license.product.name}? It keeps its end date and the school can give it to someone else.</p>
          <div className="actions">
            <button type="button" className="danger" disabled={busy} onClick={() => void remove()}>
              {busy ? 'Removing…' : 'Yes, remove it'}
            </button>
            <button type="button" className="link" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </div>
      ) : null}
      {failure ? <FailureMessage failure={failure} /> : null}
      {error ? <ErrorMessage error={error} /> : null}
    </li>
  );
}
