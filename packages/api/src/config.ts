// The server's configuration, from environment variables. Bad values stop the start with one line.
import type { AuthConfig } from './auth/authenticate.ts';
import { DEFAULT_EVENT_RETENTION_DAYS } from './events/retention.ts';
import type { WebhookSettings } from './events/webhooks.ts';
import type { ApiLimits } from './limits.ts';

export interface ServerConfig {
  databaseUrl: string | undefined;
  pgliteDataDir: string | undefined;
  host: string;
  port: number;
  auth: AuthConfig;
  graphiql: boolean;
  sweepIntervalSeconds: number;
  /** How many days the change feed keeps events (the sweep prunes older ones every webhook endpoint received). */
  eventRetentionDays: number;
  idempotencyTtlHours: number;
  /** Body size, tokens, aliases, directives, batching, rate limit, introspection, parse cache. */
  limits: ApiLimits;
  /** How many times to retry connecting to PostgreSQL at start (with backoff). */
  databaseConnectRetries: number;
  /** PostgreSQL: name statements so the server plans each once per connection (off behind PgBouncer before 1.21). */
  databasePreparedStatements: boolean;
  /** Outbound webhook requests: private addresses (off but in the demo), timeout. */
  webhooks: Pick<WebhookSettings, 'allowPrivate' | 'timeoutMs'>;
  /** PostgreSQL: the pool, how long a request waits for a connection, and the session timeouts (ms; 0: none). */
  database: {
    maxConnections: number;
    connectionTimeoutMs: number;
    statementTimeoutMs: number;
    lockTimeoutMs: number;
    idleInTransactionTimeoutMs: number;
  };
  /**
   * Where the rate limits count: `memory` (this process), `postgres` (the database, shared by
   * every instance), `redis` (REDIS_URL). Default: redis when REDIS_URL is set, else postgres on
   * PostgreSQL, else memory (PGlite is one process's).
   */
  rateLimitStore: 'memory' | 'postgres' | 'redis';
  /**
   * On SIGTERM, how long /ready fails (and answers close their connections) before the server
   * stops accepting: a balancer's health check sees it first and sends nothing new (docs/DEPLOY.md).
   */
  shutdownDelayMs: number;
  /** `json`: one JSON object per line (pino), a line per request; `text`: plain lines (the demo's default). */
  logFormat: 'json' | 'text';
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** /metrics is served to requests with this bearer token; unset: no /metrics. */
  metricsToken: string | undefined;
  /** OTLP over HTTP, e.g. http://collector:4318: traces are exported there; unset: no tracing. */
  otlpEndpoint: string | undefined;
  redisUrl: string | undefined;
  demo: boolean;
  /** In the demo: a JSON file to write the demo roles' sign-in tokens to, for apps. */
  demoSessionFile: string | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Only for the demo: a secret everyone knows, so the printed demo tokens work. */
export const DEMO_JWT_SECRET = 'demo-secret-for-local-development-only-0123456789';

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, not "${raw}"`);
  }
  return value;
}

function boolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be true or false, not "${raw}"`);
}

export function readConfig(env: NodeJS.ProcessEnv, { demo }: { demo: boolean }): ServerConfig {
  const jwtSecret = env.JWT_SECRET || (demo ? DEMO_JWT_SECRET : undefined);
  if (jwtSecret && jwtSecret.length < 32) throw new ConfigError('JWT_SECRET must be at least 32 characters long');
  const jwksUrl = env.JWKS_URL || undefined;
  if (jwksUrl && !/^https?:\/\//.test(jwksUrl)) throw new ConfigError('JWKS_URL must be an http(s) URL');
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    pgliteDataDir: env.PGLITE_DATA_DIR || undefined,
    host: env.HOST || (demo ? '127.0.0.1' : '0.0.0.0'),
    port: integer(env, 'PORT', 4000, 0, 65_535),
    auth: {
      jwtSecret: jwksUrl ? undefined : jwtSecret,
      jwksUrl,
      issuer: env.JWT_ISSUER || undefined,
      audience: env.JWT_AUDIENCE || undefined,
      requireExp: boolean(env, 'JWT_REQUIRE_EXP', true),
    },
    graphiql: boolean(env, 'GRAPHIQL', demo),
    sweepIntervalSeconds: integer(env, 'SWEEP_INTERVAL_SECONDS', demo ? 60 : 0, 0, 86_400),
    eventRetentionDays: readEventRetentionDays(env),
    idempotencyTtlHours: integer(env, 'IDEMPOTENCY_TTL_HOURS', 24, 1, 24 * 90),
    limits: readLimits(env, demo),
    databaseConnectRetries: integer(env, 'DATABASE_CONNECT_RETRIES', 10, 0, 1_000),
    databasePreparedStatements: boolean(env, 'DATABASE_PREPARED_STATEMENTS', true),
    webhooks: {
      allowPrivate: boolean(env, 'WEBHOOKS_ALLOW_PRIVATE', demo),
      timeoutMs: integer(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 60_000),
    },
    database: {
      maxConnections: integer(env, 'DATABASE_POOL_SIZE', 10, 1, 10_000),
      connectionTimeoutMs: integer(env, 'DATABASE_POOL_TIMEOUT_MS', 5_000, 1, 600_000),
      statementTimeoutMs: integer(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 10_000, 0, 86_400_000),
      lockTimeoutMs: integer(env, 'DATABASE_LOCK_TIMEOUT_MS', 5_000, 0, 86_400_000),
      idleInTransactionTimeoutMs: integer(env, 'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', 30_000, 0, 86_400_000),
    },
    rateLimitStore: rateLimitStore(env),
    shutdownDelayMs: integer(env, 'SHUTDOWN_DELAY_MS', 0, 0, 600_000),
    logFormat: oneOf(env, 'LOG_FORMAT', ['json', 'text'] as const, demo ? 'text' : 'json'),
    logLevel: oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    metricsToken: metricsToken(env.METRICS_TOKEN),
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || undefined,
    redisUrl: env.REDIS_URL || undefined,
    demo,
    demoSessionFile: env.DEMO_SESSION_FILE || undefined,
  };
}

