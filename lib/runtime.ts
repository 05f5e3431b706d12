import { config } from './context.ts';
import { createPageTokens } from './http/page-tokens.ts';
import { createOnboardingService } from './onboarding/service.ts';
import { createDocumentClient, createDynamoClient } from './store/client.ts';
import { createDynamoStore } from './store/dynamo-store.ts';

/** Built once per cold start and shared by every invocation of the onboarding functions. */
/** Exported for instrumentation (the benchmark counts requests and capacity through its middleware stack). */
export const dynamo = createDynamoClient({ region: config.region, endpoint: config.dynamoEndpoint });

export const store = createDynamoStore(createDocumentClient(dynamo), config.tableName);

/**
 * The service on our own table. Histories and webhooks always answer from here; the functions that talk
 * to the platform in proxy mode (create, list, get, cancel, cleanup) use lib/proxy-runtime.ts, so the
 * others do not carry its client.
 */
export const onboarding = createOnboardingService({
  store,
  pageTokens: createPageTokens(config.pageTokenSecret),
  consentUrl: config.consentUrl,
  documentationUrl: config.documentationUrl,
  allowLoopbackHttpReturnUrl: !config.production,
});
