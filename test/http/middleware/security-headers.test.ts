import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { problemJson } from '../../../lib/http/middleware/problem-json.ts';
import { SECURITY_HEADERS, securityHeaders } from '../../../lib/http/middleware/security-headers.ts';
import { NotFoundError } from '../../../lib/lifecycle/errors.ts';
import { apiEvent, lambdaContext } from '../../support/http.ts';

const quiet = { info: () => {}, error: () => {} };

describe('the security-headers middleware', () => {
  it('adds the JSON API headers to an answer, without overriding a header the handler set', async () => {
    const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
      .use(securityHeaders())
      .handler(async () => ({ statusCode: 200, headers: { 'Referrer-Policy': 'same-origin' }, body: '{}' }));
    const response = await handler(apiEvent(), lambdaContext());
    expect(response.headers).toMatchObject({ ...SECURITY_HEADERS, 'Referrer-Policy': 'same-origin' });
  });

  it('adds them to a problem too (the error handler answers first, then these are added)', async () => {
    const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
      .use(securityHeaders())
      .use(problemJson(quiet))
      .handler(async () => {
        throw new NotFoundError('No such request.');
      });
    const response = await handler(apiEvent(), lambdaContext());
    expect(response.statusCode).toBe(404);
    expect(response.headers).toMatchObject(SECURITY_HEADERS);
  });
});
