import { buildKeysApp } from '../../lib/app/app.ts';
import { SIGNING_KEYS_ROUTE } from '../../lib/app/routes/meta.ts';
import { http } from '../../lib/http/handler.ts';

const { jwks, stack } = buildKeysApp();

/** GET /.well-known/jwks.json: public, no token; verifiers may keep it a few minutes. */
export const handler = http(SIGNING_KEYS_ROUTE, stack, async () => ({
  status: 200,
  body: await jwks(),
  headers: { 'Cache-Control': 'public, max-age=300' },
}));
