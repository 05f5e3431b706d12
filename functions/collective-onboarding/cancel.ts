import { cancelFunction } from '../../lib/app/kind-functions.ts';
import { COLLECTIVE_ONBOARDING_ROUTES } from '../../lib/app/routes/collective-onboarding.ts';
import { COLLECTIVE_ONBOARDING } from '../../lib/kinds/collective-onboarding.ts';

/** PATCH …/cancel: safe to retry; a finished request is a 409. */
export const handler = cancelFunction(COLLECTIVE_ONBOARDING, COLLECTIVE_ONBOARDING_ROUTES.cancel);
