import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { HttpMiddleware } from '../../../lib/http/middleware/request-state.ts';
import { startState, stateOf } from '../../../lib/http/middleware/request-state.ts';
import { apiEvent, type EventOptions, lambdaContext } from '../../support/http.ts';

/**
 * One middleware alone in a middy stack, as the HTTP stack uses it: the request state is started as the
 * correlation middleware would, and the handler answers what the state holds when it is reached.
 */
export async function runAlone(middleware: HttpMiddleware, event: EventOptions = {}, handler?: () => Promise<APIGatewayProxyStructuredResultV2>) {
  const built = apiEvent(event);
  let reached = false;
  const stack = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .before((request) => {
      startState(request.event, 'corr-test');
    })
    .use(middleware)
    .handler(async (received) => {
      reached = true;
      if (handler) return handler();
      return { statusCode: 200, body: JSON.stringify(stateOf(received)) };
    });
  try {
    const response = await stack(built, lambdaContext());
    return { response, reached, event: built, error: undefined as unknown };
  } catch (error) {
    return { response: undefined, reached, event: built, error };
  }
}
