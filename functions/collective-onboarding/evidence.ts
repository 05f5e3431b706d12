import { evidenceFunction } from '../../lib/app/kind-functions.ts';
import { COLLECTIVE_ONBOARDING_ROUTES } from '../../lib/app/routes/collective-onboarding.ts';
import { COLLECTIVE_ONBOARDING } from '../../lib/kinds/collective-onboarding.ts';

/** GET …/evidence: everything needed to verify the request's trail offline. */
export const handler = evidenceFunction(COLLECTIVE_ONBOARDING, COLLECTIVE_ONBOARDING_ROUTES.evidence);
