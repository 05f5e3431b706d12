import { buildEndpointsApp } from '../../lib/app/app.ts';
import { WEBHOOK_ENDPOINT_ROUTES } from '../../lib/app/routes/webhook-endpoints.ts';
import { http } from '../../lib/http/handler.ts';
import { listPage } from '../../lib/http/replies.ts';
import { pageSizeOf } from '../../lib/lifecycle/lifecycle.ts';

const { endpoints, stack } = buildEndpointsApp();
const route = WEBHOOK_ENDPOINT_ROUTES.list;

/** GET /v1/webhook-endpoints: the caller's tenant's endpoints, newest first, in pages. */
export const handler = http(route, stack, async ({ query, caller }) =>
  listPage(await endpoints.list(caller, query), route.http.path, query, pageSizeOf(query.pageSize)),
);
