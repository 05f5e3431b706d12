import type { Route, SecretName } from '../http/route.ts';
import { JOBS } from './jobs.ts';
import { COLLECTIVE_ONBOARDING_ROUTES } from './routes/collective-onboarding.ts';
import { ENTITY_OFFBOARDING_ROUTES } from './routes/entity-offboarding.ts';
import { ENTITY_ONBOARDING_ROUTES } from './routes/entity-onboarding.ts';
import { FALLBACK_ROUTE } from './routes/fallback.ts';
import { GUIDED_SESSION_ROUTES } from './routes/guided-sessions.ts';
import { OPENAPI_ROUTE, SIGNING_KEYS_ROUTE } from './routes/meta.ts';
import { PAGE_ROUTES } from './routes/pages.ts';
import { WEBHOOK_ENDPOINT_ROUTES } from './routes/webhook-endpoints.ts';
import { WEBHOOK_ROUTE } from './routes/webhooks.ts';
import { ASYNC_WORKERS, STREAM_CONSUMERS } from './streams.ts';

export { secretsOf } from '../http/route.ts';
export { CLEANUP_JOB, DELIVERIES_JOB, type Job } from './jobs.ts';
export type { FallbackFunction } from './routes/fallback.ts';
export { type AsyncWorker, DELIVERY_WORKER, EVENTS_PUBLISHER, type StreamConsumer } from './streams.ts';
/**
 * Every deployed function, declared once: the routes (each HTTP route and the function that serves it, in
 * ./routes/: one file per kind of request, and one per other area), the scheduled jobs (./jobs.ts), the
 * table stream's consumer (./streams.ts), and the fallback behind API Gateway's `$default` route, which
 * answers every request no route takes (./routes/fallback.ts; not a route of the API, so not in ROUTES).
 * serverless.yml reads it through resources/functions.cjs, the OpenAPI document is built from it
 * (lib/http/openapi.ts), the local gateway serves it and the test client calls it. A function imports only
 * its own routes' file, so its bundle carries only their schemas.
 */
export {
  ASYNC_WORKERS,
  COLLECTIVE_ONBOARDING_ROUTES,
  ENTITY_OFFBOARDING_ROUTES,
  ENTITY_ONBOARDING_ROUTES,
  FALLBACK_ROUTE,
  GUIDED_SESSION_ROUTES,
  JOBS,
  OPENAPI_ROUTE,
  PAGE_ROUTES,
  SIGNING_KEYS_ROUTE,
  STREAM_CONSUMERS,
  WEBHOOK_ENDPOINT_ROUTES,
  WEBHOOK_ROUTE,
};

/** The routes of each kind of request, in the order the document lists them. A new kind adds its line here. */
export const KIND_ROUTES = [COLLECTIVE_ONBOARDING_ROUTES, ENTITY_ONBOARDING_ROUTES, ENTITY_OFFBOARDING_ROUTES];

/** The route table, in the order the document lists it. */
export const ROUTES: readonly Route[] = [
  ...KIND_ROUTES.flatMap((routes) => Object.values(routes)),
  ...Object.values(GUIDED_SESSION_ROUTES),
  ...Object.values(WEBHOOK_ENDPOINT_ROUTES),
  WEBHOOK_ROUTE,
  OPENAPI_ROUTE,
  SIGNING_KEYS_ROUTE,
  ...Object.values(PAGE_ROUTES),
] as Route[];

/** API Gateway's integration timeout is 30 s; each API function gets this unless its route says otherwise. */
export const DEFAULT_TIMEOUT_SECONDS = 10;

/**
 * Each secret a function may read: the setting that holds its value locally, whose `_PARAMETER` twin names
 * the SSM SecureString when deployed (serverless.yml `custom.secretParameters.<name>`), read by the IAM
 * statement `custom.iam.<name>`.
 */
export const SECRET_SETTINGS: Readonly<Record<SecretName, string>> = {
  pageTokenSecret: 'PAGE_TOKEN_SECRET',
  webhookSecrets: 'WEBHOOK_SECRETS',
  realtoClientSecret: 'REALTO_CLIENT_SECRET',
  linkSecret: 'LINK_SECRET',
};
