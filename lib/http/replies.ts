import type { Page } from '../lifecycle/types.ts';
import type { Reply } from './handler.ts';

/** A route's path with its `{name}` parameters filled in. */
export function pathOf(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
}

/** A request as the API shows it, of any kind: what the replies need of it. */
interface Shown {
  id: string;
  version: number;
}

const etag = (request: Shown) => `"${request.version}"`;

/**
 * 201 with `Location` under the collection the request was created in. `Idempotent-Replayed: true` tells
 * a retrying client that this is the stored first answer (as Stripe does).
 */
export const created = (request: Shown, collectionPath: string, replayed = false): Reply => ({
  status: 201,
  body: request,
  headers: {
    Location: `${collectionPath}/${request.id}`,
    ETag: etag(request),
    ...(replayed ? { 'Idempotent-Replayed': 'true' } : {}),
  },
});

/** 204: done, nothing to show (a delete). */
export const noContent = (): Reply => ({ status: 204, body: undefined });

/** 200 with a body that has no version to tag. */
export const ok = (body: unknown): Reply => ({ status: 200, body });

export const resource = (request: Shown): Reply => ({
  status: 200,
  body: request,
  headers: { ETag: etag(request) },
});

/** A page of a list (`{ data, links, meta }`); `links.next` repeats the query with the new token. */
export function listPage<T>(result: Page<T>, path: string, query: Record<string, string | undefined>, pageSize: number): Reply {
  let next: string | null = null;
  if (result.continuationToken) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && key !== 'continuationToken') params.set(key, value);
    }
    params.set('continuationToken', result.continuationToken);
    next = `${path}?${params}`;
  }
  return {
    status: 200,
    body: { data: result.items, links: { next }, meta: { continuationToken: result.continuationToken, pageSize } },
  };
}
