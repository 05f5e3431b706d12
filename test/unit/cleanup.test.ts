import { describe, expect, it } from 'vitest';
import { ALL_KINDS } from '../../lib/kinds/index.ts';
import { runCleanup } from '../../lib/lifecycle/cleanup.ts';
import { registryOf } from '../../lib/lifecycle/kind.ts';
import { createLifecycle } from '../../lib/lifecycle/lifecycle.ts';
import type { OpenRequestRef, RequestStore, StaleQuery } from '../../lib/lifecycle/store.ts';
import type { Status, StoredRequest, Transition } from '../../lib/lifecycle/types.ts';
import { testNotary } from '../support/fixtures.ts';

/*
 * The cleanup's own decisions, with the store in memory. The index here is a list the test writes by hand,
 * so it can lag behind the requests the way a DynamoDB global secondary index may (it is eventually
 * consistent): what the index says only nominates a request; the request as read decides.
 */
const NOW = Date.parse('2030-06-01T12:00:00.000Z');
const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const iso = (time: number) => new Date(time).toISOString();

function givenStore() {
  const requests = new Map<string, StoredRequest>();
  const trails = new Map<string, Transition[]>();
  const index: OpenRequestRef[] = [];
  const listed: Status[] = [];

  /** Only what the cleanup and the transition it makes use; calling anything else fails the test. */
  const used: Pick<RequestStore, 'get' | 'applyTransition' | 'listStale' | 'openShards'> = {
    async get(id) {
      return requests.get(id);
    },
    async applyTransition(current, next, record) {
      const stored = requests.get(current.id);
      if (!stored || stored.version !== current.version || stored.status !== current.status) return 'conflict';
      requests.set(next.id, next);
      trails.get(next.id)!.push(record);
      return 'applied';
    },
    async listStale(query: StaleQuery) {
      listed.push(query.status);
      const items = index.filter((ref) => ref.status === query.status && ref.updated <= query.before);
      return { items, cursor: undefined };
    },
    openShards: 1,
  };
  const store = new Proxy(used, {
    get: (target, name) =>
      name in target
        ? target[name as keyof typeof target]
        : () => {
            throw new Error(`the cleanup called store.${String(name)}`);
          },
  }) as RequestStore;

  /** A request that is `status` since `updated`, with the index saying `indexed` (defaults to the truth). */
  function given(id: string, status: Status, updated: number, indexed: OpenRequestRef = { id, kind: 'Collective', status, updated: iso(updated) }) {
    const request: StoredRequest = {
      id,
      kind: 'Collective',
      status,
      created: iso(updated),
      updated: iso(updated),
      principalId: 'p',
      tenantId: 't',
      returnUrl: null,
      data: { tenant: { id: 't' } },
      errors: [],
      version: status === 'Pending' ? 1 : 2,
      lastHash: 'h',
    };
    requests.set(id, request);
    trails.set(id, []);
    index.push(indexed);
    return request;
  }

  const service = createLifecycle({
    notary: testNotary(),
    store,
    pageTokens: { encode: () => '', decode: () => ({}) },
    kinds: registryOf(ALL_KINDS),
    now: () => new Date(NOW),
  });

  const cleanup = (maxAgeMs: Partial<Record<Status, number>>) =>
    runCleanup({
      lifecycle: service,
      store,
      maxAgeMs,
      remainingMs: () => 60_000,
      safetyMarginMs: 10_000,
      correlationId: 'run-1',
      now: () => new Date(NOW),
    });

  return { requests, trails, listed, given, cleanup };
}

describe('runCleanup', () => {
  it('given an index entry that still says Pending but the request moved to Processing a minute ago, then it is skipped, not expired', async () => {
    const { requests, trails, given, cleanup } = givenStore();
    const request = given('moved-on', 'Processing', NOW - 60_000, { id: 'moved-on', kind: 'Collective', status: 'Pending', updated: iso(NOW - 10 * DAY) });

    const report = await cleanup({ Pending: 7 * DAY, Processing: 3 * DAY });

    expect(report).toEqual({ expired: 0, skipped: 1, stoppedEarly: false });
    expect(requests.get('moved-on')).toEqual(request);
    expect(trails.get('moved-on')).toEqual([]);
  });

  it.each(['Succeeded', 'Failed', 'Canceled'] as const)(
    'given an index entry that still says Pending but the request is %s, then it is skipped, not expired',
    async (status) => {
      const { requests, trails, given, cleanup } = givenStore();
      const request = given('finished', status, NOW - 9 * DAY, { id: 'finished', kind: 'Collective', status: 'Pending', updated: iso(NOW - 10 * DAY) });

      const report = await cleanup({ Pending: 7 * DAY, Processing: 3 * DAY });

      expect(report).toEqual({ expired: 0, skipped: 1, stoppedEarly: false });
      expect(requests.get('finished')).toEqual(request);
      expect(trails.get('finished')).toEqual([]);
    },
  );

  it('given a request exactly as old as the age and one a millisecond older, then only the older one expires', async () => {
    const { requests, given, cleanup } = givenStore();
    given('at-the-age', 'Pending', NOW - 7 * DAY);
    given('just-older', 'Pending', NOW - 7 * DAY - 1);

    await cleanup({ Pending: 7 * DAY });

    expect(requests.get('at-the-age')!.status).toBe('Pending');
    expect(requests.get('just-older')).toMatchObject({ status: 'Canceled', errors: [{ code: 'Expired' }] });
  });

  it('given no age for Processing, then Processing requests are neither listed nor expired, however old', async () => {
    const { requests, listed, given, cleanup } = givenStore();
    given('old-processing', 'Processing', NOW - 100 * DAY);

    const report = await cleanup({ Pending: 7 * DAY });

    expect(report).toEqual({ expired: 0, skipped: 0, stoppedEarly: false });
    expect(listed).toEqual(['Pending']);
    expect(requests.get('old-processing')!.status).toBe('Processing');
  });

  it("given a stale request, then its expiry is one transition to Canceled by system/cleanup from the schedule, under the run's correlation id", async () => {
    const { requests, trails, given, cleanup } = givenStore();
    given('stale', 'Processing', NOW - 4 * DAY);

    const report = await cleanup({ Pending: 7 * DAY, Processing: 3 * DAY });

    expect(report).toEqual({ expired: 1, skipped: 0, stoppedEarly: false });
    expect(requests.get('stale')).toMatchObject({
      status: 'Canceled',
      version: 3,
      updated: iso(NOW),
      errors: [{ code: 'Expired', message: expect.stringMatching(/\S/) }],
    });
    expect(trails.get('stale')).toEqual([
      expect.objectContaining({
        version: 3,
        from: 'Processing',
        to: 'Canceled',
        at: iso(NOW),
        actor: { type: 'system', id: 'cleanup' },
        source: 'schedule',
        errors: [{ code: 'Expired', message: expect.stringMatching(/\S/) }],
        correlationId: 'run-1',
      }),
    ]);
  });
});
