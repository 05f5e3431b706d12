import { buildKindApp } from '../../lib/app/app.ts';
import { loadConfig } from '../../lib/config/settings.ts';
import { createPageTokens } from '../../lib/http/page-tokens.ts';
import { COLLECTIVE_ONBOARDING } from '../../lib/kinds/collective-onboarding.ts';
import { ENTITY_OFFBOARDING } from '../../lib/kinds/entity-offboarding.ts';
import { ENTITY_ONBOARDING } from '../../lib/kinds/entity-onboarding.ts';
import { ALL_KINDS } from '../../lib/kinds/index.ts';
import { registryOf } from '../../lib/lifecycle/kind.ts';
import { createLifecycle } from '../../lib/lifecycle/lifecycle.ts';
import { createRequests } from '../../lib/lifecycle/requests.ts';
import { tableClients } from '../../lib/store/client.ts';
import { createDynamoSessionStore } from '../../lib/store/dynamo-sessions.ts';
import { createDynamoStore } from '../../lib/store/dynamo-store.ts';
import { createLogger } from '../../lib/telemetry/logger.ts';
import { testNotary } from './fixtures.ts';

/**
 * The parts of the service on the test table, for tests that reach below the HTTP layer: the store, the
 * lifecycle core over every kind (the one transition path), each kind's requests on it (local mode's API),
 * and what a kind's functions serve in this project's mode.
 */
export const config = loadConfig();
export const logger = createLogger(config.logLevel);
/** The process's DynamoDB client, the one every function of this process uses (tests add SDK middleware to it to inject faults). */
export const { dynamo, documents } = tableClients({ region: config.region, endpoint: config.dynamoEndpoint });
export const store = createDynamoStore(documents, config.tableName);
export const kinds = registryOf(ALL_KINDS);
/** The lifecycle core on our own table, over every kind, whatever the mode. */
export const lifecycle = createLifecycle({ notary: testNotary(), store, pageTokens: createPageTokens(config.pageTokenSecret!.value!), kinds });
const options = { allowLoopbackHttpReturnUrl: true };
/** Each kind's requests on the core, as local mode serves them. */
export const requests = {
  collectives: createRequests(COLLECTIVE_ONBOARDING, lifecycle, options),
  entities: createRequests(ENTITY_ONBOARDING, lifecycle, options),
  offboardings: createRequests(ENTITY_OFFBOARDING, lifecycle, options),
};
/** What entity onboarding's functions serve: the lifecycle's requests in local mode, the platform's decorator in proxy mode. */
export const served = buildKindApp(ENTITY_ONBOARDING).requests;
/** The guided sessions' store, on the same table. */
export const sessions = createDynamoSessionStore(documents, config.tableName);
