import { ValidationError } from './errors.ts';

/**
 * Where the end user goes after consenting: an absolute https URL (or plain http on localhost outside
 * production), normalised. Null when there is none.
 */
export function checkReturnUrl(returnUrl: string | null | undefined, allowLoopbackHttp: boolean): string | null {
  if (returnUrl == null) return null;
  let url: URL;
  try {
    url = new URL(returnUrl);
  } catch {
    throw new ValidationError('returnUrl is not a valid URL.', [{ path: '/returnUrl', message: 'must be an absolute URL' }]);
  }
  const loopback = url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(loopback && allowLoopbackHttp)) {
    const allowed = allowLoopbackHttp ? 'https (or http on localhost)' : 'https';
    throw new ValidationError(`returnUrl must use ${allowed}.`, [{ path: '/returnUrl', message: `must use ${allowed}` }]);
  }
  return url.href;
}
