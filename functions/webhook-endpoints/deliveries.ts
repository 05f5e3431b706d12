import { buildEndpointsApp } from '../../lib/app/app.ts';
import { WEBHOOK_ENDPOINT_ROUTES } from '../../lib/app/routes/webhook-endpoints.ts';
import { http } from '../../lib/http/handler.ts';
import { listPage, pathOf } from '../../lib/http/replies.ts';
import { pageSizeOf } from '../../lib/lifecycle/lifecycle.ts';

const { endpoints, stack } = buildEndpointsApp();
const route = WEBHOOK_ENDPOINT_ROUTES.deliveries;

/** GET /v1/webhook-endpoints/{id}/deliveries: the attempts, newest first, in pages. */
export const handler = http(route, stack, async ({ params, query, caller }) =>
  listPage(await endpoints.attempts(params.endpointId, caller, query), pathOf(route.http.path, params), query, pageSizeOf(query.pageSize)),
);
