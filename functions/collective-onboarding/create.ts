import { createFunction } from '../../lib/app/kind-functions.ts';
import { COLLECTIVE_ONBOARDING_ROUTES } from '../../lib/app/routes/collective-onboarding.ts';
import { COLLECTIVE_ONBOARDING } from '../../lib/kinds/collective-onboarding.ts';

/** POST: a new request, 201 with Location; an Idempotency-Key replays the first answer. */
export const handler = createFunction(COLLECTIVE_ONBOARDING, COLLECTIVE_ONBOARDING_ROUTES.create);
