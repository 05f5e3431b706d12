import { getFunction } from '../../lib/app/kind-functions.ts';
import { COLLECTIVE_ONBOARDING_ROUTES } from '../../lib/app/routes/collective-onboarding.ts';
import { COLLECTIVE_ONBOARDING } from '../../lib/kinds/collective-onboarding.ts';

/** GET one request: another tenant's, or another kind's, is a 404. */
export const handler = getFunction(COLLECTIVE_ONBOARDING, COLLECTIVE_ONBOARDING_ROUTES.get);
