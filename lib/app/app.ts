import type { DynamoDBRecord } from 'aws-lambda';
import { missingSecret, type Secret, secretOf } from '../config/secrets.ts';
import { type Config, ConfigError, loadConfig, type SecretSetting } from '../config/settings.ts';
import { createDeliveryEngine } from '../events/delivery.ts';
import { createEndpointService } from '../events/endpoints.ts';
import { eventBridgeBus } from '../events/event-bridge.ts';
import { createHttpSender, resolveHost } from '../events/http-sender.ts';
import { lambdaHandOff } from '../events/lambda-hand-off.ts';
import { createPublisher } from '../events/publish.ts';
import { createGuidedService, type GuidedApi } from '../guided-sessions/service.ts';
import { createAuthenticator } from '../http/auth.ts';
import type { StackParts } from '../http/handler.ts';
import { createPageTokens } from '../http/page-tokens.ts';
import { type DeployedFunction, type SecretName, secretsOf } from '../http/route.ts';
import { ENTITY_ONBOARDING } from '../kinds/entity-onboarding.ts';
import { ALL_KINDS, CONSENT_KINDS } from '../kinds/index.ts';
import { createCleanupJob } from '../lifecycle/cleanup.ts';
import { NotFoundError, ServiceError } from '../lifecycle/errors.ts';
import { type AnyKind, type Kind, type ListFilters, type RequestView, registryOf } from '../lifecycle/kind.ts';
import { createLifecycle, type Lifecycle } from '../lifecycle/lifecycle.ts';
import { localPlatform } from '../lifecycle/platform.ts';
import { createRequests, type RequestsApi, type RequestsOptions } from '../lifecycle/requests.ts';
import type { RequestStore } from '../lifecycle/store.ts';
import type { Caller, ConsentLinks, StoredRequest } from '../lifecycle/types.ts';
import { createConsentPages } from '../pages/consent.ts';
import { createGuidedPages } from '../pages/guided.ts';
import { createLinks, type Links } from '../pages/links.ts';
import { createEvidence } from '../proofs/evidence.ts';
import type { Signer } from '../proofs/jws.ts';
import { kmsSigner } from '../proofs/kms-signer.ts';
import { devSigningKey, localSigner } from '../proofs/local-signer.ts';
import { addressHasher, createNotary, type ProofNotary } from '../proofs/receipts.ts';
import { createProxyGuided } from '../proxy/guided.ts';
import { createPlatformClient, createRealtoPlatform } from '../proxy/platform.ts';
import { mirroredRequests } from '../proxy/requests.ts';
import { tableClients } from '../store/client.ts';
import { createDynamoEndpointStore, createDynamoEventStore } from '../store/dynamo-events.ts';
import { createDynamoSessionStore } from '../store/dynamo-sessions.ts';
import { createDynamoStore } from '../store/dynamo-store.ts';
import { requestChanges } from '../store/stream.ts';
import { createLogger, type Logger } from '../telemetry/logger.ts';
import { createMetrics, type Metrics } from '../telemetry/metrics.ts';
import { createWebhookReceiver } from '../webhooks/receive.ts';
import { parseSecrets, SignatureRejected, type SignedMessage } from '../webhooks/signature.ts';
import { CLEANUP_JOB } from './jobs.ts';

/**
 * The composition root: what a cold start builds, in order, and nothing else wires anything. Each function
 * calls the one builder it needs at module scope, once per cold start, and gets back only what it serves;
 * no module of lib/ does anything because it was imported. Each builder is its own entry, so a function's
 * bundle carries only what it builds: a kind's functions only their kind, the OpenAPI function no
 * DynamoDB client, the webhook no token check, a local-mode stack no Realto client.
 *
 * Order: 1. settings, logger, metrics  2. secrets (values, or SSM parameter names fetched on first need)
 * 3. the DynamoDB clients (shared by the process) and the store  4. the lifecycle core with the kinds the
 * function serves (or, for outbound events, the delivery engine)  5. the platform in front of it, in
 * proxy mode  6. what the function serves.
 */

/**
 * The mode this code was built for. serverless.yml has esbuild replace `process.env.ONBOARDING_MODE` with
 * the stack's mode (as it chooses the IAM statements by it), so a local-mode bundle carries none of the
 * proxy; unbundled (tests, scripts) it is the environment's. Where a branch must fold away, the
 * expression is spelled out in place: esbuild sees a constant only there.
 */
