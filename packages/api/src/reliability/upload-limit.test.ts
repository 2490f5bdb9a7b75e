// Multipart bodies above MAX_BODY_BYTES (the files of importRoster, up to MAX_UPLOAD_BYTES) are
// read only from a valid credential that may import a roster; anyone else is answered before the
// body is read. Over real HTTP: a request that announces 50 MB and sends a few bytes is answered
// while the rest of its body has not been sent, which a server that reads it first never does.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../auth/authenticate.ts';
import { fixtureFiles } from '../roster/testing.ts';
import { startStandardScenario, TEST_AUTH, type DemoData, type TestApi } from '../testing/harness.ts';
import { listen, postGraphQL, type Listening } from '../testing/http.ts';
import { gid } from '../testing/ids.ts';
import { IMPORT_ROSTER } from '../testing/operations.ts';
import { createApi } from '../yoga.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';
const FIFTY_MB = 50 * 1024 * 1024;
const MULTIPART = 'multipart/form-data; boundary=x';

interface EarlyAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: { errors?: { message: string; extensions?: { code?: string } }[] };
}

/**
 * Announces a body of `length` bytes, sends its first few, and never the rest: resolves with the
 * answer that comes while the body is unsent; fails if none comes (the server waits to read it).
 */
function answerBeforeBody(url: string, headers: Record<string, string>, length = FIFTY_MB): Promise<EarlyAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers: { ...headers, 'content-length': String(length) } });
    const waiting = setTimeout(() => {
      request.destroy();
      reject(new Error('no answer while the body was unsent: the server waits to read it'));
    }, 10_000);
    request.on('error', (error) => {
      clearTimeout(waiting);
      reject(error);
    });
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('error', () => {});
      response.on('end', () => {
        clearTimeout(waiting);
        request.removeAllListeners('error');
        request.on('error', () => {});
        request.destroy();
        resolve({ status: response.statusCode!, headers: response.headers, body: JSON.parse(text) as EarlyAnswer['body'] });
      });
    });
    request.write('--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n');
  });
}

const codeOf = (answer: EarlyAnswer) => answer.body.errors?.map((error) => error.extensions?.code);

