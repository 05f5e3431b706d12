import * as v from 'valibot';
import { once, oneOf, strictObject, text } from '../lifecycle/schemas.ts';
import { DECISIONS } from './consent.ts';

/** The end user's links in a path: 48 URL-safe characters (./links.ts); anything else is a 404. */
export const linkParams = once(() => strictObject({ token: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{48}$/)) }));

const antiForgery = () => v.pipe(v.string(), v.minLength(1), v.maxLength(64));

/** The consent page's form: the decision and the value only the page had. Nothing else is taken. */
export const consentForm = once(() => strictObject({ decision: oneOf(DECISIONS), csrf: antiForgery() }));

/** The guided session's form; which identifier fits is checked against the device's type. */
export const guidedForm = once(() =>
  strictObject({
    entityType: v.optional(text(40)),
    model: text(100),
    identifier: text(64),
    consent: oneOf(['yes']),
    csrf: antiForgery(),
  }),
);
