import * as v from 'valibot';
import { once, oneOf, strictObject, text } from '../lifecycle/schemas.ts';
import { DECISIONS } from './consent.ts';

/** The end user's links in a path: 48 URL-safe characters (./links.ts); anything else is a 404. */
export const linkParams = once(() => strictObject({ token: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{48}$/)) }));

const antiForgery = () => v.pipe(v.string(), v.minLength(1), v.maxLength(64));

/** The consent page's form: the decision and the value only the page had. Nothing else is taken. */
export const consentForm = once(() => strictObject({ decision: oneOf(DECISIONS), csrf: antiForgery() }));

/**
 * The guided session's form. Its fields are bounded here and checked by the page (lib/pages/guided.ts),
 * so that a person's mistake is shown at its field, in their language, rather than as an error page.
 */
// Empty is the page's to name at its field; control characters, which no form sends, are refused here.
const field = (max: number) => v.optional(v.union([v.literal(''), text(max)]));
export const guidedForm = once(() =>
  strictObject({
    entityType: field(40),
    model: field(200),
    identifier: field(200),
    consent: field(10),
    csrf: antiForgery(),
  }),
);
