import { transitionsFunction } from '../../lib/app/kind-functions.ts';
import { COLLECTIVE_ONBOARDING_ROUTES } from '../../lib/app/routes/collective-onboarding.ts';
import { COLLECTIVE_ONBOARDING } from '../../lib/kinds/collective-onboarding.ts';

/** GET …/transitions: the audit trail, oldest first. */
export const handler = transitionsFunction(COLLECTIVE_ONBOARDING, COLLECTIVE_ONBOARDING_ROUTES.transitions);
