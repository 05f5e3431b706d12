import type { Schema } from '../lifecycle/schemas.ts';

/**
 * What a deployed function declares, once, in the function table (lib/app/function-table.ts): its name and
 * handler, what its role may touch, and, for a route, its HTTP part: method and path, who may call it,
 * what it takes and answers. The middleware stack reads the HTTP part; serverless.yml
 * (resources/functions.cjs) reads the rest; the OpenAPI document, the local gateway and the test client
 * read both.
 */
export type Scope = 'onboarding:read' | 'onboarding:write' | 'webhooks:read' | 'webhooks:write';

/** The secrets a function may read (each its setting, its SSM parameter and the IAM statement to read it). */
export type SecretName = 'pageTokenSecret' | 'webhookSecrets' | 'realtoClientSecret' | 'linkSecret';

/** Names of the IAM statements of serverless.yml (`custom.iam`), granted per function. */
export type Permission =
  | 'readRequest'
  | 'writeRequest'
  | 'writeIdempotencyKey'
  | 'writeWebhookMessage'
  | 'writeEntityRegistry'
  | 'queryTenantIndexes'
  | 'queryTable'
  | 'queryOpenIndex'
  | 'cleanupDeadLetters'
  | 'writeEvents'
  | 'queryDueDeliveries'
  | 'queryAttempts'
  | 'putOnEventBus'
  | 'eventsDeadLetters'
  | 'invokeDeliveryWorker'
  | 'writeSession'
  /** Sign consent receipts and checkpoints with the stage's KMS key (kms:Sign, kms:GetPublicKey). */
  | 'signProofs'
  /** Publish the signing keys (kms:GetPublicKey). */
  | 'readSigningKeys';

export type { Schema };
/** A schema built on first use (lib/lifecycle/schemas.ts `once`): a cold start builds none. */
export type LazySchema = () => Schema;

/** What a function's role may touch, and the secrets it reads. */
export interface Access {
  permissions: readonly Permission[];
  secrets?: readonly SecretName[];
  /** Proxy mode: the function calls the platform first, and needs these permissions on top. */
  platform?: { permissions: readonly Permission[] };
}

/** A deployed function, whatever runs it. */
export interface DeployedFunction {
  /** The Lambda function's name in serverless.yml. */
  function: string;
  /** `<file without extension>.<export>`, as serverless.yml writes a handler. */
  handler: string;
  /** Seconds. */
  timeout?: number;
  access: Access;
}

export interface RouteInput<B extends LazySchema | undefined, Q extends LazySchema | undefined, P extends LazySchema | undefined> {
  params?: P;
  query?: Q;
  body?: B;
  /**
   * Hand the body over as bytes, unparsed: signed webhooks verify the exact bytes first, then parse them
   * as this schema (where they are read; here for the document).
   */
  rawBody?: LazySchema;
  /** Request headers the route reads, for the document (validated where they are read). */
  headers?: ReadonlyArray<{ name: string; required: boolean; schema: LazySchema; description: string }>;
}

/** The HTTP side of a route: nothing here names what the function's role may touch. */
export interface HttpRoute<
  B extends LazySchema | undefined = LazySchema | undefined,
  Q extends LazySchema | undefined = LazySchema | undefined,
  P extends LazySchema | undefined = LazySchema | undefined,
> {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** With `{name}` path parameters, as API Gateway writes them. */
  path: string;
  /** A bearer token with this scope; `signature` for signed webhooks; `none` for public documents and the pages. */
  auth: Scope | 'signature' | 'none';
  input: RouteInput<B, Q, P>;
  /** The success answer: its status, the name of its body's schema in the document (null: none) and headers. */
  ok: { status: number; description: string; body: string | null; headers?: readonly string[] /** Default `application/json`. */; mediaType?: string };
  /** The problem statuses it may answer, besides the ones every route may (500, 502, 503, 504, 429). */
  errors: readonly number[];
  operationId: string;
  summary: string;
  tag: string;
  /** An HTML page for people (lib/http/html-page.ts), not part of the API: not in the OpenAPI document. */
  html?: true;
}

/** A function behind API Gateway: the route it serves. */
export interface Route<
  B extends LazySchema | undefined = LazySchema | undefined,
  Q extends LazySchema | undefined = LazySchema | undefined,
  P extends LazySchema | undefined = LazySchema | undefined,
> extends DeployedFunction {
  http: HttpRoute<B, Q, P>;
}

/** Declares a route, keeping its schemas' types for the handler that serves it. */
export function route<B extends LazySchema | undefined = undefined, Q extends LazySchema | undefined = undefined, P extends LazySchema | undefined = undefined>(
  definition: Route<B, Q, P>,
): Route<B, Q, P> {
  return definition;
}

/**
 * The secrets a function reads in a stack of `mode`: its own, except the end user's link secret where the
 * platform's own links are handed out (proxy mode), and the platform's client secret where it calls the
 * platform. serverless.yml (its parameters and IAM) and the secrets middleware both ask this.
 */
export function secretsOf(fn: Pick<DeployedFunction, 'access'>, mode: 'local' | 'realto'): SecretName[] {
  const own = (fn.access.secrets ?? []).filter((name) => name !== 'linkSecret' || mode === 'local');
  return mode === 'realto' && fn.access.platform !== undefined ? [...own, 'realtoClientSecret'] : own;
}
