import type { OnboardingRequestView } from '../onboarding/service.ts';
import { collectionOf, type Page, type RequestType } from '../onboarding/types.ts';
import type { Reply } from './handler.ts';

export const collectionPath = (requestType: RequestType) =>
  `/v1/onboarding/${collectionOf(requestType)}`;

const etag = (request: OnboardingRequestView) => `"${request.version}"`;

/** `Idempotent-Replayed: true` tells a retrying client that this is the stored first answer (as Stripe does). */
export const created = (request: OnboardingRequestView, replayed = false): Reply => ({
  status: 201,
  body: request,
  headers: {
    Location: `${collectionPath(request.requestType)}/${request.id}`,
    ETag: etag(request),
    ...(replayed ? { 'Idempotent-Replayed': 'true' } : {}),
  },
});

export const resource = (request: OnboardingRequestView): Reply => ({
  status: 200,
  body: request,
  headers: { ETag: etag(request) },
});

/** The page envelope of contract §4; `links.next` repeats the query with the new token. */
export function page<T>(result: Page<T>, path: string, query: Record<string, string | undefined>, pageSize: number): Reply {
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
