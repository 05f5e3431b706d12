import { http } from '../../lib/http/handler.ts';
import { buildOpenApiDocument } from '../../lib/http/openapi.ts';

/** Built once per cold start: the schemas do not change while the function lives. */
const document = buildOpenApiDocument();

/** GET /v1/openapi.json: public, no token. */
export const handler = http(async () => ({ status: 200, body: document, headers: { 'Cache-Control': 'public, max-age=300' } }), {
  auth: null,
});
