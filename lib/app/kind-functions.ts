import { http } from '../http/handler.ts';
import { created, listPage, ok, pathOf, resource } from '../http/replies.ts';
import type { Route } from '../http/route.ts';
import { optionalHeader } from '../http/validation.ts';
import type { Kind, ListFilters, RequestView } from '../lifecycle/kind.ts';
import { pageSizeOf } from '../lifecycle/lifecycle.ts';
import { idempotencyKey } from '../lifecycle/schemas.ts';
import { buildKindApp, buildTrailApp } from './app.ts';

/**
 * The five functions every kind of request has, the same for every kind: each builds its kind's app at
 * cold start (./app.ts), then parses, makes one call and replies. A kind's handler files under functions/
 * are one line each: the function for their kind and route.
 */

/** POST: 201 with Location and ETag; an Idempotency-Key replays the first answer. */
export function createFunction<I, Q extends ListFilters, V extends RequestView>(kind: Kind<I, Q, V>, route: Route) {
  const { requests, stack } = buildKindApp(kind);
  return http(route, stack, async ({ body, caller, correlationId, headers }) => {
    const key = optionalHeader(headers, 'Idempotency-Key', idempotencyKey);
    const { request, replayed } = await requests.create(body as I, caller, { correlationId, idempotencyKey: key });
    return created(request, route.http.path, replayed);
  });
}

/** GET the list: the caller's tenant's requests, newest first, in pages; in proxy mode the open ones asked about on the platform. */
export function listFunction<I, Q extends ListFilters, V extends RequestView>(kind: Kind<I, Q, V>, route: Route) {
  const { requests, stack } = buildKindApp(kind);
  return http(route, stack, async ({ query, caller, correlationId, context }) => {
    const filters = query as Q;
    const result = await requests.list(caller, filters, { correlationId, remainingMs: () => context.getRemainingTimeInMillis() });
    return listPage(result, route.http.path, filters as unknown as Record<string, string | undefined>, pageSizeOf(filters.pageSize));
  });
}

/** GET one: another tenant's request, or one of another kind, is a 404. */
export function getFunction<I, Q extends ListFilters, V extends RequestView>(kind: Kind<I, Q, V>, route: Route) {
  const { requests, stack } = buildKindApp(kind);
  return http(route, stack, async ({ params, caller, correlationId }) => resource(await requests.get(idOf(kind, params), caller, { correlationId })));
}

/** PATCH …/cancel: safe to retry; a finished request is a 409. */
export function cancelFunction<I, Q extends ListFilters, V extends RequestView>(kind: Kind<I, Q, V>, route: Route) {
  const { requests, stack } = buildKindApp(kind);
  return http(route, stack, async ({ params, caller, correlationId }) => resource(await requests.cancel(idOf(kind, params), caller, { correlationId })));
}

/** GET …/transitions: the audit trail, oldest first; always from our own table, in either mode. */
export function transitionsFunction<I, Q extends ListFilters, V extends RequestView>(kind: Kind<I, Q, V>, route: Route) {
  const { history, stack } = buildTrailApp(kind);
  return http(route, stack, async ({ params, query, caller }) => {
    const paging = query as { pageSize?: string; continuationToken?: string };
    const result = await history(idOf(kind, params), caller, paging);
    return listPage(result, pathOf(route.http.path, params as Record<string, string>), paging, pageSizeOf(paging.pageSize));
  });
}

/** GET …/evidence: the request, its whole trail, its receipts and checkpoints and the keys, to verify offline; in either mode. */
export function evidenceFunction<I, Q extends ListFilters, V extends RequestView>(kind: Kind<I, Q, V>, route: Route) {
  const { evidence, stack } = buildTrailApp(kind);
  return http(route, stack, async ({ params, caller }) => ok(await evidence(idOf(kind, params), caller)));
}

/** GET …/consent-receipt: the end user's latest decision, signed; a 404 until there is one. */
export function consentReceiptFunction<I, Q extends ListFilters, V extends RequestView>(kind: Kind<I, Q, V>, route: Route) {
  const { receipt, stack } = buildTrailApp(kind);
  return http(route, stack, async ({ params, caller }) => ({
    status: 200,
    body: await receipt(idOf(kind, params), caller),
    headers: { 'Content-Type': 'application/jose' },
  }));
}

const idOf = (kind: Pick<Kind, 'idParameter'>, params: unknown) => (params as Record<string, string>)[kind.idParameter]!;
