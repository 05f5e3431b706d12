import { defineConfig } from 'vitest/config';

/**
 * Three projects: the whole suite in local mode; the API suite again in proxy mode (ONBOARDING_MODE=realto)
 * against a fake Realto platform; and the outbound events, on a table of their own with a stream.
 */
const API_SUITE = [
  'test/api/onboarding.test.ts',
  'test/api/security.test.ts',
  'test/api/concurrency.test.ts',
  'test/api/openapi.test.ts',
  'test/api/offboarding.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'local',
          include: ['test/**/*.test.ts'],
          exclude: ['test/proxy/**', 'test/api/events.test.ts', 'node_modules/**'],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/env.ts'],
        },
      },
      {
        extends: true,
        test: {
          // Outbound events read the table's stream: a table of their own has one (test/support/global-setup.ts).
          name: 'events',
          include: ['test/api/events.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/env.ts'],
          env: { TEST_TABLE_NAME: 'onboarding-events-test' },
        },
      },
      {
        extends: true,
        test: {
          name: 'realto',
          include: [...API_SUITE, 'test/proxy/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts', 'test/support/realto-setup.ts'],
          setupFiles: ['test/support/env.ts'],
          env: { ONBOARDING_MODE: 'realto' },
        },
      },
    ],
  },
});
