import { expect } from 'vitest';
import * as cancel from '../../functions/onboarding/cancel.ts';
import * as create from '../../functions/onboarding/create.ts';
import * as get from '../../functions/onboarding/get.ts';
import * as list from '../../functions/onboarding/list.ts';
import * as transitions from '../../functions/onboarding/transitions.ts';
import { apiEvent, type EventOptions, invoke, type Response } from './http.ts';

export type CollectionPath = 'collectives' | 'entities';

/** Extra parts of the event for one call; headers are merged over the client's Authorization. */
export type Extra = Omit<EventOptions, 'method' | 'path' | 'pathParameters'>;

/**
 * The API of one request type, called through the wrapped handlers (the full middleware stack) as
 * API Gateway would. `authorization` is the raw header value; undefined sends none.
 */
export function onboardingApi(path: CollectionPath, authorization?: string) {
  const base = `/v1/onboarding/${path}`;
  const headersWith = (extra: Extra) => ({
    ...(authorization === undefined ? {} : { authorization }),
    ...extra.headers,
  });
  const byId = (id: string) => ({ onboardingRequestId: id });

  return {
    create: (body: unknown, extra: Extra = {}) =>
      invoke(create[path], apiEvent({ ...extra, method: 'POST', path: base, headers: headersWith(extra), ...(body === undefined ? {} : { body }) })),
    get: (id: string, extra: Extra = {}) =>
      invoke(get[path], apiEvent({ ...extra, path: `${base}/${id}`, headers: headersWith(extra), pathParameters: byId(id) })),
    list: (query?: Record<string, string>, extra: Extra = {}) =>
      invoke(list[path], apiEvent({ ...extra, path: base, headers: headersWith(extra), ...(query ? { query } : {}) })),
    cancel: (id: string, extra: Extra = {}) =>
      invoke(cancel[path], apiEvent({ ...extra, method: 'PATCH', path: `${base}/${id}/cancel`, headers: headersWith(extra), pathParameters: byId(id) })),
    history: (id: string, query?: Record<string, string>, extra: Extra = {}) =>
      invoke(transitions[path], apiEvent({
        ...extra, path: `${base}/${id}/transitions`, headers: headersWith(extra), pathParameters: byId(id), ...(query ? { query } : {}),
      })),
  };
}

export type OnboardingApi = ReturnType<typeof onboardingApi>;

/** The query a `links.next` URL asks for, so a test follows the link the way a client would. */
export function queryOf(next: string): Record<string, string> {
  return Object.fromEntries(new URL(next, 'http://localhost').searchParams);
}

/** Every page of a list, following `links.next` from the first page until it is null. */
export async function allPages(
  fetchPage: (query: Record<string, string>) => Promise<Response>, firstQuery: Record<string, string> = {}, maxPages = 50,
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
