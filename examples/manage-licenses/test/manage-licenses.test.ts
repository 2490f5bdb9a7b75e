// The reference app in headless Chromium against a real API (real database, the demo story):
// the administrator's path, a teacher giving back their license, a student, another organisation,
// typed errors next to their cause, and phone width. Locators wait for the app; no sleeps.
import { createLicenseClient, type LicenseClient } from '@school-licenses/sdk';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseProduct, startStack, type Stack } from './stack.ts';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Waits until the locator's text is exactly `text` (or matches the pattern); says what it was if not. */
async function seeText(locator: Locator, text: string | RegExp): Promise<void> {
  const pattern = typeof text === 'string' ? new RegExp(`^\\s*${escapeRegExp(text)}\\s*$`) : text;
  try {
    await locator.filter({ hasText: pattern }).first().waitFor();
  } catch {
    throw new Error(`expected ${locator} to show ${pattern}; it shows ${JSON.stringify(await locator.allInnerTexts())}`);
  }
}

const person = (page: Page, name: string) => page.getByRole('listitem', { name, exact: true });

/** The (i) details of the product: the reusable count and its end dates, as shown. */
async function poolShown(page: Page): Promise<{ total: number; endDates: { day: string; count: number }[] }> {
  const details = page.getByTestId('availability-details');
  if (!(await details.isVisible())) await page.getByRole('button', { name: 'Details: new and started licenses' }).click();
  await details.waitFor();
  const total = Number(await page.getByTestId('reusable-count').innerText());
  const endDates = [];
  for (const item of await page.getByTestId('reusable-end-date').all()) {
    endDates.push({ day: (await item.getAttribute('data-end-date'))!, count: Number(await item.locator('strong').innerText()) });
  }
  return { total, endDates };
}