const BUILT_FOR = process.env.ONBOARDING_MODE || 'local';

/** 1: settings, the logger and the counters. */
function observability(config: Config) {
  const logger = createLogger(config.logLevel);
  const metrics = createMetrics(logger, { silent: process.env.METRICS_DISABLED === 'true' });
  return { logger, metrics };
}

/** 2: a secret of the configuration: its value, or, deployed, its SSM parameter through the one reader. */
function secretFor(logger: Logger) {
  return (setting: SecretSetting | undefined, name: string): Secret =>
    setting === undefined
      ? missingSecret(name)
      : secretOf(setting, {
          onFetchFailed: ({ secret: failed, parameter, error }) =>
            logger.error('A secret could not be read from SSM', { secret: failed, parameter, error: error as Error }),
        });
}

/** 3: the requests' store on this stage's table. */
function requestStore(config: Config): RequestStore {
  return createDynamoStore(tableClients({ region: config.region, endpoint: config.dynamoEndpoint }).documents, config.tableName);
}

const documentsOf = (config: Config) => tableClients({ region: config.region, endpoint: config.dynamoEndpoint }).documents;

/** The stack's mode is fixed when it is packaged: a function that finds another one refuses to start. */
function checkBuiltFor(config: Config) {
  if (BUILT_FOR !== config.mode) {
    throw new ConfigError(`This function was built for ONBOARDING_MODE=${BUILT_FOR} but runs with ${config.mode}: package it again`);
  }
}

/**
 * 2: the key that signs receipts and checkpoints: a KMS key deployed, the stack's own key elsewhere
 * (docs/consent.md). Nothing is loaded or asked until the first signature.
 */
function signerOf(config: Config): Signer {
  const { signing } = config;
  if (!signing) throw new ConfigError('SIGNING_KMS_KEY_IDS is required when deployed: consent receipts and checkpoints are signed with it');
  if (signing.kmsKeyIds) return kmsSigner(signing.kmsKeyIds, { region: config.region });
  return localSigner(signing.keys ?? (() => [devSigningKey(config.stage)]));
}

/** 4: the lifecycle core on our table, for the kinds the function serves, signing what its trails must prove. */
function lifecycleOf(config: Config, store: RequestStore, kinds: readonly AnyKind[], pageTokenSecret: Secret, notary: ProofNotary): Lifecycle {
  checkBuiltFor(config);
  return createLifecycle({ store, pageTokens: createPageTokens(pageTokenSecret.current), kinds: registryOf(kinds), notary });
}

/**
 * The end user's signed links, with the secret of the moment. Local mode only: in proxy mode the
 * platform's own links are handed out, so its bundles carry no signer.
 */
function endUserLinks(linkSecret: Secret): Links | undefined {
  return process.env.ONBOARDING_MODE === 'realto' ? undefined : createLinks(linkSecret.current);
}

/**
 * The consent link of a new request: this stage's consent page, signed for the request and its tenant
 * until it would expire as Pending.
 */
function consentLinksOf(config: Config, links: Links | undefined) {
  if (!links) return undefined;
  const pendingMs = config.cleanup.pendingMaxAgeHours * 3_600_000;
  return (request: Pick<StoredRequest, 'id' | 'tenantId' | 'created'>): ConsentLinks => ({
    redirectLink: `${config.publicUrl}/consent/${links.sign('consent', { id: request.id, tenantId: request.tenantId, expiresAt: new Date(Date.parse(request.created) + pendingMs) })}`,
    documentationLink: config.documentationUrl,
  });
}

/** What a kind's requests need besides the core: their consent links and the return-address rule. */
const requestsOptions = (config: Config, links: Links | undefined): RequestsOptions => ({
  consentLinks: consentLinksOf(config, links),
  allowLoopbackHttpReturnUrl: !config.production,
});

/** 5: in proxy mode, the Realto platform in front of the lifecycle; in local mode, nothing. */
function realtoPlatform(
  config: Config,
  observe: { logger: Logger; metrics: Metrics },
  core: Lifecycle,
  store: RequestStore,
  kinds: readonly AnyKind[],
  secret: Secret | undefined,
) {
  if (process.env.ONBOARDING_MODE !== 'realto' || !config.realto || !secret) return undefined;
  return createRealtoPlatform({ settings: config.realto, clientSecret: secret, lifecycle: core, kinds: registryOf(kinds), store, ...observe });
}

