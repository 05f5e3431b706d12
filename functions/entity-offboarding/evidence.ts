import { evidenceFunction } from '../../lib/app/kind-functions.ts';
import { ENTITY_OFFBOARDING_ROUTES } from '../../lib/app/routes/entity-offboarding.ts';
import { ENTITY_OFFBOARDING } from '../../lib/kinds/entity-offboarding.ts';

/** GET …/evidence: everything needed to verify the request's trail offline. */
export const handler = evidenceFunction(ENTITY_OFFBOARDING, ENTITY_OFFBOARDING_ROUTES.evidence);
