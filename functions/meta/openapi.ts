import { buildDocsApp } from '../../lib/app/app.ts';
import { OPENAPI_ROUTE } from '../../lib/app/routes/meta.ts';
import { http } from '../../lib/http/handler.ts';
// Written from the route table by `npm run openapi` (a test fails when it is out of date): served as it
// is, so this function carries neither the schemas nor the generator.
import { OPENAPI_DOCUMENT } from '../../lib/http/openapi-document.ts';

const { stack } = buildDocsApp();

/** GET /v1/openapi.json: public, no token. */
export const handler = http(OPENAPI_ROUTE, stack, async () => ({
  status: 200,
  body: OPENAPI_DOCUMENT,
  headers: { 'Cache-Control': 'public, max-age=300' },
}));
