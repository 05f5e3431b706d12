import { getFunction } from '../../lib/app/kind-functions.ts';
import { ENTITY_ONBOARDING_ROUTES } from '../../lib/app/routes/entity-onboarding.ts';
import { ENTITY_ONBOARDING } from '../../lib/kinds/entity-onboarding.ts';

/** GET one request: another tenant's, or another kind's, is a 404. */
export const handler = getFunction(ENTITY_ONBOARDING, ENTITY_ONBOARDING_ROUTES.get);
