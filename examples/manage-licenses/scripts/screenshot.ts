// `npm run screenshot`: the app in Swedish as the school admin sees it (Matematik 7 with reusable
// licenses of several end dates, the (i) details open, Tilldela open with "Återanvänd startad
// licens") into screenshot.png, the same at phone width (360 px) into screenshot-phone.png, and the
// organisation admin's roster import with its diff before it is applied into screenshot-import.png,
// and class 7A given NO-boken (only new licenses, as a standing rule) in a dry run, each member's
// outcome shown, into screenshot-class.png.
// Runs against the same stack as the browser tests (see test/stack.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chooseProduct, startStack } from '../test/stack.ts';

const out = (file: string) => fileURLToPath(new URL(`../${file}`, import.meta.url));
const fixtures = fileURLToPath(new URL('../../../packages/api/src/roster/fixtures/oneroster/', import.meta.url));
const stack = await startStack();
try {
  for (const phone of [false, true]) {
    const page = await stack.open('schoolAdmin', phone ? { width: 360, height: 1000, locale: 'sv' } : { width: 1100, height: 900, locale: 'sv' });
    await chooseProduct(page, 'Matematik 7 Digital', 'sv');
    await page.getByRole('button', { name: 'Detaljer: nya och startade licenser' }).click();
    await page.getByTestId('reusable-end-date').first().waitFor();
    const svante = page.getByRole('listitem', { name: 'Svante Elev', exact: true });
    await svante.getByRole('button', { name: 'Tilldela', exact: true }).click();
    await svante.getByLabel('Återanvänd startad licens').check();
    await page.getByTestId('order').first().waitFor();
    const path = out(phone ? 'screenshot-phone.png' : 'screenshot.png');
    if (phone) {
      await page.evaluate(() => document.getElementById('manage')!.scrollIntoView());
      await page.screenshot({ path });
    } else {
      await page.screenshot({ path, fullPage: true });
    }
    console.log(`wrote ${path}`);
    await page.close();
  }
  const classes = await stack.open('schoolAdmin', { width: 1100, height: 900, locale: 'sv' });
  await classes.getByRole('link', { name: 'Klasser' }).click();
  const seventh = classes.getByTestId('class').filter({ hasText: '7A' });
  await seventh.getByRole('button', { name: 'Visa medlemmar i 7A' }).click();
  await chooseProduct(classes, 'NO-boken', 'sv');
  await seventh.getByLabel('Bara nya licenser').check();
  await seventh.getByLabel(/^Spara som stående regel/).check();
  await seventh.getByRole('button', { name: 'Visa vad varje elev skulle få' }).click();
  await seventh.getByTestId('class-outcome').waitFor();
  await seventh.getByTestId('class-licensing').screenshot({ path: out('screenshot-class.png') });
  console.log(`wrote ${out('screenshot-class.png')}`);
  await classes.close();
  const page = await stack.open('organisationAdmin', { width: 1100, height: 900, locale: 'sv' });
  await page.getByRole('link', { name: 'Import av elevregister' }).click();
  await page
    .getByLabel('Filer', { exact: true })
    .setInputFiles(readdirSync(fixtures).map((name) => ({ name, mimeType: 'text/csv', buffer: readFileSync(`${fixtures}${name}`) })));
  await page.getByRole('button', { name: 'Visa ändringarna' }).click();
  await page.getByTestId('import-summary').waitFor();
  await page.screenshot({ path: out('screenshot-import.png'), fullPage: true });
  console.log(`wrote ${out('screenshot-import.png')}`);
  await page.close();
} finally {
  await stack.close();
}
