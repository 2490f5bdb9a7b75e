// Demo sign-in: the tokens of the demo roles, signed when the API started, served to the app at
// /demo-session.json by the Vite dev or preview server (never part of the built app).
import type { Plugin } from 'vite';

/** One role the demo sign-in offers. */
export interface DemoRole {
  /** What the sign-in button says, e.g. "school admin (Sara, Ekskolan)". */
  label: string;
  /** The user's JWT, sent as `Authorization: Bearer <token>`. */
  token: string;
}

export interface DemoSession {
  roles: DemoRole[];
}

export const DEMO_SESSION_PATH = '/demo-session.json';

/** The roles of the demo story, in the words `npm run demo` prints them with. */
export const DEMO_ROLE_LABELS = {
  organisationAdmin: 'organisation admin (Olivia, Nordstad)',
  schoolAdmin: 'school admin (Sara, Ekskolan)',
  teacher: 'teacher (Tove, Ekskolan)',
  student: 'student (Saga, Ekskolan)',
  otherOrganisationAdmin: 'admin of another organisation (Oskar)',
} as const;

/** The session of the demo's tokens by role (as the API's test harness returns them). */
export function sessionFromTokens(tokens: Record<keyof typeof DEMO_ROLE_LABELS, string>): DemoSession {
  return { roles: (Object.keys(DEMO_ROLE_LABELS) as (keyof typeof DEMO_ROLE_LABELS)[]).map((role) => ({ label: DEMO_ROLE_LABELS[role], token: tokens[role] })) };
}

/**
 * The session of what `server.ts --demo` prints: every "  <label>:  <JWT>" line of its output.
 * API keys (`slk_…`) and the activation link are not user sign-ins and are left out.
 */
export function sessionFromDemoOutput(output: string): DemoSession {
  const roles: DemoRole[] = [];
  for (const line of output.split('\n')) {
    const match = /^\s+(.+?):\s+(eyJ[\w-]+\.[\w-]+\.[\w-]+)\s*$/.exec(line);
    if (match) roles.push({ label: match[1]!, token: match[2]! });
  }
  return { roles };
}

/** Serves the session at /demo-session.json from Vite's dev and preview servers. */
export function demoSessionPlugin(session: () => DemoSession): Plugin {
  const middleware = (req: { url?: string }, res: import('node:http').ServerResponse, next: () => void) => {
    if ((req.url ?? '').split('?')[0] !== DEMO_SESSION_PATH) return next();
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(session()));
  };
  return {
    name: 'manage-licenses-demo-session',
    configureServer: (server) => void server.middlewares.use(middleware),
    configurePreviewServer: (server) => void server.middlewares.use(middleware),
  };
}
