import { inject } from 'vitest';

import { TEST_JWT_SECRET, TEST_TABLE } from './fixtures.ts';

/**
 * The functions read their configuration at their cold start (when a test imports them), so the test
 * environment is set before any test file imports one. A setup file only: importing it again would set
 * the environment again (the fault tests point a fresh import at a database of their own).
 */
Object.assign(process.env, {
  STAGE: 'dev',
  AWS_REGION: 'eu-west-1',
  DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
  TABLE_NAME: process.env.TEST_TABLE_NAME ?? TEST_TABLE,
  AUTH_JWT_SECRET: TEST_JWT_SECRET,
  AUTH_ISSUER: 'onboarding-local',
  AUTH_AUDIENCE: 'onboarding-api',
  PAGE_TOKEN_SECRET: 'test-page-token-secret',
  PUBLIC_URL: 'http://127.0.0.1:3000',
  METRICS_DISABLED: 'true',
  // Outbound events retry after 1, 1 and 2 s (DELIVERY_RETRY_SECONDS compresses the schedule for tests).
  DELIVERY_RETRY_SECONDS: '1,1,2',
  // As a stack names it to the publisher and the sweep; the events tests answer its invocations (support/events.ts).
  DELIVERY_WORKER_FUNCTION: 'attemptDeliveries',
  LOG_LEVEL: 'SILENT',
});

/** Proxy mode (the realto project of vitest.config.ts): the fake platform started by realto-setup.ts. */
const realto = process.env.ONBOARDING_MODE === 'realto' ? inject('realto') : undefined;
if (realto) {
  Object.assign(process.env, {
    REALTO_BASE_URL: realto.baseUrl,
    REALTO_CLIENT_ID: realto.clientId,
    REALTO_CLIENT_SECRET: realto.clientSecret,
  });
}
