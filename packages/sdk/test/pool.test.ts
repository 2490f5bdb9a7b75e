// The SDK's helpers for moving licenses between schools and for renewal, against the real API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend, startStory, type Story } from './support.ts';

describe(`moving licenses and renewal through the SDK (${backend})`, () => {
  let story: Story;
  let orgAdmin: ReturnType<Story['client']>;
  let bjorkskolan = '';

  beforeAll(async () => {
    story = await startStory('in process');
    orgAdmin = story.client(story.demo.tokens.organisationAdmin);
    for await (const school of orgAdmin.schools()) if (school.name === 'Björkskolan') bjorkskolan = school.id;
  });
  afterAll(() => story?.close());

  it('moves new licenses to another school of the organisation; too many is a typed failure on count', async () => {
    const args = { fromSchool: story.ids.ekskolan, toSchool: bjorkskolan, product: story.ids.matematik, kind: 'NEW' as const };
    const moved = await orgAdmin.moveLicenses({ ...args, count: 2 });
    expect(moved.ok).toBe(true);
    if (!moved.ok) return;
    expect(moved.moved).toBe(2);
    expect(moved.toAvailability.newLicenses).toBe(2);
    expect(moved.licenses.map((l) => l.state)).toEqual(['NEW', 'NEW']);
    const refused = await orgAdmin.moveLicenses({ ...args, count: 500 });
    expect(refused).toMatchObject({ ok: false, code: 'NO_LICENSE_AVAILABLE', field: 'count' });
    const schoolAdmin = await story.client(story.demo.tokens.schoolAdmin).moveLicenses({ ...args, count: 1 });
    expect(schoolAdmin).toMatchObject({ ok: false, code: 'FORBIDDEN', field: 'fromSchool' });
  });

  it('lists the licenses to renew, per product and end date', async () => {
    const expiring = await orgAdmin.expiringLicenses({ school: story.ids.ekskolan, within: 365 });
    const matematik = expiring?.find((e) => e.product.name === 'Matematik 7 Digital');
    expect(matematik?.endDates.length).toBeGreaterThan(1);
    expect(matematik?.licenses).toBe(matematik?.endDates.reduce((sum, d) => sum + d.licenses, 0));
    expect(await story.client(story.demo.tokens.otherOrganisationAdmin).expiringLicenses({ school: story.ids.ekskolan })).toBeNull();
  });
});
