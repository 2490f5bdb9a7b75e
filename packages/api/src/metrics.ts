// Prometheus metrics at /metrics, for one instance (scrape each instance, not the balancer): yoga's
// Prometheus plugin for GraphQL requests and their phases, plus ours for answers by status and
// code, the database pool, the sweep and webhook delivery lag. Served only with METRICS_TOKEN
// set, to requests that send it as a bearer token (docs/DEPLOY.md).
import { timingSafeEqual } from 'node:crypto';
import { usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { PrismaClient } from '@school-licenses/db';
import type { Plugin } from 'graphql-yoga';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestLogEntry } from './request-log.ts';
import { requestPath } from './request-path.ts';

export interface MetricsOptions {
  /** The bearer token a scrape must send. */
  token: string;
  prisma: PrismaClient;
  /** The database pool now (Database.connections). */
  connections?: () => { total: number; idle: number; waiting: number };
  /** Process metrics (CPU, memory, event loop) too; off in tests, where several APIs share a process. */
  processMetrics?: boolean;
}

export interface Metrics {
  registry: Registry;
  plugins: Plugin[];
  /** Counts a finished request (useRequestLog's entry). */
  observe(entry: RequestLogEntry): void;
  /** A sweep finished without error. */
  sweepDone(at?: Date): void;
}

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  // Labels stay bounded: no operation name (a client chooses it, so each new name would be a new series).
  const requests = new Counter({
    name: 'school_licenses_requests_total',
    help: 'HTTP requests answered, by status, error code (none: no error), caller kind and operation type.',
    labelNames: ['status', 'code', 'caller', 'operation_type'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'school_licenses_request_duration_seconds',
    help: 'Time from receiving a request to its response, by caller kind and operation type.',
    labelNames: ['caller', 'operation_type'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const connections = options.connections;
  new Gauge({
    name: 'school_licenses_db_pool_connections',
    help: 'Database pool connections: state=total (open), idle, waiting (queries waiting for a connection).',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      if (!connections) return;
      const now = connections();
      for (const state of ['total', 'idle', 'waiting'] as const) this.set({ state }, now[state]);
    },
  });
  const sweep = new Gauge({
    name: 'school_licenses_sweep_last_success_timestamp_seconds',
    help: 'When this instance last finished a sweep (lag: time() minus this; 0: not yet).',
    registers: [registry],
  });
  new Gauge({
    name: 'school_licenses_webhook_delivery_lag_seconds',
    help: 'How long the oldest webhook delivery that is due has waited since its event (0: none waiting).',
    registers: [registry],
    async collect() {
      const [row] = await options.prisma.$queryRaw<{ lag: number | null }[]>`
        SELECT extract(epoch FROM now() - min("createdAt"))::float8 AS lag
        FROM "WebhookDelivery" WHERE status = 'PENDING' AND ("nextAttemptAt" IS NULL OR "nextAttemptAt" <= now())`;
      this.set(Math.max(0, row?.lag ?? 0));
    },
  });
  new Gauge({
    name: 'school_licenses_events_unpublished_lag_seconds',
    help: 'How long the oldest committed event not yet numbered by the relay has waited (0: none).',
    registers: [registry],
    async collect() {
      const [row] = await options.prisma.$queryRaw<{ lag: number | null }[]>`
        SELECT extract(epoch FROM now() - min("createdAt"))::float8 AS lag FROM "Event" WHERE position IS NULL`;
      this.set(Math.max(0, row?.lag ?? 0));
    },
  });

  const expected = Buffer.from(`Bearer ${options.token}`);
  // Every request passes here: any other path returns at once, without a promise to wait for.
  const serve: Plugin = {
    onRequest: ({ request, endResponse }) => {
      if (requestPath(request.url) !== '/metrics') return;
      const given = Buffer.from(request.headers.get('authorization') ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return endResponse(new Response('Send METRICS_TOKEN as a bearer token.\n', { status: 401, headers: { 'www-authenticate': 'Bearer' } }));
      }
      return registry.metrics().then((text) => endResponse(new Response(text, { headers: { 'content-type': registry.contentType } })));
    },
  };
  return {
    registry,
    plugins: [
      serve,
      usePrometheus({
        registry,
        endpoint: false,
        labels: { operationName: false, operationType: true, statusCode: true, method: true, url: false },
        metrics: {
          graphql_envelop_request: true,
          graphql_envelop_request_duration: true,
          graphql_envelop_error_result: true,
          graphql_envelop_phase_parse: true,
          graphql_envelop_phase_validate: true,
          graphql_envelop_phase_execute: true,
          graphql_yoga_http_duration: true,
        },
      }),
    ],
    observe(entry) {
      const caller = entry.caller;
      const operationType = entry.operationType ?? 'none';
      requests.inc({ status: String(entry.status), code: entry.codes?.[0] ?? 'none', caller, operation_type: operationType });
      duration.observe({ caller, operation_type: operationType }, entry.durationMs / 1000);
    },
    sweepDone(at = new Date()) {
      sweep.set(at.getTime() / 1000);
    },
  };
}
