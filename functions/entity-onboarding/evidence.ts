import { evidenceFunction } from '../../lib/app/kind-functions.ts';
import { ENTITY_ONBOARDING_ROUTES } from '../../lib/app/routes/entity-onboarding.ts';
import { ENTITY_ONBOARDING } from '../../lib/kinds/entity-onboarding.ts';

/** GET …/evidence: everything needed to verify the request's trail offline. */
export const handler = evidenceFunction(ENTITY_ONBOARDING, ENTITY_ONBOARDING_ROUTES.evidence);
