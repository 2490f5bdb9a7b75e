// An organisation's API keys through GraphQL: its administrators issue, list and revoke them; a
// revoked key is refused at its next request; nobody else (a school administrator, an integration,
// another organisation) may, and nothing is written when refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoData } from '../seed/demo.ts';
import { dataOf, startStandardScenario, type TestApi } from '../testing/harness.ts';
import { gid } from '../testing/ids.ts';
import { countRows, rowChanges } from '../testing/rows.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

const CREATE = /* GraphQL */ `
  mutation Create($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      __typename
      ... on CreateApiKeyPayload { key apiKey { id name kind createdAt revokedAt } }
      ... on Error { code field message }
    }
  }`;
const REVOKE = /* GraphQL */ `
  mutation Revoke($input: RevokeApiKeyInput!) {
    revokeApiKey(input: $input) {
      __typename
      ... on RevokeApiKeyPayload { apiKey { id name revokedAt } }
      ... on Error { code field message }
    }
  }`;
const LIST = /* GraphQL */ `
  query Keys($organisation: ID!, $includeRevoked: Boolean) {
    node(id: $organisation) { ... on Organisation { apiKeys(first: 50, includeRevoked: $includeRevoked) { edges { node { id name kind revokedAt } } } } }
  }`;
const VIEWER = '{ viewer { kind name } }';
const keysOf = (data: { node: { apiKeys: { edges: { node: { id: string } }[] } } }) => data.node.apiKeys.edges.map((edge) => edge.node.id);

