// What operators see of each request: one structured entry when its response is ready, for the
// JSON log (pino, server.ts) and the metrics (metrics.ts). Refused requests keep their one refusal
// line too (limits.ts), never a stack trace.
import { format } from 'node:util';
import { getOperationAST, type GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import pino, { type Logger } from 'pino';
import type { Actor } from './domain/actor.ts';
import { requestIdOf } from './limits.ts';

export interface RequestLogEntry {
  requestId: string;
  method: string;
  path: string;
  /** The operations' names (a batch: each, comma-separated); unnamed: `anonymous`; none ran: absent. */
  operation?: string;
  /** `query`, `mutation`, `subscription` (a batch: the first one's). */
  operationType?: string;
  /** Who called: user, integration, supplier, or anonymous. */
  caller: string;
  status: number;
  durationMs: number;
  /** The `extensions.code` of each error in the answer. */
  codes?: string[];
}

interface Seen {
  start: number;
  operations: string[];
  operationType?: string;
  caller?: string;
  codes: string[];
}

/** Calls `onEntry` once per HTTP request, when its response is ready. First in the plugin list, so it sees every request. */
export function useRequestLog(onEntry: (entry: RequestLogEntry) => void): Plugin {
  const seen = new WeakMap<Request, Seen>();
  const of = (request: Request) => {
    let entry = seen.get(request);
    if (!entry) seen.set(request, (entry = { start: performance.now(), operations: [], codes: [] }));
    return entry;
  };
  return {
    onRequest: ({ request }) => void of(request),
    onExecute: ({ args }) => {
      const context = args.contextValue as { request?: Request; actor?: Actor | null };
      if (!context.request) return;
      const entry = of(context.request);
      const operation = getOperationAST(args.document, args.operationName);
      entry.operations.push(operation?.name?.value ?? 'anonymous');
      entry.operationType ??= operation?.operation;
      entry.caller = context.actor?.kind ?? 'anonymous';
    },
    onResultProcess: ({ request, result }) => {
      const entry = of(request);
      for (const single of Array.isArray(result) ? result : [result]) {
        for (const error of ((single as { errors?: GraphQLError[] }).errors ?? []) as GraphQLError[]) {
          entry.codes.push(String(error.extensions?.code ?? 'BAD_REQUEST'));
        }
      }
    },
    onResponse: ({ request, response }) => {
      const entry = of(request);
      seen.delete(request);
      const url = new URL(request.url);
      onEntry({
        requestId: requestIdOf(request),
        method: request.method,
        path: url.pathname,
        ...(entry.operations.length ? { operation: entry.operations.join(',') } : {}),
        ...(entry.operationType ? { operationType: entry.operationType } : {}),
        caller: entry.caller ?? (request.headers.get('authorization') ? 'unauthenticated' : 'anonymous'),
        status: response.status,
        durationMs: Math.round((performance.now() - entry.start) * 10) / 10,
        ...(entry.codes.length ? { codes: entry.codes } : {}),
      });
    },
  };
}

export type Log = Pick<Console, 'debug' | 'info' | 'warn' | 'error'>;

/**
 * The server's log. `json`: one JSON object per line (pino), each request's entry among them;
 * `text`: the console, as in the demo, without an entry per request.
 */
export function createServerLog({
  format: kind,
  level,
  destination,
}: {
  format: 'json' | 'text';
  level: string;
  /** Where the JSON lines go (default: standard output). */
  destination?: NodeJS.WritableStream;
}): {
  log: Log;
  requestLog?: (entry: RequestLogEntry) => void;
  logger?: Logger;
} {
  if (kind === 'text') return { log: console };
  const options = { level, base: { service: 'school-licenses-api' } };
  const logger = destination ? pino(options, destination) : pino(options);
  // Console-style calls (`log.info('…', value)`) become one entry; an error among the values is its `err`.
  const write =
    (method: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]) => {
      const err = args.find((arg) => arg instanceof Error);
      const message = format(...args.filter((arg) => arg !== err));
      if (err) logger[method]({ err }, message);
      else logger[method](message);
    };
  return {
    logger,
    log: { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') },
    requestLog: (entry) => logger.info(entry, 'request'),
  };
}
