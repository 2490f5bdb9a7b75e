// Concurrent requests over real HTTP to one API server on the embedded PGlite.
import { openTestDatabase, type TestDatabase } from '@school-licenses/db/testing';
import { afterAll, beforeAll, describe } from 'vitest';
import { systemClock } from '../clock.ts';
import { listen, type Listening } from '../testing/http.ts';
import { TEST_AUTH } from '../testing/harness.ts';
import { createApi } from '../yoga.ts';
import { concurrencyCases } from './concurrency-cases.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

// On PostgreSQL the same cases run against two server processes sharing the database
// (processes.test.ts), which one server adds nothing to; here they prove PGlite's single writer.
describe.skipIf(backend === 'PostgreSQL')(`concurrency over HTTP, one server, on ${backend}`, () => {
  let db: TestDatabase;
  let server: Listening;

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await listen(createApi({ prisma: db.prisma, clock: systemClock, auth: TEST_AUTH, graphiql: false }));
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  concurrencyCases(() => ({ prisma: db.prisma, clock: systemClock, auth: TEST_AUTH, urls: () => [server.url] }));
});
