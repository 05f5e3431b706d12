import * as v from 'valibot';
import { integer, lowerCaseId, type Output, once, oneOf, optional, pagingFields, returnUrlText, strictObject, text } from '../lifecycle/schemas.ts';
import { ENTITY_TYPES } from '../lifecycle/types.ts';

/** A guided onboarding session, created by the integrator for one end user. */
export const createGuidedSessionBody = once(() =>
  strictObject({
    companyName: text(200),
    manufacturer: text(100),
    entityType: optional(oneOf(ENTITY_TYPES)),
    returnUrl: optional(returnUrlText()),
    expiresInMinutes: v.optional(integer(5, 10_080)),
  }),
);
export type CreateGuidedSessionInput = Output<ReturnType<typeof createGuidedSessionBody>>;

export const sessionIdParams = once(() => strictObject({ onboardingSessionId: lowerCaseId() }));

export const listSessionsQuery = once(() => strictObject({ ...pagingFields(), expired: v.optional(oneOf(['true', 'false'])) }));
