// The organisation's API keys for its integrations (organisation admins, README "Authentication"):
// issue one (its key shown this once), see the active ones, revoke one after a confirmation.
import { useId, useRef, useState, type FormEvent } from 'react';
import type { ApiKeyFieldsFragment, ApiKeyKind, Failure, LicenseClient, OrganisationFieldsFragment } from '@school-licenses/sdk';
import { useI18n } from './i18n/i18n.tsx';
import { all, useLoad } from './load.ts';
import { ConfirmPanel, Empty, ErrorMessage, FailureMessage, Loaded, ViewHeading } from './ui.tsx';

const KINDS: ApiKeyKind[] = ['ORGANISATION_READ', 'ORGANISATION_READ_WRITE'];

export function ApiKeys({ client, organisation }: { client: LicenseClient; organisation: OrganisationFieldsFragment }) {
  const { t } = useI18n();
  const [keys, reload] = useLoad(() => all(client.apiKeys({ organisation: organisation.id })), [organisation.id]);
  return (
    <section aria-labelledby="keys" className="card">
      <ViewHeading id="keys">{t('view_keys')}</ViewHeading>
      <p className="muted">{t('keysIntro')}</p>
      <NewKey client={client} organisation={organisation} onIssued={reload} />
      <h2>{t('activeKeys')}</h2>
      <Loaded load={keys} what={t('what_keys')}>
        {(list) =>
          list.length === 0 ? (
            <Empty>{t('noKeys')}</Empty>
          ) : (
            <ul className="rows" aria-label={t('activeKeys')}>
              {list.map((key) => (
                <KeyRow key={key.id} client={client} apiKey={key} onRevoked={reload} />
              ))}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}

function NewKey({ client, organisation, onIssued }: { client: LicenseClient; organisation: OrganisationFieldsFragment; onIssued: () => void }) {
  const { t } = useI18n();
  const id = useId();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<ApiKeyKind>('ORGANISATION_READ');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [issued, setIssued] = useState<{ name: string; key: string } | null>(null);
  const keyRef = useRef<HTMLInputElement>(null);
  const nameRef = useRef<HTMLInputElement>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    setError(null);
    setIssued(null);
    try {
      const answer = await client.createApiKey({ organisation: organisation.id, name, kind });
      if (answer.ok) {
        setIssued({ name: answer.apiKey.name, key: answer.key });
        setName('');
        onIssued();
        // The key is shown once: the focus goes to it, selected, ready to copy.
        requestAnimationFrame(() => keyRef.current?.select());
      } else {
        setFailure(answer);
        if (answer.field === 'name') requestAnimationFrame(() => nameRef.current?.focus());
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const nameFailure = failure?.field === 'name' ? failure : null;

  return (
    <form onSubmit={submit} noValidate aria-label={t('newKey')} data-testid="new-key">
      <div className="pickers">
        <div className="field">
          <label htmlFor={`${id}-name`}>{t('keyName')}</label>
          <input
            id={`${id}-name`}
            ref={nameRef}
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder={t('keyNameExample')}
            {...(nameFailure ? { 'aria-invalid': true, 'aria-describedby': `${id}-name-failure` } : {})}
          />
          {nameFailure ? <FailureMessage failure={nameFailure} id={`${id}-name-failure`} /> : null}
        </div>
        <div className="field">
          <label htmlFor={`${id}-kind`}>{t('keyKind')}</label>
          <select id={`${id}-kind`} value={kind} onChange={(e) => setKind(e.target.value as ApiKeyKind)}>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`keyKind_${k}`)}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? t('issuing') : t('issueKey')}
        </button>
      </div>
      {failure && !nameFailure ? <FailureMessage failure={failure} /> : null}
      {error ? <ErrorMessage error={error} /> : null}
      {issued ? (
        <div className="panel" role="status" data-testid="issued-key">
          <p>{t('keyIssued', { name: issued.name })}</p>
          <label htmlFor={`${id}-key`}>{t('theKey')}</label>
          <input id={`${id}-key`} ref={keyRef} readOnly value={issued.key} className="secret" onFocus={(e) => e.target.select()} />
        </div>
      ) : null}
    </form>
  );
}

function KeyRow({ client, apiKey, onRevoked }: { client: LicenseClient; apiKey: ApiKeyFieldsFragment; onRevoked: () => void }) {
  const { t, dayOfMoment } = useI18n();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [error, setError] = useState<unknown>(null);

  const revoke = async () => {
    setBusy(true);
    setFailure(null);
    setError(null);
    try {
      const answer = await client.revokeApiKey({ apiKey: apiKey.id });
      if (answer.ok) return (document.getElementById('keys')?.focus(), onRevoked());
      setFailure(answer);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <li className="row" data-testid="api-key" aria-label={apiKey.name}>
      <div className="row-main">
        <strong>{apiKey.name}</strong>
        <span className="muted">{t('keyListed', { kind: t(`keyKind_${apiKey.kind}`), day: dayOfMoment(apiKey.createdAt) })}</span>
      </div>
      {!confirming ? (
        <div className="actions">
          <button type="button" onClick={() => setConfirming(true)}>
            {t('revokeKey')}
          </button>
        </div>
      ) : (
        <ConfirmPanel
          question={t('revokeKeyQuestion', { name: apiKey.name })}
          confirm={t('yesRevokeKey')}
          busyLabel={t('revokingKey')}
          busy={busy}
          onConfirm={() => void revoke()}
          onCancel={() => setConfirming(false)}
        />
      )}
      {failure ? <FailureMessage failure={failure} /> : null}
      {error ? <ErrorMessage error={error} /> : null}
    </li>
  );
}
