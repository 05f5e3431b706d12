import { listFunction } from '../../lib/app/kind-functions.ts';
import { ENTITY_OFFBOARDING_ROUTES } from '../../lib/app/routes/entity-offboarding.ts';
import { ENTITY_OFFBOARDING } from '../../lib/kinds/entity-offboarding.ts';

/** GET: the caller's tenant's requests, newest first, in pages. */
export const handler = listFunction(ENTITY_OFFBOARDING, ENTITY_OFFBOARDING_ROUTES.list);
