import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { correlation } from '../../../lib/http/middleware/correlation.ts';
import { problemJson } from '../../../lib/http/middleware/problem-json.ts';
import { ConflictError } from '../../../lib/lifecycle/errors.ts';
import { apiEvent, lambdaContext } from '../../support/http.ts';

function stackThrowing(error: unknown) {
  const logged: Array<{ level: string; message: string }> = [];
  const logger = {
    info: (message: string) => void logged.push({ level: 'info', message }),
    error: (message: string) => void logged.push({ level: 'error', message }),
    setCorrelationId: () => {},
  };
  const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(correlation(logger))
    .use(problemJson(logger))
    .handler(async () => {
      throw error;
    });
  return { handler, logged };
}

describe('the problem-json middleware', () => {
  it('answers a service error as RFC 9457 problem+json with its status, stable code and the correlation id, logged as a refusal', async () => {
    const { handler, logged } = stackThrowing(new ConflictError('The request is being changed by others right now; retry.', 'concurrent_modification'));
    const response = await handler(apiEvent({ headers: { 'x-correlation-id': 'corr-9' } }), lambdaContext());
    expect(response.statusCode).toBe(409);
    expect(response.headers).toMatchObject({ 'Content-Type': 'application/problem+json', 'X-Correlation-Id': 'corr-9' });
    expect(JSON.parse(response.body as string)).toEqual({
      type: 'urn:onboarding:problem:concurrent_modification',
      title: 'Conflict',
      status: 409,
      detail: 'The request is being changed by others right now; retry.',
      code: 'concurrent_modification',
      correlationId: 'corr-9',
    });
    expect(logged).toEqual([{ level: 'info', message: 'request refused' }]);
  });

  it('answers anything else as a 500 that says nothing of the cause, and logs the cause as an error', async () => {
    const { handler, logged } = stackThrowing(new TypeError("Cannot read properties of undefined (reading 'Item') at dynamo-store.ts:42"));
    const response = await handler(apiEvent(), lambdaContext());
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toMatch(/Cannot read|dynamo-store|TypeError/);
    expect(JSON.parse(response.body as string)).toMatchObject({ code: 'internal_error', status: 500 });
    expect(logged).toEqual([{ level: 'error', message: 'request failed' }]);
  });
});