/** The secrets a function reads in this stack: its own, and the platform's credentials where it calls the platform. */
function secretsFor(secrets: Partial<Record<SecretName, Secret>>, mode: Config['mode']) {
  return (fn: Pick<DeployedFunction, 'access'>): Secret[] =>
    secretsOf(fn, mode).map((name) => {
      const found = secrets[name];
      if (!found) throw new ConfigError(`${name} is not configured for this function`);
      return found;
    });
}

/** The platform's client secret, in proxy mode (a function that never calls the platform is given no parameter). */
const platformSecret = (config: Config, secret: ReturnType<typeof secretFor>) =>
  config.realto ? secret(config.realto.clientSecret, 'REALTO_CLIENT_SECRET') : undefined;

/** A kind's requests on our own table, as local mode serves them, and the stack's parts. */
function ownRequests<Input, Query extends ListFilters, View extends RequestView>(kind: Kind<Input, Query, View>, env: NodeJS.ProcessEnv) {
  const config = loadConfig(env);
  const observe = observability(config);
  const secret = secretFor(observe.logger);
  const pageTokenSecret = secret(config.pageTokenSecret, 'PAGE_TOKEN_SECRET');
  const linkSecret = secret(config.linkSecret, 'LINK_SECRET');
  const store = requestStore(config);
  const notary = createNotary(signerOf(config));
  const core = lifecycleOf(config, store, [kind], pageTokenSecret, notary);
  const local = createRequests(kind, core, requestsOptions(config, endUserLinks(linkSecret)));
  const stack = (secrets: Partial<Record<SecretName, Secret>> = {}): StackParts => ({
    logger: observe.logger,
    authenticate: createAuthenticator(config.auth),
    secretsFor: secretsFor({ pageTokenSecret, linkSecret, ...secrets }, config.mode),
  });
  return { config, observe, secret, store, core, local, stack, notary };
}

/**
 * The functions of one kind of request that may call the platform (create, list, get, cancel): the
 * lifecycle's requests of that kind, or the platform's decorator of them in proxy mode. The same for every
 * kind.
 */
export function buildKindApp<Input, Query extends ListFilters, View extends RequestView>(kind: Kind<Input, Query, View>, env: NodeJS.ProcessEnv = process.env) {
  const { config, observe, secret, store, core, local, stack } = ownRequests(kind, env);
  const realtoClientSecret = platformSecret(config, secret);
  const platform = realtoPlatform(config, observe, core, store, [kind], realtoClientSecret);
  // Spelled out (not BUILT_FOR) so that esbuild folds it and a local-mode bundle carries no decorator.
  const requests: RequestsApi<Input, Query, View> = process.env.ONBOARDING_MODE === 'realto' && platform ? mirroredRequests(local, platform.mirror) : local;
  return { requests, stack: stack(realtoClientSecret ? { realtoClientSecret } : {}) };
}

/**
 * A kind's audit trail: always from our own table, in either mode, since the platform keeps none; so its
 * function carries no platform client.
 */
export function buildTrailApp<Input, Query extends ListFilters, View extends RequestView>(
  kind: Kind<Input, Query, View>,
  env: NodeJS.ProcessEnv = process.env,
) {
  const { local, core, stack, notary } = ownRequests(kind, env);
  return { history: local.history, ...createEvidence({ lifecycle: core, kind, signer: notary.signer }), stack: stack() };
}

/** `GET /.well-known/jwks.json`: the public keys that sign receipts and checkpoints, current and previous. */
export function buildKeysApp(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(env);
  const { logger } = observability(config);
  const signer = signerOf(config);
  const stack: StackParts = { logger, secretsFor: () => [] };
  return { jwks: () => signer.jwks(), stack };
}

