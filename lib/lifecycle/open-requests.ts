import { OPEN_STATUSES } from './status-machine.ts';
import type { OpenRequestRef, RequestStore } from './store.ts';
import type { Status } from './types.ts';

export interface OpenRequestWalk {
  items: AsyncIterable<OpenRequestRef>;
  /** True when `stop` ended the walk before every page was read. */
  readonly stopped: boolean;
}

/**
 * The open requests that entered their status before `cutoffs[status]`, through the sparse open-request
 * index: shard by shard, page by page, oldest first within a shard. `stop` is asked before every page and
 * every item, so a job with a time budget ends between two requests, never in the middle of one.
 * Shared by the cleanup and the proxy-mode reconciliation.
 */
export function walkOpenRequests(
  store: Pick<RequestStore, 'listStale' | 'openShards'>,
  cutoffs: Partial<Record<Status, string>>,
  options: { pageSize: number; stop: () => boolean },
): OpenRequestWalk {
  let stopped = false;
  async function* items(): AsyncGenerator<OpenRequestRef> {
    for (const status of OPEN_STATUSES) {
      const before = cutoffs[status];
      if (before === undefined) continue;
      for (let shard = 0; shard < store.openShards; shard++) {
        let after: Record<string, unknown> | undefined;
        do {
          if (options.stop()) {
            stopped = true;
            return;
          }
          const page = await store.listStale({ status, before, shard, limit: options.pageSize, after });
          for (const open of page.items) {
            if (options.stop()) {
              stopped = true;
              return;
            }
            yield open;
          }
          after = page.cursor;
        } while (after);
      }
    }
  }
  return {
    items: items(),
    get stopped() {
      return stopped;
    },
  };
}
