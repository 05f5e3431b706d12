import * as z from 'zod/mini';
import { lowerCaseId, once, optional, pagingFields, text } from '../lifecycle/schemas.ts';
import { ENTITY_TYPES } from '../lifecycle/types.ts';

/** A guided onboarding session, created by the integrator for one end user. */
export const createGuidedSessionBody = once(() =>
  z.strictObject({
    companyName: text(200),
    manufacturer: text(100),
    entityType: optional(z.enum(ENTITY_TYPES)),
    returnUrl: optional(text(2048)),
    expiresInMinutes: z.optional(z.int().check(z.minimum(5), z.maximum(10_080))),
  }),
);
export type CreateGuidedSessionInput = z.infer<ReturnType<typeof createGuidedSessionBody>>;

export const sessionIdParams = once(() => z.strictObject({ onboardingSessionId: lowerCaseId() }));

export const listSessionsQuery = once(() => z.strictObject({ ...pagingFields(), expired: z.optional(z.enum(['true', 'false'])) }));