/** The provider webhook's function: signatures checked with the secrets of the moment; any kind's request. */
export function buildWebhookApp(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(env);
  const observe = observability(config);
  const secret = secretFor(observe.logger);
  if (!config.webhookSecrets) throw new ConfigError('WEBHOOK_SECRETS (or WEBHOOK_SECRETS_PARAMETER) is required when deployed');
  const webhookSecrets = secret(config.webhookSecrets, 'WEBHOOK_SECRETS');
  const store = requestStore(config);
  const core = lifecycleOf(config, store, ALL_KINDS, missingSecret('PAGE_TOKEN_SECRET'), createNotary(signerOf(config)));
  // Parsed once per value, so a malformed secret fails loudly and a rotated one is picked up.
  let parsed: { value: string; keys: Buffer[] } | undefined;
  const keys = () => {
    const value = webhookSecrets.current();
    if (parsed?.value !== value) parsed = { value, keys: parseSecrets(value) };
    return parsed.keys;
  };
  // A malformed local value stops the start here, rather than the first webhook.
  if (config.webhookSecrets.value !== undefined) keys();
  // In proxy mode a provider webhook reports what the platform did: recorded as observed there.
  const receiver = createWebhookReceiver({
    lifecycle: core,
    store,
    kinds: registryOf(ALL_KINDS),
    keys,
    inboxTtlSeconds: config.webhookInboxTtlSeconds,
    actorType: config.mode === 'realto' ? 'upstream' : 'webhook',
  });
  /** A signed message, received and counted by its outcome, or by why it was refused. */
  const receive = async (message: SignedMessage) => {
    try {
      const result = await receiver(message);
      observe.metrics.count(`webhook_${result.outcome}`, {}, { messageId: message.id });
      return result;
    } catch (error) {
      const reason = error instanceof SignatureRejected ? error.reason : error instanceof ServiceError ? error.code : 'error';
      observe.metrics.count('webhook_rejected', { reason });
      throw error;
    }
  };
  const stack: StackParts = { logger: observe.logger, secretsFor: secretsFor({ webhookSecrets }, config.mode) };
  return { receive, stack };
}

/** The scheduled cleanup (and, in proxy mode, the reconciliation before it), over every kind. */
export function buildCleanupApp(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(env);
  const observe = observability(config);
  const secret = secretFor(observe.logger);
  const realtoClientSecret = platformSecret(config, secret);
  const store = requestStore(config);
  const core = lifecycleOf(config, store, ALL_KINDS, missingSecret('PAGE_TOKEN_SECRET'), createNotary(signerOf(config)));
  const platform = realtoPlatform(config, observe, core, store, ALL_KINDS, realtoClientSecret) ?? localPlatform;
  const expireStaleRequests = createCleanupJob({
    lifecycle: core,
    store,
    sessions: createDynamoSessionStore(documentsOf(config), config.tableName),
    platform,
    pendingMaxAgeHours: config.cleanup.pendingMaxAgeHours,
    processingMaxAgeHours: config.cleanup.processingMaxAgeHours,
    safetyMarginMs: config.cleanup.safetyMarginMs,
  });
  const secrets = secretsFor(realtoClientSecret ? { realtoClientSecret } : {}, config.mode)(CLEANUP_JOB);
  return { expireStaleRequests, secrets, ...observe };
}

/** 3 and 4, for the functions of outbound events: their items and the delivery engine. */
function deliveryOf(config: Config, logger: Logger) {
  checkBuiltFor(config);
  const events = createDynamoEventStore(documentsOf(config), config.tableName);
  const policy = { deployed: config.deployed };
  const deliveries = createDeliveryEngine({
    store: events,
    sender: createHttpSender(policy),
    retrySeconds: config.events.retrySeconds,
    onDisabled: (endpoint) =>
      logger.warn('A webhook endpoint was disabled: no delivery succeeded for 5 days', { endpointId: endpoint.id, tenantId: endpoint.tenantId }),
    ...(config.events.workerFunction
      ? { handOff: lambdaHandOff(config.events.workerFunction, { region: config.region, endpoint: config.events.lambdaEndpoint }) }
      : {}),
  });
  return { events, deliveries, policy };
}

/**
 * The webhook endpoints API's functions: a tenant's endpoints, tests, attempts and retries. Only the two
 * that send now (a test event, a retry) are built with the delivery engine (`sends`): the others carry
 * none of it, so their cold start does not pay for it.
 */
function endpointsApp(env: NodeJS.ProcessEnv, sends?: typeof deliveryOf) {
  const config = loadConfig(env);
  const observe = observability(config);
  const pageTokenSecret = secretFor(observe.logger)(config.pageTokenSecret, 'PAGE_TOKEN_SECRET');
  // `sends` is the engine's builder, passed in rather than called here, so that esbuild leaves the engine out
  // of the bundles whose builder does not pass it.
  const sending = sends?.(config, observe.logger);
  if (!sending) checkBuiltFor(config);
  const endpoints = createEndpointService({
    store: createDynamoEndpointStore(documentsOf(config), config.tableName),
    pageTokens: createPageTokens(pageTokenSecret.current),
    ...(sending ? { deliveries: sending.deliveries } : {}),
    policy: sending?.policy ?? { deployed: config.deployed },
    resolve: resolveHost,
  });
  const stack: StackParts = {
    logger: observe.logger,
    authenticate: createAuthenticator(config.auth),
    secretsFor: secretsFor({ pageTokenSecret }, config.mode),
  };
  return { endpoints, stack };
}

