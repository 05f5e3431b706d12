import { ValidationError } from './errors.ts';

/**
 * The longest return address accepted, as sent and once normalised: well within what browsers and proxies
 * carry in a `Location` header, and the input schemas cap it at the same length (`returnUrlText`).
 */
export const RETURN_URL_MAX_LENGTH = 2_000;

const refused = (detail: string, message: string) => new ValidationError(detail, [{ path: '/returnUrl', message }]);
const tooLong = () => refused(`returnUrl may be at most ${RETURN_URL_MAX_LENGTH} characters.`, `must be at most ${RETURN_URL_MAX_LENGTH} characters`);

/**
 * Where the end user goes after consenting: an absolute https URL (or plain http on localhost outside
 * production), without credentials, at most `RETURN_URL_MAX_LENGTH` characters, normalised. Null when
 * there is none.
 */
export function checkReturnUrl(returnUrl: string | null | undefined, allowLoopbackHttp: boolean): string | null {
  if (returnUrl == null) return null;
  if (returnUrl.length > RETURN_URL_MAX_LENGTH) throw tooLong();
  let url: URL;
  try {
    url = new URL(returnUrl);
  } catch {
    throw refused('returnUrl is not a valid URL.', 'must be an absolute URL');
  }
  const loopback = url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(loopback && allowLoopbackHttp)) {
    const allowed = allowLoopbackHttp ? 'https (or http on localhost)' : 'https';
    throw refused(`returnUrl must use ${allowed}.`, `must use ${allowed}`);
  }
  // Credentials in the address would travel with every redirect, browser history and log it passes through,
  // and it is shown back in answers and events: they have no place in it.
  if (url.username || url.password) {
    throw refused('returnUrl may not contain a username or password.', 'must not contain a username or password');
  }
  // Normalising may lengthen it (percent-encoding, punycode): what is kept obeys the limit too.
  if (url.href.length > RETURN_URL_MAX_LENGTH) throw tooLong();
  return url.href;
}