describe(`the Manage licenses app in Chromium, on ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`, () => {
  let stack: Stack;
  let admin: LicenseClient;
  let school: string;
  let product: string;

  beforeAll(async () => {
    stack = await startStack();
    stack.browser.setDefaultTimeout(20_000);
    admin = createLicenseClient({ url: stack.apiUrl, token: stack.demo.tokens.schoolAdmin });
    // The API's global IDs, found the way an app finds them.
    for await (const each of admin.schools()) if (each.name === 'Ekskolan') school = each.id;
    for await (const each of admin.products()) if (each.name === 'Matematik 7 Digital') product = each.id;
  });
  const memberId = async (name: string) => {
    for await (const m of admin.members({ school })) if (m.user.name === name) return m.user.id;
    throw new Error(`no member ${name}`);
  };
  afterAll(async () => {
    await stack?.close();
  });

  it('an admin reuses a started license with a chosen end date, the pool goes down, and revoking brings it back', async () => {
    const page = await stack.open('schoolAdmin');
    await seeText(page.getByTestId('signed-in-as'), 'Sara Skoladmin · Nordstad kommun');
    await chooseProduct(page, 'Matematik 7 Digital');
    const before = await poolShown(page);
    expect(before.endDates.length).toBeGreaterThan(1);
    expect(before.total).toBe(before.endDates.reduce((sum, e) => sum + e.count, 0));
    const assignableBefore = Number(await page.getByTestId('assignable-count').innerText());
    // Not the earliest: the admin's choice, not a default, decides the end date.
    const chosen = before.endDates[1]!;

    const svante = person(page, 'Svante Elev');
    await seeText(svante.getByTestId('license-status'), 'No license');
    await svante.getByRole('button', { name: 'Assign' }).click();
    await svante.getByLabel('Reuse started license').check();
    await svante.getByLabel('End date', { exact: true }).selectOption({ label: `${chosen.day} (${chosen.count} left)` });
    await svante.getByRole('button', { name: 'Assign license' }).click();

    await seeText(svante.getByTestId('license-status'), `License ends ${chosen.day}`);
    await seeText(svante.getByRole('status'), 'Assigned Svante Elev a started license.');
    await seeText(page.getByTestId('reusable-count'), String(before.total - 1));
    await seeText(page.getByTestId('assignable-count'), String(assignableBefore - 1));
    const after = await poolShown(page);
    expect(after.endDates).toEqual(before.endDates.flatMap((e) => (e.day !== chosen.day ? [e] : e.count > 1 ? [{ ...e, count: e.count - 1 }] : [])));
    // The API agrees: Svante holds a license ending on the chosen day.
    const held = [];
    const svanteId = await memberId('Svante Elev');
    for await (const license of admin.licenses({ school, product, user: svanteId })) held.push(license);
    expect(held.map((l) => l.endDate?.slice(0, 10))).toEqual([chosen.day]);

    await svante.getByRole('button', { name: 'Revoke' }).click();
    await svante.getByRole('button', { name: 'Yes, revoke' }).click();
    await seeText(svante.getByTestId('license-status'), 'No license');
    await seeText(svante.getByRole('status'), `Revoked Svante Elev's license: it is reusable until ${chosen.day}.`);
    await seeText(page.getByTestId('reusable-count'), String(before.total));
    expect(await poolShown(page)).toEqual(before);
    expect((await admin.reusablePool({ school, product }))?.total).toBe(before.total);
    await page.close();
  });

  it("shows another admin's assignment at once, without a click (a live subscription)", async () => {
    // A student without the product whom no other test uses.
    const holders = new Set<string>();
    for await (const license of admin.licenses({ school, product, assigned: true })) holders.add(license.holder!.id);
    let name = '';
    for await (const m of admin.members({ school, role: 'STUDENT' })) {
      if (!holders.has(m.user.id) && !/^(Svante|Sune|Sixten|Saga|Siri) /.test(m.user.name)) name = m.user.name;
    }
    const page = await stack.open('schoolAdmin');
    await chooseProduct(page, 'Matematik 7 Digital');
    const student = person(page, name);
    await seeText(student.getByTestId('license-status'), 'No license');
    const assignableBefore = Number(await page.getByTestId('assignable-count').innerText());
    const other = createLicenseClient({ url: stack.apiUrl, token: stack.demo.tokens.organisationAdmin });
    const latest = (await other.reusablePool({ school, product }))!.endDates.at(-1)!;
    const taken = await other.assignLicense({ school, product, user: await memberId(name), reuseStarted: true, endDate: latest.endDate });
    if (!taken.ok) throw new Error(taken.code);
    await seeText(page.getByTestId('assignable-count'), String(assignableBefore - 1));
    await seeText(student.getByTestId('license-status'), `License ends ${latest.endDate.slice(0, 10)}`);
    // Revoked, it is reusable again, with its end date: the tests after see the pool as it was.
    await other.revokeLicense({ license: taken.license.id });
    await seeText(page.getByTestId('assignable-count'), String(assignableBefore));
  });

  it('shows the typed end-date errors next to the assignment that caused them, with the end dates left', async () => {
    const page = await stack.open('schoolAdmin');
    await chooseProduct(page, 'Matematik 7 Digital');
    const pool = await poolShown(page);
    const single = pool.endDates.find((e) => e.count === 1)!;
    expect(single).toBeDefined();

    const sune = person(page, 'Sune Elev');
    await sune.getByRole('button', { name: 'Assign' }).click();
    await sune.getByLabel('Reuse started license').check();
    // No end date chosen while several exist: END_DATE_REQUIRED, shown in Sune's row.
    await sune.getByRole('button', { name: 'Assign license' }).click();
    const required = sune.locator('[role="alert"][data-code="END_DATE_REQUIRED"]');
    await seeText(required, /choose which end date to assign/);
    await seeText(sune.getByTestId('license-status'), 'No license');

    // The admin picks an end date of which one is left; another admin takes it first.
    await sune.getByLabel('End date', { exact: true }).selectOption({ label: `${single.day} (1 left)` });
    const other = createLicenseClient({ url: stack.apiUrl, token: stack.demo.tokens.organisationAdmin });
    const sixten = await memberId('Sixten Elev');
    const endDate = (await other.reusablePool({ school, product }))!.endDates.find((e) => e.endDate.startsWith(single.day))!.endDate;
    const taken = await other.assignLicense({ school, product, user: sixten, reuseStarted: true, endDate });
    expect(taken.ok).toBe(true);
    await sune.getByRole('button', { name: 'Assign license' }).click();
    await seeText(sune.locator('[role="alert"][data-code="END_DATE_NOT_AVAILABLE"]'), /No started license with that end date is left/);
    // The choice now offers only what the API says is left.
    const offered = await sune.getByLabel('End date', { exact: true }).locator('option').allInnerTexts();
    expect(offered.some((o) => o.startsWith(single.day))).toBe(false);
    expect(offered.length).toBe(pool.endDates.length); // "Choose…" plus one fewer end date

    const last = pool.endDates.at(-1)!;
    await sune.getByLabel('End date', { exact: true }).selectOption({ label: `${last.day} (${last.count} left)` });
    await sune.getByRole('button', { name: 'Assign license' }).click();
    await seeText(sune.getByTestId('license-status'), `License ends ${last.day}`);
    await sune.locator('[role="alert"]').waitFor({ state: 'detached' });
    // Sixten's license, assigned by the other admin, shows after the refresh.
    await seeText(person(page, 'Sixten Elev').getByTestId('license-status'), `License ends ${single.day}`);
    await page.close();
  });

  it('a teacher sees the license the demo gave her and gives it back; it becomes reusable', async () => {
    // Tove holds one license at the end of the demo story: the one her page shows.
    const teacher = createLicenseClient({ url: stack.apiUrl, token: stack.demo.tokens.teacher });
    const held = (await teacher.viewer()).user!.licenses;
    expect(held).toHaveLength(1);
    const { license } = held[0]!;
    const heldProduct = license.product.id;
    const poolBefore = (await admin.reusablePool({ school, product: heldProduct }))!;

    const page = await stack.open('teacher');
    await seeText(page.getByTestId('signed-in-as'), 'Tove Lärare · Nordstad kommun');
    const mine = page.getByTestId('my-license');
    await seeText(mine, new RegExp(`${escapeRegExp(license.product.name)}\\s*ends ${license.endDate!.slice(0, 10)}`));
    expect(await page.getByRole('heading', { name: 'Manage licenses' }).count()).toBe(0);
    await mine.getByRole('button', { name: 'Remove from me' }).click();
    await mine.getByRole('button', { name: 'Yes, remove it' }).click();
    await page.getByText('You have no licenses right now.').waitFor();

    const pool = (await admin.reusablePool({ school, product: heldProduct }))!;
    expect(pool.total).toBe(poolBefore.total + 1);
    expect(pool.endDates.map((e) => e.endDate)).toContain(license.endDate);
    await page.close();
  });

  it('a student sees their own license and cannot remove it', async () => {
    const page = await stack.open('student');
    await seeText(page.getByTestId('signed-in-as'), 'Saga Elev · Nordstad kommun');
    await seeText(page.getByTestId('my-license'), /Matematik 7 Digital\s*ends \d{4}-\d{2}-\d{2}/);
    await page.getByText("Only your school's administrator can change your licenses.").waitFor();
    expect(await page.getByRole('button', { name: 'Remove from me' }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Manage licenses' }).count()).toBe(0);
    await page.close();
  });

  it("another organisation's admin sees only their own school, never Nordstad's data", async () => {
    const page = await stack.open('otherOrganisationAdmin');
    await seeText(page.getByTestId('signed-in-as'), 'Oskar Admin · Sjöstad kommun');
    // The school list comes from its own query, after the viewer's: wait for it before reading it.
    await page.getByLabel('School').locator('option', { hasText: 'Strandskolan' }).waitFor({ state: 'attached' });
    const schools = await page.getByLabel('School').locator('option').allInnerTexts();
    expect(schools).toEqual(['Strandskolan']);
    // Every section has loaded (its empty states show), then nothing of Nordstad is on the page.
    await page.getByText('Strandskolan has no licenses of any product yet.').waitFor();
    await page.getByText('No orders yet.').waitFor();
    await page.getByText('No notifications.').waitFor();
    const text = await page.locator('body').innerText();
    for (const foreign of ['Ekskolan', 'Björkskolan', 'Nordstad', 'Saga', 'Sara', 'Matematik', 'Engelska']) expect(text).not.toContain(foreign);
    await page.close();
  });

  it("shows the admin's orders with their delivery state and the delayed delivery's notification", async () => {
    const page = await stack.open('schoolAdmin');
    const orders = page.getByTestId('order');
    await seeText(orders.filter({ hasText: '25 × Engelska Plus' }), /Delayed delivery\s*Awaiting delivery/);
    await seeText(orders.filter({ hasText: '8 × Engelska Plus' }), /Delayed delivery\s*Delivered \d{4}-\d{2}-\d{2}/);
    await seeText(orders.filter({ hasText: 'Kemilabbet' }), /Activation e-mail\s*Awaiting delivery/);
    const notifications = page.getByTestId('notifications');
    await seeText(notifications.getByRole('listitem'), /Engelska Plus .*delivered.*· new/s);
    await page.getByRole('button', { name: 'Mark all as read' }).click();
    await page.getByRole('button', { name: 'Mark all as read' }).waitFor({ state: 'detached' });
    await seeText(notifications.getByRole('listitem'), /Engelska Plus .*delivered.*\d{4}-\d{2}-\d{2}$/s);
    await page.close();
  });

  it('works at phone width: nothing wider than 360 px', async () => {
    const page = await stack.open('schoolAdmin', { width: 360, height: 740 });
    await chooseProduct(page, 'Matematik 7 Digital');
    await poolShown(page);
    await person(page, 'Siri Elev').getByRole('button', { name: 'Assign' }).click();
    await person(page, 'Siri Elev').getByLabel('Reuse started license').check();
    await page.getByTestId('order').first().waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.close();
  });

  it('says so when the sign-in is not valid, and offers to sign out', async () => {
    const page = await stack.browser.newPage();
    await page.addInitScript(() => sessionStorage.setItem('manage-licenses.session', JSON.stringify({ label: 'stale', token: 'not-a-token' })));
    await page.goto(stack.appUrl);
    await seeText(page.getByRole('alert'), /Your sign-in is no longer valid.*UNAUTHENTICATED/s);
    await page.getByRole('alert').getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: /^Sign in as school admin/ }).waitFor();
    await page.close();
  });
});
