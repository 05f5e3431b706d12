import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { expect } from 'vitest';
import { COLLECTIVE_ONBOARDING_ROUTES, ENTITY_OFFBOARDING_ROUTES, ENTITY_ONBOARDING_ROUTES, WEBHOOK_ENDPOINT_ROUTES } from '../../lib/app/function-table.ts';
import { pathOf } from '../../lib/http/replies.ts';
import type { Route } from '../../lib/http/route.ts';
import { apiEvent, type EventOptions, invoke, type Response } from './http.ts';

export type CollectionPath = 'collectives' | 'entities';

/** Extra parts of the event for one call; headers are merged over the client's Authorization. */
export type Extra = Omit<EventOptions, 'method' | 'path' | 'pathParameters'>;

type Handler = Parameters<typeof invoke>[0];

/** The handler that serves a route, found where the route table says it is (`<file>.<export>`). */
async function handlerOf(route: Route): Promise<Handler> {
  const file = route.handler.slice(0, route.handler.lastIndexOf('.'));
  const module = (await import(/* @vite-ignore */ new URL(`../../${file}.ts`, import.meta.url).href)) as Record<string, Handler>;
  const handler = module[route.handler.slice(route.handler.lastIndexOf('.') + 1)];
  if (!handler) throw new Error(`${route.handler} is not exported`);
  return handler;
}

/**
 * Calls a route of the route table through its wrapped handler (the full middleware stack) as API Gateway
 * would: method and path from the table, path parameters filled in. The answer is checked against the
 * OpenAPI document (./http.ts).
 */
export async function callRoute(route: Route, params: Record<string, string>, extra: Extra & { body?: unknown } = {}): Promise<Response> {
  const event: APIGatewayProxyEventV2 = apiEvent({
    ...extra,
    method: route.http.method,
    path: pathOf(route.http.path, params),
    ...(Object.keys(params).length ? { pathParameters: params } : {}),
  });
  return invoke(await handlerOf(route), event);
}

/**
 * The API of one request type, from the route table. `authorization` is the raw header value; undefined
 * sends none.
 */
export function onboardingApi(path: CollectionPath, authorization?: string) {
  const routes = path === 'collectives' ? COLLECTIVE_ONBOARDING_ROUTES : ENTITY_ONBOARDING_ROUTES;
  const withAuth = (extra: Extra) => ({
    ...extra,
    headers: { ...(authorization === undefined ? {} : { authorization }), ...extra.headers },
  });
  const byId = (id: string) => ({ onboardingRequestId: id });

  return {
    create: (body: unknown, extra: Extra = {}) => callRoute(routes.create, {}, { ...withAuth(extra), ...(body === undefined ? {} : { body }) }),
    get: (id: string, extra: Extra = {}) => callRoute(routes.get, byId(id), withAuth(extra)),
    list: (query?: Record<string, string>, extra: Extra = {}) => callRoute(routes.list, {}, { ...withAuth(extra), ...(query ? { query } : {}) }),
    cancel: (id: string, extra: Extra = {}) => callRoute(routes.cancel, byId(id), withAuth(extra)),
    history: (id: string, query?: Record<string, string>, extra: Extra = {}) =>
      callRoute(routes.transitions, byId(id), { ...withAuth(extra), ...(query ? { query } : {}) }),
  };
}

export type OnboardingApi = ReturnType<typeof onboardingApi>;

/** The query a `links.next` URL asks for, so a test follows the link the way a client would. */
export function queryOf(next: string): Record<string, string> {
  return Object.fromEntries(new URL(next, 'http://localhost').searchParams);
}

/** Every page of a list, following `links.next` from the first page until it is null. */
export async function allPages(
  fetchPage: (query: Record<string, string>) => Promise<Response>,
  firstQuery: Record<string, string> = {},
  maxPages = 50,
): Promise<Response[]> {
  const pages: Response[] = [];
  let query: Record<string, string> | undefined = firstQuery;
  while (query) {
    const page = await fetchPage(query);
    expect(page.status).toBe(200);
    pages.push(page);
    if (pages.length > maxPages) throw new Error(`still paging after ${maxPages} pages`);
    query = page.body.links.next === null ? undefined : queryOf(page.body.links.next);
  }
  return pages;
}

