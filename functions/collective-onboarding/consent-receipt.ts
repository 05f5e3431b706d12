import { consentReceiptFunction } from '../../lib/app/kind-functions.ts';
import { COLLECTIVE_ONBOARDING_ROUTES } from '../../lib/app/routes/collective-onboarding.ts';
import { COLLECTIVE_ONBOARDING } from '../../lib/kinds/collective-onboarding.ts';

/** GET …/consent-receipt: the end user's latest decision, signed (compact JWS). */
export const handler = consentReceiptFunction(COLLECTIVE_ONBOARDING, COLLECTIVE_ONBOARDING_ROUTES.consentReceipt!);
