import * as z from 'zod/mini';
import { once, text } from '../lifecycle/schemas.ts';
import { DECISIONS } from './consent.ts';

/** The end user's links in a path: 48 URL-safe characters (./links.ts); anything else is a 404. */
export const linkParams = once(() => z.strictObject({ token: z.string().check(z.regex(/^[A-Za-z0-9_-]{48}$/)) }));

const antiForgery = () => z.string().check(z.minLength(1), z.maxLength(64));

/** The consent page's form: the decision and the value only the page had. Nothing else is taken. */
export const consentForm = once(() => z.strictObject({ decision: z.enum(DECISIONS), csrf: antiForgery() }));

/** The guided session's form; which identifier fits is checked against the device's type. */
export const guidedForm = once(() =>
  z.strictObject({
    entityType: z.optional(text(40)),
    model: text(100),
    identifier: text(64),
    consent: z.literal('yes'),
    csrf: antiForgery(),
  }),
);
