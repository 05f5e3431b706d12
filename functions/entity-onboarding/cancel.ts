import { cancelFunction } from '../../lib/app/kind-functions.ts';
import { ENTITY_ONBOARDING_ROUTES } from '../../lib/app/routes/entity-onboarding.ts';
import { ENTITY_ONBOARDING } from '../../lib/kinds/entity-onboarding.ts';

/** PATCH …/cancel: safe to retry; a finished request is a 409. */
export const handler = cancelFunction(ENTITY_ONBOARDING, ENTITY_ONBOARDING_ROUTES.cancel);