describe(`API keys on ${backend}`, () => {
  let test: TestApi;
  let demo: DemoData;
  let nordstad: string;
  const rows = () => countRows(test.db.prisma);

  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario());
    nordstad = gid('Organisation', demo.ids.nordstad);
  });
  afterAll(() => test.close());

  it('an organisation administrator issues a key that works at once, lists it, and revokes it: refused from then on', async () => {
    const before = await rows();
    const created = dataOf(
      await test.request(demo.tokens.organisationAdmin, CREATE, {
        input: { organisation: nordstad, name: ' Skolplattformen ', kind: 'ORGANISATION_READ_WRITE' },
      }),
    );
    expect(created.createApiKey).toMatchObject({
      __typename: 'CreateApiKeyPayload',
      apiKey: { name: 'Skolplattformen', kind: 'ORGANISATION_READ_WRITE', revokedAt: null },
    });
    const { key, apiKey } = created.createApiKey;
    expect(key).toMatch(/^slk_/);
    expect(rowChanges(before, await rows())).toMatchObject({ auditEvents: 1 });
    expect(dataOf(await test.request(key, VIEWER)).viewer).toEqual({ kind: 'INTEGRATION', name: 'API key Skolplattformen' });

    const listed = dataOf(await test.request(demo.tokens.organisationAdmin, LIST, { organisation: nordstad }));
    expect(keysOf(listed)).toContain(apiKey.id);

    const revoked = dataOf(await test.request(demo.tokens.organisationAdmin, REVOKE, { input: { apiKey: apiKey.id } }));
    expect(revoked.revokeApiKey).toMatchObject({ __typename: 'RevokeApiKeyPayload', apiKey: { id: apiKey.id } });
    expect(revoked.revokeApiKey.apiKey.revokedAt).toBe(test.clock.now().toISOString());
    const refused = await test.request(key, VIEWER);
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    // Listed only with includeRevoked; revoking again changes nothing and records nothing.
    const active = dataOf(await test.request(demo.tokens.organisationAdmin, LIST, { organisation: nordstad }));
    expect(keysOf(active)).not.toContain(apiKey.id);
    const all = dataOf(await test.request(demo.tokens.organisationAdmin, LIST, { organisation: nordstad, includeRevoked: true }));
    expect(all.node.apiKeys.edges.find((e: { node: { id: string } }) => e.node.id === apiKey.id).node).toMatchObject({ revokedAt: expect.any(String) });
    const beforeAgain = await rows();
    const again = dataOf(await test.request(demo.tokens.organisationAdmin, REVOKE, { input: { apiKey: apiKey.id } }));
    expect(again.revokeApiKey.apiKey.revokedAt).toBe(revoked.revokeApiKey.apiKey.revokedAt);
    expect(rowChanges(beforeAgain, await rows())).toEqual({});
    const audit = await test.db.prisma.auditEvent.findMany({
      where: { action: { in: ['API_CREDENTIAL_CREATED', 'API_CREDENTIAL_REVOKED'] } },
      orderBy: { createdAt: 'asc' },
    });
    expect(audit.map((event) => [event.action, event.actorLabel])).toEqual([
      ['API_CREDENTIAL_CREATED', expect.stringContaining('Olivia')],
      ['API_CREDENTIAL_REVOKED', expect.stringContaining('Olivia')],
    ]);
  });

  it('refuses everyone else, writing nothing: school administrators, integrations (even read-write), suppliers, another organisation', async () => {
    const demoLms = await test.db.prisma.apiCredential.findFirstOrThrow({ where: { name: 'Demo LMS' } });
    const before = await rows();
    // Of Nordstad: may not. Not of Nordstad: it is not found, as another organisation's anything.
    for (const [who, token, code] of [
      ['schoolAdmin', demo.tokens.schoolAdmin, 'FORBIDDEN'],
      ['teacher', demo.tokens.teacher, 'FORBIDDEN'],
      ['integration', demo.keys.integration, 'FORBIDDEN'],
      ['supplier', demo.keys.supplier, 'NOT_FOUND'],
      ['otherOrganisation', demo.tokens.otherOrganisationAdmin, 'NOT_FOUND'],
    ] as const) {
      const create = dataOf(await test.request(token, CREATE, { input: { organisation: nordstad, name: 'Mitt LMS', kind: 'ORGANISATION_READ' } }));
      expect(create.createApiKey, who).toMatchObject({ __typename: 'LicenseError', code, field: 'organisation' });
      // A key one may not manage is not found: its existence is not revealed.
      const revoke = dataOf(await test.request(token, REVOKE, { input: { apiKey: gid('ApiKey', demoLms.id) } }));
      expect(revoke.revokeApiKey, who).toMatchObject({ code: 'NOT_FOUND', field: 'apiKey' });
      const listed = dataOf(await test.request(token, LIST, { organisation: nordstad }));
      expect(listed.node ? keysOf(listed) : [], who).toEqual([]);
    }
    expect(rowChanges(before, await rows())).toEqual({});
    expect(dataOf(await test.request(demo.keys.integration, VIEWER)).viewer.kind).toBe('INTEGRATION');
  });

  it('an administrator issues no supplier key, and no key of another organisation', async () => {
    const sjostad = await test.db.prisma.organisation.findFirstOrThrow({ where: { NOT: { id: demo.ids.nordstad } } });
    const supplierKey = dataOf(
      await test.request(demo.tokens.organisationAdmin, CREATE, { input: { organisation: nordstad, name: 'Leverantör', kind: 'SUPPLIER' } }),
    );
    expect(supplierKey.createApiKey).toMatchObject({ code: 'FORBIDDEN', field: 'kind' });
    const theirs = { organisation: gid('Organisation', sjostad.id), name: 'Deras LMS', kind: 'ORGANISATION_READ' };
    // Said as everywhere else, without the row's UUID behind the ID the caller sent.
    expect(dataOf(await test.request(demo.tokens.organisationAdmin, CREATE, { input: theirs })).createApiKey).toEqual({
      __typename: 'LicenseError',
      code: 'NOT_FOUND',
      field: 'organisation',
      message: 'No such organisation.',
    });
    const blank = dataOf(
      await test.request(demo.tokens.organisationAdmin, CREATE, { input: { organisation: nordstad, name: '  ', kind: 'ORGANISATION_READ' } }),
    );
    expect(blank.createApiKey).toMatchObject({ code: 'INVALID_INPUT', field: 'name' });
  });
});
