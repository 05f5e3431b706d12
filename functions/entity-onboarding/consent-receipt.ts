import { consentReceiptFunction } from '../../lib/app/kind-functions.ts';
import { ENTITY_ONBOARDING_ROUTES } from '../../lib/app/routes/entity-onboarding.ts';
import { ENTITY_ONBOARDING } from '../../lib/kinds/entity-onboarding.ts';

/** GET …/consent-receipt: the end user's latest decision, signed (compact JWS). */
export const handler = consentReceiptFunction(ENTITY_ONBOARDING, ENTITY_ONBOARDING_ROUTES.consentReceipt!);
