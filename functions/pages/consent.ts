import { buildConsentPagesApp } from '../../lib/app/app.ts';
import { PAGE_ROUTES } from '../../lib/app/routes/pages.ts';
import { htmlPage } from '../../lib/http/html-page.ts';

const { consent, stack } = buildConsentPagesApp();

/** GET /consent/{token}: who asks, what is connected, Approve and Decline. */
export const show = htmlPage(PAGE_ROUTES.consent, stack, async ({ params, language }) => consent.show(params.token, language));

/** POST /consent/{token}: the decision, then 303 to the request's return address. */
export const decide = htmlPage(PAGE_ROUTES.consentDecision, stack, async ({ params, form, correlationId, client, language, languageQuery }) =>
  consent.decide(params.token, form, correlationId, client, language, languageQuery),
);

/** GET /consent/{token}/receipt: the end user's signed receipt of their decision. */
export const receipt = htmlPage(PAGE_ROUTES.consentReceipt, stack, async ({ params }) => consent.receipt(params.token));
