import pMap from 'p-map';
import type { ListFilters, RequestView } from '../lifecycle/kind.ts';
import type { Created, LocalRequests, RequestsApi } from '../lifecycle/requests.ts';
import { isTerminal } from '../lifecycle/status-machine.ts';
import type { Caller } from '../lifecycle/types.ts';
import { isRefusal, isUnavailable, keeps, mirrorer, type PlatformMirror } from './mirror.ts';

/** How many of a list page's open requests are asked about on the platform at once. */
const LIST_REFRESH_CONCURRENCY = 8;
/** A list stops asking the platform when less than this is left of the invocation, to answer in time. */
const LIST_ANSWER_RESERVE_MS = 1_500;

/**
 * A kind's requests in proxy mode, the same for every kind: create and cancel go to the platform first,
 * after our own checks, and what it answers is recorded here; the trail is ours. Where the platform has a
 * GET for the kind (`platformReads`), a get or a list also asks it about what is open and records what it
 * says, so both are as current as the platform; otherwise reads are ours and the reconciliation asks.
 */
export function mirroredRequests<Input, Query extends ListFilters, View extends RequestView>(
  local: LocalRequests<Input, Query, View>,
  mirror: PlatformMirror,
): RequestsApi<Input, Query, View> {
  const { kind } = local;

  /** Asks the platform about one of our requests and returns it as it is now. */
  async function refresh(shown: View, correlationId: string): Promise<View> {
    const observed = await mirror.observeOnPlatform(kind, shown.id, correlationId);
    // Viewed again only when the platform's answer changed something.
    return observed.outcome === 'applied' || observed.outcome === 'refreshed' ? local.view(observed.request) : shown;
  }

  /**
   * A page from our copy (tenant isolation and page tokens are ours), its open requests asked about on the
   * platform. A request that left the `status` asked for is dropped from the page. One the platform cannot
   * answer for (refused, failed, or out of time) keeps our copy; only when the platform is unavailable for
   * every one of them is the list a 502/503/504, like a get.
   */
  async function listRefreshed(caller: Caller, query: Query, correlationId: string, timeLeftMs: () => number) {
    const page = await local.list(caller, query, { correlationId });
    const open = page.items.filter((item) => !isTerminal(item.status));
    const unavailable: unknown[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const budgetMs = timeLeftMs() - LIST_ANSWER_RESERVE_MS;
    // Once out of time, nothing more is sent; what is under way keeps our copy on this page.
    let expired = budgetMs <= 0;
    const outOfTime =
      Number.isFinite(budgetMs) && !expired
        ? new Promise<'out-of-time'>((resolve) => {
            timer = setTimeout(() => {
              expired = true;
              resolve('out-of-time');
            }, budgetMs);
          })
        : new Promise<never>(() => {});
    try {
      const refreshed = await pMap(
        open,
        async (item) => {
          if (expired) return item;
          const answer = await Promise.race([
            refresh(item, correlationId).catch((error: unknown) => {
              if (!isUnavailable(error) && !isRefusal(error)) throw error;
              if (isUnavailable(error)) unavailable.push(error);
              return item;
            }),
            outOfTime,
          ]);
          return answer === 'out-of-time' ? item : answer;
        },
        { concurrency: LIST_REFRESH_CONCURRENCY },
      );
      if (open.length > 0 && unavailable.length === open.length) throw unavailable[0];
      const byId = new Map(refreshed.map((item) => [item.id, item]));
      const items = page.items.map((item) => byId.get(item.id) ?? item);
      return { ...page, items: query.status ? items.filter((item) => item.status === query.status) : items };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    history: local.history,

    async create(input, caller, call) {
      const prepared = await local.prepare(input, caller, call);
      if ('replay' in prepared) return prepared.replay;
      // A replay must not create a second request on the platform.
      const replay = await local.findReplay(prepared);
      if (replay) return replay;
      const seen = await mirror.createOnPlatform(kind, prepared.draft.platformBody);
      const id = seen.id.toLowerCase();
      let created: Created<View>;
      try {
        created = await local.commit(prepared, { id, details: mirrorer(seen) });
      } catch (error) {
        // Withdrawn only when we know we do not have it: a write that timed out may still have committed.
        const ours = await keeps(() => local.get(id, caller, call));
        if (ours === 'no') await mirror.withdraw(kind, seen.id, call.correlationId);
        if (ours === 'unknown') mirror.untracked(kind, seen.id, call.correlationId, 'our write failed and whether it committed could not be read');
        throw error;
      }
      // Another create with the same Idempotency-Key won the race: ours on the platform is a duplicate.
      if (created.replayed) {
        await mirror.withdraw(kind, seen.id, call.correlationId);
        return created;
      }
      if (seen.status === 'Pending') return created;
      // The platform's answer is already past Pending: that is recorded too.
      const observed = await mirror.observe(created.request.id, seen, call.correlationId);
      return observed.outcome === 'applied' ? { request: local.view(observed.request), replayed: false } : created;
    },

    get: kind.platformReads ? async (id, caller, call) => refresh(await local.get(id, caller, call), call.correlationId) : local.get,

    list: kind.platformReads
      ? (caller, query, call) => listRefreshed(caller, query, call.correlationId, call.remainingMs ?? (() => Number.POSITIVE_INFINITY))
      : local.list,

    async cancel(id, caller, call) {
      const current = await local.get(id, caller, call);
      const canceled = await mirror.cancelOnPlatform(kind, current, call.correlationId);
      if (canceled.outcome === 'already-canceled') return current;
      return local.cancelWith(id, caller, call, mirrorer(canceled.seen));
    },
  };
}
