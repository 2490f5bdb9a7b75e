// Starts the API: reads the configuration, opens and migrates the database, seeds the demo data
// when asked to and the database is empty, and listens.
//   node src/server.ts          production-style start (needs JWT_SECRET or JWKS_URL for users)
//   node src/server.ts --demo   embedded database with demo data, GraphiQL with demo tokens
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { DatabaseConfigError, MigrationError, openDatabase } from '@school-licenses/db';
import { systemClock } from './clock.ts';
import { ConfigError, readConfig } from './config.ts';
import { runSweep } from './domain/sweep.ts';
import { createEventHub, EventRelay } from './events/relay.ts';
import { DEFAULT_WEBHOOK_SETTINGS, WebhookWorker } from './events/webhooks.ts';
import { demoGraphiQL, demoSession, ensureDemoData } from './seed/demo.ts';
import { openPostgresRateLimitStore, openRedisRateLimitStore, type RateLimitStore } from './rate-limit-store.ts';
import { isOverload } from './limits.ts';
import { createMetrics } from './metrics.ts';
import { createServerLog } from './request-log.ts';
import { startTracing } from './tracing.ts';
import { createApi } from './yoga.ts';

const { values } = parseArgs({ options: { demo: { type: 'boolean', default: false } } });

async function main() {
  const config = readConfig(process.env, { demo: values.demo ?? false });
  const { log, requestLog } = createServerLog({ format: config.logFormat, level: config.logLevel });
  // Before the database opens, so Prisma's instrumentation sees every query.
  const tracing = config.otlpEndpoint ? startTracing({ endpoint: config.otlpEndpoint, serviceName: process.env.OTEL_SERVICE_NAME || undefined }) : undefined;
  if (tracing) log.info(`traces: exported by OTLP to ${config.otlpEndpoint}`);
  const persistedOperations = await readPersistedOperations(process.env.PERSISTED_OPERATIONS);

  // Listen first: /health answers as soon as the process is up, /ready once the database is.
  // Until the API is ready every other request gets 503 with Retry-After.
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let shuttingDown = false;
  const server = createServer((req, res) => {
    // During a graceful shutdown, answer in-flight requests and close their connections.
    // A running API's requests go straight to it: the path is read only while starting or draining.
    if (handler && !shuttingDown) return handler(req, res);
    const path = (req.url ?? '/').split('?')[0];
    if (shuttingDown) {
      res.setHeader('connection', 'close');
      // Draining: the balancer's health check is told first, requests are still answered.
      if (path === '/ready') {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
        return void res.end(JSON.stringify({ errors: [{ message: 'The API is shutting down.', extensions: { code: 'SHUTTING_DOWN' } }] }));
      }
    }
    if (handler) return handler(req, res);
    const ok = path === '/health';
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', ...(ok ? {} : { 'retry-after': '1' }) });
    res.end(
      JSON.stringify(
        ok ? { status: 'ok' } : { errors: [{ message: 'The API is starting: the database is not ready yet.', extensions: { code: 'NOT_READY' } }] },
      ),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shownHost = config.host === '0.0.0.0' ? 'localhost' : config.host;
  log.info(`listening on http://${config.host}:${port} (/health, /ready)`);

  let closeDatabase: () => Promise<void> = async () => {};
  let stopEvents: () => Promise<void> = async () => {};
  let timer: NodeJS.Timeout | undefined;
  // /ready fails for SHUTDOWN_DELAY_MS while requests are still served, then the server stops
  // accepting, finishes in-flight requests, and closes the database.
  const shutdown = (signal: string) => {
    log.info(`${signal}: finishing requests and shutting down`);
    shuttingDown = true;
    clearInterval(timer);
    setTimeout(() => {
      server.close(
        () =>
          void stopEvents()
            .then(closeDatabase)
            .then(() => process.exit(0)),
      );
      server.closeIdleConnections();
    }, config.shutdownDelayMs);
    setTimeout(() => process.exit(1), config.shutdownDelayMs + 10_000).unref();
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);

  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.pgliteDataDir,
    preparedStatements: config.databasePreparedStatements,
    ...config.database,
    connectRetry: {
      attempts: config.databaseConnectRetries,
      onRetry: ({ attempt, attempts, delayMs, error }) =>
        log.info(`database not reachable (attempt ${attempt} of ${attempts + 1}: ${error.message}); retrying in ${delayMs} ms`),
    },
  });
  closeDatabase = () => database.close();
  if (shuttingDown) return void (await database.close().then(() => process.exit(0)));
  log.info(`database: ${database.description}`);
  await database.migrate({ onProgress: (message) => log.info(message) });
  const clock = systemClock;

  let graphiql = config.graphiql ? {} : (false as const);
  if (config.demo) {
    const demo = await ensureDemoData(database.prisma, clock, config.auth, (message) => log.info(message));
    if (config.graphiql) graphiql = demoGraphiQL(demo);
    if (config.demoSessionFile) await writeFile(config.demoSessionFile, JSON.stringify(demoSession(demo), null, 2));
  }

  // Every instance numbers committed events and serves them to its own subscribers (docs/EVENTS.md).
  // Webhooks are sent by every instance (SKIP LOCKED shares them), as soon as the relay publishes.
  const events = createEventHub();
  const webhooks = new WebhookWorker(database.prisma, clock, { ...DEFAULT_WEBHOOK_SETTINGS, ...config.webhooks }, (error) =>
    backgroundError(log, 'webhooks: delivery failed', error),
  );
  const relay = new EventRelay({
    database,
    prisma: database.prisma,
    clock,
    hub: events,
    onError: (error) => backgroundError(log, 'events: relay failed', error),
    onPublished: () => void webhooks.kick(),
  });
  await relay.start();
  webhooks.start();
  stopEvents = async () => {
    await relay.stop();
    await webhooks.stop();
  };

  const rateLimitStore = await openRateLimitStore(config);
  if (tracing) {
    const stopBefore = stopEvents;
    stopEvents = async () => {
      await stopBefore();
      await tracing.shutdown().catch(() => {});
    };
  }
  if (rateLimitStore) {
    log.info(`rate limits: shared in ${rateLimitStore.description}`);
    const stopBefore = stopEvents;
    stopEvents = async () => {
      await stopBefore();
      await rateLimitStore.close();
    };
  }

  const metrics = config.metricsToken
    ? createMetrics({ token: config.metricsToken, prisma: database.prisma, connections: () => database.connections(), processMetrics: true })
    : undefined;
  if (metrics) log.info('metrics: /metrics, for requests with METRICS_TOKEN as bearer token');

  const api = createApi({
    log,
    ...(requestLog ? { requestLog } : {}),
    ...(metrics ? { metrics } : {}),
    ...(tracing ? { tracing: tracing.plugin } : {}),
    prisma: database.prisma,
    clock,
    events,
    webhooks: config.webhooks,
    auth: config.auth,
    graphiql,
    idempotencyTtlHours: config.idempotencyTtlHours,
    limits: config.limits,
    persistedOperations,
    poolWaiting: () => database.waiting(),
    sql: database.sql,
    ...(rateLimitStore ? { rateLimitStore } : {}),
  });
  if (persistedOperations) log.info(`persisted operations only: ${Object.keys(persistedOperations).length} documents`);
  handler = api;
  log.info(`GraphQL API: http://${shownHost}:${port}/graphql${config.graphiql ? ' (open it in a browser for GraphiQL)' : ''}`);

  const sweep = async () => {
    const report = await runSweep(database.prisma, clock, undefined, { eventRetentionDays: config.eventRetentionDays });
    metrics?.sweepDone();
    if (report.autoStarted || report.assignmentsExpired || report.eventsPruned) {
      log.info(
        `sweep: ${report.autoStarted} license(s) auto-started, ${report.assignmentsExpired} assignment(s) expired, ${report.eventsPruned} old event(s) pruned`,
      );
    }
  };
  timer = config.sweepIntervalSeconds
    ? setInterval(() => void sweep().catch((error: unknown) => backgroundError(log, 'sweep failed', error)), config.sweepIntervalSeconds * 1000)
    : undefined;
}

/** A background job's failure: a busy database is one line (it runs again), anything else with its cause. */
function backgroundError(log: Pick<Console, 'warn' | 'error'>, what: string, error: unknown): void {
  if (isOverload(error))
    log.warn(
      `${what}: the database is busy (${String((error as Error).message)
        .split('\n')
        .at(-1)}); trying again later`,
    );
  else log.error(`${what}:`, error);
}

/** The store the instances share their rate limits in; none: each process counts for itself. */
async function openRateLimitStore(config: ReturnType<typeof readConfig>): Promise<RateLimitStore | undefined> {
  if (!config.limits.rateLimit && !config.limits.addressRateLimit) return undefined;
  if (config.rateLimitStore === 'redis' && config.redisUrl) return openRedisRateLimitStore(config.redisUrl);
  if (config.rateLimitStore === 'postgres' && config.databaseUrl) return openPostgresRateLimitStore(config.databaseUrl);
  return undefined;
}

/** PERSISTED_OPERATIONS=<file>: accept only the documents of that hash → document manifest. */
async function readPersistedOperations(file: string | undefined): Promise<Record<string, string> | undefined> {
  if (!file) return undefined;
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`PERSISTED_OPERATIONS: cannot read the manifest ${file}: ${(error as Error).message}`);
  }
  if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest) || !Object.values(manifest).every((v) => typeof v === 'string')) {
    throw new ConfigError(`PERSISTED_OPERATIONS: ${file} is not a JSON object of hash → document`);
  }
  return manifest as Record<string, string>;
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof DatabaseConfigError || error instanceof MigrationError) {
    console.error(`error: ${error.message}`);
  } else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    // Perhaps this API already runs there: a second one on the same embedded database is refused anyway.
    console.error(`error: port ${process.env.PORT ?? 4000} is in use by another process (is the API already running?); stop it, or set PORT`);
  } else {
    console.error(error);
  }
  process.exit(1);
});
