import type { MiddlewareObj } from '@middy/core';
import type { Secret } from '../../config/secrets.ts';

/**
 * Makes sure the secrets the route reads are fresh before the handler runs (deployed: from SSM, through
 * the one cached reader). After auth and validation, so a refused call never costs a fetch.
 */
export const secrets = <Event = unknown, Result = unknown>(needed: readonly Secret[]): MiddlewareObj<Event, Result> => ({
  before: async () => {
    await Promise.all(needed.map((secret) => secret.refresh()));
  },
});
