import { buildPagesApp } from '../../lib/app/app.ts';
import { PAGE_ROUTES } from '../../lib/app/routes/pages.ts';
import { page } from '../../lib/http/page.ts';

/** Exported for tools that instrument its clients (the fault tests, the benchmark). */
export const app = buildPagesApp();
const { guided, parts } = app;

/** GET /guided/{token}: the device's details and the consent (contract §10). */
export const show = page(PAGE_ROUTES.guided, parts, async ({ params }) => guided.show(params.token));

/** POST /guided/{token}: the session's one request, moved to Processing; then 303 to the return address. */
export const submit = page(PAGE_ROUTES.guidedSubmit, parts, async ({ params, form, correlationId }) => guided.submit(params.token, form, correlationId));
