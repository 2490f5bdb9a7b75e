// `npm run saturation` (packages/bench): where the API stops answering everything, and what it
// answers past that point. The real server (packages/api/src/server.ts) on a fresh PostgreSQL
// database with the demo data, a small pool that waits briefly for a connection (so the limit
// comes early on any machine), and no rate limit; the organisation admin's school view is sent
// at a growing number of connections, each for a few seconds. Not a test: it prints a table and
// the connection count where errors start, and fails if any answer was a 500.
//
//   npm run saturation -- [--connections 5,10,20,40,80,160] [--seconds 5] [--pool 2] [--pool-timeout-ms 200]
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { DEFAULT_SERVER_URL } from './database.ts';
import { openSql } from './sql.ts';

const { values } = parseArgs({
  // pnpm passes on the `--` of `npm run saturation -- …`.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    connections: { type: 'string', default: '5,10,20,40,80,160' },
    seconds: { type: 'string', default: '5' },
    pool: { type: 'string', default: '2' },
    'pool-timeout-ms': { type: 'string', default: '200' },
    'server-url': { type: 'string', default: DEFAULT_SERVER_URL },
  },
});

const DATABASE = 'licenses_saturation';
const VIEW = JSON.stringify({
  query: `query SchoolView { schools(first: 10) { edges { node { name products { product { name } availability { newLicenses }
    licenses(first: 50) { edges { node { id state endDate holder { name } } } } } } } } }`,
});

async function main() {
  const admin = await openSql({ url: values['server-url'] }, 1);
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  const url = new URL(values['server-url']);
  url.pathname = `/${DATABASE}`;
  const session = join(tmpdir(), `saturation-${process.pid}.json`);
  const server = spawn(process.execPath, [fileURLToPath(new URL('../../api/src/server.ts', import.meta.url)), '--demo'], {
    env: {
      ...process.env,
      DATABASE_URL: url.toString(),
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_FORMAT: 'text',
      GRAPHIQL: 'false',
      DEMO_SESSION_FILE: session,
      DATABASE_POOL_SIZE: values.pool,
      DATABASE_POOL_TIMEOUT_MS: values['pool-timeout-ms'],
      RATE_LIMIT_PER_MINUTE: '0',
      ADDRESS_RATE_LIMIT_PER_MINUTE: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    let output = '';
    server.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /GraphQL API: http:\/\/[^:]+:(\d+)/.exec(output);
      if (ready) resolve(ready[1]!);
    });
    server.once('exit', (code) => reject(new Error(`server exited ${code}:\n${output}`)));
  });
  try {
    const { roles } = JSON.parse(await readFile(session, 'utf8')) as { roles: { role: string; token: string }[] };
    const token = roles.find((r) => r.role === 'organisationAdmin')!.token;
    const rows: string[] = [
      '| connections | req/s | p50 ms | p99 ms | 2xx | 503 | other 4xx | 500 | errors |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ];
    let firstErrors: number | undefined;
    let internal = 0;
    for (const connections of values.connections.split(',').map(Number)) {
      const result = await autocannon({
        url: `http://127.0.0.1:${port}/graphql`,
        method: 'POST',
        connections,
        duration: Number(values.seconds),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: VIEW,
      });
      const byStatus = result.statusCodeStats as unknown as Record<string, { count: number }>;
      const count = (test: (status: number) => boolean) =>
        Object.entries(byStatus)
          .filter(([status]) => test(Number(status)))
          .reduce((sum, [, { count }]) => sum + count, 0);
      const ok = count((s) => s < 300);
      const busy = count((s) => s === 503);
      const other4xx = count((s) => s >= 400 && s < 500);
      const failed = count((s) => s >= 500 && s !== 503);
      internal += failed;
      if (firstErrors === undefined && ok < result.requests.total + result.errors) {
        if (busy || other4xx || failed || result.errors || result.timeouts) firstErrors = connections;
      }
      rows.push(
        `| ${connections} | ${Math.round(result.requests.average)} | ${result.latency.p50} | ${result.latency.p99} | ${ok} | ${busy} | ${other4xx} | ${failed} | ${result.errors + result.timeouts} |`,
      );
      console.log(rows.at(-1));
    }
    console.log(`\nPostgreSQL, pool ${values.pool}, pool wait ${values['pool-timeout-ms']} ms, ${values.seconds} s per step:\n${rows.join('\n')}`);
    console.log(
      firstErrors === undefined
        ? `no errors up to ${values.connections.split(',').at(-1)} connections`
        : `errors start at ${firstErrors} connections; above it the answers are ${internal ? `${internal} × 500 (a bug: overload must be 503)` : '503 (Retry-After), never 500'}`,
    );
    if (internal) process.exitCode = 1;
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    await rm(session, { force: true });
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await admin.close();
  }
}

await main();
