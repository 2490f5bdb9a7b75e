// OpenTelemetry traces, only when OTEL_EXPORTER_OTLP_ENDPOINT is set (off otherwise: no context
// tracking on any request). A request's trace has yoga's operation span (@envelop/opentelemetry),
// a span per resolver of our schema, and Prisma's spans for each query and its SQL
// (@prisma/instrumentation) inside them; exported by OTLP over HTTP (JSON).
import { useOpenTelemetry } from '@envelop/opentelemetry';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { PrismaInstrumentation } from '@prisma/instrumentation';
import type { Plugin } from 'graphql-yoga';

export interface Tracing {
  /** The yoga plugin that opens the operation and resolver spans (ApiOptions.tracing). */
  plugin: Plugin;
  /** Sends what is left and stops. */
  shutdown(): Promise<void>;
}

/**
 * Starts tracing to an OTLP/HTTP collector at `endpoint` (its base, e.g. http://collector:4318;
 * traces go to /v1/traces). Registers the provider globally: Prisma's instrumentation finds it there.
 */
export function startTracing({ endpoint, serviceName = 'school-licenses-api' }: { endpoint: string; serviceName?: string }): Tracing {
  const url = endpoint.endsWith('/v1/traces') ? endpoint : `${endpoint.replace(/\/$/, '')}/v1/traces`;
  const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }), { scheduledDelayMillis: 500 })] });
  provider.register();
  const unregister = registerInstrumentations({ tracerProvider: provider, instrumentations: [new PrismaInstrumentation()] });
  // Resolvers yes, the default ones (a field read from its parent object) no: a span each would be most of them.
  const plugin = useOpenTelemetry(
    { resolvers: true, defaultResolvers: false, variables: false, result: false },
    provider,
    SpanKind.SERVER,
    {},
    serviceName,
  ) as Plugin;
  return {
    plugin,
    async shutdown() {
      unregister();
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}
