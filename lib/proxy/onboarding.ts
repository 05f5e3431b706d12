import type { ListQuery } from '../lifecycle/schemas.ts';
import type { CreateInput, Created, OnboardingApi, OnboardingRequestView, OnboardingService } from '../lifecycle/onboarding.ts';
import { isTerminal } from '../lifecycle/status-machine.ts';
import type { Caller, RequestType } from '../lifecycle/types.ts';
import { isRefusal, isUnavailable, keeps, mirrorer, type PlatformMirror } from './mirror.ts';

/** How many of a list page's open requests are asked about on the platform at once. */
const LIST_REFRESH_CONCURRENCY = 8;
/** A list stops asking the platform when less than this is left of the invocation, to answer in time. */
const LIST_ANSWER_RESERVE_MS = 1_500;

/** Runs `work` over `items`, at most `limit` at a time, keeping the order; the first failure fails all. */
async function mapBounded<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * The onboarding API in proxy mode (./mirror.ts says what every kind shares): create and cancel go to the
 * platform first; a get or a list asks the platform about what is open and records what it says, so both
 * are as current as the platform; the trail is ours.
 */
export function createProxyOnboarding(local: OnboardingService, mirror: PlatformMirror): OnboardingApi {
  /** Asks the platform about one of our requests and returns it as it is now. */
  async function refresh(requestType: RequestType, mirrored: OnboardingRequestView, correlationId: string) {
    const observed = await mirror.observeOnPlatform(requestType, mirrored.id, correlationId);
    // Viewed again only when the platform's answer changed something.
    return observed.outcome === 'applied' || observed.outcome === 'refreshed' ? local.view(observed.request) : mirrored;
  }

  return {
    history: local.history,

    async create(requestType: RequestType, input: CreateInput, caller: Caller, correlationId: string, idempotencyKey?: string): Promise<Created> {
      const draft = local.prepareCreate(requestType, input, caller, correlationId, idempotencyKey);
      // A replay must not create a second request on the platform.
      const replay = await local.findReplay(draft);
      if (replay) return replay;
      return mirror.createThroughPlatform(
        requestType, draft, { ...input, tenantId: caller.tenantId },
        (prepared, answer) => local.commitCreate(prepared, { id: answer.id.toLowerCase(), details: mirrorer(answer) }),
        (id) => keeps(() => local.get(requestType, id, caller)),
        local.view,
      );
    },

    async get(requestType: RequestType, id: string, caller: Caller, correlationId = `get:${id}`) {
      return refresh(requestType, await local.get(requestType, id, caller), correlationId);
    },

    /**
     * A page from our copy (tenant isolation and page tokens are ours), its open requests asked about on
     * the platform, so a list is as current as a get. A request that left the `status` asked for is dropped
     * from the page. One request the platform cannot answer for (refused, failed, or out of time) keeps our
     * copy; only when the platform is unavailable for every one of them is the list a 502/503/504, like a get.
     */
    async list(requestType: RequestType, caller: Caller, query: ListQuery, correlationId = 'list', timeLeftMs = () => Number.POSITIVE_INFINITY) {
      const page = await local.list(requestType, caller, query);
      const open = page.items.filter((item) => !isTerminal(item.status));
      const unavailable: unknown[] = [];
      let timer: ReturnType<typeof setTimeout> | undefined;
      const budgetMs = timeLeftMs() - LIST_ANSWER_RESERVE_MS;
      // Once out of time, nothing more is sent; what is under way keeps our copy on this page.
      let expired = budgetMs <= 0;
      const outOfTime = Number.isFinite(budgetMs) && !expired
        ? new Promise<'out-of-time'>((resolve) => {
            timer = setTimeout(() => {
              expired = true;
              resolve('out-of-time');
            }, budgetMs);
          })
        : new Promise<never>(() => {});
      try {
        const refreshed = await mapBounded(open, LIST_REFRESH_CONCURRENCY, async (item) => {
          if (expired) return item;
          const answer = await Promise.race([
            refresh(requestType, item, correlationId).catch((error: unknown) => {
              if (!isUnavailable(error) && !isRefusal(error)) throw error;
              if (isUnavailable(error)) unavailable.push(error);
              return item;
            }),
            outOfTime,
          ]);
          return answer === 'out-of-time' ? item : answer;
        });
        if (open.length > 0 && unavailable.length === open.length) throw unavailable[0];
        const byId = new Map(refreshed.map((item) => [item.id, item]));
        const items = page.items.map((item) => byId.get(item.id) ?? item);
        return { ...page, items: query.status ? items.filter((item) => item.status === query.status) : items };
      } finally {
        clearTimeout(timer);
      }
    },

    async cancel(requestType: RequestType, id: string, caller: Caller, correlationId: string) {
      const current = await local.get(requestType, id, caller);
      const canceled = await mirror.cancelThroughPlatform(
        requestType, current, correlationId, (seen) => local.cancel(requestType, id, caller, correlationId, mirrorer(seen)),
      );
      return canceled ?? current;
    },
  };
}
