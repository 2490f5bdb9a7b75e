// Anonymous requests cannot fill the server's memory: 3,000 distinct large documents (about 150 MB
// of text, ten times the parse cache's bound) leave the retained heap (after a full GC) about where
// it was. Measured in bytes, not time. The documents never reach the database, so this runs on the
// embedded one only: `npm test` with DATABASE_URL runs the API's suite on PGlite too.
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { openTestDatabase, type TestDatabase } from '@school-licenses/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.ts';
import { TEST_AUTH, TEST_START } from '../testing/harness.ts';
import { createApi, type Api } from '../yoga.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function retainedHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** A distinct document of about `bytes` bytes: as many tokens as are allowed, the rest a comment. */
function document(i: number, bytes: number, tokens: number): string {
  // `... on Query { __typename }` is 6 tokens and one field: many tokens, few fields.
  const fields = Array.from({ length: Math.max(1, Math.floor((tokens - 5) / 6)) }, () => `... on Query { __typename }`).join(' ');
  const head = `query Q${i} { ${fields} }\n#`;
  return head + `${i} `.repeat(Math.max(0, Math.ceil((bytes - head.length) / (String(i).length + 1))));
}

async function post(api: Api, query: string) {
  const body = JSON.stringify({ query });
  const response = await api.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    body,
  });
  return { status: response.status, text: await response.text() };
}

describe.skipIf(process.env.DATABASE_URL)('memory under distinct anonymous documents', () => {
  let db: TestDatabase;
  let api: Api;
  const clock = new ManualClock(TEST_START);

  beforeAll(async () => {
    db = await openTestDatabase();
    api = createApi({ prisma: db.prisma, clock, auth: TEST_AUTH });
  });
  afterAll(async () => {
    await db?.close();
  });

  it('3,000 distinct documents of up to 95 kB leave the retained heap within 32 MB', async () => {
    // Warm up what every request allocates once (schema caches, JIT).
    for (let i = 0; i < 50; i++) await post(api, document(20_000 + i, 1_000, 30));
    const before = retainedHeap();
    let answered = 0;
    for (let i = 0; i < 3_000; i++) {
      // Half are large by a comment, half by as many tokens as the parser allows.
      const query = i % 2 ? document(i, 95_000, 30) : document(i, 6_000, 900);
      const response = await post(api, query);
      if (response.status === 200) answered++;
    }
    const grown = retainedHeap() - before;
    expect(answered).toBe(3_000);
    expect(grown).toBeLessThan(32 * 1024 * 1024);
  }, 300_000); // 3,000 requests: about 12 s alone, more beside other test files
});
