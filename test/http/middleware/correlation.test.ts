import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { correlation } from '../../../lib/http/middleware/correlation.ts';
import { stateOf } from '../../../lib/http/middleware/request-state.ts';
import { apiEvent, lambdaContext } from '../../support/http.ts';

function stackWith(seen: string[]) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(correlation({ setCorrelationId: (id: unknown) => void seen.push(String(id)) }))
    .handler(async (event) => ({ statusCode: 200, body: stateOf(event).correlationId }));
}

describe('the correlation middleware', () => {
  it("given a well-formed X-Correlation-Id, then it is the call's id: on every log line, in the state, and echoed back", async () => {
    const seen: string[] = [];
    const response = await stackWith(seen)(apiEvent({ headers: { 'x-correlation-id': 'order-42:retry.1' } }), lambdaContext());
    expect(seen).toEqual(['order-42:retry.1']);
    expect(response.body).toBe('order-42:retry.1');
    expect(response.headers?.['X-Correlation-Id']).toBe('order-42:retry.1');
  });

  it.each([
    ['a space', 'a b'],
    ['too long', 'x'.repeat(129)],
    ['a newline', 'a\nb'],
  ])("given an id with %s, then it is replaced by the invocation's request id", async (_what, given) => {
    const seen: string[] = [];
    const context = lambdaContext();
    const response = await stackWith(seen)(apiEvent({ headers: { 'x-correlation-id': given } }), context);
    expect(seen).toEqual([context.awsRequestId]);
    expect(response.headers?.['X-Correlation-Id']).toBe(context.awsRequestId);
  });

  it("given no id, then the invocation's request id is used and echoed", async () => {
    const context = lambdaContext();
    const response = await stackWith([])(apiEvent(), context);
    expect(response.headers?.['X-Correlation-Id']).toBe(context.awsRequestId);
  });
});
