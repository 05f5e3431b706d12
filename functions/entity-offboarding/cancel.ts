import { cancelFunction } from '../../lib/app/kind-functions.ts';
import { ENTITY_OFFBOARDING_ROUTES } from '../../lib/app/routes/entity-offboarding.ts';
import { ENTITY_OFFBOARDING } from '../../lib/kinds/entity-offboarding.ts';

/** PATCH …/cancel: safe to retry; a finished request is a 409. */
export const handler = cancelFunction(ENTITY_OFFBOARDING, ENTITY_OFFBOARDING_ROUTES.cancel);
