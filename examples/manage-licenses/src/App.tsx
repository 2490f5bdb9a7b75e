import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { createLicenseClient, NotificationAddedDocument, type LicenseClient, type ViewerQuery } from '@school-licenses/sdk';
import { ApiKeys } from './ApiKeys.tsx';
import { Classes } from './Classes.tsx';
import { Deliveries } from './Deliveries.tsx';
import { I18nProvider, LOCALES, useI18n, type Locale } from './i18n/i18n.tsx';
import { all, useLoad } from './load.ts';
import { ManageLicenses } from './ManageLicenses.tsx';
import { MoveLicenses } from './MoveLicenses.tsx';
import { MyLicenses } from './MyLicenses.tsx';
import { Notifications } from './Notifications.tsx';
import { RosterImport } from './RosterImport.tsx';
import { loadDemoRoles, roleLabel, savedSession, saveSession, type DemoRole } from './session.ts';
import { Soon } from './Soon.tsx';
import { Empty, ErrorMessage, Loaded, Loading, type SchoolChoice } from './ui.tsx';

export type Viewer = ViewerQuery['viewer'];

/**
 * The screens, switched by the URL's hash (no router library). Class licensing and the waiting
 * list are in the classes view; moving licenses, the roster import and the integrations' API keys
 * are for organisation admins.
 */
const ADMIN_VIEWS = ['licenses', 'classes', 'soon', 'move', 'import', 'keys'] as const;
const ORGANISATION_VIEWS: readonly View[] = ['move', 'import', 'keys'];
type View = (typeof ADMIN_VIEWS)[number] | 'deliveries';

function useHashView<V extends string>(views: readonly V[]): V {
  const read = () => {
    const hash = location.hash.slice(1) as V;
    return views.includes(hash) ? hash : views[0]!;
  };
  const [view, setView] = useState<V>(read);
  useEffect(() => {
    const onHash = () => setView(read());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  });
  return views.includes(view) ? view : views[0]!;
}

export function App() {
  return (
    <I18nProvider>
      <Session />
    </I18nProvider>
  );
}

function Session() {
  const [session, setSession] = useState<DemoRole | null>(savedSession);
  const signIn = (role: DemoRole | null) => {
    saveSession(role);
    setSession(role);
  };
  return session ? <SignedIn key={session.token} session={session} onSignOut={() => signIn(null)} /> : <SignIn onSignIn={signIn} />;
}

function LanguagePicker() {
  const { t, locale, setLocale } = useI18n();
  const names: Record<Locale, string> = { sv: t('languageSv'), en: t('languageEn') };
  return (
    <div className="language">
      <label htmlFor="language">{t('language')}</label>
      <select id="language" value={locale} onChange={(e) => setLocale(e.target.value as Locale)}>
        {LOCALES.map((l) => (
          <option key={l} value={l} lang={l}>
            {names[l]}
          </option>
        ))}
      </select>
    </div>
  );
}

