import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Route } from '../../lib/http/route.ts';
import { lambdaContext } from '../../scripts/local/lambda-events.ts';
import { expectDocumented } from './openapi-contract.ts';

export { apiEvent, type EventOptions, lambdaContext } from '../../scripts/local/lambda-events.ts';
/** Tokens, tenants and signed webhooks are fixtures (./fixtures.ts); here for the tests that call the API. */
export { signedWebhookEvent, type TokenOptions, tenant, token } from './fixtures.ts';

export interface Response<T = any> {
  status: number;
  headers: Record<string, string>;
  body: T;
}

type Handler = ((event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2 | string | object>) & { route?: Route };

/**
 * Invokes a wrapped handler as Lambda would and decodes its answer; header names lower-cased. Every answer
 * is checked against the OpenAPI document of the route the handler serves.
 */
export async function invoke<T = any>(handler: Handler, event: APIGatewayProxyEventV2): Promise<Response<T>> {
  const result = (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2;
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
  const text = typeof result.body === 'string' ? result.body : '';
  const response = { status: result.statusCode ?? 200, headers, body: text ? JSON.parse(text) : undefined };
  if (!handler.route) throw new Error('invoke() takes a handler made by http(): it checks the answer against its route');
  expectDocumented(handler.route, response);
  return response;
}
