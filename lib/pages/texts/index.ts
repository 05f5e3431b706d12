import { de } from './de.ts';
import { type Catalogue, en } from './en.ts';
import { fr } from './fr.ts';
import { nl } from './nl.ts';

export type { Catalogue };

/** The languages of the end user's pages, English first: what is shown when nothing else fits. */
export const LANGUAGES = ['en', 'nl', 'de', 'fr'] as const;
export type Language = (typeof LANGUAGES)[number];

/**
 * A language's catalogue, made the first time a page is shown in it. Each is a function (./en.ts): a cold
 * start only scans the others, where building all four objects cost more than the rest of a page's code.
 */
const made = new Map<Language, Catalogue>();
const MAKERS: Readonly<Record<Language, () => Catalogue>> = { en, nl, de, fr };
export function catalogue(language: Language): Catalogue {
  const known = made.get(language);
  if (known) return known;
  const texts = MAKERS[language]();
  made.set(language, texts);
  return texts;
}

/** Each language's name in itself, as the language switcher offers it. */
export const LANGUAGE_NAMES: Readonly<Record<Language, string>> = { en: 'English', nl: 'Nederlands', de: 'Deutsch', fr: 'Français' };

const isLanguage = (value: string): value is Language => (LANGUAGES as readonly string[]).includes(value);

/**
 * The language a page is shown in: `?lang=` when it names one of ours (a person's explicit choice),
 * else the first of the browser's Accept-Language, by its q-values, whose primary subtag is ours (nl-BE is
 * Dutch, fr-BE French, de-AT German), else English.
 */
export function chooseLanguage(asked: string | undefined, acceptLanguage: string | undefined): Language {
  const chosen = asked?.trim().toLowerCase();
  if (chosen && isLanguage(chosen)) return chosen;
  const ranked = (acceptLanguage ?? '')
    .slice(0, 512)
    .split(',')
    .map((part, index) => {
      const [tag = '', ...parameters] = part.trim().split(';');
      const q = parameters.map((parameter) => parameter.trim()).find((parameter) => parameter.startsWith('q='));
      const weight = q === undefined ? 1 : Number(q.slice(2));
      return { primary: tag.trim().toLowerCase().split('-')[0]!, weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((entry) => entry.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  return ranked.map((entry) => entry.primary).find(isLanguage) ?? 'en';
}
