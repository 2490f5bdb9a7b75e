import { useMemo, useState } from 'react';
import { createLicenseClient, type LicenseClient, type ViewerQuery } from '@school-licenses/sdk';
import { ManageLicenses } from './ManageLicenses.tsx';
import { MyLicenses } from './MyLicenses.tsx';
import { Notifications } from './Notifications.tsx';
import { useLoad } from './load.ts';
import { loadDemoRoles, savedSession, saveSession, type DemoRole } from './session.ts';
import { ErrorMessage, Loaded, Loading, Empty } from './ui.tsx';

export type Viewer = ViewerQuery['viewer'];

export function App() {
  const [session, setSession] = useState<DemoRole | null>(savedSession);
  const signIn = (role: DemoRole | null) => {
    saveSession(role);
    setSession(role);
  };
  return session ? <SignedIn key={session.token} session={session} onSignOut={() => signIn(null)} /> : <SignIn onSignIn={signIn} />;
}

function SignIn({ onSignIn }: { onSignIn: (role: DemoRole) => void }) {
  const [roles] = useLoad(loadDemoRoles, []);
  return (
    <main className="page narrow">
      <h1>Manage licenses</h1>
      <p>Sign in as one of the demo roles of the local API.</p>
      <Loaded load={roles} what="the demo roles">
        {(list) =>
          list.length === 0 ? (
            <Empty>The API offers no demo roles: start it with demo data (`npm run app`).</Empty>
          ) : (
            <ul className="roles" aria-label="Demo roles">
              {list.map((role) => (
                <li key={role.label}>
                  <button type="button" onClick={() => onSignIn(role)}>
                    Sign in as {role.label}
                  </button>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </main>
  );
}

function SignedIn({ session, onSignOut }: { session: DemoRole; onSignOut: () => void }) {
  const client = useMemo<LicenseClient>(
    () => createLicenseClient({ url: '/graphql', getToken: () => session.token, retry: { maxAttempts: 2 } }),
    [session.token],
  );
  const [viewer, reloadViewer] = useLoad(() => client.viewer(), [session.token]);

  const signOut = (
    <button type="button" className="link" onClick={onSignOut}>
      Sign out
    </button>
  );
  return (
    <>
      <header className="bar">
        <strong className="brand">Manage licenses</strong>
        <span className="who" data-testid="signed-in-as">
          {viewer.status === 'done' ? `${viewer.data.name}${viewer.data.organisation ? ` · ${viewer.data.organisation.name}` : ''}` : session.label}
        </span>
        {signOut}
      </header>
      <main className="page">
        {viewer.status === 'loading' ? <Loading what="who you are" /> : null}
        {viewer.status === 'error' ? <ErrorMessage error={viewer.error} action={signOut} /> : null}
        {viewer.status === 'done' ? <Home client={client} viewer={viewer.data} reloadViewer={reloadViewer} /> : null}
      </main>
    </>
  );
}

function Home({ client, viewer, reloadViewer }: { client: LicenseClient; viewer: Viewer; reloadViewer: () => void }) {
  const user = viewer.user;
  if (!user) return <Empty>This app is for students, teachers and administrators; this token belongs to an integration.</Empty>;
  const isAdmin = user.isOrganisationAdmin || user.memberships.some((m) => m.role === 'SCHOOL_ADMIN');
  const isTeacher = user.memberships.some((m) => m.role === 'TEACHER');
  const holdsLicenses = user.memberships.some((m) => m.role !== 'SCHOOL_ADMIN');
  return (
    <>
      {holdsLicenses ? <MyLicenses client={client} licenses={user.licenses} canRemove={isTeacher} onChanged={reloadViewer} /> : null}
      {isAdmin ? (
        <>
          <Notifications client={client} unread={viewer.unreadNotificationCount} onChanged={reloadViewer} />
          <ManageLicenses client={client} />
        </>
      ) : null}
    </>
  );
}
