import { buildEndpointsApp } from '../../lib/app/app.ts';
import { WEBHOOK_ENDPOINT_ROUTES } from '../../lib/app/routes/webhook-endpoints.ts';
import { http } from '../../lib/http/handler.ts';
import { page } from '../../lib/http/replies.ts';
import { pageSizeOf } from '../../lib/lifecycle/lifecycle.ts';

/** Exported for tools that instrument its clients (the fault tests, the benchmark). */
export const app = buildEndpointsApp();
const { endpoints, parts } = app;
const route = WEBHOOK_ENDPOINT_ROUTES.list;

/** GET /v1/webhook-endpoints: the caller's tenant's endpoints, newest first, in pages. */
export const handler = http(route, parts, async ({ query, caller }) =>
  page(await endpoints.list(caller, query), route.path, query, pageSizeOf(query.pageSize)));
