// What the browser tests and the screenshot run against: a real API on a real port (in-memory
// PGlite, or a fresh PostgreSQL database when DATABASE_URL is set) with the demo story, the built
// app served by `vite preview` (proxying /graphql to the API, handing out the demo tokens), and
// Debian's Chromium driven by playwright-core with a fresh profile.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStandardScenario, type DemoData, type TestApi } from '@school-licenses/api/testing';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { preview } from 'vite';
import { type DEMO_ROLE_LABELS, demoSession } from '@school-licenses/api';
import { LOCALE_KEY, makeI18n, type Locale } from '../src/i18n/format.ts';
import { demoSessionPlugin, withSupplier } from '../scripts/demo-session.ts';

const appDir = fileURLToPath(new URL('..', import.meta.url));

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export type { DemoData };

export type DemoRoleName = keyof typeof DEMO_ROLE_LABELS | 'supplier';

export interface Stack {
  test: TestApi;
  demo: DemoData;
  /** The API's GraphQL endpoint, for checks through the SDK beside the browser. */
  apiUrl: string;
  /** The app, served from its build. */
  appUrl: string;
  browser: BrowserContext;
  /**
   * A new tab in the given language (default English; remembered in localStorage as the language
   * picker does), signed in as one of the demo roles (or at the sign-in page).
   */
  open(role?: DemoRoleName, options?: { width: number; height: number; locale?: Locale } | { locale: Locale; width?: never; height?: never }): Promise<Page>;
  close(): Promise<void>;
}

/** Debian's Chromium, or the browser CHROMIUM_PATH names. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function startStack(): Promise<Stack> {
  if (!existsSync(join(appDir, 'dist', 'index.html'))) throw new Error('build the app first: vite build');
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `The browser tests need Chromium at ${CHROMIUM_PATH}: install it (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome binary.`,
    );
  }
  const cleanups: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  };
  try {
    const { test, demo } = await startStandardScenario({ events: true });
    cleanups.push(() => test.close());
    const api = createServer(test.api).listen(0, '127.0.0.1');
    await once(api, 'listening');
    cleanups.push(() => new Promise((resolve) => (api.closeAllConnections(), api.close(resolve))));
    const apiOrigin = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;

    const session = withSupplier(demoSession(demo), demo.keys.supplier);
    const server = await preview({
      root: appDir,
      configFile: join(appDir, 'vite.config.ts'),
      logLevel: 'warn',
      plugins: [demoSessionPlugin(() => session)],
      preview: { host: '127.0.0.1', port: 0, strictPort: true, proxy: { '/graphql': { target: apiOrigin, changeOrigin: true } } },
    });
    cleanups.push(() => server.close());
    const appUrl = `http://127.0.0.1:${(server.httpServer.address() as AddressInfo).port}/`;

    const profile = await mkdtemp(join(tmpdir(), 'manage-licenses-chromium-'));
    cleanups.push(() => rm(profile, { recursive: true, force: true }));
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1100, height: 900 },
    });
    cleanups.push(() => browser.close());

    return {
      test,
      demo,
      apiUrl: `${apiOrigin}/graphql`,
      appUrl,
      browser,
      async open(role, options) {
        const page = await browser.newPage();
        if (options?.width) await page.setViewportSize({ width: options.width, height: options.height });
        // Always set: the profile's localStorage is shared by the tabs and remembers the last tab's choice.
        const locale = options?.locale ?? 'en';
        await page.addInitScript(([key, value]) => localStorage.setItem(key, value), [LOCALE_KEY, locale] as const);
        await page.goto(appUrl);
        if (role) {
          const { t } = makeI18n(locale);
          await page.getByRole('button', { name: t('signInAs', { who: t(`role_${role}`) }), exact: true }).click();
        }
        return page;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Picks the product whose option starts with `name` (its label also says how many can be assigned). */
export async function chooseProduct(page: Page, name: string, locale: Locale = 'en'): Promise<void> {
  const select = page.getByLabel(makeI18n(locale).t('product'), { exact: true });
  await select.locator('option', { hasText: name }).first().waitFor({ state: 'attached' });
  const value = await select.locator('option', { hasText: name }).first().getAttribute('value');
  await select.selectOption(value!);
}
