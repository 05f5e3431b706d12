import { NotFoundError } from '../../lifecycle/errors.ts';
import { validate } from '../../lifecycle/validation.ts';
import type { LazySchema, RouteInput } from '../route.ts';
import { type HttpMiddleware, stateOf } from './request-state.ts';

/**
 * A page's input: the link in the path (a malformed one is a 404, like an unknown one, so a mistyped link
 * reads the same as a forged one) and the form's fields (400 naming each). The query is not read.
 */
export const pageInput = (input: RouteInput<LazySchema | undefined, LazySchema | undefined, LazySchema | undefined>): HttpMiddleware => ({
  before: (request) => {
    const state = stateOf(request.event);
    try {
      state.params = input.params ? validate(input.params(), request.event.pathParameters ?? {}, 'path') : {};
    } catch {
      throw new NotFoundError('This link is not valid.');
    }
    if (input.body) state.body = validate(input.body(), state.body ?? {}, 'form');
  },
});
