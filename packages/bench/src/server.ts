// One server of the benchmark, in its own process so its resident memory is its own:
//   api       the real API (createApi, the yoga server the product runs) over Prisma
//   baseline  the hand-written SQL baseline (baseline.ts) in a plain Node http server
// Prints `listening <port>` once it accepts requests on 127.0.0.1 (port 0: a free one). Started
// with an IPC channel, it profiles its CPU when the benchmark asks (cpu-profile.ts).
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { createApi, systemClock } from '@school-licenses/api';
import { openDatabase, type PrismaClient } from '@school-licenses/db';
import { createBaselineHandler } from './baseline.ts';
import { answerProfileRequests } from './cpu-profile.ts';
import { openSql } from './sql.ts';

const { values } = parseArgs({
  options: {
    kind: { type: 'string' },
    url: { type: 'string' },
    'data-dir': { type: 'string' },
    'jwt-secret': { type: 'string' },
    'plan-cache-size': { type: 'string' },
    'relation-load-strategy': { type: 'string' },
    'prepared-statements': { type: 'string', default: 'on' },
  },
});

const target = { url: values.url, dataDir: values['data-dir'] };
const jwtSecret = values['jwt-secret'] ?? '';
const preparedStatements = values['prepared-statements'] !== 'off';

async function main() {
  let handler: Parameters<typeof createServer>[1];
  if (values.kind === 'api') {
    const database = await openDatabase({
      ...target,
      maxConnections: 10,
      preparedStatements,
      queryPlanCacheMaxSize: values['plan-cache-size'] === undefined ? undefined : Number(values['plan-cache-size']),
    });
    let prisma = database.prisma;
    if (values['relation-load-strategy'] === 'query') prisma = withQueryStrategy(prisma);
    const quiet = { debug() {}, info() {}, warn: console.warn, error: console.error };
    handler = createApi({ prisma, sql: database.sql, clock: systemClock, auth: { jwtSecret }, graphiql: false, log: quiet });
  } else if (values.kind === 'baseline') {
    handler = createBaselineHandler({ sql: await openSql(target, 10, { preparedStatements }), jwtSecret });
  } else {
    throw new Error('--kind api or --kind baseline');
  }
  answerProfileRequests();
  const server = createServer(handler);
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    console.log(`listening ${typeof address === 'object' && address ? address.port : ''}`);
  });
  process.once('SIGTERM', () => process.exit(0));
}

/**
 * Prisma's other way of reading relations (one statement per relation level), to compare with
 * relationJoins without generating a second client. A query extension: the API cannot tell.
 */
function withQueryStrategy(prisma: PrismaClient): PrismaClient {
  const reads = new Set(['findMany', 'findFirst', 'findFirstOrThrow', 'findUnique', 'findUniqueOrThrow']);
  const extended = prisma.$extends({
    query: {
      $allModels: {
        $allOperations({ operation, args, query }) {
          return query(reads.has(operation) ? { ...(args as object), relationLoadStrategy: 'query' } : args);
        },
      },
    },
  });
  // The extended client has the same models and methods; only its static type differs.
  return extended as unknown as PrismaClient;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