function SignIn({ onSignIn }: { onSignIn: (role: DemoRole) => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [roles] = useLoad(loadDemoRoles, []);
  return (
    <>
      <header className="bar">
        <span className="brand">{t('appName')}</span>
        <LanguagePicker />
      </header>
      <main className="page narrow">
        <h1>{t('appName')}</h1>
        <p>{t('signInIntro')}</p>
        <Loaded load={roles} what={t('what_demoRoles')}>
          {(list) =>
            list.length === 0 ? (
              <Empty>{t('noDemoRoles')}</Empty>
            ) : (
              <ul className="roles" aria-label={t('demoRoles')}>
                {list.map((role) => (
                  <li key={role.label}>
                    <button type="button" onClick={() => onSignIn(role)}>
                      {t('signInAs', { who: roleLabel(role, i18n) })}
                    </button>
                  </li>
                ))}
              </ul>
            )
          }
        </Loaded>
      </main>
    </>
  );
}

function SignedIn({ session, onSignOut }: { session: DemoRole; onSignOut: () => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const client = useMemo<LicenseClient>(
    () => createLicenseClient({ url: '/graphql', getToken: () => session.token, retry: { maxAttempts: 2 } }),
    [session.token],
  );
  const [viewer, reloadViewer] = useLoad(() => client.viewer(), [session.token]);
  const isUser = viewer.status === 'done' && viewer.data.kind === 'USER';
  // A notification committed for this admin (a delivery, a notice) shows without a reload.
  useEffect(() => (isUser ? client.subscribe(NotificationAddedDocument, {}, reloadViewer) : undefined), [client, isUser, reloadViewer]);

  const signOut = (
    <button type="button" className="link" onClick={onSignOut}>
      {t('signOut')}
    </button>
  );
  return (
    <>
      <a className="skip" href="#main">
        {t('skipToContent')}
      </a>
      <header className="bar">
        <span className="brand">{t('appName')}</span>
        <span className="who" data-testid="signed-in-as">
          {viewer.status === 'done' ? `${viewer.data.name}${viewer.data.organisation ? ` · ${viewer.data.organisation.name}` : ''}` : roleLabel(session, i18n)}
        </span>
        <LanguagePicker />
        {signOut}
      </header>
      {viewer.status === 'loading' ? (
        <main className="page" id="main">
          <Loading what={t('what_viewer')} />
        </main>
      ) : null}
      {viewer.status === 'error' ? (
        <main className="page" id="main">
          <ErrorMessage error={viewer.error} action={signOut} />
        </main>
      ) : null}
      {viewer.status === 'done' ? <Home client={client} viewer={viewer.data} reloadViewer={reloadViewer} /> : null}
    </>
  );
}

function Home({ client, viewer, reloadViewer }: { client: LicenseClient; viewer: Viewer; reloadViewer: () => void }) {
  const { t } = useI18n();
  if (viewer.kind === 'SUPPLIER') return <SupplierHome client={client} />;
  const user = viewer.user;
  if (!user) {
    return (
      <main className="page" id="main">
        <Empty>{t('integrationOnly')}</Empty>
      </main>
    );
  }
  const isAdmin = user.isOrganisationAdmin || user.memberships.some((m) => m.role === 'SCHOOL_ADMIN');
  const isTeacher = user.memberships.some((m) => m.role === 'TEACHER');
  const holdsLicenses = user.memberships.some((m) => m.role !== 'SCHOOL_ADMIN');
  const mine = holdsLicenses ? <MyLicenses client={client} licenses={user.licenses} canRemove={isTeacher} onChanged={reloadViewer} /> : null;
  if (!isAdmin) {
    return (
      <main className="page" id="main">
        <h1 className="visually-hidden">{t('appName')}</h1>
        {mine}
      </main>
    );
  }
  return <AdminHome client={client} viewer={viewer} organisationAdmin={user.isOrganisationAdmin} mine={mine} reloadViewer={reloadViewer} />;
}

function NavBar({ views, current }: { views: readonly View[]; current: View }) {
  const { t } = useI18n();
  return (
    <nav className="tabs" aria-label={t('mainNav')}>
      <ul>
        {views.map((v) => (
          <li key={v}>
            <a href={`#${v}`} aria-current={v === current ? 'page' : undefined}>
              {t(`view_${v}`)}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function AdminHome(props: { client: LicenseClient; viewer: Viewer; organisationAdmin: boolean; mine: ReactNode; reloadViewer: () => void }) {
  const { client, viewer, organisationAdmin, reloadViewer } = props;
  const { t } = useI18n();
  // Importing the roster (docs/ROSTER-SYNC.md) and moving licenses between schools (docs/DOMAIN.md)
  // are for organisation admins: the others do not see them.
  const views = organisationAdmin ? ADMIN_VIEWS : ADMIN_VIEWS.filter((v) => !ORGANISATION_VIEWS.includes(v));
  const view = useHashView(views);
  const [schools] = useLoad(() => all(client.schools()), []);
  const [schoolId, setSchoolId] = useState<string | null>(null);
  const list: SchoolChoice[] = schools.status === 'done' ? schools.data : [];
  const school = list.find((s) => s.id === schoolId) ?? list[0] ?? null;
  const shared = { client, schools: list, school, onSchool: setSchoolId };
  return (
    <>
      <NavBar views={views} current={view} />
      <main className="page" id="main">
        {view === 'licenses' ? (
          <>
            {props.mine}
            <Notifications client={client} unread={viewer.unreadNotificationCount} onChanged={reloadViewer} />
            <ManageLicenses {...shared} loadState={schools} />
          </>
        ) : null}
        {view === 'classes' ? <Classes {...shared} loadState={schools} /> : null}
        {view === 'soon' ? <Soon {...shared} loadState={schools} unread={viewer.unreadNotificationCount} /> : null}
        {view === 'move' ? <MoveLicenses client={client} schools={list} loadState={schools} /> : null}
        {view === 'import' && viewer.organisation ? <RosterImport client={client} organisation={viewer.organisation} onImported={reloadViewer} /> : null}
        {view === 'import' && !viewer.organisation ? <Empty>{t('importOnlyOrganisationAdmins')}</Empty> : null}
        {view === 'keys' && viewer.organisation ? <ApiKeys client={client} organisation={viewer.organisation} /> : null}
      </main>
    </>
  );
}

function SupplierHome({ client }: { client: LicenseClient }) {
  return (
    <>
      <NavBar views={['deliveries'] as const} current="deliveries" />
      <main className="page" id="main">
        <Deliveries client={client} />
      </main>
    </>
  );
}
