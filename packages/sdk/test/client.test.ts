// The SDK against the real API (real database, demo story), in process through the `fetch`
// option and over a real HTTP port: every helper, the typed errors, paging, auth and retries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertNever,
  CreateUserDocument,
  LicenseApiError,
  NodeDocument,
  SchoolDocument,
  SchoolProductLicensesDocument,
  type Failure,
  type LicenseFieldsFragment,
} from '../src/index.ts';
import { backend, startStory, TRANSPORTS, type Story } from './support.ts';

describe.each(TRANSPORTS)(`the SDK against the API (%s, ${backend})`, (transport) => {
  let story: Story;
  let admin: ReturnType<Story['client']>;

  beforeAll(async () => {
    story = await startStory(transport);
    admin = story.client(story.demo.tokens.schoolAdmin);
  });
  afterAll(() => story?.close());

  it('tells who the token belongs to', async () => {
    const viewer = await admin.viewer();
    expect(viewer).toMatchObject({ kind: 'USER', name: 'Sara Skoladmin', user: { memberships: [{ role: 'SCHOOL_ADMIN', school: { name: 'Ekskolan' } }] } });
    const integration = await story.client(story.demo.keys.integration).viewer();
    expect(integration).toMatchObject({ kind: 'INTEGRATION', user: null, organisation: { name: 'Nordstad kommun' } });
  });

  it('shows the availability of a product at a school: new and reusable licenses per end date', async () => {
    const result = await admin.availability({ school: story.ids.ekskolan, product: story.ids.matematik });
    expect(result?.product).toMatchObject({ name: 'Matematik 7 Digital', validityMonths: 12, deliveryMode: 'DIRECT' });
    const availability = result!.availability;
    expect(availability.newLicenses).toBe(6);
    expect(availability.reusable.needsEndDateChoice).toBe(true);
    expect(availability.reusable.endDates.map((e) => e.count)).toEqual([1, 1, 1, 8]);
    expect(availability.assignable).toBe(availability.newLicenses + availability.reusable.total);
    // Another organisation's admin does not see Ekskolan at all.
    const stranger = story.client(story.demo.tokens.otherOrganisationAdmin);
    expect(await stranger.availability({ school: story.ids.ekskolan, product: story.ids.matematik })).toBeNull();
  });

  it('shows the reusable pool, grouped by end date, earliest first', async () => {
    const pool = await admin.reusablePool({ school: story.ids.ekskolan, product: story.ids.matematik });
    expect(pool).toMatchObject({ total: 11, needsEndDateChoice: true });
    const dates = pool!.endDates.map((e) => e.endDate);
    expect([...dates].sort()).toEqual(dates);
  });

  it('tells an LMS whether a user holds a product now: entitlement, and a typed INVALID_INPUT for a bad ID', async () => {
    const lms = story.client(story.demo.keys.integration);
    const saga = await story.userId('saga.student@ekskolan.example');
    const held = await lms.entitlement({ user: saga, product: story.ids.matematik });
    expect(held).toMatchObject({ holds: true, license: expect.any(String), endDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    expect(held!.daysLeft).toBeGreaterThan(0);
    const sune = await story.userId('sune.student@ekskolan.example');
    expect(await lms.entitlement({ user: sune, product: story.ids.matematik })).toEqual({ holds: false, license: null, endDate: null, daysLeft: null });
    // A user who is not yours to see: null, as for the other reads.
    expect(await story.client(story.demo.tokens.otherOrganisationAdmin).entitlement({ user: saga, product: story.ids.matematik })).toBeNull();
    // An ID that is not one, or one of another type: thrown as the API's INVALID_INPUT on its field.
    await expect(lms.entitlement({ user: 'nope', product: story.ids.matematik })).rejects.toMatchObject({
      name: 'LicenseApiError',
      kind: 'graphql',
      code: 'INVALID_INPUT',
      graphQLErrors: [{ field: 'user' }],
    });
    await expect(lms.entitlement({ user: saga, product: story.ids.ekskolan })).rejects.toMatchObject({
      kind: 'graphql',
      code: 'INVALID_INPUT',
      graphQLErrors: [{ field: 'product' }],
    });
  });

  it('answers END_DATE_REQUIRED with the end dates to choose from, and assigns nothing', async () => {
    const result = await admin.assignLicense({ school: story.ids.ekskolan, product: story.ids.matematik, user: story.ids.svante, reuseStarted: true });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('END_DATE_REQUIRED');
    if (result.code !== 'END_DATE_REQUIRED') return;
    // Narrowed by `code`: the end dates are there, typed.
    expect(result.availableEndDates).toHaveLength(4);
    expect(result.field).toBe('endDate');
    expect((await admin.reusablePool({ school: story.ids.ekskolan, product: story.ids.matematik }))!.total).toBe(11);
  });

  it('answers END_DATE_NOT_AVAILABLE for an end date the pool does not have', async () => {
    const result = await admin.assignLicense({
      school: story.ids.ekskolan,
      product: story.ids.matematik,
      user: story.ids.svante,
      reuseStarted: true,
      endDate: '2030-01-01',
    });
    expect(result).toMatchObject({ ok: false, code: 'END_DATE_NOT_AVAILABLE', field: 'endDate' });
    expect(!result.ok && result.code === 'END_DATE_NOT_AVAILABLE' && result.availableEndDates.length).toBe(4);
  });

  it('assigns a reused license with the chosen end date, which it keeps; the pool shrinks', async () => {
    const pool = (await admin.reusablePool({ school: story.ids.ekskolan, product: story.ids.matematik }))!;
    const chosen = pool.endDates[1]!.endDate;
    const result = await admin.assignLicense({
      school: story.ids.ekskolan,
      product: story.ids.matematik,
      user: story.ids.svante,
      reuseStarted: true,
      endDate: chosen,
    });
    if (!result.ok) throw new Error(`expected success, got ${result.code}`);
    expect(result.license).toMatchObject({ state: 'STARTED', endDate: chosen, reusable: false, holder: { name: 'Svante Elev' } });
    expect(result.assignment).toMatchObject({ state: 'ACTIVE', user: { name: 'Svante Elev' } });
    const after = (await admin.reusablePool({ school: story.ids.ekskolan, product: story.ids.matematik }))!;
    expect(after.total).toBe(pool.total - 1);
    expect(after.endDates.map((e) => e.endDate)).not.toContain(chosen);
  });

  it('returns each business error as a typed failure to switch on', async () => {
    const describeFailure = (failure: Failure): string => {
      switch (failure.code) {
        case 'END_DATE_REQUIRED':
        case 'END_DATE_NOT_AVAILABLE':
          return `choose one of ${failure.availableEndDates.length}`;
        case 'USER_ALREADY_HAS_LICENSE':
        case 'USER_NOT_IN_SCHOOL':
        case 'FORBIDDEN':
        case 'NO_LICENSE_AVAILABLE':
        case 'NOT_FOUND':
        case 'INVALID_INPUT':
        case 'DUPLICATE_USER':
        case 'LICENSE_NOT_ASSIGNED':
        case 'IDEMPOTENCY_KEY_REUSED':
        case 'ACTIVATION_LINK_ALREADY_REDEEMED':
        case 'ACTIVATION_LINK_EXPIRED':
        case 'ACTIVATION_LINK_INVALID':
        case 'ORDER_ALREADY_DELIVERED':
        case 'PRE_ASSIGNMENT_NOT_ALLOWED':
        case 'WRONG_DELIVERY_MODE':
        case 'ALREADY_EXISTS':
        case 'ALREADY_ENDED':
        case 'PRODUCT_RETIRED':
          return failure.code;
        default:
          return assertNever(failure);
      }
    };
    const assign = async (token: string, user: string, reuseStarted = false) => {
      const result = await story.client(token).assignLicense({ school: story.ids.ekskolan, product: story.ids.matematik, user, reuseStarted });
      return result.ok ? 'assigned' : describeFailure(result);
    };
    expect(await assign(story.demo.tokens.schoolAdmin, story.ids.svante)).toBe('USER_ALREADY_HAS_LICENSE');
    expect(await assign(story.demo.tokens.teacher, await story.userId('sune.student@ekskolan.example'))).toBe('FORBIDDEN');
    expect(await assign(story.demo.tokens.schoolAdmin, await story.userId('saga.student@ekskolan.example'))).toBe('USER_ALREADY_HAS_LICENSE');
    expect(await assign(story.demo.tokens.schoolAdmin, 'VXNlcjpub3QtYS11c2Vy')).toBe('USER_NOT_IN_SCHOOL');
  });

  it('answers an end date that is not a day as a typed INVALID_INPUT on endDate, like a rule', async () => {
    const sune = await story.userId('sune.student@ekskolan.example');
    const input = { school: story.ids.ekskolan, product: story.ids.matematik, user: sune };
    expect(await admin.assignLicense({ ...input, reuseStarted: true, endDate: '2027-06-01T00:00:00.000Z' })).toMatchObject({
      ok: false,
      code: 'INVALID_INPUT',
      field: 'endDate',
    });
    expect(await admin.assignLicense({ ...input, reuseStarted: false, endDate: '2027-06-01' })).toMatchObject({
      ok: false,
      code: 'INVALID_INPUT',
      field: 'endDate',
    });
  });

  it('answers an ID that is not one, or one of another type, as a typed INVALID_INPUT on its field', async () => {
    const sune = await story.userId('sune.student@ekskolan.example');
    const input = { school: story.ids.ekskolan, product: story.ids.matematik, user: sune, reuseStarted: false };
    expect(await admin.assignLicense({ ...input, school: 'nope' })).toMatchObject({
      ok: false,
      code: 'INVALID_INPUT',
      field: 'school',
      message: '"nope" is not an ID.',
    });
    expect(await admin.assignLicense({ ...input, product: story.ids.ekskolan })).toMatchObject({
      ok: false,
      code: 'INVALID_INPUT',
      field: 'product',
      message: `"${story.ids.ekskolan}" is not an ID of a Product.`,
    });
  });

  it('makes assignLicense safe to retry with an idempotency key', async () => {
    const sune = await story.userId('sune.student@ekskolan.example');
    const input = { school: story.ids.ekskolan, product: story.ids.matematik, user: sune, reuseStarted: false, idempotencyKey: `sdk-${transport}` };
    const first = await admin.assignLicense(input);
    const again = await admin.assignLicense(input);
    if (!first.ok || !again.ok) throw new Error('expected both to succeed');
    expect(again.license.id).toBe(first.license.id);
    expect(first.license).toMatchObject({ state: 'STARTED', holder: { name: 'Sune Elev' } });
  });

  it('refuses an empty or blank idempotency key as a typed INVALID_INPUT on idempotencyKey, and assigns nothing', async () => {
    const siri = await story.userId('siri.student@ekskolan.example');
    const input = { school: story.ids.ekskolan, product: story.ids.matematik, user: siri, reuseStarted: false };
    for (const idempotencyKey of ['', '   ']) {
      expect(await admin.assignLicense({ ...input, idempotencyKey })).toMatchObject({ ok: false, code: 'INVALID_INPUT', field: 'idempotencyKey' });
    }
    const held = [];
    for await (const license of admin.licenses({ school: story.ids.ekskolan, product: story.ids.matematik, user: siri })) held.push(license);
    expect(held).toEqual([]);
  });

  it('revokes a license, which keeps its end date and becomes reusable; revoking again fails typed', async () => {
    const licenses: LicenseFieldsFragment[] = [];
    for await (const license of admin.licenses({ school: story.ids.ekskolan, product: story.ids.matematik, user: story.ids.svante })) licenses.push(license);
    expect(licenses).toHaveLength(1);
    const held = licenses[0]!;
    const revoked = await admin.revokeLicense({ license: held.id });
    if (!revoked.ok) throw new Error(`expected success, got ${revoked.code}`);
    expect(revoked.license).toMatchObject({ id: held.id, endDate: held.endDate, reusable: true, holder: null });
    expect(await admin.revokeLicense({ license: held.id })).toMatchObject({ ok: false, code: 'LICENSE_NOT_ASSIGNED' });
  });

  it('lets a teacher give back their own license, and refuses a student', async () => {
    const theo = story.client(await story.tokenFor('theo.teacher@ekskolan.example'));
    const held = (await theo.viewer()).user!.licenses[0]!;
    const removed = await theo.removeMyLicense({ license: held.license.id });
    expect(removed).toMatchObject({ ok: true, license: { id: held.license.id, reusable: true } });
    const saga = story.client(story.demo.tokens.student);
    const sagas = (await saga.viewer()).user!.licenses[0]!;
    expect(await saga.removeMyLicense({ license: sagas.license.id })).toMatchObject({ ok: false, code: 'FORBIDDEN' });
  });

  it('walks every page of a connection', async () => {
    const pages = [];
    for await (const page of admin.pages(
      SchoolProductLicensesDocument,
      { school: story.ids.ekskolan, product: story.ids.matematik },
      (data) => data.school?.product?.licenses,
      { pageSize: 5 },
    )) {
      pages.push(page);
    }
    const total = pages[0]!.totalCount!;
    expect(total).toBeGreaterThan(10);
    expect(pages).toHaveLength(Math.ceil(total / 5));
    expect(pages.slice(0, -1).every((page) => page.edges.length === 5 && page.pageInfo.hasNextPage)).toBe(true);
    expect(pages.at(-1)!.pageInfo.hasNextPage).toBe(false);
    const ids = pages.flatMap((page) => page.edges.map((edge) => edge.node.id));
    expect(new Set(ids).size).toBe(total);
    // Earliest end date first, across pages.
    const endDates = pages.flatMap((page) => page.edges.map((edge) => edge.node.endDate)).filter((d): d is string => d !== null && d !== undefined);
    expect([...endDates].sort()).toEqual(endDates);
  });

  it('iterates schools, products, members and audit events across pages', async () => {
    const integration = story.client(story.demo.keys.integration);
    const schools = [];
    for await (const school of integration.schools({ pageSize: 1 })) schools.push(school.name);
    expect(schools.sort()).toEqual(['Björkskolan', 'Ekskolan']);
    const products = [];
    for await (const product of admin.products({ pageSize: 2 })) products.push(product.name);
    expect(products).toHaveLength(5);
    const students = [];
    for await (const member of admin.members({ school: story.ids.ekskolan, role: 'STUDENT', pageSize: 3 })) students.push(member.user.name);
    expect(students).toHaveLength(10);
    let events = 0;
    for await (const event of admin.auditEvents({ school: story.ids.ekskolan, pageSize: 100 })) {
      expect(event.action).toBeTypeOf('string');
      events++;
    }
    expect(events).toBeGreaterThan(50);
  });

  it("reads the roster: users by search, a school's classes and a class's members", async () => {
    const found = [];
    for await (const user of admin.users({ search: 'SVANTE' })) found.push(user.name);
    expect(found).toEqual(['Svante Elev']);
    const classes = [];
    for await (const group of admin.groups({ school: story.ids.ekskolan, kind: 'CLASS' })) classes.push(group);
    expect(classes.map((g) => [g.name, g.schoolYear])).toEqual([['7A', 7]]);
    const members = [];
    for await (const member of admin.groupMembers({ group: classes[0]!.id, role: 'TEACHER' })) members.push(member.user.name);
    expect(members).toEqual(['Tove Lärare']);
  });

  it('a leaver gives back their licenses: endSchoolMembership, then UNCHANGED when repeated', async () => {
    // A student of their own, so the other tests keep the demo story's students.
    const created = await admin.mutate(CreateUserDocument, {
      input: { name: `Lea Elev ${transport}`, email: `lea.${transport.replace(' ', '-')}@ekskolan.example`, school: story.ids.ekskolan, role: 'STUDENT' },
    });
    if (created.createUser.__typename !== 'UserPayload') throw new Error(JSON.stringify(created.createUser));
    const lea = created.createUser.user.id;
    const assigned = await admin.assignLicense({ school: story.ids.ekskolan, product: story.ids.matematik, user: lea, reuseStarted: false });
    if (!assigned.ok) throw new Error(assigned.message);
    const left = await admin.endSchoolMembership({ school: story.ids.ekskolan, user: lea });
    expect(left).toMatchObject({ ok: true, change: 'ENDED', membership: { role: 'STUDENT', user: { id: lea } } });
    const license = await admin.query(NodeDocument, { id: assigned.license.id });
    expect(license.node).toMatchObject({ __typename: 'License', holder: null, endDate: assigned.license.endDate });
    expect(await admin.endSchoolMembership({ school: story.ids.ekskolan, user: lea })).toMatchObject({ ok: true, change: 'UNCHANGED' });
    const teacher = story.client(story.demo.tokens.teacher);
    expect(await teacher.endSchoolMembership({ school: story.ids.ekskolan, user: lea })).toMatchObject({ ok: false, code: 'FORBIDDEN' });
  });

  it('runs any document of the SDK with typed variables', async () => {
    const data = await admin.query(SchoolDocument, { id: story.ids.ekskolan });
    expect(data.school?.name).toBe('Ekskolan');
    expect(data.school?.products.map((p) => p.product.name)).toContain('Matematik 7 Digital');
    const node = await admin.query(NodeDocument, { id: story.ids.svante });
    expect(node.node).toMatchObject({ __typename: 'User', name: 'Svante Elev' });
    // An ID that names nothing (here: "User:not-a-user") is null, as if it did not exist.
    expect((await admin.query(NodeDocument, { id: 'VXNlcjpub3QtYS11c2Vy' })).node).toBeNull();
  });

  it('throws LicenseApiError for a bad token, without retrying', async () => {
    let calls = 0;
    const client = story.client('not-a-valid-token', {
      fetch: (input, init) => {
        calls++;
        return story.fetch(input, init);
      },
    });
    const error = await admin
      .viewer()
      .then(() => client.viewer())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LicenseApiError);
    expect(error).toMatchObject({ kind: 'graphql', code: 'UNAUTHENTICATED', status: 401 });
    expect(calls).toBe(1);
  });

  it("lets an organisation administrator issue an integration's key, list it and revoke it; the revoked key is refused", async () => {
    const olivia = story.client(story.demo.tokens.organisationAdmin);
    const organisation = (await olivia.viewer()).organisation!.id;
    const created = await olivia.createApiKey({ organisation, name: 'Kursplattformen', kind: 'ORGANISATION_READ' });
    if (!created.ok) throw new Error(created.message);
    const lms = story.client(created.key);
    expect(await lms.viewer()).toMatchObject({ kind: 'INTEGRATION', name: 'API key Kursplattformen' });
    const listed = [];
    for await (const key of olivia.apiKeys({ organisation })) listed.push(key.name);
    expect(listed).toContain('Kursplattformen');

    const revoked = await olivia.revokeApiKey({ apiKey: created.apiKey.id });
    expect(revoked).toMatchObject({ ok: true, apiKey: { id: created.apiKey.id, revokedAt: expect.any(String) } });
    expect(await lms.viewer().catch((e: unknown) => e)).toMatchObject({ kind: 'graphql', code: 'UNAUTHENTICATED', status: 401 });
    // A school administrator may not: a typed failure, and the demo's key still works.
    expect(await admin.createApiKey({ organisation, name: 'Eget', kind: 'ORGANISATION_READ_WRITE' })).toMatchObject({ ok: false, code: 'FORBIDDEN' });
  });

  it('asks getToken for the token before each request', async () => {
    const tokens = [story.demo.tokens.schoolAdmin, story.demo.tokens.teacher];
    let asked = 0;
    const client = story.client('', { token: undefined, getToken: async () => tokens[asked++ % 2] });
    expect((await client.viewer()).name).toBe('Sara Skoladmin');
    expect((await client.viewer()).name).toBe('Tove Lärare');
    expect(asked).toBe(2);
  });

  it("gives class 7A a product: a dry run of each student's end date, then a standing rule, its waiting list, and ending it", async () => {
    let group = '';
    for await (const g of admin.groups({ school: story.ids.ekskolan })) if (g.name === '7A') group = g.id;
    const input = { group, product: story.ids.matematik, policy: 'NEW_FIRST' as const };
    const dry = await admin.assignLicenseToGroup({ ...input, dryRun: true });
    if (!dry.ok) throw new Error(dry.message);
    expect(dry.dryRun).toBe(true);
    expect(dry.outcomes).toHaveLength(10); // the students, not Tove
    for (const o of dry.outcomes.filter((o) => o.outcome === 'ASSIGNED')) expect(o.endDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(await admin.groupLicensing({ group })).toEqual({ licenseRules: [], waitingList: [] });

    const kept = await admin.assignLicenseToGroup({ ...input, keep: true });
    if (!kept.ok) throw new Error(kept.message);
    expect(kept.rule).toMatchObject({ policy: 'NEW_FIRST', roles: ['STUDENT'], keepOnLeave: false, group: { name: '7A' } });
    expect(kept.outcomes.map((o) => o.outcome).sort()).toEqual(dry.outcomes.map((o) => o.outcome).sort());
    const seen = await admin.groupLicensing({ group });
    expect(seen?.licenseRules.map((r) => r.id)).toEqual([kept.rule!.id]);
    expect(seen?.waitingList.map((w) => w.position)).toEqual(seen?.waitingList.map((_, i) => i + 1));
    expect(await story.client(story.demo.tokens.otherOrganisationAdmin).groupLicensing({ group })).toBeNull();

    expect(await admin.assignLicenseToGroup({ ...input, keep: true })).toMatchObject({ ok: false, code: 'ALREADY_EXISTS', field: 'product' });
    expect(await admin.endGroupLicenseRule({ rule: kept.rule!.id })).toMatchObject({ ok: true, ended: true });
    expect(await admin.groupLicensing({ group })).toEqual({ licenseRules: [], waitingList: [] });
  });
});

describe(`retries (${backend})`, () => {
  let story: Story;
  beforeAll(async () => {
    story = await startStory('in process');
  });
  afterAll(() => story?.close());

  it('retries a request that failed on the network, then succeeds', async () => {
    let calls = 0;
    const client = story.client(story.demo.tokens.schoolAdmin, {
      retry: { initialDelayMs: 1, maxDelayMs: 5 },
      fetch: (input, init) => (++calls <= 2 ? Promise.reject(new TypeError('fetch failed: connection reset')) : story.fetch(input, init)),
    });
    expect((await client.viewer()).name).toBe('Sara Skoladmin');
    expect(calls).toBe(3);
  });

  it('gives up after maxAttempts with a network LicenseApiError', async () => {
    let calls = 0;
    const client = story.client(story.demo.tokens.schoolAdmin, {
      retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 5 },
      fetch: () => {
        calls++;
        return Promise.reject(new TypeError('fetch failed: ECONNREFUSED'));
      },
    });
    await expect(client.viewer()).rejects.toMatchObject({ name: 'LicenseApiError', kind: 'network' });
    expect(calls).toBe(2);
  });

  it('assigns once when the answer to an assignment is lost and the request is retried', async () => {
    let calls = 0;
    const client = story.client(story.demo.tokens.schoolAdmin, {
      retry: { initialDelayMs: 1, maxDelayMs: 5 },
      // The API does the work, but the first answer never arrives.
      fetch: async (input, init) => {
        const response = await story.fetch(input, init);
        if (++calls === 1) throw new TypeError('fetch failed: socket hang up');
        return response;
      },
    });
    const signe = await story.userId('signe.student@ekskolan.example');
    const holderOf = async () => {
      const held = [];
      for await (const license of client.licenses({ school: story.ids.ekskolan, product: story.ids.matematik, user: signe })) held.push(license);
      return held;
    };
    const before = await holderOf();
    expect(before).toHaveLength(1); // Signe was pre-assigned a license in the demo story.
    const revoked = await client.revokeLicense({ license: before[0]!.id });
    expect(revoked.ok).toBe(true);
    calls = 0;
    const result = await client.assignLicense({ school: story.ids.ekskolan, product: story.ids.matematik, user: signe, reuseStarted: false });
    expect(calls).toBe(2);
    expect(result).toMatchObject({ ok: true, license: { holder: { name: 'Signe Elev' } } });
    expect(await holderOf()).toHaveLength(1);
  });

  /** A client whose first answer is lost after the API did the work; `calls()` counts the requests. */
  const losingFirstAnswer = (token: string) => {
    let calls = 0;
    const client = story.client(token, {
      retry: { initialDelayMs: 1, maxDelayMs: 5 },
      fetch: async (input, init) => {
        const response = await story.fetch(input, init);
        if (++calls === 1) throw new TypeError('fetch failed: socket hang up');
        return response;
      },
    });
    return { client, calls: () => calls };
  };

  it('does not retry a mutation without an idempotency key: a lost answer throws, and the key is made once', async () => {
    const olivia = story.client(story.demo.tokens.organisationAdmin);
    const organisation = (await olivia.viewer()).organisation!.id;
    const { client, calls } = losingFirstAnswer(story.demo.tokens.organisationAdmin);
    await expect(client.createApiKey({ organisation, name: 'Lost answer', kind: 'ORGANISATION_READ' })).rejects.toMatchObject({
      name: 'LicenseApiError',
      kind: 'network',
    });
    expect(calls()).toBe(1);
    const named = [];
    for await (const key of olivia.apiKeys({ organisation })) if (key.name === 'Lost answer') named.push(key);
    expect(named).toHaveLength(1);
  });

  it('retries a mutation of any document when its input carries an idempotency key', async () => {
    const input = { name: 'Rut Elev', email: 'rut.retried@ekskolan.example', school: story.ids.ekskolan, role: 'STUDENT' as const };
    const { client, calls } = losingFirstAnswer(story.demo.tokens.schoolAdmin);
    const created = await client.mutate(CreateUserDocument, { input: { ...input, idempotencyKey: 'create-rut' } });
    expect(calls()).toBe(2);
    expect(created.createUser.__typename).toBe('UserPayload');
    const found = [];
    for await (const user of client.users({ search: 'rut.retried' })) found.push(user.id);
    expect(found).toHaveLength(1);
    // The same without a key: sent once, the lost answer thrown.
    const again = losingFirstAnswer(story.demo.tokens.schoolAdmin);
    await expect(again.client.mutate(CreateUserDocument, { input: { ...input, email: 'rut.once@ekskolan.example' } })).rejects.toMatchObject({
      kind: 'network',
    });
    expect(again.calls()).toBe(1);
  });
});
