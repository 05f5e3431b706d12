import { buildEndpointsApp } from '../../lib/app/app.ts';
import { WEBHOOK_ENDPOINT_ROUTES } from '../../lib/app/routes/webhook-endpoints.ts';
import { http } from '../../lib/http/handler.ts';
import { page, pathOf } from '../../lib/http/replies.ts';
import { pageSizeOf } from '../../lib/lifecycle/lifecycle.ts';

/** Exported for tools that instrument its clients (the fault tests, the benchmark). */
export const app = buildEndpointsApp();
const { endpoints, parts } = app;
const route = WEBHOOK_ENDPOINT_ROUTES.deliveries;

/** GET /v1/webhook-endpoints/{id}/deliveries: the attempts, newest first, in pages. */
export const handler = http(route, parts, async ({ params, query, caller }) =>
  page(await endpoints.attempts(params.endpointId, caller, query), pathOf(route.path, params), query, pageSizeOf(query.pageSize)));
