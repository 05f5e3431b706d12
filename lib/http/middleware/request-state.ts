import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Caller } from '../../lifecycle/types.ts';
import type { Language } from '../../pages/texts/index.ts';

export type HttpMiddleware = MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;

/** What the middlewares learn about one request, for those after them and the handler. */
export interface RequestState {
  correlationId: string;
  caller?: Caller;
  /** The parsed JSON body, before validation; the validated one after. */
  body?: unknown;
  /** The body bytes, on routes that verify them (signed webhooks). */
  rawBody?: Buffer;
  query?: unknown;
  params?: unknown;
  /** The end user's pages: the language they are shown in. */
  language?: Language;
  /** Whether the person chose it (`?lang=`), so that the page they go back to keeps it. */
  languageAsked?: boolean;
}

const states = new WeakMap<APIGatewayProxyEventV2, RequestState>();

export function startState(event: APIGatewayProxyEventV2, correlationId: string): RequestState {
  const state = { correlationId };
  states.set(event, state);
  return state;
}

export function stateOf(event: APIGatewayProxyEventV2): RequestState {
  const state = states.get(event);
  if (!state) throw new Error('the correlation middleware did not run: request state missing');
  return state;
}

/** The state, if the correlation middleware got as far as creating it. */
export function findState(event: APIGatewayProxyEventV2): RequestState | undefined {
  return states.get(event);
}

/**
 * The invocation's request id, which Lambda and the local runner always give; a hand-made context gets a
 * random one. Web Crypto is loaded only then: importing node:crypto cost a function that has no AWS SDK
 * (which loads it anyway) more cold start than all of its own code.
 */
export const invocationId = (context: { awsRequestId?: string } | undefined) => context?.awsRequestId || globalThis.crypto.randomUUID();
