/**
 * Who asks, as the end user reads it on the consent and guided pages: a token's `tenant_name`, a guided
 * session's `companyName`. Whoever chose the name, it must show as what it is.
 */

/** The longest display name kept, in characters (code points, as the OpenAPI document counts them). */
export const DISPLAY_NAME_MAX_LENGTH = 200;

/**
 * Control characters (Unicode Cc, which is these 65 code points for good: the category is closed), and
 * the invisible marks that reorder the text around them (the Cf bidirectional controls): with them "Acme"
 * could show as a name it is not, or the text after it be turned around. Written as ranges rather than
 * `\p{Cc}`: a property escape has the regular expression parser consult Unicode tables at every cold start.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const INVISIBLE = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/**
 * The name without control characters or bidirectional controls (a lone surrogate becomes U+FFFD), trimmed,
 * and cut to at most `max` characters between two that a reader sees as separate. Empty when nothing
 * visible is left.
 */
export function displayName(name: string, max = DISPLAY_NAME_MAX_LENGTH): string {
  return cut(name.toWellFormed().replace(INVISIBLE, '').trim(), max).trimEnd();
}

let graphemes: Intl.Segmenter | undefined;

/**
 * At most `max` code points, never half a surrogate pair, and where possible whole graphemes: a flag, an
 * emoji with its skin tone or a letter with its accents stays whole or goes.
 */
function cut(text: string, max: number): string {
  // A string of at most `max` UTF-16 units has at most `max` code points: the usual name stops here.
  if (text.length <= max) return text;
  const points = Array.from(text);
  if (points.length <= max) return text;
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let kept = '';
  let length = 0;
  for (const { segment } of graphemes.segment(text)) {
    const size = Array.from(segment).length;
    if (length + size > max) break;
    kept += segment;
    length += size;
  }
  // Only a first grapheme longer than the whole limit (a letter under hundreds of marks) leaves nothing: cut it.
  return kept || points.slice(0, max).join('');
}
