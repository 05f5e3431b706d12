import { missingSecret, secretOf, type Secret } from '../config/secrets.ts';
import { type Config, ConfigError, type SecretSetting, loadConfig } from '../config/settings.ts';
import { createAuthenticator } from '../http/auth.ts';
import { createPageTokens } from '../http/page-tokens.ts';
import type { HttpParts } from '../http/handler.ts';
import { type Route, type SecretName, secretsOf } from '../http/route.ts';
import { createCleanupJob } from '../lifecycle/cleanup.ts';
import { createDeliveryEngine } from '../events/delivery.ts';
import { createEndpointService } from '../events/endpoints.ts';
import { eventBridgeBus } from '../events/event-bridge.ts';
import { createHttpSender, resolveHost } from '../events/http-sender.ts';
import { createPublisher } from '../events/publish.ts';
import { NotFoundError } from '../lifecycle/errors.ts';
import { createGuidedService, type GuidedApi } from '../lifecycle/guided.ts';
import { createLifecycle, type Lifecycle } from '../lifecycle/lifecycle.ts';
import type { Caller } from '../lifecycle/types.ts';
import { createOffboardingService, offboardingView } from '../lifecycle/offboarding.ts';
import { localPlatform, type Platform } from '../lifecycle/platform.ts';
import { createOnboardingService, onboardingView } from '../lifecycle/onboarding.ts';
import { createConsentPages } from '../pages/consent.ts';
import { createGuidedPages } from '../pages/guided.ts';
import { createLinks, type Links } from '../pages/links.ts';
import { createProxyGuided } from '../proxy/guided.ts';
import { createProxyOffboarding } from '../proxy/offboarding.ts';
import { createProxyOnboarding } from '../proxy/onboarding.ts';
import { createPlatformClient, createRealtoPlatform } from '../proxy/platform.ts';
import { createDocumentClient, createDynamoClient } from '../store/client.ts';
import { createDynamoEventStore } from '../store/dynamo-events.ts';
import { createDynamoSessionStore } from '../store/dynamo-sessions.ts';
import { createDynamoStore } from '../store/dynamo-store.ts';
import { createLogger } from '../telemetry/logger.ts';
import { createMetrics } from '../telemetry/metrics.ts';
import { createWebhookReceiver } from '../webhooks/receive.ts';
import { parseSecrets } from '../webhooks/signature.ts';

/**
 * The composition root: what a cold start builds, in order, and nothing else wires anything. Each function
 * calls the one builder it needs at module scope, once per cold start; no module of lib/ does anything
 * because it was imported. Each builder is its own entry so that a function's bundle carries only what it
 * builds (the OpenAPI function no DynamoDB client, the webhook no token check, a local-mode stack no
 * Realto client).
 *
 * Order: 1. settings, logger, metrics  2. secrets (values or SSM parameter names, fetched on first need)
 * 3. DynamoDB client and store  4. the lifecycle (or, for outbound events, the delivery engine)  5. the
 * platform in front of it  6. what the function serves.
 */

/**
 * The mode this code was built for. serverless.yml has esbuild replace `process.env.ONBOARDING_MODE` with
 * the stack's mode (as it chooses the IAM statements by it), so a local-mode bundle carries none of the
 * proxy; unbundled (tests, scripts) it is the environment's.
 */
const BUILT_FOR = process.env.ONBOARDING_MODE || 'local';

/** 1 and 2: every function. */
function foundation(env: NodeJS.ProcessEnv) {
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel);
  const metrics = createMetrics(logger, { silent: env.METRICS_DISABLED === 'true' });
  const secret = (setting: SecretSetting | undefined, name: string): Secret => (setting === undefined ? missingSecret(name) : secretOf(setting, {
    onFetchFailed: ({ secret: failed, parameter, error }) => logger.error('A secret could not be read from SSM', { secret: failed, parameter, error: error as Error }),
  }));
  return { config, logger, metrics, secret };
}

/** 3: the functions that read or write the table: the client, and the requests' store. */
function storage(config: Config) {
  const { dynamo, documents } = tableClients(config);
  return { dynamo, documents, store: createDynamoStore(documents, config.tableName) };
}

/** 3, for the functions that serve guided sessions (contract §10): their own store, beside the requests'. */
function sessionStorage(config: Config, documents: ReturnType<typeof tableClients>['documents']) {
  return createDynamoSessionStore(documents, config.tableName);
}

