// The language of the page: a React context over format.ts, remembered in localStorage.
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { initialLocale, LOCALE_KEY, makeI18n, type I18n, type Locale } from './format.ts';

export { LOCALES, LOCALE_KEY, makeI18n, type I18n, type Locale } from './format.ts';

const I18nContext = createContext<I18n>(makeI18n('en'));

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  const i18n = useMemo(
    () =>
      makeI18n(locale, (next) => {
        try {
          localStorage.setItem(LOCALE_KEY, next);
        } catch {
          // Not remembered, but still switched.
        }
        setLocaleState(next);
      }),
    [locale],
  );
  // Screen readers pick their voice by the page's language.
  useEffect(() => {
    document.documentElement.lang = locale;
    document.title = i18n.t('appName');
  }, [locale, i18n]);
  return <I18nContext.Provider value={i18n}>{children}</I18nContext.Provider>;
}

export const useI18n = () => useContext(I18nContext);
