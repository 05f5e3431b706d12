import { ValidationError } from '../../lifecycle/errors.ts';
import { validate } from '../../lifecycle/validation.ts';
import type { LazySchema, RouteInput } from '../route.ts';
import { type HttpMiddleware, stateOf } from './request-state.ts';

/**
 * Checks path, query and body against the route's schemas (400 naming each field). A route without a
 * query schema refuses any query, one without a body schema any body: nothing is silently ignored.
 */
export const inputValidation = (input: RouteInput<LazySchema | undefined, LazySchema | undefined, LazySchema | undefined>): HttpMiddleware => ({
  before: (request) => {
    const { event } = request;
    const state = stateOf(event);
    if (input.params) state.params = validate(input.params(), event.pathParameters ?? {}, 'path');
    state.query = input.query ? validate(input.query(), event.queryStringParameters ?? {}, 'query') : noQuery(event.queryStringParameters);
    if (input.rawBody) return;
    if (input.body) {
      if (state.body === undefined) throw new ValidationError('A JSON body is required.', [{ path: '', message: 'is required' }]);
      state.body = validate(input.body(), state.body, 'body');
    } else if (state.body !== undefined) {
      throw new ValidationError('This operation takes no body.', [{ path: '', message: 'must be empty' }]);
    }
  },
});

/** A route without query parameters refuses any, naming each (at most 20), as validation would. */
function noQuery(query: Record<string, string | undefined> | undefined): Record<string, never> {
  const names = Object.keys(query ?? {});
  if (names.length === 0) return {};
  const errors = names.slice(0, 20).map((name) => ({ path: `/${name}`, message: 'is not a known field' }));
  throw new ValidationError(
    `The query is not valid: ${errors
      .slice(0, 3)
      .map((error) => `${error.path} ${error.message}`)
      .join('; ')}${errors.length > 3 ? '; …' : ''}.`,
    errors,
  );
}
