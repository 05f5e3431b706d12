import type * as z from 'zod/mini';

/**
 * What a route of the route table (lib/app/functions.ts) declares, once: the function that serves it,
 * its method and path, who may call it, what it takes and answers, and what its role may touch. The
 * middleware stack, serverless.yml (resources/functions.cjs), the OpenAPI document, the local runner and
 * the test client all read it from there.
 */
export type Scope = 'onboarding:read' | 'onboarding:write' | 'webhooks:read' | 'webhooks:write';

/** The secrets a function may read (each its setting, its SSM parameter and the IAM statement to read it). */
export type SecretName = 'pageTokenSecret' | 'webhookSecrets' | 'realtoClientSecret' | 'linkSecret';

/**
 * The secrets a function reads in a stack of `mode`: its own, except the end user's link secret where the
 * platform's own links are handed out (proxy mode), and the platform's client secret where it calls the
 * platform. serverless.yml (its parameters and IAM) and the secrets middleware both ask this.
 */
export function secretsOf(fn: { secrets?: readonly SecretName[] | undefined; platform?: unknown }, mode: 'local' | 'realto'): SecretName[] {
  const own = (fn.secrets ?? []).filter((name) => name !== 'linkSecret' || mode === 'local');
  return mode === 'realto' && fn.platform !== undefined ? [...own, 'realtoClientSecret'] : own;
}

/** Names of the IAM statements of serverless.yml (`custom.iam`), granted per function. */
export type Permission =
  | 'readRequest' | 'writeRequest' | 'writeIdempotencyKey' | 'writeWebhookMessage' | 'writeEntityRegistry'
  | 'queryTenantIndexes' | 'queryTable' | 'queryOpenIndex' | 'cleanupDeadLetters'
  | 'writeEvents' | 'queryDueDeliveries' | 'putOnEventBus' | 'eventsDeadLetters' | 'writeSession';

export type Schema = z.core.$ZodType;

export interface RouteInput<B extends Schema | undefined, Q extends Schema | undefined, P extends Schema | undefined> {
  params?: P;
  query?: Q;
  body?: B;
  /**
   * Hand the body over as bytes, unparsed: signed webhooks verify the exact bytes first, then parse them
   * as this schema (where they are read; here for the document).
   */
  rawBody?: Schema;
  /** Request headers the route reads, for the document (validated where they are read). */
  headers?: ReadonlyArray<{ name: string; required: boolean; schema: Schema; description: string }>;
}

export interface Route<
  B extends Schema | undefined = Schema | undefined,
  Q extends Schema | undefined = Schema | undefined,
  P extends Schema | undefined = Schema | undefined,
> {
  /** The Lambda function's name in serverless.yml. */
  function: string;
  /** `<file without extension>.<export>`, as serverless.yml writes a handler. */
  handler: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** With `{name}` path parameters, as API Gateway writes them. */
  path: string;
  /** A bearer token with this scope; `signature` for signed webhooks; `none` for public documents. */
  auth: Scope | 'signature' | 'none';
  input: RouteInput<B, Q, P>;
  /** The success answer: its status, the schema of its body (a name of lib/http/openapi.ts; null: none) and headers. */
  ok: { status: number; description: string; body: string | null; headers?: readonly string[] };
  /** The problem statuses it may answer, besides the ones every route may (500, 502, 503, 504, 429). */
  errors: readonly number[];
  operationId: string;
  summary: string;
  tag: string;
  permissions: readonly Permission[];
  secrets?: readonly SecretName[];
  /** Proxy mode: the function calls the platform first, and needs these permissions on top. */
  platform?: { permissions: readonly Permission[] };
  /** Seconds; API Gateway's own limit is 30. */
  timeout?: number;
  /** A page for people (HTML, lib/http/page.ts), not part of the API: not in the OpenAPI document. */
  page?: true;
}

/** Declares a route, keeping its schemas' types for the handler that serves it. */
export function route<B extends Schema | undefined = undefined, Q extends Schema | undefined = undefined, P extends Schema | undefined = undefined>(
  definition: Route<B, Q, P>,
): Route<B, Q, P> {
  return definition;
}