function tableClients(config: Config) {
  const dynamo = createDynamoClient({ region: config.region, endpoint: config.dynamoEndpoint });
  return { dynamo, documents: createDocumentClient(dynamo) };
}

/** The stack's mode is fixed when it is packaged: a function that finds another one refuses to start. */
function checkBuiltFor(config: Config) {
  if (BUILT_FOR !== config.mode) {
    throw new ConfigError(`This function was built for ONBOARDING_MODE=${BUILT_FOR} but runs with ${config.mode}: package it again`);
  }
}

/**
 * The end user's signed links (contract §9, §10), with the secret of the moment. Local mode only: in proxy
 * mode the platform's own links are handed out, so its bundles carry no signer (the routes still name the
 * secret, which no call there reads).
 */
function endUserLinks(base: ReturnType<typeof foundation>) {
  const linkSecret = base.secret(base.config.linkSecret, 'LINK_SECRET');
  // Spelled out (not BUILT_FOR) so that esbuild sees a constant and drops the signer from proxy-mode bundles.
  const links = process.env.ONBOARDING_MODE === 'realto' ? undefined : createLinks(linkSecret.current);
  return { linkSecret, links };
}

/**
 * The consent link of a new request: this stage's consent page, signed for the request and its tenant
 * until it would expire as Pending (contract §9).
 */
function consentLinksOf(config: Config, links: Links | undefined) {
  if (!links) return undefined;
  const pendingMs = config.cleanup.pendingMaxAgeHours * 3_600_000;
  return (request: { id: string; tenantId: string; created: string }) => ({
    redirectLink: `${config.publicUrl}/consent/${links.sign('consent', { id: request.id, tenantId: request.tenantId, expiresAt: new Date(Date.parse(request.created) + pendingMs) })}`,
    documentationLink: config.documentationUrl,
  });
}

/** 3 and 4, for the functions that deliver outbound events (contract §11): their items and the delivery engine. */
function delivery(base: ReturnType<typeof foundation>, documents: ReturnType<typeof tableClients>['documents']) {
  const { config, logger } = base;
  checkBuiltFor(config);
  const events = createDynamoEventStore(documents, config.tableName);
  const policy = { production: config.production };
  const deliveries = createDeliveryEngine({
    store: events,
    sender: createHttpSender(policy),
    retrySeconds: config.events.retrySeconds,
    onDisabled: (endpoint) => logger.warn('A webhook endpoint was disabled: no delivery succeeded for 5 days', { endpointId: endpoint.id, tenantId: endpoint.tenantId }),
  });
  return { events, deliveries, policy };
}

/** 4: the lifecycle core on our table, the one place a status changes. */
function ownLifecycle(base: ReturnType<typeof foundation>, store: ReturnType<typeof storage>['store']) {
  const { config } = base;
  checkBuiltFor(config);
  const pageTokenSecret = base.secret(config.pageTokenSecret, 'PAGE_TOKEN_SECRET');
  const lifecycleOptions = { store, pageTokens: createPageTokens(pageTokenSecret.current) };
  return { lifecycle: createLifecycle(lifecycleOptions), lifecycleOptions, pageTokenSecret };
}

/** Proxy mode's platform client alone, for the reads that have no mirror (guided sessions). */
function realtoClientOf(base: ReturnType<typeof foundation>) {
  const { config } = base;
  if (!config.realto) throw new ConfigError('ONBOARDING_MODE=realto needs the platform\'s settings');
  const realtoClientSecret = base.secret(config.realto.clientSecret, 'REALTO_CLIENT_SECRET');
  return { realtoClient: createPlatformClient(config.realto, realtoClientSecret), realtoClientSecret };
}

/** 5: in proxy mode, the Realto platform in front of the lifecycle; in local mode, nothing. */
function platformOf(base: ReturnType<typeof foundation>, store: ReturnType<typeof storage>['store'], lifecycle: Lifecycle) {
  const { config, logger, secret } = base;
  const realtoClientSecret = config.realto ? secret(config.realto.clientSecret, 'REALTO_CLIENT_SECRET') : undefined;
  // Spelled out (not BUILT_FOR) so that esbuild sees a constant and drops the proxy from local-mode bundles.
  const realto = process.env.ONBOARDING_MODE === 'realto' && config.realto && realtoClientSecret
    ? createRealtoPlatform({ settings: config.realto, clientSecret: realtoClientSecret, lifecycle, store, logger, metrics: base.metrics })
    : undefined;
  const platform: Platform = realto ?? localPlatform;
  return { platform, mirror: realto?.mirror, realtoClientSecret };
}