/** The endpoints API's functions that manage endpoints and read their attempts. */
export const buildEndpointsApp = (env: NodeJS.ProcessEnv = process.env) => endpointsApp(env);

/** The endpoints API's functions that send now: a test event, a retry of one delivery. */
export const buildEndpointSendingApp = (env: NodeJS.ProcessEnv = process.env) => endpointsApp(env, deliveryOf);

/** The publisher and the sweep hand deliveries to the worker: without one they could only drop them. */
function requireWorker(config: Config) {
  if (!config.events.workerFunction) throw new ConfigError('DELIVERY_WORKER_FUNCTION is required: deliveries are handed to that function');
}

/**
 * The table stream's consumer: each committed transition becomes an event, on the stage's bus when there
 * is one, recorded for every endpoint of its tenant that takes it, and handed to those endpoints'
 * workers. Events show any kind's request.
 */
export function buildPublisherApp(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(env);
  requireWorker(config);
  const observe = observability(config);
  const { events, deliveries } = deliveryOf(config, observe.logger);
  const publisher = createPublisher({
    store: events,
    deliveries,
    kinds: registryOf(ALL_KINDS),
    ...(config.events.busName ? { bus: eventBridgeBus(config.events.busName) } : {}),
  });
  /** A batch of the table's stream: its committed request changes, published. */
  const publish = (records: readonly DynamoDBRecord[]) => publisher(requestChanges(records));
  return { publish, ...observe };
}

/** The scheduled retries of outbound events: every delivery that falls due, handed to its endpoint's worker. */
export function buildDeliveriesApp(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(env);
  requireWorker(config);
  const observe = observability(config);
  const { deliveries } = deliveryOf(config, observe.logger);
  return { sweep: deliveries.sweep, safetyMarginMs: config.events.safetyMarginMs, ...observe };
}

/** The delivery worker: one endpoint's deliveries, attempted (invoked asynchronously by the two above). */
export function buildDeliveryWorkerApp(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(env);
  const observe = observability(config);
  const { deliveries } = deliveryOf(config, observe.logger);
  return { deliverTo: deliveries.deliverTo, safetyMarginMs: config.events.safetyMarginMs, ...observe };
}

/** The guided onboarding sessions API: ours in local mode; the platform's reads in proxy mode. */
export function buildGuidedApp(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(env);
  const observe = observability(config);
  const secret = secretFor(observe.logger);
  const pageTokenSecret = secret(config.pageTokenSecret, 'PAGE_TOKEN_SECRET');
  const linkSecret = secret(config.linkSecret, 'LINK_SECRET');
  const realtoClientSecret = platformSecret(config, secret);
  const store = requestStore(config);
  const core = lifecycleOf(config, store, [ENTITY_ONBOARDING], pageTokenSecret, createNotary(signerOf(config)));
  const links = endUserLinks(linkSecret);
  const entities = createRequests(ENTITY_ONBOARDING, core, requestsOptions(config, links));
  let guided: GuidedApi;
  // Spelled out (not BUILT_FOR) so that esbuild folds it and each mode's bundle carries only its side.
  if (process.env.ONBOARDING_MODE === 'realto') {
    if (!config.realto || !realtoClientSecret) throw new ConfigError("ONBOARDING_MODE=realto needs the platform's settings");
    // The platform's sessions, each request shown as our copy when we hold it.
    const ours = (id: string, caller: Caller) =>
      entities.get(id, caller, { correlationId: `session-request:${id}` }).catch((error: unknown) => {
        if (error instanceof NotFoundError) return null;
        throw error;
      });
    guided = createProxyGuided(createPlatformClient(config.realto, realtoClientSecret, []), ours);
  } else {
    guided = createGuidedService({
      sessions: createDynamoSessionStore(documentsOf(config), config.tableName),
      entities,
      allowLoopbackHttpReturnUrl: !config.production,
      pageTokens: createPageTokens(pageTokenSecret.current),
      urlOf: (session) =>
        `${config.publicUrl}/guided/${links!.sign('guided', { id: session.id, tenantId: session.tenantId, expiresAt: new Date(session.expiresAt) })}`,
    });
  }
  const stack: StackParts = {
    logger: observe.logger,
    authenticate: createAuthenticator(config.auth),
    secretsFor: secretsFor({ pageTokenSecret, linkSecret, ...(realtoClientSecret ? { realtoClientSecret } : {}) }, config.mode),
  };
  return { guided, stack };
}

