import { transitionsFunction } from '../../lib/app/kind-functions.ts';
import { ENTITY_ONBOARDING_ROUTES } from '../../lib/app/routes/entity-onboarding.ts';
import { ENTITY_ONBOARDING } from '../../lib/kinds/entity-onboarding.ts';

/** GET …/transitions: the audit trail, oldest first. */
export const handler = transitionsFunction(ENTITY_ONBOARDING, ENTITY_ONBOARDING_ROUTES.transitions);
