// Real HTTP for tests: the API on a real port (0: any free one), and the real server entry
// (src/server.ts) as a child process.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Api } from '../yoga.ts';

export interface HttpResponse<Data = any> {
  status: number;
  headers: Headers;
  data?: Data;
  errors?: { message: string; extensions?: Record<string, any> }[];
  /** The raw body, for looking for what must not be there. */
  text: string;
}

/** POSTs one operation to a GraphQL endpoint. */
export async function postGraphQL<Data = any>(
  url: string,
  token: string | null,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<HttpResponse<Data>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: object = {};
  try {
    body = JSON.parse(text) as object;
  } catch {
    // Not JSON: the test looks at status and text.
  }
  return { status: response.status, headers: response.headers, text, ...body };
}

export interface Listening {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** The API on 127.0.0.1 at a free port, as server.ts serves it. */
export async function listen(api: Api): Promise<Listening> {
  const server = createServer(api);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}/graphql`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface ServerProcess {
  child: ChildProcess;
  /** http://127.0.0.1:<port> */
  origin: string;
  url: string;
  /** Everything the process printed so far. */
  output(): string;
  /** Resolves once the output matches. */
  waitFor(pattern: RegExp): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

const serverEntry = fileURLToPath(new URL('../server.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Starts src/server.ts with PORT=0 and the given environment; resolves once it has printed the
 * port it listens on (before the database is open: /health answers at once).
 */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  // Node itself, not a wrapper command: a wrapper's child would outlive a SIGKILL of it (and keep
  // holding the port and the embedded database's lock).
  const child = spawn(process.execPath, [serverEntry], {
    cwd: packageDir,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(output)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitFor = (pattern: RegExp) =>
    pattern.test(output)
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          waiters.push({ pattern, resolve });
          void exited.then(({ code, signal }) => reject(new Error(`server exited (${code ?? signal}) before printing ${pattern}:\n${output}`)));
        });
  await waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/);
  const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)![1];
  const origin = `http://127.0.0.1:${port}`;
  return {
    child,
    origin,
    url: `${origin}/graphql`,
    output: () => output,
    waitFor,
    exited,
    kill: (signal = 'SIGTERM') => void child.kill(signal),
  };
}

/** Polls until `check` passes (for a process to get somewhere); never a timed assertion. */
export async function eventually<T>(check: () => Promise<T>, what: string, attempts = 600): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await check();
    } catch (error) {
      last = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`gave up waiting for ${what}: ${String(last)}`);
}

export interface CommandRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs an operator command (src/cli/<command>.ts) as its own Node process, as an operator would. */
export function runCliCommand(
  command: 'sweep' | 'check-counters' | 'create-api-key' | 'revoke-api-key' | 'roster',
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<CommandRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [`src/cli/${command}.ts`, ...args], { cwd: packageDir, env, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
