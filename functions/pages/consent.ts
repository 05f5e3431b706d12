import { buildPagesApp } from '../../lib/app/app.ts';
import { PAGE_ROUTES } from '../../lib/app/routes/pages.ts';
import { page } from '../../lib/http/page.ts';

/** Exported for tools that instrument its clients (the fault tests, the benchmark). */
export const app = buildPagesApp();
const { consent, parts } = app;

/** GET /consent/{token}: who asks, what is connected, Approve and Decline (contract §9). */
export const show = page(PAGE_ROUTES.consent, parts, async ({ params }) => consent.show(params.token));

/** POST /consent/{token}: the decision, then 303 to the request's return address. */
export const decide = page(PAGE_ROUTES.consentDecision, parts, async ({ params, form, correlationId }) => consent.decide(params.token, form, correlationId));