/** The secrets a route reads in this stack: its own, and the platform's credentials where it calls the platform. */
function secretsFor(secrets: Partial<Record<SecretName, Secret>>, mode: Config['mode']) {
  return (route: Pick<Route, 'secrets' | 'platform'>): Secret[] => {
    return secretsOf(route, mode).map((name) => {
      const found = secrets[name];
      if (!found) throw new ConfigError(`${name} is not configured for this function`);
      return found;
    });
  };
}

/** The onboarding API's functions (create, list, get, cancel): the lifecycle's, or the platform's decorator. */
export function buildApiApp(env: NodeJS.ProcessEnv = process.env) {
  const base = foundation(env);
  const { config } = base;
  const { dynamo, store } = storage(config);
  const { onboarding: service, links, linkSecret, pageTokenSecret } = onboardingWithLinks(base, store);
  const { platform, mirror, realtoClientSecret } = platformOf(base, store, service.lifecycle);
  const onboarding = process.env.ONBOARDING_MODE === 'realto' && mirror ? createProxyOnboarding(service, mirror) : service;
  const authenticate = createAuthenticator(config.auth);
  const secrets = { pageTokenSecret, linkSecret, ...(realtoClientSecret ? { realtoClientSecret } : {}) };
  const parts: HttpParts = { logger: base.logger, authenticate, secretsFor: secretsFor(secrets, config.mode) };
  return { ...base, dynamo, store, lifecycle: service, platform, onboarding, links, parts };
}

/** The offboarding API's functions (create, list, get, cancel; contract §12), as buildApiApp for onboarding. */
export function buildOffboardingApp(env: NodeJS.ProcessEnv = process.env) {
  const base = foundation(env);
  const { dynamo, store } = storage(base.config);
  const { lifecycle, pageTokenSecret } = ownLifecycle(base, store);
  const service = createOffboardingService(lifecycle);
  const { mirror, realtoClientSecret } = platformOf(base, store, lifecycle);
  const offboarding = process.env.ONBOARDING_MODE === 'realto' && mirror ? createProxyOffboarding(service, mirror) : service;
  const authenticate = createAuthenticator(base.config.auth);
  const parts: HttpParts = { logger: base.logger, authenticate, secretsFor: secretsFor({ pageTokenSecret, ...(realtoClientSecret ? { realtoClientSecret } : {}) }, base.config.mode) };
  return { ...base, dynamo, store, offboarding, parts };
}

/**
 * The audit trail's functions (transitions, of every kind): always from our own table, in either mode,
 * since the platform keeps no trail; so they carry no platform client and no kind's API.
 */
export function buildTrailApp(env: NodeJS.ProcessEnv = process.env) {
  const base = foundation(env);
  const { dynamo, store } = storage(base.config);
  const { lifecycle, pageTokenSecret } = ownLifecycle(base, store);
  const authenticate = createAuthenticator(base.config.auth);
  const parts: HttpParts = { logger: base.logger, authenticate, secretsFor: secretsFor({ pageTokenSecret }, base.config.mode) };
  return { ...base, dynamo, store, trail: lifecycle, parts };
}

/** The provider webhook's function: signatures checked with the secrets of the moment. */
export function buildWebhookApp(env: NodeJS.ProcessEnv = process.env) {
  const base = foundation(env);
  const { config } = base;
  if (!config.webhookSecrets) throw new ConfigError('WEBHOOK_SECRETS (or WEBHOOK_SECRETS_PARAMETER) is required when deployed');
  const webhookSecrets = base.secret(config.webhookSecrets, 'WEBHOOK_SECRETS');
  const { dynamo, store } = storage(config);
  const { lifecycle } = ownLifecycle(base, store);
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
  const receive = createWebhookReceiver({
    service: lifecycle, store, keys, inboxTtlSeconds: config.webhookInboxTtlSeconds, actorType: config.mode === 'realto' ? 'upstream' : 'webhook',
  });
  const parts: HttpParts = { logger: base.logger, secretsFor: secretsFor({ webhookSecrets }, config.mode) };
  return { ...base, dynamo, store, receive, parts };
}

