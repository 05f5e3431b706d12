import { describe, expect, it } from 'vitest';
import type { Secret } from '../../../lib/config/secrets.ts';
import { secrets } from '../../../lib/http/middleware/secrets.ts';
import { UnavailableError } from '../../../lib/lifecycle/errors.ts';
import { runAlone } from './support.ts';

function fakeSecret(name: string, fail = false) {
  const calls: string[] = [];
  const secret: Secret = {
    name,
    refresh: async () => {
      calls.push('refresh');
      if (fail) throw new UnavailableError('A secret this service needs could not be read; retry shortly.', 5);
    },
    current: () => `${name}-value`,
    invalidate: () => {},
  };
  return { secret, calls };
}

describe('the secrets middleware', () => {
  it('makes every secret the route reads fresh before the handler runs', async () => {
    const page = fakeSecret('PAGE_TOKEN_SECRET');
    const realto = fakeSecret('REALTO_CLIENT_SECRET');
    const { reached } = await runAlone(secrets([page.secret, realto.secret]));
    expect(reached).toBe(true);
    expect([page.calls, realto.calls]).toEqual([['refresh'], ['refresh']]);
  });

  it('given a secret that cannot be read, then the call is a 503 and the handler is not reached', async () => {
    const broken = fakeSecret('WEBHOOK_SECRETS', true);
    const { error, reached } = await runAlone(secrets([broken.secret]));
    expect(reached).toBe(false);
    expect(error).toBeInstanceOf(UnavailableError);
  });
});
