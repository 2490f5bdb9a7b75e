// The shape of a catalogue: the English one (en.ts) is the source, and every other language must
// have each of its keys (a missing one is a type error). Values are plain strings with {holes},
// or a plural: one text per category of Intl.PluralRules (Swedish and English use `one`/`other`).
import type { en } from './en.ts';

type En = typeof en;
export interface Plural {
  one: string;
  other: string;
}
export type Catalogue = { readonly [K in keyof En]: En[K] extends string ? string : Plural };
export type TextKey = { [K in keyof En]: En[K] extends string ? K : never }[keyof En];
export type PluralKey = Exclude<keyof En, TextKey>;

type Holes<S> = S extends `${string}{${infer Hole}}${infer Rest}` ? Hole | Holes<Rest> : never;
/** The values a text's {holes} need: `t('assigned', { name })` only compiles with `name`. */
export type Params<K extends keyof En> = En[K] extends Plural
  ? { [H in Exclude<Holes<En[K]['other']>, 'count'>]: string | number }
  : { [H in Holes<En[K]>]: string | number };
export type ParamArgs<K extends keyof En> = keyof Params<K> extends never ? [] : [params: Params<K>];

/** The {holes} of a text, for the test that checks a translation keeps them. */
export const holesOf = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