const LEAKS = [
  /DynamoDB/i,
  /Exception/,
  /\bat [\w$.<>]+ \(/, // a stack frame: "at fn (file:line:col)"
  /\.(?:ts|js|mjs):\d+/,
  /node_modules|node:internal/,
];

/** No stack trace, SDK error text or internal name anywhere in what the caller receives. */
export function expectNoLeak(response: Response) {
  const visible = JSON.stringify({ headers: response.headers, body: response.body });
  for (const leak of LEAKS) expect(visible, `response shows ${leak}`).not.toMatch(leak);
}

/** An RFC 9457 problem with the given status and stable code, and nothing internal in it. */
export function expectProblem(response: Response, status: number, code: string) {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json\b/);
  expect(response.body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
    code,
  });
  expectNoLeak(response);
}

export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The offboarding API, from the route table, as `onboardingApi` is for onboarding. */
export function offboardingApi(authorization?: string) {
  const routes = ENTITY_OFFBOARDING_ROUTES;
  const withAuth = (extra: Extra) => ({
    ...extra,
    headers: { ...(authorization === undefined ? {} : { authorization }), ...extra.headers },
  });
  const byId = (id: string) => ({ offboardingRequestId: id });
  return {
    create: (body: unknown, extra: Extra = {}) => callRoute(routes.create as Route, {}, { ...withAuth(extra), ...(body === undefined ? {} : { body }) }),
    get: (id: string, extra: Extra = {}) => callRoute(routes.get as Route, byId(id), withAuth(extra)),
    list: (query?: Record<string, string>, extra: Extra = {}) => callRoute(routes.list as Route, {}, { ...withAuth(extra), ...(query ? { query } : {}) }),
    cancel: (id: string, extra: Extra = {}) => callRoute(routes.cancel as Route, byId(id), withAuth(extra)),
    history: (id: string, query?: Record<string, string>, extra: Extra = {}) =>
      callRoute(routes.transitions as Route, byId(id), { ...withAuth(extra), ...(query ? { query } : {}) }),
  };
}

export type OffboardingApi = ReturnType<typeof offboardingApi>;

/** The webhook endpoints API, from the route table. */
export function endpointsApi(authorization?: string) {
  const routes = WEBHOOK_ENDPOINT_ROUTES;
  const withAuth = (extra: Extra) => ({
    ...extra,
    headers: { ...(authorization === undefined ? {} : { authorization }), ...extra.headers },
  });
  const byId = (id: string) => ({ endpointId: id });
  return {
    create: (body: unknown, extra: Extra = {}) => callRoute(routes.create as Route, {}, { ...withAuth(extra), ...(body === undefined ? {} : { body }) }),
    list: (query?: Record<string, string>, extra: Extra = {}) => callRoute(routes.list as Route, {}, { ...withAuth(extra), ...(query ? { query } : {}) }),
    get: (id: string, extra: Extra = {}) => callRoute(routes.get as Route, byId(id), withAuth(extra)),
    update: (id: string, body: unknown, extra: Extra = {}) => callRoute(routes.update as Route, byId(id), { ...withAuth(extra), body }),
    remove: (id: string, extra: Extra = {}) => callRoute(routes.remove as Route, byId(id), withAuth(extra)),
    rotateSecret: (id: string, extra: Extra = {}) => callRoute(routes.rotateSecret as Route, byId(id), withAuth(extra)),
    test: (id: string, extra: Extra = {}) => callRoute(routes.test as Route, byId(id), withAuth(extra)),
    deliveries: (id: string, query?: Record<string, string>, extra: Extra = {}) =>
      callRoute(routes.deliveries as Route, byId(id), { ...withAuth(extra), ...(query ? { query } : {}) }),
    retry: (id: string, eventId: string, extra: Extra = {}) => callRoute(routes.retry as Route, { endpointId: id, eventId }, withAuth(extra)),
  };
}

export type EndpointsApi = ReturnType<typeof endpointsApi>;
