import { listFunction } from '../../lib/app/kind-functions.ts';
import { COLLECTIVE_ONBOARDING_ROUTES } from '../../lib/app/routes/collective-onboarding.ts';
import { COLLECTIVE_ONBOARDING } from '../../lib/kinds/collective-onboarding.ts';

/** GET: the caller's tenant's requests, newest first, in pages. */
export const handler = listFunction(COLLECTIVE_ONBOARDING, COLLECTIVE_ONBOARDING_ROUTES.list);
