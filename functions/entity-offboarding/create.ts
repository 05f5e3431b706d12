import { createFunction } from '../../lib/app/kind-functions.ts';
import { ENTITY_OFFBOARDING_ROUTES } from '../../lib/app/routes/entity-offboarding.ts';
import { ENTITY_OFFBOARDING } from '../../lib/kinds/entity-offboarding.ts';

/** POST: a new request, 201 with Location; an Idempotency-Key replays the first answer. */
export const handler = createFunction(ENTITY_OFFBOARDING, ENTITY_OFFBOARDING_ROUTES.create);
