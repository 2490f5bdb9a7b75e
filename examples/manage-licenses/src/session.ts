// Demo sign-in. The demo's tokens are signed when the API starts; the app's dev and preview
// servers hand them out at /demo-session.json (see scripts/demo-session.ts). A real deployment
// gets its token from the school's identity provider instead.
export interface DemoRole {
  label: string;
  token: string;
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
