// `npm run app`: the API in demo mode (its own embedded database in examples/manage-licenses/.data,
// seeded with the demo story on first start) and the app's Vite dev server, which proxies
// /graphql to the API and hands the demo roles' tokens to the sign-in at /demo-session.json.
//   API_PORT (default: any free port), APP_PORT (default 5173), DATABASE_URL / PGLITE_DATA_DIR
import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { demoSessionPlugin, withSupplier, type DemoSession } from './demo-session.ts';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const apiDir = fileURLToPath(new URL('../../../packages/api/', import.meta.url));

async function startApi(): Promise<{ origin: string; session: DemoSession; stop: () => void }> {
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', PORT: process.env.API_PORT ?? '0' };
  if (!env.DATABASE_URL && !env.PGLITE_DATA_DIR) env.PGLITE_DATA_DIR = `${appDir}.data/pglite`;
  // The API writes the demo roles' tokens here once it has seeded.
  env.DEMO_SESSION_FILE = `${appDir}.data/demo-session.json`;
  const sessionFile = env.DEMO_SESSION_FILE;
  await mkdir(`${appDir}.data`, { recursive: true });
  const child = spawn(process.execPath, ['src/server.ts', '--demo'], { cwd: apiDir, env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the API stopped (exit code ${code}); see its output above`)));
    let supplierKey: string | undefined;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      // The demo supplier's API key, printed with the demo roles: the sign-in offers it too.
      supplierKey ??= /supplier API key \(Bokförlaget Nord\):\s+(slk_\S+)/.exec(line)?.[1];
      // The demo tokens are long: show them shortened, the app hands them out itself.
      console.log(`[api] ${line.replace(/(eyJ[\w-]{12})[\w.-]+/g, '$1…')}`);
      const ready = /GraphQL API: (https?:\/\/[^/\s]+)\/graphql/.exec(line);
      if (ready) {
        readFile(sessionFile, 'utf8')
          .then((text) =>
            resolve({ origin: ready[1]!, session: withSupplier(JSON.parse(text) as DemoSession, supplierKey), stop: () => child.kill('SIGTERM') }),
          )
          .catch(reject);
      }
    });
  });
}

const api = await startApi().catch((error: Error) => {
  console.error(`error: ${error.message}`);
  process.exit(1);
});
if (api.session.roles.length === 0) console.warn('warning: the API printed no demo tokens; the sign-in will offer no roles');

const vite = await createServer({
  root: appDir,
  configFile: `${appDir}vite.config.ts`,
  plugins: [demoSessionPlugin(() => api.session)],
  server: {
    host: '127.0.0.1',
    port: Number(process.env.APP_PORT ?? 5173),
    strictPort: false,
    proxy: { '/graphql': { target: api.origin, changeOrigin: true } },
  },
});
await vite.listen();
const url = vite.resolvedUrls?.local[0] ?? `http://127.0.0.1:${vite.config.server.port}/`;
console.log('');
console.log(`Manage licenses: ${url}  (API: ${api.origin}/graphql; Ctrl-C stops both)`);
console.log(`Demo roles: ${api.session.roles.map((r) => r.label).join('; ')}`);

const stop = () => {
  api.stop();
  void vite.close().finally(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
