// Checks every screen of the browser tests passes: axe-core's accessibility rules (no serious or
// critical violation), nothing wider than the window, and, on a Swedish page, no English text of
// the catalogue left in what is shown or read out (aria-label, title).
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import type { AxeResults } from 'axe-core';
import { en } from '../src/i18n/en.ts';
import { SAME_IN_BOTH } from '../src/i18n/sv.ts';
import type { Locale } from '../src/i18n/format.ts';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/**
 * The English catalogue's texts, cut at their {holes}, that are long enough to be sure English when
 * found (two words or more): what a Swedish page must not show.
 */
export const ENGLISH_FRAGMENTS: string[] = Object.entries(en)
  .filter(([key]) => !SAME_IN_BOTH.includes(key))
  .flatMap(([, value]) => (typeof value === 'string' ? [value] : Object.values(value)))
  .flatMap((text) => text.split(/\{\w+\}/))
  .map((part) => part.replace(/^[\s(),.:;·…×]+|[\s(),.:;·…×]+$/g, ''))
  .filter((part) => part.includes(' ') && part.length >= 8);

/** The catalogue's English fragments the page shows or reads out (aria-label, title). */
export async function englishShown(page: Page): Promise<string[]> {
  const shown = await page.evaluate(() =>
    [
      document.body.innerText,
      ...[...document.querySelectorAll('[aria-label], [title]')].flatMap((el) => [el.getAttribute('aria-label') ?? '', el.getAttribute('title') ?? '']),
    ].join('\n'),
  );
  return ENGLISH_FRAGMENTS.filter((fragment) => shown.includes(fragment));
}

export interface PageProblems {
  violations: { id: string; impact: string | null | undefined; nodes: string[] }[];
  english: string[];
  scrollWidth: number;
  width: number;
}

/** What is wrong with the page as it is now (empty lists when nothing). */
export async function checkPage(page: Page, locale: Locale): Promise<PageProblems> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: axePath });
  const results = (await page.evaluate(() =>
    (window as unknown as { axe: { run: (context: Document, options: object) => Promise<unknown> } }).axe.run(document, { resultTypes: ['violations'] }),
  )) as AxeResults;
  const violations = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  const shown = await page.evaluate(() =>
    [
      document.body.innerText,
      ...[...document.querySelectorAll('[aria-label], [title]')].flatMap((el) => [el.getAttribute('aria-label') ?? '', el.getAttribute('title') ?? '']),
    ].join('\n'),
  );
  const english = locale === 'sv' ? ENGLISH_FRAGMENTS.filter((fragment) => shown.includes(fragment)) : [];
  const { scrollWidth, width } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth }));
  return { violations, english, scrollWidth, width };
}
