// Demo sign-in: the tokens of the demo roles, signed when the API started (it writes them to its
// DEMO_SESSION_FILE), served to the app at /demo-session.json by the Vite dev or preview server
// (never part of the built app).
import type { Plugin } from 'vite';

/** One role the demo sign-in offers. */
export interface DemoRole {
  /** The demo's name for it (schoolAdmin, teacher, …, supplier): the app labels it in each language. */
  role?: string;
  /** What the sign-in button says, e.g. "school admin (Sara, Ekskolan)". */
  label: string;
  /** The user's JWT, sent as `Authorization: Bearer <token>`. */
  token: string;
}

export interface DemoSession {
  roles: DemoRole[];
}

/** The demo supplier (Bokförlaget Nord) signs in with its API key: its queue of orders to deliver. */
export function withSupplier(session: DemoSession, supplierKey: string | undefined): DemoSession {
  return supplierKey ? { roles: [...session.roles, { role: 'supplier', label: 'supplier (Bokförlaget Nord)', token: supplierKey }] } : session;
}

export const DEMO_SESSION_PATH = '/demo-session.json';

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
