import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { isInputObjectType, isListType, isNonNullType, Kind, parse, typeFromAST, type GraphQLInputType } from 'graphql';
import { dayAt, DEFAULT_TIME_ZONE } from '../domain/days.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { licenseState } from '../domain/license-state.ts';
import { schema } from '../schema/index.ts';
import { dataOf, TEST_AUTH, startStandardScenario, uploadRoster, type TestApi } from '../testing/harness.ts';
import { gid } from '../testing/ids.ts';
import { createApi } from '../yoga.ts';
import { demoGraphiQL, ensureDemoData, type DemoData } from './demo.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A global ID of one of the schema's types around a row's UUID (a school's product: two of them). */
function isGlobalId(value: unknown): boolean {
  try {
    const { typename, id } = decodeGlobalID(String(value));
    return Boolean(schema.getType(typename)) && id.split(':').every((part) => UUID.test(part));
  } catch {
    return false;
  }
}

describe('the demo seed', () => {
  let test: TestApi;
  let demo: DemoData;
  beforeAll(async () => {
    // As the demo server runs: the relay numbers events for the feed, webhooks may go to 127.0.0.1.
    ({ test, demo } = await startStandardScenario({ events: true, webhooks: { allowPrivate: true } }));
  });
  afterAll(() => test.close());

  it('leaves licenses in every state the domain knows', async () => {
    const now = dayAt(test.clock.now(), DEFAULT_TIME_ZONE);
    const licenses = await test.db.prisma.license.findMany({ include: { product: true } });
    const states = new Set(licenses.map((l) => licenseState(l, now)));
    expect(states).toEqual(new Set(['NEW', 'STARTED', 'EXPIRED']));
    expect(licenses.some((l) => l.assignedUserId && licenseState(l, now) === 'STARTED')).toBe(true);
    // Past the 4-month deadline and not yet written down by a sweep.
    expect(licenses.some((l) => !l.startedAt && l.autoStartOn <= now)).toBe(true);
    const reusableEndDates = new Set(
      licenses
        .filter((l) => l.product.name === 'Matematik 7 Digital' && !l.assignedUserId && licenseState(l, now) === 'STARTED')
        .map((l) => l.endDate.getTime()),
    );
    expect(reusableEndDates.size).toBeGreaterThanOrEqual(3);
  });

  it('covers every delivery mode: an order awaiting delayed delivery and an unredeemed activation link', async () => {
    const modes = await test.db.prisma.product.findMany({ select: { deliveryMode: true }, distinct: ['deliveryMode'] });
    expect(modes.map((m) => m.deliveryMode).sort()).toEqual(['ACTIVATION_EMAIL', 'DELAYED', 'DIRECT']);
    expect(await test.db.prisma.order.count({ where: { deliveryMode: 'DELAYED', status: 'AWAITING_DELIVERY' } })).toBe(1);
    expect(await test.db.prisma.activationLink.count({ where: { redeemedAt: null } })).toBe(1);
    expect(demo.activationToken).toMatch(/^act_/);
    expect(await test.db.prisma.notification.count({ where: { kind: 'LICENSES_DELIVERED' } })).toBeGreaterThanOrEqual(2);
  });

  it("leaves the demo's teacher (Tove) holding a license she may give back", async () => {
    const mine = '{ viewer { user { licenses { license { id state reusable } } } } }';
    const licenses = dataOf(await test.request(demo.tokens.teacher, mine)).viewer.user.licenses;
    expect(demo.ids.heldByTeacher).toBeTruthy();
    expect(licenses).toEqual([{ license: { id: gid('License', demo.ids.heldByTeacher!), state: 'STARTED', reusable: false } }]);
  });

  it('gives a working token or key for every demo role', async () => {
    const credentials = [...Object.values(demo.tokens), ...Object.values(demo.keys)];
    for (const credential of credentials) {
      const response = await test.request(credential, '{ viewer { kind name } }');
      expect(response.errors).toBeUndefined();
      expect(response.data.viewer.name).toBeTruthy();
    }
  });

  it('opens GraphiQL on the story, served from local assets (no CDN)', async () => {
    const api = createApi({ prisma: test.db.prisma, clock: test.clock, auth: TEST_AUTH, graphiql: demoGraphiQL(demo) });
    const html = await (await api.fetch('http://api.test/graphql', { headers: { accept: 'text/html' } })).text();
    expect(html).not.toContain('unpkg.com');
    const asset = /\/graphiql-assets\/[\w.-]+\.js/.exec(html)?.[0];
    expect(asset).toBeTruthy();
    expect((await api.fetch(`http://api.test${asset}`)).status).toBe(200);
    // The first tab shows the first step of the story with Sara's token, not a welcome text.
    expect(html).toContain('"query":"# 1. As Sara, admin of Ekskolan');
    expect(html).toContain(demo.tokens.schoolAdmin);
  });

  it('seeds only an empty database: a second start keeps the data as it is', async () => {
    const before = await test.db.prisma.license.count();
    const again = await ensureDemoData(test.db.prisma, test.clock, TEST_AUTH);
    expect(await test.db.prisma.license.count()).toBe(before);
    // The activation link's token is the same after a restart.
    expect(again.activationToken).toBe(demo.activationToken);
    expect(again.ids).toEqual(demo.ids);
  });

  /** What GraphiQL sends when one operation of a tab is run: its document, variables and headers. */
  const runTab = async (marker: string, operationName: string, variables?: Record<string, unknown>) => {
    const tab = demoGraphiQL(demo).defaultTabs!.find((each) => each.query!.includes(marker))!;
    const response = await test.api.fetch('http://api.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...JSON.parse(tab.headers!) },
      body: JSON.stringify({ query: tab.query, variables: { ...JSON.parse(tab.variables!), ...variables }, operationName }),
    });
    const body = (await response.json()) as { data: any; errors?: unknown };
    expect(body.errors).toBeUndefined();
    return body.data;
  };

  const upload = (credential: string, input: Record<string, unknown>, files: File[]) => uploadRoster(test.api, credential, input, files);

  it("GraphiQL's roster tab shows a sync's diff as it opens, writes nothing, applies it when dryRun is off, and sets the graduate policy", async () => {
    const tab = demoGraphiQL(demo).defaultTabs!.find((each) => each.query!.includes('mutation SyncRoster'))!;
    const { input } = JSON.parse(tab.variables!);
    expect(input.organisation).toBe(gid('Organisation', demo.ids.nordstad));
    const users = await test.db.prisma.user.count();
    const dry = (await runTab('mutation SyncRoster', 'SyncRoster')).importRoster;
    expect(dry).toMatchObject({ __typename: 'ImportRosterPayload', dryRun: true, refused: false, mode: 'DELTA', recordErrors: [] });
    expect(dry.summary).toMatchObject({
      schools: { created: 0, updated: 1 },
      users: { created: 2 },
      schoolMemberships: { created: 2 },
      groups: { created: 1 },
    });
    expect(await test.db.prisma.user.count()).toBe(users);

    const applied = (await runTab('mutation SyncRoster', 'SyncRoster', { input: { ...input, dryRun: false } })).importRoster;
    expect(applied).toMatchObject({ dryRun: false, refused: false, summary: dry.summary });
    expect(await test.db.prisma.user.count()).toBe(users + 2);
    const again = (await runTab('mutation SyncRoster', 'SyncRoster', { input: { ...input, dryRun: false } })).importRoster;
    expect(again.changes).toEqual([]);

    // examples/roster/ (what examples/lms-sync.mjs syncs) names the same school and people by the
    // same ids: after the tab it is taken as it is, adding only whom the tab did not name, and
    // neither source claims Ekskolan again.
    const examples = join(import.meta.dirname, '../../../../examples/roster');
    const files = readdirSync(examples)
      .filter((name) => name.endsWith('.csv'))
      .map((name) => new File([readFileSync(join(examples, name))], name, { type: 'text/csv' }));
    const synced = dataOf(
      await upload(demo.keys.integration, { organisation: input.organisation, format: 'ONEROSTER_CSV', dryRun: false }, files),
    ).importRoster;
    expect(synced).toMatchObject({ __typename: 'ImportRosterPayload', refused: false, recordErrors: [] });
    expect(synced.summary).toMatchObject({ schools: { created: 0, updated: 0 }, users: { created: 2, updated: 1 }, groups: { created: 0, updated: 0 } });
    const after = (await runTab('mutation SyncRoster', 'SyncRoster')).importRoster;
    expect(after).toMatchObject({ dryRun: true, refused: false, changes: [] });

    // The same tab sets what graduates' licenses do at the rollover.
    const policy = (await runTab('mutation SyncRoster', 'GraduatePolicy')).updateOrganisation;
    expect(policy).toMatchObject({ change: 'UPDATED', organisation: { name: 'Nordstad kommun', graduateLicensePolicy: 'KEEP_UNTIL_END_DATE' } });
  });

  it("GraphiQL's events tab reads the feed, registers a webhook endpoint and lists it", async () => {
    await test.relay!.flush();
    const feed = (await runTab('query Events', 'Events')).events;
    expect(feed.edges.length).toBeGreaterThan(0);
    expect(feed.pageInfo.endCursor).toBeTruthy();
    const next = (await runTab('query Events', 'Events', { after: feed.pageInfo.endCursor })).events;
    // The demo has more than a page of events: the next page starts after the cursor.
    expect(feed.pageInfo.hasNextPage).toBe(true);
    const ids = (page: any) => page.edges.map((e: any) => e.node.id);
    expect(ids(next).length).toBeGreaterThan(0);
    expect(ids(next).filter((id: string) => ids(feed).includes(id))).toEqual([]);
    const registered = (await runTab('query Events', 'RegisterWebhook')).createWebhookEndpoint;
    expect(registered).toMatchObject({
      __typename: 'CreateWebhookEndpointPayload',
      endpoint: { url: 'http://127.0.0.1:4001/webhooks/licenses', enabled: true },
    });
    expect(registered.secret).toMatch(/^whsec_/);
    const listed = (await runTab('query Events', 'Webhooks')).webhookEndpoints.edges;
    expect(listed.map((e: any) => e.node.url)).toEqual(['http://127.0.0.1:4001/webhooks/licenses']);
  });

  // Last: it gives Tove's license back, which the restart test above compares.
  it("GraphiQL's teacher tab gives back Tove's license as it opens, with no ID to paste", async () => {
    const tab = demoGraphiQL(demo).defaultTabs!.find((each) => each.query!.includes('mutation RemoveMyLicense'))!;
    // What GraphiQL sends: the tab's document, variables and headers, and the operation run.
    const run = async (operationName: string) => {
      const response = await test.api.fetch('http://api.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...JSON.parse(tab.headers!) },
        body: JSON.stringify({ query: tab.query, variables: JSON.parse(tab.variables!), operationName }),
      });
      return (await response.json()) as { data: any; errors?: unknown };
    };
    const license = gid('License', demo.ids.heldByTeacher!);
    expect(JSON.parse(tab.variables!)).toEqual({ license });
    const before = await run('MyLicenses');
    expect(before.errors).toBeUndefined();
    expect(before.data.viewer.user.licenses.map((each: { license: { id: string } }) => each.license.id)).toEqual([license]);
    const removed = await run('RemoveMyLicense');
    expect(removed.errors).toBeUndefined();
    expect(removed.data.removeMyLicense).toMatchObject({ __typename: 'LicensePayload', license: { state: 'STARTED', reusable: true } });
    expect((await run('MyLicenses')).data.viewer.user.licenses).toEqual([]);
  });

  it("GraphiQL's API key tab issues a key, lists the active ones and revokes one as it opens, with no ID to paste", async () => {
    const retired = gid('ApiKey', demo.ids.retiredApiKey!);
    const tab = demoGraphiQL(demo).defaultTabs!.find((each) => each.query!.includes('mutation IssueKey'))!;
    expect(JSON.parse(tab.variables!).revoke).toEqual({ apiKey: retired });
    const keys = async () => (await runTab('mutation IssueKey', 'Keys')).node.apiKeys.edges.map((edge: { node: { id: string; name: string } }) => edge.node);
    const issued = await runTab('mutation IssueKey', 'IssueKey');
    expect(issued.createApiKey).toMatchObject({ __typename: 'CreateApiKeyPayload', apiKey: { name: 'Vår lärplattform', kind: 'ORGANISATION_READ' } });
    expect(await keys()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: issued.createApiKey.apiKey.id }),
        expect.objectContaining({ id: retired, name: 'Gamla lärplattformen' }),
      ]),
    );

    // The tab as shipped revokes the retired platform's key; the demo's own keys keep working.
    const revoked = await runTab('mutation IssueKey', 'RevokeKey');
    expect(revoked.revokeApiKey).toMatchObject({ __typename: 'RevokeApiKeyPayload', apiKey: { name: 'Gamla lärplattformen', revokedAt: expect.any(String) } });
    expect((await keys()).map((key: { id: string }) => key.id)).not.toContain(retired);
    for (const key of Object.values(demo.keys)) expect((await test.request(key, '{ viewer { kind } }')).errors).toBeUndefined();
    // Another key is revoked by putting its id there, as the one IssueKey returned.
    const other = await runTab('mutation IssueKey', 'RevokeKey', { revoke: { apiKey: issued.createApiKey.apiKey.id } });
    expect(other.revokeApiKey).toMatchObject({ __typename: 'RevokeApiKeyPayload', apiKey: { name: 'Vår lärplattform', revokedAt: expect.any(String) } });
  });

  it("GraphiQL's tabs come with every variable filled in: each ID a global ID of the demo's, no placeholder to replace", () => {
    const tabs = demoGraphiQL(demo).defaultTabs!;
    expect(tabs.length).toBeGreaterThanOrEqual(13);
    const problems: string[] = [];
    /** Walks a variable's value along its type: a required value is there, an ID is a global ID. */
    const check = (where: string, type: GraphQLInputType, value: unknown): void => {
      if (isNonNullType(type)) {
        if (value === null || value === undefined) problems.push(`${where} is required and empty`);
        else check(where, type.ofType, value);
      } else if (value === null || value === undefined) {
        return;
      } else if (isListType(type)) {
        for (const [i, each] of (value as unknown[]).entries()) check(`${where}[${i}]`, type.ofType, each);
      } else if (isInputObjectType(type)) {
        for (const [name, field] of Object.entries(type.getFields())) check(`${where}.${name}`, field.type, (value as Record<string, unknown>)[name]);
      } else if (type.name === 'ID' && !isGlobalId(value)) {
        problems.push(`${where} is not a global ID: ${value}`);
      }
    };
    /** Any text meant to be replaced by hand, anywhere in the variables (JSON documents too). */
    const placeholders = (where: string, value: unknown): void => {
      if (typeof value === 'string' && /paste|placeholder|TODO|<[^>]*>/i.test(value)) problems.push(`${where} holds placeholder text: ${value}`);
      else if (value && typeof value === 'object') for (const [key, each] of Object.entries(value)) placeholders(`${where}.${key}`, each);
    };
    for (const [i, tab] of tabs.entries()) {
      const variables = JSON.parse(tab.variables!);
      placeholders(`tab ${i + 1}`, variables);
      for (const definition of parse(tab.query!).definitions) {
        if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
        for (const { variable, type } of definition.variableDefinitions ?? []) {
          const where = `tab ${i + 1} ${definition.name?.value} $${variable.name.value}`;
          check(where, typeFromAST(schema, type) as GraphQLInputType, variables[variable.name.value]);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("GraphiQL's class tab shows each 7A student's outcome as it opens, then gives the class the product", async () => {
    const tab = demoGraphiQL(demo).defaultTabs!.find((each) => each.query!.includes('mutation AssignToClass'))!;
    const variables = JSON.parse(tab.variables!);
    const run = async (operationName: string, vars = variables) => {
      const response = await test.api.fetch('http://api.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...JSON.parse(tab.headers!) },
        body: JSON.stringify({ query: tab.query, variables: vars, operationName }),
      });
      return (await response.json()) as { data: any; errors?: unknown };
    };
    const dry = await run('AssignToClass');
    expect(dry.errors).toBeUndefined();
    expect(dry.data.assignLicenseToGroup).toMatchObject({ __typename: 'AssignLicenseToGroupPayload', dryRun: true, rule: null });
    expect(dry.data.assignLicenseToGroup.outcomes).toHaveLength(10);
    const kept = await run('AssignToClass', { ...variables, input: { ...variables.input, dryRun: false, keep: true } });
    expect(kept.data.assignLicenseToGroup.rule).toMatchObject({ policy: 'REUSABLE_FIRST', keepOnLeave: false });
    const seen = await run('ClassLicensing');
    expect(seen.errors).toBeUndefined();
    expect(seen.data.node).toMatchObject({ name: '7A', licenseRules: [{ policy: 'REUSABLE_FIRST', product: { name: 'Matematik 7 Digital' } }] });
    expect(seen.data.node.waitingList).toHaveLength(kept.data.assignLicenseToGroup.waitingCount);
  });
});
