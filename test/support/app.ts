import { buildApiApp } from '../../lib/app/app.ts';
import { createDocumentClient } from '../../lib/store/client.ts';
import { createDynamoSessionStore } from '../../lib/store/dynamo-sessions.ts';

/**
 * The composition root as the API functions build it, for tests that reach below the HTTP layer: the
 * lifecycle service on the test table, the store, and the API the functions serve in this project's mode.
 */
export const app = buildApiApp();
export const { config, logger, store, platform } = app;
/** The lifecycle on our own table (the one transition path), whatever the mode. */
export const onboarding = app.lifecycle;
/** What the functions serve: the lifecycle in local mode, the platform's decorator in proxy mode. */
export const api = app.onboarding;
/** The DynamoDB client under the store (tests add SDK middleware to it to inject faults). */
export const { dynamo } = app;
/** The guided sessions' store (contract §10), on the same table. */
export const sessions = createDynamoSessionStore(createDocumentClient(dynamo), config.tableName);
