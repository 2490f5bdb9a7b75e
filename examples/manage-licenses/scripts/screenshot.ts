// `npm run screenshot`: the main screen as the school admin sees it (Matematik 7 with reusable
// licenses of several end dates, the (i) details open, Assign open with "reuse started license"),
// into screenshot.png, and the same at phone width (360 px) into screenshot-phone.png. Runs
// against the same stack as the browser tests (see test/stack.ts).
import { fileURLToPath } from 'node:url';
import { chooseProduct, startStack } from '../test/stack.ts';

const out = (file: string) => fileURLToPath(new URL(`../${file}`, import.meta.url));
const stack = await startStack();
try {
  for (const phone of [false, true]) {
    const page = await stack.open('schoolAdmin', phone ? { width: 360, height: 1000 } : { width: 1100, height: 900 });
    await chooseProduct(page, 'Matematik 7 Digital');
    await page.getByRole('button', { name: 'Details: new and started licenses' }).click();
    await page.getByTestId('reusable-end-date').first().waitFor();
    const svante = page.getByRole('listitem', { name: 'Svante Elev', exact: true });
    await svante.getByRole('button', { name: 'Assign' }).click();
    await svante.getByLabel('Reuse started license').check();
    const path = out(phone ? 'screenshot-phone.png' : 'screenshot.png');
    if (phone) {
      await page.getByRole('heading', { name: 'Manage licenses', exact: true }).scrollIntoViewIfNeeded();
      await page.evaluate(() => document.getElementById('manage')!.scrollIntoView());
      await page.screenshot({ path });
    } else {
      await page.screenshot({ path, fullPage: true });
    }
    console.log(`wrote ${path}`);
    await page.close();
  }
} finally {
  await stack.close();
}