/** The scheduled cleanup (and, in proxy mode, the reconciliation before it). */
export function buildCleanupApp(env: NodeJS.ProcessEnv = process.env) {
  const base = foundation(env);
  const { config } = base;
  const { dynamo, documents, store } = storage(config);
  const { lifecycle, pageTokenSecret } = ownLifecycle(base, store);
  const { platform, realtoClientSecret } = platformOf(base, store, lifecycle);
  const secrets = { pageTokenSecret, ...(realtoClientSecret ? { realtoClientSecret } : {}) };
  const expireStaleRequests = createCleanupJob({
    service: lifecycle,
    store,
    sessions: sessionStorage(config, documents),
    platform,
    pendingMaxAgeHours: config.cleanup.pendingMaxAgeHours,
    processingMaxAgeHours: config.cleanup.processingMaxAgeHours,
    safetyMarginMs: config.cleanup.safetyMarginMs,
  });
  return { ...base, dynamo, store, expireStaleRequests, secrets: secretsFor(secrets, config.mode)({ platform: { permissions: [] } }) };
}

/** The webhook endpoints API's functions (contract §11): a tenant's endpoints, tests, attempts and retries. */
export function buildEndpointsApp(env: NodeJS.ProcessEnv = process.env) {
  const base = foundation(env);
  const { config } = base;
  const { dynamo, documents } = tableClients(config);
  const { events, deliveries, policy } = delivery(base, documents);
  const pageTokenSecret = base.secret(config.pageTokenSecret, 'PAGE_TOKEN_SECRET');
  const endpoints = createEndpointService({
    store: events, pageTokens: createPageTokens(pageTokenSecret.current), deliveries, policy, resolve: resolveHost,
  });
  const authenticate = createAuthenticator(config.auth);
  const parts: HttpParts = { logger: base.logger, authenticate, secretsFor: secretsFor({ pageTokenSecret }, config.mode) };
  return { ...base, dynamo, endpoints, parts };
}

/**
 * The table stream's consumer (contract §11): each committed transition becomes an event, on the stage's
 * bus when there is one, and attempted at every endpoint of its tenant that takes it.
 */
export function buildPublisherApp(env: NodeJS.ProcessEnv = process.env) {
  const base = foundation(env);
  const { config } = base;
  const { dynamo, documents } = tableClients(config);
  const { events, deliveries } = delivery(base, documents);
  const publish = createPublisher({
    store: events,
    deliveries,
    // The consent link as stored with the request (one stored before links were kept shows none here).
    viewOf: (request) => (request.requestType === 'EntityOffboarding' ? offboardingView(request) : onboardingView(request)),
    ...(config.events.busName ? { bus: eventBridgeBus(config.events.busName) } : {}),
  });
  return { ...base, dynamo, publish };
}

/** The scheduled retries of outbound events: every delivery that falls due (contract §11). */
export function buildDeliveriesApp(env: NodeJS.ProcessEnv = process.env) {
  const base = foundation(env);
  const { dynamo, documents } = tableClients(base.config);
  const { deliveries } = delivery(base, documents);
  return { ...base, dynamo, sweep: deliveries.sweep };
}

/** 4, for the functions that show or create onboarding requests: the onboarding service with its consent links. */
function onboardingWithLinks(base: ReturnType<typeof foundation>, store: ReturnType<typeof storage>['store'], endUser = endUserLinks(base)) {
  const { config } = base;
  const { lifecycleOptions, pageTokenSecret } = ownLifecycle(base, store);
  const onboarding = createOnboardingService({ ...lifecycleOptions, consentLinks: consentLinksOf(config, endUser.links), allowLoopbackHttpReturnUrl: !config.production });
  return { onboarding, ...endUser, pageTokenSecret, lifecycleOptions };
}

