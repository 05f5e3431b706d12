import { transitionsFunction } from '../../lib/app/kind-functions.ts';
import { ENTITY_OFFBOARDING_ROUTES } from '../../lib/app/routes/entity-offboarding.ts';
import { ENTITY_OFFBOARDING } from '../../lib/kinds/entity-offboarding.ts';

/** GET …/transitions: the audit trail, oldest first. */
export const handler = transitionsFunction(ENTITY_OFFBOARDING, ENTITY_OFFBOARDING_ROUTES.transitions);
