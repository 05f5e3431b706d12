import { config } from '../context.ts';
import { createAuthenticator, type Scope } from './auth.ts';
import { type HttpMiddleware, stateOf } from './handler.ts';

const authenticate = createAuthenticator(config.auth);

/** The auth step of the HTTP stack: a verified bearer token carrying `scope`, or a 401/403 problem. */
export const bearer = (scope: Scope): HttpMiddleware => ({
  before: async (request) => {
    stateOf(request.event).caller = await authenticate(request.event.headers?.authorization, scope);
  },
});
