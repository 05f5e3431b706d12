import { createFunction } from '../../lib/app/kind-functions.ts';
import { ENTITY_ONBOARDING_ROUTES } from '../../lib/app/routes/entity-onboarding.ts';
import { ENTITY_ONBOARDING } from '../../lib/kinds/entity-onboarding.ts';

/** POST: a new request, 201 with Location; an Idempotency-Key replays the first answer. */
export const handler = createFunction(ENTITY_ONBOARDING, ENTITY_ONBOARDING_ROUTES.create);
