import { describe, expect, it } from 'vitest';
import { type Catalogue, catalogue, chooseLanguage, LANGUAGES } from '../../lib/pages/texts/index.ts';

/** Every key of a catalogue, as paths, with what is there: a text, or a function of so many parameters. */
function entries(value: unknown, path = ''): Array<[string, string]> {
  if (typeof value === 'function') return [[path, `function/${value.length}`]];
  if (typeof value === 'string') return [[path, 'text']];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, inner]) => entries(inner, path ? `${path}.${key}` : key));
}

const texts = (of: Catalogue) =>
  entries(of).flatMap(([path]) => {
    const value = path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], of);
    return [typeof value === 'function' ? (value as (...args: string[]) => string)('«A»', '«B»', '«C»') : (value as string)];
  });

describe("the pages' catalogues", () => {
  it.each(LANGUAGES.filter((language) => language !== 'en'))(
    'given %s, then it has every key of English, each a text or a function of the same parameters',
    (language) => {
      expect(entries(catalogue(language)).sort()).toEqual(entries(catalogue('en')).sort());
    },
  );

  it.each(LANGUAGES)('given %s, then no text is empty and every function puts in what it is given', (language) => {
    for (const text of texts(catalogue(language))) expect(text.trim().length, language).toBeGreaterThan(0);
    const words = catalogue(language);
    expect(words.consent.heading('«A»')).toContain('«A»');
    expect(words.consent.statement('«A»')).toContain('«A»');
    expect(words.guided.agreement('«A»')).toContain('«A»');
    for (const given of ['«A»', '«B»', '«C»']) expect(words.guided.heading('«A»', '«B»', '«C»')).toContain(given);
    expect(words.product('«A»', '«B»')).toMatch(/«A».*«B»|«B».*«A»/);
  });

  it.each(LANGUAGES.filter((language) => language !== 'en'))('given %s, then its sentences are its own, not English left in place', (language) => {
    // Sentences only: what has words of its own besides what is put in.
    const english = new Set(texts(catalogue('en')).filter((text) => text.replace(/«.»/g, '').trim().includes(' ')));
    const copied = texts(catalogue(language)).filter((text) => english.has(text));
    expect(copied).toEqual([]);
  });
});

describe('the language of a page', () => {
  it.each([
    ['?lang=nl wins over the browser', 'nl', 'de-DE,de;q=0.9', 'nl'],
    ['?lang= in capitals', 'FR', undefined, 'fr'],
    ['an unknown ?lang= falls back to the browser', 'xx', 'de-AT,de;q=0.9,en;q=0.5', 'de'],
    ['Belgian Dutch is Dutch', undefined, 'nl-BE', 'nl'],
    ['Belgian French is French', undefined, 'fr-BE,fr;q=0.9', 'fr'],
    ['the highest q-value wins, not the first', undefined, 'en;q=0.4,fr;q=0.8', 'fr'],
    ['a language we lack is skipped', undefined, 'es-ES,es;q=0.9,nl;q=0.5', 'nl'],
    ['q=0 means not wanted', undefined, 'nl;q=0,de;q=0.1', 'de'],
    ['nothing we speak is English', undefined, 'ja,zh;q=0.8', 'en'],
    ['no header is English', undefined, undefined, 'en'],
    ['a malformed header is English', undefined, ';;;,q=,', 'en'],
  ])('given %s, then the page is in that language', (_, asked, header, expected) => {
    expect(chooseLanguage(asked, header)).toBe(expected);
  });
});
