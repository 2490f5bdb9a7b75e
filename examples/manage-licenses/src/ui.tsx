// Small pieces every screen uses: loading, empty and error states, the school picker.
import { useEffect, useRef, type ReactNode } from 'react';
import type { Failure } from '@school-licenses/sdk';
import { useI18n } from './i18n/i18n.tsx';
import type { Load } from './load.ts';
import { errorMessage, failureMessage } from './messages.ts';

export function Loading({ what }: { what: string }) {
  const { t } = useI18n();
  return (
    <p className="muted" role="status">
      {t('loading', { what })}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** A request that failed as a whole, with its code. */
export function ErrorMessage({ error, action }: { error: unknown; action?: ReactNode }) {
  const { message, code } = errorMessage(error, useI18n());
  return (
    <div className="error" role="alert">
      {message}
      {code ? <code>{code}</code> : null}
      {action}
    </div>
  );
}

/** A change a business rule refused: shown next to what the user did (`id` for aria-describedby). */
export function FailureMessage({ failure, id }: { failure: Failure; id?: string }) {
  return (
    <div className="error" role="alert" data-code={failure.code} data-field={failure.field ?? undefined} id={id}>
      {failureMessage(failure, useI18n())}
      <code>{failure.code}</code>
    </div>
  );
}

/** Renders a load: loading, the error, or its data. */
export function Loaded<T>({ load, what, children }: { load: Load<T>; what: string; children: (data: T) => ReactNode }) {
  if (load.status === 'loading') return <Loading what={what} />;
  if (load.status === 'error') return <ErrorMessage error={load.error} />;
  return <>{children(load.data)}</>;
}

/** A view's heading, focused when the view opens so keyboard and screen-reader users start there. */
export function ViewHeading({ id, children }: { id: string; children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (document.activeElement && document.activeElement !== document.body && !document.activeElement.closest('nav')) return;
    ref.current?.focus();
  }, []);
  return (
    <h1 id={id} ref={ref} tabIndex={-1} className="view-heading">
      {children}
    </h1>
  );
}

export interface SchoolChoice {
  id: string;
  name: string;
}

/** The school every admin view works on, shared between the views. */
export function SchoolPicker({ schools, school, onChange }: { schools: SchoolChoice[]; school: SchoolChoice; onChange: (id: string) => void }) {
  const { t } = useI18n();
  return (
    <div className="field">
      <label htmlFor="school">{t('school')}</label>
      <select id="school" value={school.id} onChange={(e) => onChange(e.target.value)}>
        {schools.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name}
          </option>
        ))}
      </select>
    </div>
  );
}

/**
 * A destructive change asked about before it is made: the question, the button that makes it
 * (focused when the panel opens, so a keyboard user answers at once) and Cancel.
 */
export function ConfirmPanel(props: { question: string; confirm: string; busyLabel: string; busy: boolean; onConfirm: () => void; onCancel: () => void }) {
  const { t } = useI18n();
  const ref = useRef<HTMLButtonElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div className="panel">
      <p>{props.question}</p>
      <div className="actions">
        <button type="button" className="danger" disabled={props.busy} ref={ref} onClick={props.onConfirm}>
          {props.busy ? props.busyLabel : props.confirm}
        </button>
        <button type="button" className="link" onClick={props.onCancel}>
          {t('cancel')}
        </button>
      </div>
    </div>
  );
}