/** A page that is off: as unknown as a forged link. */
const pageOff = async (): Promise<never> => {
  throw new NotFoundError("This service's end-user pages are off in realto mode.");
};

/**
 * What the end user's pages share: the signed links, and in local mode the table, the lifecycle of the
 * kinds the page shows and the notary that signs each decision. In proxy mode the platform's own
 * consent link is handed out, and the pages answer 404.
 */
function pageParts(env: NodeJS.ProcessEnv, kinds: readonly AnyKind[]) {
  const config = loadConfig(env);
  const observe = observability(config);
  const linkSecret = secretFor(observe.logger)(config.linkSecret, 'LINK_SECRET');
  const stack: StackParts = { logger: observe.logger, secretsFor: secretsFor({ linkSecret }, config.mode) };
  const links = endUserLinks(linkSecret);
  // Spelled out (not BUILT_FOR) so that esbuild folds it: proxy-mode bundles carry no page.
  if (process.env.ONBOARDING_MODE === 'realto' || !links) return { stack, local: undefined };
  const store = requestStore(config);
  const notary = createNotary(signerOf(config));
  const core = lifecycleOf(config, store, kinds, missingSecret('PAGE_TOKEN_SECRET'), notary);
  const pageUrl = (page: 'consent' | 'guided') => (token: string) => `${config.publicUrl}/${page}/${token}`;
  return { stack, local: { config, links, store, notary, core, pageUrl, hashAddress: addressHasher(linkSecret.current) } };
}

/** The consent page's function: any kind with a consent step. Each page function carries only its page. */
export function buildConsentPagesApp(env: NodeJS.ProcessEnv = process.env) {
  const { stack, local } = pageParts(env, CONSENT_KINDS);
  if (process.env.ONBOARDING_MODE === 'realto' || !local) return { consent: { show: pageOff, decide: pageOff, receipt: pageOff }, stack };
  const { store, core, links, pageUrl, notary, hashAddress } = local;
  return {
    consent: createConsentPages({ store, lifecycle: core, kinds: registryOf(CONSENT_KINDS), links, pageUrl: pageUrl('consent'), notary, hashAddress }),
    stack,
  };
}

/** The guided session's page function: a session yields an entity onboarding, so that is the one kind it knows. */
export function buildGuidedPagesApp(env: NodeJS.ProcessEnv = process.env) {
  const { stack, local } = pageParts(env, [ENTITY_ONBOARDING]);
  if (process.env.ONBOARDING_MODE === 'realto' || !local) return { guided: { show: pageOff, submit: pageOff, receipt: pageOff }, stack };
  const { config, store, core, links, pageUrl, notary, hashAddress } = local;
  const sessions = createDynamoSessionStore(documentsOf(config), config.tableName);
  const guided = createGuidedService({
    sessions,
    entities: createRequests(ENTITY_ONBOARDING, core, requestsOptions(config, links)),
    allowLoopbackHttpReturnUrl: !config.production,
    pageTokens: createPageTokens(missingSecret('PAGE_TOKEN_SECRET').current),
    urlOf: () => '',
  });
  return { guided: createGuidedPages({ sessions, guided, links, pageUrl: pageUrl('guided'), trails: store, notary, hashAddress }), stack };
}

/** The OpenAPI document's function: settings and a logger, nothing to store or verify. */
export function buildDocsApp(env: NodeJS.ProcessEnv = process.env) {
  const { logger } = observability(loadConfig(env));
  const stack: StackParts = { logger, secretsFor: () => [] };
  return { stack };
}

/**
 * API Gateway's `$default` route: what the API and the pages answer for a path or method they do not have
 * (./routes/fallback.ts). Settings and a logger; nothing to store, verify or read.
 */
export function buildFallbackApp(env: NodeJS.ProcessEnv = process.env) {
  const { logger } = observability(loadConfig(env));
  return { logger };
}
