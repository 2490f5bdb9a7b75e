// The chosen language and the platform's Intl for everything locale-dependent: days
// (DateTimeFormat), numbers (NumberFormat) and plurals (PluralRules). No i18n library: the app has
// two languages and simple messages, and the browser already carries the CLDR data for both.
// Plain TypeScript (no JSX), so the tests and scripts run it in Node as well.
import type { Catalogue, ParamArgs, Params, Plural, PluralKey, TextKey } from './catalogue.ts';
import { en } from './en.ts';
import { sv } from './sv.ts';

export const LOCALES = ['sv', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
const catalogues: Record<Locale, Catalogue> = { sv, en };
/** The Intl locale of each language: Swedish as in Sweden, English with day-month-year dates. */
const intlLocale: Record<Locale, string> = { sv: 'sv-SE', en: 'en-GB' };
export const LOCALE_KEY = 'manage-licenses.locale';

/**
 * The remembered choice; else the first of Swedish or English among the browser's languages; else
 * Swedish, since the organisations this app serves are Swedish school organisers.
 */
export function initialLocale(): Locale {
  try {
    const saved = localStorage.getItem(LOCALE_KEY);
    if (saved === 'sv' || saved === 'en') return saved;
  } catch {
    // Storage may be unavailable (private mode): fall through to the browser's languages.
  }
  for (const tag of navigator.languages ?? [navigator.language]) {
    const language = tag.toLowerCase().split('-')[0];
    if (language === 'sv' || language === 'en') return language;
  }
  return 'sv';
}

export interface I18n {
  locale: Locale;
  setLocale: (locale: Locale) => void;
  /** A text, its {holes} filled (numbers formatted for the locale). */
  t: <K extends TextKey>(key: K, ...params: ParamArgs<K>) => string;
  /** A text by the plural category of `count` in this language. */
  plural: <K extends PluralKey>(key: K, count: number, ...params: ParamArgs<K>) => string;
  /** A day as the API gives it (YYYY-MM-DD, the school's time zone), e.g. "1 dec. 2026". */
  day: (localDate: string | null | undefined) => string;
  /** The day of a moment (an order placed, a notification sent), in the browser's time zone. */
  dayOfMoment: (iso: string | null | undefined) => string;
  number: (n: number) => string;
}

export function makeI18n(locale: Locale, setLocale: (locale: Locale) => void = () => {}): I18n {
  const catalogue = catalogues[locale];
  const numbers = new Intl.NumberFormat(intlLocale[locale]);
  const plurals = new Intl.PluralRules(intlLocale[locale]);
  // A local date is a calendar day, not a moment: format it in UTC so no time zone moves it.
  const days = new Intl.DateTimeFormat(intlLocale[locale], { dateStyle: 'medium', timeZone: 'UTC' });
  const momentDays = new Intl.DateTimeFormat(intlLocale[locale], { dateStyle: 'medium' });
  const fill = (text: string, params: Record<string, string | number> = {}) =>
    text.replace(/\{(\w+)\}/g, (_, hole: string) => {
      const value = params[hole];
      return value === undefined ? `{${hole}}` : typeof value === 'number' ? numbers.format(value) : value;
    });
  return {
    locale,
    setLocale,
    t: (key, ...params) => fill(catalogue[key] as string, params[0] as Params<typeof key> | undefined),
    plural: (key, count, ...params) => {
      const forms = catalogue[key] as Plural;
      const form = plurals.select(count) === 'one' ? forms.one : forms.other;
      return fill(form, { ...(params[0] as Params<typeof key> | undefined), count });
    },
    day: (localDate) => {
      const match = localDate ? /^(\d{4})-(\d{2})-(\d{2})/.exec(localDate) : null;
      return match ? days.format(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : '';
    },
    dayOfMoment: (iso) => (iso ? momentDays.format(new Date(iso)) : ''),
    number: (n) => numbers.format(n),
  };
}
