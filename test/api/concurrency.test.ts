import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../lib/lifecycle/hash-chain.ts';
import type { Transition } from '../../lib/lifecycle/types.ts';
import { ownerOf } from '../support/fixtures.ts';
import { tenant } from '../support/http.ts';
import { onboardingApi } from '../support/onboarding-api.ts';

describe('concurrent cancels', () => {
  it.each(['collectives', 'entities'] as const)(
    'given a Pending %s request, when 20 cancels arrive at once, then all answer 200 Canceled and exactly one transition is recorded',
    async (path) => {
      const { authorization } = await tenant();
      const api = onboardingApi(path, authorization);
      const body = path === 'collectives' ? { name: 'Home', type: 'Household' } : { type: 'Battery', manufacturer: 'Tesla' };
      const { body: created } = await api.create(body);

      const answers = await Promise.all(Array.from({ length: 20 }, () => api.cancel(created.id)));

      expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
      for (const answer of answers) {
        expect(answer.body).toMatchObject({ id: created.id, status: 'Canceled', version: 2 });
        expect(answer.headers.etag).toBe('"2"');
      }
      const request = (await api.get(created.id)).body;
      expect(request).toMatchObject({ status: 'Canceled', version: 2 });
      const history = (await api.history(created.id)).body.data as Transition[];
      expect(history.map((record) => [record.version, record.from, record.to])).toEqual([
        [1, null, 'Pending'],
        [2, 'Pending', 'Canceled'],
      ]);
      expect(verifyChain(history, ownerOf(request))).toEqual([]);
    },
  );
});

describe('concurrent creates with one Idempotency-Key', () => {
  it('given 10 creates with the same key and body at once, then exactly one request exists and every 201 carries its id', async () => {
    const { authorization } = await tenant();
    const api = onboardingApi('collectives', authorization);
    const headers = { 'Idempotency-Key': `burst-${randomUUID()}` };

    const answers = await Promise.all(Array.from({ length: 10 }, () => api.create({ name: 'Home', type: 'Household' }, { headers })));

    const listed = (await api.list()).body.data as Array<{ id: string }>;
    expect(listed).toHaveLength(1);
    const accepted = answers.filter((answer) => answer.status === 201);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    for (const answer of accepted) expect(answer.body.id).toBe(listed[0]!.id);
    // A duplicate that arrives while the first is still running may be told to retry; nothing else.
    for (const answer of answers.filter((answer) => answer.status !== 201)) {
      expect({ status: answer.status, code: answer.body.code }).toEqual({ status: 409, code: 'idempotency_in_progress' });
    }
    const retried = await api.create({ name: 'Home', type: 'Household' }, { headers });
    expect({ status: retried.status, id: retried.body.id }).toEqual({ status: 201, id: listed[0]!.id });
  });
});
