// The Swedish catalogue translates every English text: the same keys (the type already demands
// them), the same {holes}, the same plural shape, and no text left equal to the English one except
// the few that are the same on purpose (names of languages and formats).
import { describe, expect, it } from 'vitest';
import { holesOf } from '../src/i18n/catalogue.ts';
import { en } from '../src/i18n/en.ts';
import { makeI18n } from '../src/i18n/format.ts';
import { SAME_IN_BOTH, sv } from '../src/i18n/sv.ts';

const texts = (value: string | { one: string; other: string }) => (typeof value === 'string' ? [value] : [value.one, value.other]);

describe('the Swedish catalogue', () => {
  it('has every English key and no other', () => {
    expect(Object.keys(sv).sort()).toEqual(Object.keys(en).sort());
  });

  it('leaves no text untranslated, except the allow-listed ones', () => {
    const same = Object.keys(en).filter((key) => JSON.stringify(sv[key as keyof typeof en]) === JSON.stringify(en[key as keyof typeof en]));
    expect(same.sort()).toEqual([...SAME_IN_BOTH].sort());
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      if (SAME_IN_BOTH.includes(key)) continue;
      for (const text of texts(sv[key])) expect(texts(en[key]), `sv.${key}`).not.toContain(text);
    }
  });

  it('keeps every {hole} and the plural forms of each text', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      const source = en[key];
      const translated = sv[key];
      expect(typeof translated, key).toBe(typeof source);
      const sourceTexts = texts(source);
      const translatedTexts = texts(translated);
      expect(translatedTexts.length, key).toBe(sourceTexts.length);
      for (const [i, text] of sourceTexts.entries()) expect(holesOf(translatedTexts[i]!), `sv.${key}`).toEqual(holesOf(text));
    }
  });

  it("formats days, numbers and plurals with the platform's Intl, per language", () => {
    const svI18n = makeI18n('sv');
    const enI18n = makeI18n('en');
    expect(svI18n.plural('daysLeft', 1)).toBe('1 dag kvar');
    expect(svI18n.plural('daysLeft', 12)).toBe('12 dagar kvar');
    expect(enI18n.plural('daysLeft', 1)).toBe('1 day left');
    // A day is a calendar day: no time zone moves it.
    expect(svI18n.day('2027-01-31')).toBe(new Intl.DateTimeFormat('sv-SE', { dateStyle: 'medium', timeZone: 'UTC' }).format(Date.UTC(2027, 0, 31)));
    expect(svI18n.day('2027-01-31')).toMatch(/^31 jan\.? 2027$/);
    expect(enI18n.day('2027-01-31')).toBe('31 Jan 2027');
    expect(svI18n.t('productOption', { product: 'Matematik', count: 1250 })).toBe('Matematik (1\u00a0250 att tilldela)');
    expect(enI18n.t('productOption', { product: 'Matematik', count: 1250 })).toBe('Matematik (1,250 to assign)');
  });
});