/** EVENT_RETENTION_DAYS, also for the sweep command, which reads nothing else of the server's. */
export function readEventRetentionDays(env: NodeJS.ProcessEnv): number {
  return integer(env, 'EVENT_RETENTION_DAYS', DEFAULT_EVENT_RETENTION_DAYS, 1, 36_500);
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(values as readonly string[]).includes(raw)) throw new ConfigError(`${name} must be one of ${values.join(', ')}, not "${raw}"`);
  return raw as T;
}

function metricsToken(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  if (raw.length < 16) throw new ConfigError('METRICS_TOKEN must be at least 16 characters long');
  return raw;
}

function rateLimitStore(env: NodeJS.ProcessEnv): ServerConfig['rateLimitStore'] {
  const raw = env.RATE_LIMIT_STORE || (env.REDIS_URL ? 'redis' : env.DATABASE_URL ? 'postgres' : 'memory');
  if (raw !== 'memory' && raw !== 'postgres' && raw !== 'redis') throw new ConfigError(`RATE_LIMIT_STORE must be memory, postgres or redis, not "${raw}"`);
  if (raw === 'redis' && !env.REDIS_URL) throw new ConfigError('RATE_LIMIT_STORE=redis needs REDIS_URL');
  if (raw === 'postgres' && !env.DATABASE_URL) throw new ConfigError('RATE_LIMIT_STORE=postgres needs DATABASE_URL (PostgreSQL)');
  if (env.REDIS_URL && !/^rediss?:\/\//.test(env.REDIS_URL)) throw new ConfigError('REDIS_URL must start with redis:// or rediss://');
  return raw;
}

function readLimits(env: NodeJS.ProcessEnv, demo: boolean): ApiLimits {
  const perMinute = integer(env, 'RATE_LIMIT_PER_MINUTE', 600, 0, 1_000_000);
  const addressPerMinute = integer(env, 'ADDRESS_RATE_LIMIT_PER_MINUTE', 300, 0, 1_000_000);
  return {
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 100_000, 1_000, 100_000_000),
    maxUploadBytes: integer(env, 'MAX_UPLOAD_BYTES', 200 * 1024 * 1024, 1_000, 2 ** 31),
    maxImportFileBytes: integer(env, 'ROSTER_IMPORT_MAX_FILE_BYTES', 50 * 1024 * 1024, 1_000, 2 ** 31),
    maxTokens: integer(env, 'MAX_TOKENS', 1_000, 100, 1_000_000),
    maxAliases: integer(env, 'MAX_ALIASES', 30, 0, 10_000),
    maxDirectives: integer(env, 'MAX_DIRECTIVES', 50, 0, 10_000),
    parseCacheBytes: integer(env, 'PARSE_CACHE_BYTES', 16_000_000, 0, 10_000_000_000),
    maxBatch: integer(env, 'MAX_BATCH', 10, 0, 1_000),
    rateLimit: perMinute ? { perMinute, burst: integer(env, 'RATE_LIMIT_BURST', 100, 1, 1_000_000) } : undefined,
    addressRateLimit: addressPerMinute ? { perMinute: addressPerMinute, burst: integer(env, 'ADDRESS_RATE_LIMIT_BURST', 60, 1, 1_000_000) } : undefined,
    // The schema is public in the repository; a production server need not hand it to scanners.
    introspection: boolean(env, 'INTROSPECTION', demo),
    timeBudgetMs: integer(env, 'REQUEST_TIME_BUDGET_MS', 30_000, 0, 3_600_000),
  };
}
