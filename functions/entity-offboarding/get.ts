import { getFunction } from '../../lib/app/kind-functions.ts';
import { ENTITY_OFFBOARDING_ROUTES } from '../../lib/app/routes/entity-offboarding.ts';
import { ENTITY_OFFBOARDING } from '../../lib/kinds/entity-offboarding.ts';

/** GET one request: another tenant's, or another kind's, is a 404. */
export const handler = getFunction(ENTITY_OFFBOARDING, ENTITY_OFFBOARDING_ROUTES.get);
