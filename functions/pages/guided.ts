import { buildGuidedPagesApp } from '../../lib/app/app.ts';
import { PAGE_ROUTES } from '../../lib/app/routes/pages.ts';
import { htmlPage } from '../../lib/http/html-page.ts';

const { guided, stack } = buildGuidedPagesApp();

/** GET /guided/{token}: the device's details and the consent. */
export const show = htmlPage(PAGE_ROUTES.guided, stack, async ({ params, language }) => guided.show(params.token, language));

/** POST /guided/{token}: the session's one request, moved to Processing; then 303 to the return address. */
export const submit = htmlPage(PAGE_ROUTES.guidedSubmit, stack, async ({ params, form, correlationId, client, language, languageQuery }) =>
  guided.submit(params.token, form, correlationId, client, language, languageQuery),
);

/** GET /guided/{token}/receipt: the end user's signed receipt of their consent. */
export const receipt = htmlPage(PAGE_ROUTES.guidedReceipt, stack, async ({ params }) => guided.receipt(params.token));
