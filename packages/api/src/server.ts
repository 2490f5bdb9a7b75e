// Starts the API: reads the configuration, opens and migrates the database, seeds the demo data
// when asked to and the database is empty, and listens.
//   tsx src/server.ts          production-style start (needs JWT_SECRET or JWKS_URL for users)
//   tsx src/server.ts --demo   embedded database with demo data, GraphiQL with demo tokens
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { DatabaseConfigError, MigrationError, openDatabase } from '@school-licenses/db';
import { systemClock } from './clock.ts';
import { ConfigError, readConfig } from './config.ts';
import { runSweep } from './domain/sweep.ts';
import { demoGraphiQL, ensureDemoData } from './seed/demo.ts';
import { createApi } from './yoga.ts';

const { values } = parseArgs({ options: { demo: { type: 'boolean', default: false } } });

async function main() {
  const config = readConfig(process.env, { demo: values.demo ?? false });
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.pgliteDataDir });
  console.log(`database: ${database.description}`);
  await database.migrate({ onProgress: (message) => console.log(message) });
  const clock = systemClock;

  let graphiql = config.graphiql ? {} : (false as const);
  if (config.demo) {
    const demo = await ensureDemoData(database.prisma, clock, config.auth, (message) => console.log(message));
    if (config.graphiql) graphiql = demoGraphiQL(demo);
  }

  const api = createApi({ prisma: database.prisma, clock, auth: config.auth, graphiql, idempotencyTtlHours: config.idempotencyTtlHours });
  const server = createServer(api);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shownHost = config.host === '0.0.0.0' ? 'localhost' : config.host;
  console.log(`GraphQL API: http://${shownHost}:${port}/graphql${config.graphiql ? ' (open it in a browser for GraphiQL)' : ''}`);

  const sweep = async () => {
    const report = await runSweep(database.prisma, clock);
    if (report.autoStarted || report.assignmentsExpired) {
      console.log(`sweep: ${report.autoStarted} license(s) auto-started, ${report.assignmentsExpired} assignment(s) expired`);
    }
  };
  const timer = config.sweepIntervalSeconds
    ? setInterval(() => void sweep().catch((error: unknown) => console.error('sweep failed:', error)), config.sweepIntervalSeconds * 1000)
    : undefined;

  // Finish in-flight requests, then close the database.
  const shutdown = (signal: string) => {
    console.log(`${signal}: finishing requests and shutting down`);
    clearInterval(timer);
    server.close(() => void database.close().then(() => process.exit(0)));
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof DatabaseConfigError || error instanceof MigrationError) {
    console.error(`error: ${error.message}`);
  } else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`error: port ${process.env.PORT ?? 4000} is in use; set PORT to another port`);
  } else {
    console.error(error);
  }
  process.exit(1);
});
