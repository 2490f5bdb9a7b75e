// Small pieces every screen uses: loading, empty and error states.
import type { ReactNode } from 'react';
import type { Failure } from '@school-licenses/sdk';
import type { Load } from './load.ts';
import { errorMessage, failureMessage } from './messages.ts';

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** A request that failed as a whole, with its code. */
export function ErrorMessage({ error, action }: { error: unknown; action?: ReactNode }) {
  const { message, code } = errorMessage(error);
  return (
    <div className="error" role="alert">
      {message}
      {code ? <code>{code}</code> : null}
      {action}
    </div>
  );
}

/** A change a business rule refused: shown next to what the user did. */
export function FailureMessage({ failure }: { failure: Failure }) {
  return (
    <div className="error" role="alert" data-code={failure.code}>
      {failureMessage(failure)}
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