/** The guided onboarding sessions API (contract §10): ours in local mode; the platform's reads in proxy mode. */
export function buildGuidedApp(env: NodeJS.ProcessEnv = process.env) {
  const base = foundation(env);
  const tables = storage(base.config);
  const served = onboardingWithLinks(base, tables.store);
  // Spelled out (not BUILT_FOR) so that esbuild folds it and each mode's bundle carries only its side.
  const { guided, secrets } = process.env.ONBOARDING_MODE === 'realto' ? platformGuided(base, served) : localGuided(base, tables, served);
  const parts: HttpParts = { logger: base.logger, authenticate: createAuthenticator(base.config.auth), secretsFor: secretsFor(secrets, base.config.mode) };
  return { ...base, dynamo: tables.dynamo, store: tables.store, guided, parts };
}

type Served = ReturnType<typeof onboardingWithLinks>;

function localGuided(base: ReturnType<typeof foundation>, { documents }: ReturnType<typeof storage>, served: Served) {
  const { config } = base;
  const { onboarding, links, linkSecret, pageTokenSecret, lifecycleOptions } = served;
  const guided: GuidedApi = createGuidedService({
    sessions: sessionStorage(config, documents), onboarding, pageTokens: lifecycleOptions.pageTokens,
    urlOf: (session) => `${config.publicUrl}/guided/${links!.sign('guided', { id: session.id, tenantId: session.tenantId, expiresAt: new Date(session.expiresAt) })}`,
  });
  return { guided, secrets: { pageTokenSecret, linkSecret } as Partial<Record<SecretName, Secret>> };
}

/** The platform's sessions, each request shown as our copy when we hold it. */
function platformGuided(base: ReturnType<typeof foundation>, { onboarding, linkSecret, pageTokenSecret }: Served) {
  const { realtoClient, realtoClientSecret } = realtoClientOf(base);
  const ours = (id: string, caller: Caller) => onboarding.get('Entity', id, caller).catch((error: unknown) => {
    if (error instanceof NotFoundError) return null;
    throw error;
  });
  return { guided: createProxyGuided(realtoClient, ours), secrets: { pageTokenSecret, linkSecret, realtoClientSecret } as Partial<Record<SecretName, Secret>> };
}

/** A page that is off: as unknown as a forged link. */
const pageOff = async (): Promise<never> => {
  throw new NotFoundError('This service\'s end-user pages are off in realto mode.');
};

/**
 * The end user's pages (contract §9, §10): the consent page and the guided session's page. Local mode
 * only: in proxy mode the platform's own consent link is handed out, and these answer 404.
 */
export function buildPagesApp(env: NodeJS.ProcessEnv = process.env) {
  const base = foundation(env);
  const tables = storage(base.config);
  const endUser = endUserLinks(base);
  const parts: HttpParts = { logger: base.logger, secretsFor: secretsFor({ linkSecret: endUser.linkSecret }, base.config.mode) };
  // Spelled out (not BUILT_FOR) so that esbuild folds it: proxy-mode bundles carry no page.
  const pages = process.env.ONBOARDING_MODE === 'realto' || !endUser.links
    ? { consent: { show: pageOff, decide: pageOff }, guided: { show: pageOff, submit: pageOff } }
    : localPages(base, tables, { ...endUser, links: endUser.links });
  return { ...base, dynamo: tables.dynamo, store: tables.store, ...pages, parts };
}

function localPages(base: ReturnType<typeof foundation>, { store, documents }: ReturnType<typeof storage>, endUser: { linkSecret: Secret; links: Links }) {
  const { config } = base;
  const { links } = endUser;
  const { onboarding, lifecycleOptions } = onboardingWithLinks(base, store, endUser);
  const sessions = sessionStorage(config, documents);
  const pageUrl = (kind: 'consent' | 'guided') => (token: string) => `${config.publicUrl}/${kind}/${token}`;
  const guided = createGuidedService({ sessions, onboarding, pageTokens: lifecycleOptions.pageTokens, urlOf: () => '' });
  return {
    consent: createConsentPages({ store, lifecycle: onboarding.lifecycle, links, pageUrl: pageUrl('consent') }),
    guided: createGuidedPages({ sessions, guided, links, pageUrl: pageUrl('guided') }),
  };
}

/** The OpenAPI document's function: settings and a logger, nothing to store or verify. */
export function buildDocsApp(env: NodeJS.ProcessEnv = process.env) {
  const base = foundation(env);
  const parts: HttpParts = { logger: base.logger, secretsFor: () => [] };
  return { ...base, parts };
}
