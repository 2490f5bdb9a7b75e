// A roster import (organisation admins): the files of the student information system (OneRoster
// CSV or SS 12000 JSON) are first sent as a dry run, whose diff is shown (created, updated, ended
// per kind of record, the changes one by one, each file error where it is); then applied.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import {
  ImportRosterDocument,
  toResult,
  type Failure,
  type ImportRosterMutation,
  type LicenseClient,
  type OrganisationFieldsFragment,
  type RosterImportFormat,
  type RosterImportMode,
} from '@school-licenses/sdk';
import { useI18n } from './i18n/i18n.tsx';
import { Empty, ErrorMessage, FailureMessage, ViewHeading } from './ui.tsx';

type Payload = Extract<ImportRosterMutation['importRoster'], { __typename: 'ImportRosterPayload' }>;
const ENTITIES = [
  ['SCHOOL', 'schools'],
  ['USER', 'users'],
  ['SCHOOL_MEMBERSHIP', 'schoolMemberships'],
  ['GROUP', 'groups'],
  ['GROUP_MEMBERSHIP', 'groupMemberships'],
] as const;
const SHOWN_CHANGES = 50;

export function RosterImport({
  client,
  organisation,
  onImported,
}: {
  client: LicenseClient;
  organisation: OrganisationFieldsFragment;
  onImported: () => void;
}) {
  const { t } = useI18n();
  const id = useId();
  const [format, setFormat] = useState<RosterImportFormat>('ONEROSTER_CSV');
  const [mode, setMode] = useState<RosterImportMode>('FULL');
  const [files, setFiles] = useState<File[]>([]);
  const [missingFiles, setMissingFiles] = useState(false);
  const [busy, setBusy] = useState<'preview' | 'apply' | null>(null);
  const [result, setResult] = useState<Payload | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [error, setError] = useState<unknown>(null);
  const filesRef = useRef<HTMLInputElement>(null);

  const send = async (dryRun: boolean) => {
    if (files.length === 0) {
      setMissingFiles(true);
      filesRef.current?.focus();
      return;
    }
    setBusy(dryRun ? 'preview' : 'apply');
    setFailure(null);
    setError(null);
    try {
      const input = { organisation: organisation.id, format, files, dryRun, ss12000Mode: format === 'SS12000' ? mode : null };
      const answer = toResult((await client.mutate(ImportRosterDocument, { input })).importRoster);
      if (!answer.ok) {
        setResult(null);
        setFailure(answer);
        return;
      }
      setResult({ __typename: 'ImportRosterPayload', ...answer });
      if (!dryRun) onImported();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };
  const preview = (event: FormEvent) => {
    event.preventDefault();
    void send(true);
  };
  const reset = () => setResult(null);

  return (
    <>
      <section aria-labelledby="import" className="card">
        <ViewHeading id="import">{t('importTitle')}</ViewHeading>
        <p className="muted">{t('importIntro')}</p>
        <form className="import-form" onSubmit={preview} noValidate>
          <fieldset>
            <legend>{t('importFormat')}</legend>
            {(['ONEROSTER_CSV', 'SS12000'] as const).map((f) => (
              <label key={f} className="choice">
                <input type="radio" name={`${id}-format`} checked={format === f} onChange={() => (setFormat(f), reset())} />
                {t(`format_${f}`)}
              </label>
            ))}
          </fieldset>
          {format === 'SS12000' ? (
            <fieldset>
              <legend>{t('importMode')}</legend>
              {(['FULL', 'DELTA'] as const).map((m) => (
                <label key={m} className="choice">
                  <input type="radio" name={`${id}-mode`} checked={mode === m} onChange={() => (setMode(m), reset())} />
                  {t(`mode_${m}`)}
                </label>
              ))}
            </fieldset>
          ) : null}
          <div className="field">
            <label htmlFor={`${id}-files`}>{t('importFiles')}</label>
            <input
              id={`${id}-files`}
              ref={filesRef}
              type="file"
              multiple
              accept={format === 'SS12000' ? '.json,application/json' : '.csv,text/csv'}
              aria-invalid={missingFiles || undefined}
              aria-describedby={missingFiles ? `${id}-files-missing` : undefined}
              onChange={(e) => (setFiles([...(e.target.files ?? [])]), setMissingFiles(false), reset())}
            />
            {missingFiles ? (
              <p className="error" id={`${id}-files-missing`} role="alert">
                {t('importNoFiles')}
              </p>
            ) : null}
          </div>
          {failure ? <FailureMessage failure={failure} /> : null}
          {error ? <ErrorMessage error={error} /> : null}
          <div className="actions">
            <button type="submit" disabled={busy !== null}>
              {busy === 'preview' ? t('importPreviewing') : t('importPreview')}
            </button>
          </div>
        </form>
      </section>
      {result ? <ImportResult result={result} busy={busy} onApply={() => void send(false)} /> : null}
    </>
  );
}

function ImportResult({ result, busy, onApply }: { result: Payload; busy: 'preview' | 'apply' | null; onApply: () => void }) {
  const { t, plural, number } = useI18n();
  const headingRef = useRef<HTMLHeadingElement>(null);
  // Each outcome (a dry run, refused files, the applied import) takes the focus: keyboard and screen-reader users are taken to it.
  useEffect(() => headingRef.current?.focus(), [result]);
  const total = ENTITIES.reduce((sum, [, key]) => sum + result.summary[key].created + result.summary[key].updated + result.summary[key].ended, 0);
  const title = result.refused ? t('importRefused') : result.dryRun ? t('importDryRunResult') : t('importAppliedResult');
  return (
    <section aria-labelledby="import-result" className="card" data-testid="import-result" data-dry-run={result.dryRun} data-refused={result.refused}>
      <h2 id="import-result" ref={headingRef} tabIndex={-1}>
        {title}
      </h2>
      {result.recordErrors.length > 0 ? (
        <>
          <h3>{t('importRecordErrors')}</h3>
          <ul className="rows" data-testid="import-errors">
            {result.recordErrors.map((e, i) => (
              <li key={`${e.file}-${e.line}-${e.pointer}-${i}`} className="row error-row" data-code={e.code}>
                <div className="row-main">
                  <strong>
                    {e.line != null
                      ? t('whereLine', { file: e.file, line: e.line })
                      : e.pointer
                        ? t('wherePointer', { file: e.file, pointer: e.pointer })
                        : e.file}
                  </strong>
                  {e.field ? <span className="tag">{t('whereField', { field: e.field })}</span> : null}
                  <span>{t(`importError_${e.code}`)}</span>
                  <code>{e.code}</code>
                </div>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {!result.refused ? (
        <>
          {total === 0 ? <Empty>{t('importNothing')}</Empty> : null}
          {/* Scrolls sideways on a narrow screen: focusable, so a keyboard can scroll it too. */}
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard */}
          <section className="table-wrap" tabIndex={0} aria-labelledby="import-result">
            <table data-testid="import-summary">
              <thead>
                <tr>
                  <th scope="col">{t('entity')}</th>
                  <th scope="col">{t('created')}</th>
                  <th scope="col">{t('updated')}</th>
                  <th scope="col">{t('ended')}</th>
                </tr>
              </thead>
              <tbody>
                {ENTITIES.map(([entity, key]) => (
                  <tr key={entity} data-entity={entity}>
                    <th scope="row">{t(`entity_${entity}`)}</th>
                    <td data-kind="created">{number(result.summary[key].created)}</td>
                    <td data-kind="updated">{number(result.summary[key].updated)}</td>
                    <td data-kind="ended">{number(result.summary[key].ended)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          {result.revokedLicenses > 0 ? <p>{plural(result.dryRun ? 'importRevoked' : 'importRevokedDone', result.revokedLicenses)}</p> : null}
          {result.changes.length > 0 ? (
            <details>
              <summary>
                {t('importChanges')} ({number(result.changes.length)})
              </summary>
              <ul className="changes" data-testid="import-changes">
                {result.changes.slice(0, SHOWN_CHANGES).map((c, i) => (
                  <li key={`${c.entity}-${c.key}-${i}`}>
                    <span className="tag">{t(`change_${c.kind}`)}</span> {t(`entity_${c.entity}`)}: {c.key}
                  </li>
                ))}
                {result.changes.length > SHOWN_CHANGES ? <li>{plural('importMoreChanges', result.changes.length - SHOWN_CHANGES)}</li> : null}
              </ul>
            </details>
          ) : null}
          {result.dryRun && total > 0 ? (
            <div className="actions">
              <button type="button" disabled={busy !== null} onClick={onApply}>
                {busy === 'apply' ? t('importApplying') : t('importApply')}
              </button>
            </div>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
