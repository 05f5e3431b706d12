import { config } from './context.ts';
import { createPageTokens } from './http/page-tokens.ts';
import { createProxyService } from './onboarding/proxy.ts';
import { createOnboardingService } from './onboarding/service.ts';
import { createRealtoClient } from './upstream/realto-client.ts';
import { createDocumentClient, createDynamoClient } from './store/client.ts';
import { createDynamoStore } from './store/dynamo-store.ts';

/** Built once per cold start and shared by every invocation of the onboarding functions. */
/** Exported for instrumentation (the benchmark counts requests and capacity through its middleware stack). */
export const dynamo = createDynamoClient({ region: config.region, endpoint: config.dynamoEndpoint });

export const store = createDynamoStore(createDocumentClient(dynamo), config.tableName);

const local = createOnboardingService({
  store,
  pageTokens: createPageTokens(config.pageTokenSecret),
  consentUrl: config.consentUrl,
  documentationUrl: config.documentationUrl,
  allowLoopbackHttpReturnUrl: !config.production,
});

/** The platform client, in proxy mode only. */
export const upstream = config.realto ? createRealtoClient(config.realto) : undefined;

/** In proxy mode every call goes through the platform first (lib/onboarding/proxy.ts). */
export const proxy = upstream ? createProxyService(local, upstream) : undefined;
export const onboarding = proxy ?? local;
