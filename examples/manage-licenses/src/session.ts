// Demo sign-in. The demo's tokens are signed when the API starts; the app's dev and preview
// servers hand them out at /demo-session.json (see scripts/demo-session.ts). A real deployment
// gets its token from the school's identity provider instead.
import type { I18n } from './i18n/i18n.tsx';

export interface DemoRole {
  /** The demo's name for the role (organisationAdmin, schoolAdmin, …, supplier), for its label in each language. */
  role?: string;
  label: string;
  token: string;
}

const ROLES = ['organisationAdmin', 'schoolAdmin', 'teacher', 'student', 'otherOrganisationAdmin', 'supplier'] as const;

/** The role's label in the chosen language; the server's (English) label for a role the app does not know. */
export function roleLabel(role: DemoRole, { t }: I18n): string {
  const known = ROLES.find((r) => r === role.role);
  return known ? t(`role_${known}`) : role.label;
}

export async function loadDemoRoles(): Promise<DemoRole[]> {
  const response = await fetch('/demo-session.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`No demo sign-in here (HTTP ${response.status}): start the app with \`npm run app\`.`);
  const body = (await response.json()) as { roles?: DemoRole[] };
  return body.roles ?? [];
}

const KEY = 'manage-licenses.session';

/** The signed-in role of this browser tab. */
export function savedSession(): DemoRole | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as DemoRole) : null;
  } catch {
    return null;
  }
}

export function saveSession(role: DemoRole | null): void {
  if (role) sessionStorage.setItem(KEY, JSON.stringify(role));
  else sessionStorage.removeItem(KEY);
}