describe(`multipart bodies above MAX_BODY_BYTES on ${backend}`, () => {
  let test: TestApi;
  let demo: DemoData;
  let nordstad: string;
  let server: Listening; // default limits: 100 kB bodies, 200 MB uploads
  const statements: string[] = [];

  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario({ onQuery: (sql) => statements.push(sql) }));
    nordstad = gid('Organisation', (await test.db.prisma.organisation.findFirstOrThrow({ where: { name: 'Nordstad kommun' } })).id);
    server = await listen(createApi({ prisma: test.db.prisma, sql: test.db.sql, clock: test.clock, auth: TEST_AUTH, graphiql: false }));
  });
  afterAll(async () => {
    await server?.close();
    await test?.close();
  });

  it('without a credential: 413 REQUEST_TOO_LARGE at MAX_BODY_BYTES, before the body is read', async () => {
    const answer = await answerBeforeBody(server.url, { 'content-type': MULTIPART });
    expect(answer.status).toBe(413);
    expect(codeOf(answer)).toEqual(['REQUEST_TOO_LARGE']);
    expect(answer.body.errors![0]!.message).toMatch(/larger than 100000 bytes.*organisation administrator or a read-write API key/);
  });

  it('a failed credential is refused (401) before the body is read, and pays its address bucket there (429 once empty)', async () => {
    const guarded = await listen(
      createApi({ prisma: test.db.prisma, sql: test.db.sql, clock: test.clock, auth: TEST_AUTH, limits: { addressRateLimit: { perMinute: 1, burst: 2 } } }),
    );
    try {
      const statuses = [];
      for (const credential of ['slk_bogus', 'not-a-token', 'slk_bogus']) {
        const answer = await answerBeforeBody(guarded.url, { 'content-type': MULTIPART, authorization: `Bearer ${credential}` });
        statuses.push([answer.status, codeOf(answer)?.[0]]);
      }
      expect(statuses).toEqual([
        [401, 'UNAUTHENTICATED'],
        [401, 'UNAUTHENTICATED'],
        [429, 'RATE_LIMITED'],
      ]);
      // A malformed Authorization header is refused as well.
      const malformed = await answerBeforeBody(server.url, { 'content-type': MULTIPART, authorization: 'Basic abc' });
      expect([malformed.status, codeOf(malformed)]).toEqual([401, ['UNAUTHENTICATED']]);
    } finally {
      await guarded.close();
    }
  });

  it('a valid credential that may import no roster (a student, a teacher, a supplier key) gets MAX_BODY_BYTES: 413 before the body is read', async () => {
    for (const credential of [demo.tokens.student, demo.tokens.teacher, demo.keys.supplier]) {
      const answer = await answerBeforeBody(server.url, { 'content-type': MULTIPART, authorization: `Bearer ${credential}` });
      expect([answer.status, codeOf(answer)]).toEqual([413, ['REQUEST_TOO_LARGE']]);
    }
  });

  it('a revoked key, remembered from its last request, is refused (401) before an upload is read', async () => {
    const organisationId = (await test.db.prisma.organisation.findFirstOrThrow({ where: { name: 'Nordstad kommun' } })).id;
    const { key, id } = await createApiKey(test.db.prisma, test.clock, { name: 'soon revoked', kind: 'ORGANISATION_READ_WRITE', organisationId });
    // Its actor is remembered for its next request.
    expect((await postGraphQL(server.url, key, `{ viewer { kind } }`)).status).toBe(200);
    await test.db.prisma.apiCredential.update({ where: { id }, data: { revokedAt: test.clock.now() } });
    const answer = await answerBeforeBody(server.url, { 'content-type': MULTIPART, authorization: `Bearer ${key}` });
    expect([answer.status, codeOf(answer)]).toEqual([401, ['UNAUTHENTICATED']]);
    expect((await postGraphQL(server.url, key, `{ viewer { kind } }`)).status).toBe(401);
  });

  it("an organisation administrator's or a read-write key's upload above MAX_BODY_BYTES is read and imported; its credential is read once", async () => {
    const small = await listen(
      createApi({ prisma: test.db.prisma, sql: test.db.sql, clock: test.clock, auth: TEST_AUTH, graphiql: false, limits: { maxBodyBytes: 2_000 } }),
    );
    try {
      const upload = async (credential: string) => {
        const files = fixtureFiles('oneroster') as File[];
        const form = new FormData();
        const input = { organisation: nordstad, format: 'ONEROSTER_CSV', dryRun: true, files: files.map(() => null) };
        form.set('operations', JSON.stringify({ query: IMPORT_ROSTER, variables: { input } }));
        form.set('map', JSON.stringify(Object.fromEntries(files.map((_, i) => [String(i), [`variables.input.files.${i}`]]))));
        for (const [i, file] of files.entries()) form.set(String(i), file, file.name);
        const request = new Request(small.url, { method: 'POST', headers: { authorization: `Bearer ${credential}` }, body: form });
        const body = await request.arrayBuffer();
        expect(body.byteLength).toBeGreaterThan(2_000);
        const response = await fetch(small.url, {
          method: 'POST',
          headers: { authorization: `Bearer ${credential}`, 'content-type': request.headers.get('content-type')! },
          body,
        });
        return { status: response.status, ...((await response.json()) as { data?: any; errors?: unknown[] }) };
      };
      // A JSON body of the same size is still over MAX_BODY_BYTES, whoever sends it.
      const json = await postGraphQL(small.url, demo.keys.integration, `{ viewer { kind } }`, { padding: 'x'.repeat(3_000) });
      expect(json.status).toBe(413);
      // First and second time: authenticated by reading the credential, then remembered and confirmed.
      for (const credential of [demo.keys.integration, demo.keys.integration, demo.tokens.organisationAdmin, demo.tokens.organisationAdmin]) {
        statements.length = 0;
        const answer = await upload(credential);
        expect(answer.errors).toBeUndefined();
        expect(answer.status).toBe(200);
        expect(answer.data.importRoster).toMatchObject({ __typename: 'ImportRosterPayload', dryRun: true, refused: false });
        const credentialReads = statements.filter((sql) => /FROM "ApiCredential" c|FROM "User" u JOIN "Organisation" o/.test(sql));
        expect(credentialReads).toHaveLength(1);
      }
      // A student's upload of the same size: refused before it is read.
      const student = await upload(demo.tokens.student);
      expect([student.status, (student.errors as { extensions: { code: string } }[])[0]!.extensions.code]).toEqual([413, 'REQUEST_TOO_LARGE']);
    } finally {
      await small.close();
    }
  });
});
