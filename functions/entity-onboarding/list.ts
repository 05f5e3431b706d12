import { listFunction } from '../../lib/app/kind-functions.ts';
import { ENTITY_ONBOARDING_ROUTES } from '../../lib/app/routes/entity-onboarding.ts';
import { ENTITY_ONBOARDING } from '../../lib/kinds/entity-onboarding.ts';

/** GET: the caller's tenant's requests, newest first, in pages. */
export const handler = listFunction(ENTITY_ONBOARDING, ENTITY_ONBOARDING_ROUTES.list);
