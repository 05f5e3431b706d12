import type { Authenticate } from '../auth.ts';
import type { Scope } from '../route.ts';
import { type HttpMiddleware, stateOf } from './request-state.ts';

/** A verified bearer token carrying `scope`, or a 401/403 problem before anything is read. */
export const bearerAuth = (authenticate: Authenticate, scope: Scope): HttpMiddleware => ({
  before: async (request) => {
    stateOf(request.event).caller = await authenticate(request.event.headers?.authorization, scope);
  },
});
