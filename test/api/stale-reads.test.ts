import { describe, expect, it } from 'vitest';
import { createPageTokens } from '../../lib/http/page-tokens.ts';
import { createLifecycle, type Decide, type TransitionMeta } from '../../lib/lifecycle/lifecycle.ts';
import type { RequestStore } from '../../lib/lifecycle/store.ts';
import type { StoredRequest } from '../../lib/lifecycle/types.ts';
import { config, kinds, requests, store } from '../support/app.ts';
import { caller as newCaller, testNotary } from '../support/fixtures.ts';

/*
 * A transition reads the request with an eventually consistent read first (half the cost), and writes only
 * on the version it saw. DynamoDB Local never serves a stale read, so the staleness is injected here: a
 * store whose eventually consistent reads answer what the test says (an older version, or nothing), and
 * whose strongly consistent reads and writes are the real table's.
 */

function staleOnEventualReads(stale: (id: string) => StoredRequest | undefined): { store: RequestStore; eventualReads: () => number } {
  let eventualReads = 0;
  const wrapped: RequestStore = Object.create(store);
  wrapped.get = async (id, options) => {
    if (!options?.eventually) return store.get(id);
    eventualReads++;
    return stale(id);
  };
  return { store: wrapped, eventualReads: () => eventualReads };
}

const webhook = (id: string): TransitionMeta => ({ actor: { type: 'webhook', id }, source: 'webhook', correlationId: id });
const to =
  (status: 'Processing' | 'Succeeded'): Decide =>
  (current) =>
    current.status === status ? 'unchanged' : { to: status };

async function createdRequest() {
  const { request } = await requests.collectives.create({ name: 'Stale', type: 'Household' }, newCaller('stale-reads'), { correlationId: 'stale' });
  return (await store.get(request.id))!;
}

function lifecycleOn(on: RequestStore) {
  return createLifecycle({ notary: testNotary(), store: on, pageTokens: createPageTokens(config.pageTokenSecret!.value!), kinds });
}

describe('a transition decided on a stale read (injected: DynamoDB Local is always consistent)', () => {
  it('given a stale version, then the write is refused and the transition is made once, on the fresh state', async () => {
    const pending = await createdRequest();
    await lifecycleOn(store).transition(pending.id, to('Processing'), webhook('first'));
    const { store: stale, eventualReads } = staleOnEventualReads(() => pending);

    const outcome = await lifecycleOn(stale).transition(pending.id, to('Succeeded'), webhook('second'));

    expect(eventualReads()).toBe(1);
    expect(outcome).toMatchObject({ outcome: 'applied', record: { version: 3, from: 'Processing', to: 'Succeeded' } });
    expect((await store.history(pending.id, 10)).items.map((record) => `${record.version}:${record.to}`)).toEqual(['1:Pending', '2:Processing', '3:Succeeded']);
  });

  it('given a read that does not see a request just created, then it is read again, and the transition is made', async () => {
    const pending = await createdRequest();
    const { store: stale } = staleOnEventualReads(() => undefined);

    const outcome = await lifecycleOn(stale).transition(pending.id, to('Processing'), webhook('new'));

    expect(outcome).toMatchObject({ outcome: 'applied', record: { version: 2, to: 'Processing' } });
  });

  it('given a stale read on which nothing would change, then the answer comes from the fresh state, not the stale one', async () => {
    const pending = await createdRequest();
    await lifecycleOn(store).transition(pending.id, to('Processing'), webhook('a'));
    const processing = (await store.get(pending.id))!;
    await lifecycleOn(store).transition(pending.id, to('Succeeded'), webhook('b'));
    const { store: stale } = staleOnEventualReads(() => processing);

    // Stale, Processing looks unchanged; fresh, a Succeeded request cannot become Processing.
    await expect(lifecycleOn(stale).transition(pending.id, to('Processing'), webhook('c'))).rejects.toMatchObject({ code: 'invalid_transition' });
    expect((await store.get(pending.id))!).toMatchObject({ status: 'Succeeded', version: 3 });
  });
});
