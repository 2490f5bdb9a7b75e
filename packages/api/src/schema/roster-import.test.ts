// importRoster over HTTP: files as a multipart request (the GraphQL multipart request spec), or an
// SS 12000 document as JSON; who may import; reports of broken files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureFiles } from '../roster/testing.ts';
import type { DemoData } from '../seed/demo.ts';
import { createApi } from '../yoga.ts';
import { dataOf, startStandardScenario, TEST_AUTH, uploadRoster, type TestApi } from '../testing/harness.ts';
import { listen } from '../testing/http.ts';
import { gid } from '../testing/ids.ts';
import { IMPORT_ROSTER } from '../testing/operations.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

describe(`importRoster on ${backend}`, () => {
  let test: TestApi;
  let demo: DemoData;
  let nordstad: string;

  const upload = (credential: string, input: Record<string, unknown>, files: File[]) => uploadRoster(test.api, credential, input, files);
  const oneRoster = () => fixtureFiles('oneroster') as File[];

  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario());
    nordstad = gid('Organisation', (await test.db.prisma.organisation.findFirstOrThrow({ where: { name: 'Nordstad kommun' } })).id);
  });
  afterAll(() => test.close());

  it("an integration's dry run returns the diff and writes nothing; the real run imports; the same files again change nothing", async () => {
    const users = () => test.db.prisma.user.count({ where: { externalId: { not: null } } });
    const dry = dataOf(await upload(demo.keys.integration, { organisation: nordstad, format: 'ONEROSTER_CSV', dryRun: true }, oneRoster())).importRoster;
    expect(dry).toMatchObject({ __typename: 'ImportRosterPayload', dryRun: true, refused: false, importId: null, mode: 'FULL', recordErrors: [] });
    expect(dry.summary.users).toEqual({ created: 7, updated: 0, ended: 0 });
    expect(dry.changes[0]).toEqual({ entity: 'SCHOOL', kind: 'CREATE', key: 'sch-norr', file: 'orgs.csv', line: 3, pointer: null });
    expect(await users()).toBe(0);

    const real = dataOf(await upload(demo.keys.integration, { organisation: nordstad, format: 'ONEROSTER_CSV' }, oneRoster())).importRoster;
    expect(real).toMatchObject({ dryRun: false, refused: false, importId: expect.any(String), summary: dry.summary });
    expect(await users()).toBe(7);

    const again = dataOf(await upload(demo.tokens.organisationAdmin, { organisation: nordstad, format: 'ONEROSTER_CSV' }, oneRoster())).importRoster;
    expect(again.changes).toEqual([]);
  });

  it('refuses broken files with where each problem is', async () => {
    const files = fixtureFiles('oneroster', { 'classes.csv': 'sourcedId,title\ncls-1,1A\n' }) as File[];
    const report = dataOf(await upload(demo.keys.integration, { organisation: nordstad, format: 'ONEROSTER_CSV' }, files)).importRoster;
    expect(report).toMatchObject({ refused: true, importId: null, changes: [] });
    expect(report.recordErrors).toEqual([
      { code: 'MISSING_COLUMN', message: 'classes.csv has no column schoolSourcedId.', file: 'classes.csv', line: 1, pointer: null, field: 'schoolSourcedId' },
    ]);
  });

  it('takes an SS 12000 document as JSON, with JSON pointers in its report', async () => {
    const text = async (name: string) => (fixtureFiles('ss12000').find((f) => f.name === `${name}.json`) as File).text();
    // Addresses of their own: the other tests import the same people from OneRoster.
    const document = Object.fromEntries(
      await Promise.all(
        ['organisations', 'persons', 'groups', 'duties'].map(async (name) => [
          name,
          JSON.parse((await text(name)).replaceAll('@norr.example', '@ss.example')).data,
        ]),
      ),
    );
    const request = (input: Record<string, unknown>) =>
      test.request(demo.keys.integration, IMPORT_ROSTER, { input: { organisation: nordstad, format: 'SS12000', dryRun: true, ...input } });
    const report = dataOf(await request({ ss12000Document: document })).importRoster;
    expect(report).toMatchObject({ refused: false, recordErrors: [], summary: { users: { created: 3 }, groups: { created: 2 } } });

    document.persons[1].emails = document.persons[0].emails;
    const refused = dataOf(await request({ ss12000Document: document })).importRoster;
    expect(refused.recordErrors).toEqual([
      expect.objectContaining({ code: 'DUPLICATE_ID', file: 'ss12000Document.json', pointer: '/persons/1/emails', field: 'emails' }),
    ]);

    const mixed = dataOf(await request({ format: 'ONEROSTER_CSV', ss12000Document: document })).importRoster;
    expect(mixed).toMatchObject({ __typename: 'LicenseError', code: 'INVALID_INPUT', field: 'ss12000Document' });
  });

  it('only administrators and read-write keys of the organisation import into it', async () => {
    for (const credential of [demo.tokens.schoolAdmin, demo.tokens.otherOrganisationAdmin]) {
      const result = dataOf(await upload(credential, { organisation: nordstad, format: 'ONEROSTER_CSV', dryRun: true }, oneRoster())).importRoster;
      expect(result).toMatchObject({ __typename: 'LicenseError', code: 'FORBIDDEN' });
    }
    const student = await upload(demo.tokens.student, { organisation: nordstad, format: 'ONEROSTER_CSV', dryRun: true }, oneRoster());
    expect(dataOf(student).importRoster).toMatchObject({ __typename: 'LicenseError', code: 'FORBIDDEN' });
  });

  it('refuses a multipart request over MAX_UPLOAD_BYTES by its Content-Length, before reading it', async () => {
    const small = createApi({ prisma: test.db.prisma, clock: test.clock, auth: TEST_AUTH, graphiql: false, limits: { maxUploadBytes: 2_000 } });
    const server = await listen(small);
    try {
      const form = new FormData();
      form.set(
        'operations',
        JSON.stringify({ query: IMPORT_ROSTER, variables: { input: { organisation: nordstad, format: 'ONEROSTER_CSV', files: [null] } } }),
      );
      form.set('map', JSON.stringify({ 0: ['variables.input.files.0'] }));
      form.set('0', new File(['x'.repeat(5_000)], 'users.csv'));
      const response = await fetch(server.url, { method: 'POST', headers: { authorization: `Bearer ${demo.keys.integration}` }, body: form });
      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'REQUEST_TOO_LARGE' } }] });
    } finally {
      await server.close();
    }
  });
});
