/**
 * Every setting, read from the environment once at cold start (lib/app/app.ts). A setting that cannot work
 * fails the start with a message naming it, rather than the first request. Nothing here reads a secret's
 * value from AWS: a deployed secret is only the name of its SSM parameter (./secrets.ts fetches it).
 */
export interface Config {
  stage: string;
  production: boolean;
  /** In AWS for real, whatever the stage's name (isDeployed): where events may be sent is judged by it. */
  deployed: boolean;
  region: string;
  tableName: string;
  dynamoEndpoint: string | undefined;
  auth: {
    issuer: string;
    audience: string;
    /** HS256 shared secret; only outside production and only when no JWKS URL is set. */
    jwtSecret: string | undefined;
    jwksUrl: string | undefined;
  };
  /** Absent in a deployed function that pages through nothing: only the functions that read it get its parameter. */
  pageTokenSecret: SecretSetting | undefined;
  /** Signs the end user's links: the consent page's and the guided sessions'. */
  linkSecret: SecretSetting | undefined;
  /** Where this stage's pages are served (the API's own origin when it serves them): links are made under it. */
  publicUrl: string;
  documentationUrl: string;
  /**
   * Comma-separated `whsec_<base64>` secrets; any one may sign (rotation). Deployed, only the webhook
   * function is given them (its cold start refuses to go on without).
   */
  webhookSecrets: SecretSetting | undefined;
  /** How long a webhook message id is remembered for duplicate detection (Standard Webhooks senders retry for days). */
  webhookInboxTtlSeconds: number;
  cleanup: {
    pendingMaxAgeHours: number;
    processingMaxAgeHours: number;
    /** The run stops when less than this is left of the invocation's time. */
    safetyMarginMs: number;
  };
  /** Outbound events. */
  events: {
    /** Seconds before each retry of a failed delivery (DELIVERY_RETRY_SECONDS; by default the schedule docs/events.md promises). */
    retrySeconds: number[];
    /** The stage's EventBridge bus every event is also put on; none locally. */
    busName: string | undefined;
    /**
     * The delivery worker's function, which the publisher and the sweep hand each endpoint's deliveries to
     * (asynchronous invocations); deployed, the stack sets it; locally, the gateway's own name for it.
     */
    workerFunction: string | undefined;
    /** Where Lambda's Invoke API is answered locally (the gateway); unset deployed (AWS's own). */
    lambdaEndpoint: string | undefined;
    /** A delivery run stops when less than this is left of the invocation's time. */
    safetyMarginMs: number;
  };
  /**
   * The key that signs consent receipts and checkpoints (docs/consent.md): KMS keys deployed
   * (SIGNING_KMS_KEY_IDS), private JWKs elsewhere (SIGNING_KEYS, which npm start makes per stack), or the
   * dev key of runs given neither. Absent deployed without keys: a function that signs refuses to start.
   */
  signing: SigningSettings | undefined;
  /** `local` runs the lifecycle here; `realto` proxies to the platform and records what it observes. */
  mode: 'local' | 'realto';
  realto: RealtoSettings | undefined;
  logLevel: string;
}

/**
 * A secret: its plain value (local runs and tests), or, deployed, the name of the SSM SecureString that
 * holds it. `name` is the setting's own name, for messages.
 */
export type SecretSetting = { name: string } & ({ value: string; parameter?: undefined } | { parameter: string; value?: undefined });

/** Proxy mode's platform credentials; deployed, the client secret is only ever an SSM parameter name. */
export interface RealtoSettings {
  baseUrl: string;
  clientId: string;
  /** Absent in a deployed function that never calls the platform (transitions, the webhook, the pages). */
  clientSecret: SecretSetting | undefined;
}

/** Newest first: the first signs, every one is published in the JWKS (rotation). */
export type SigningSettings =
  | { kmsKeyIds: string[]; keys?: undefined; dev?: undefined }
  | { keys: SigningJwk[]; kmsKeyIds?: undefined; dev?: undefined }
  | { dev: true; kmsKeyIds?: undefined; keys?: undefined };

/** A P-256 private key as a JWK. */
export interface SigningJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  d: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const DEV_JWT_SECRET = 'local-development-secret-change-me-0123456789';
const DEV_PAGE_TOKEN_SECRET = 'local-page-token-secret';
const DEV_LINK_SECRET = 'local-consent-link-secret';
/** whsec_ + base64 of 32 bytes: the local default, what `npm run webhook` signs with. */
export const DEV_WEBHOOK_SECRET = `whsec_${Buffer.from('local-webhook-secret-for-dev-use').toString('base64')}`;

function text(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function url(env: NodeJS.ProcessEnv, name: string, fallback?: string): string | undefined {
  const value = text(env, name) ?? fallback;
  if (value === undefined) return undefined;
  try {
    new URL(value.replaceAll('{id}', 'id'));
  } catch {
    throw new ConfigError(`${name} must be an absolute URL, got "${value}"`);
  }
  return value;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = text(env, name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new ConfigError(`${name} must be a positive number, got "${value}"`);
  return parsed;
}

/** About 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: 27.6 h, at least the 24 h promised. */
export const DEFAULT_RETRY_SECONDS = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];

/** DELIVERY_RETRY_SECONDS: comma-separated delays for tests and demos; in production they must still span 24 h. */
function retrySeconds(env: NodeJS.ProcessEnv, production: boolean): number[] {
  const value = text(env, 'DELIVERY_RETRY_SECONDS');
  if (value === undefined) return DEFAULT_RETRY_SECONDS;
  const delays = value.split(',').map((part) => Number(part.trim()));
  if (delays.length === 0 || delays.length > 20 || delays.some((delay) => !Number.isFinite(delay) || delay <= 0 || delay > 86_400)) {
    throw new ConfigError(`DELIVERY_RETRY_SECONDS must be 1 to 20 comma-separated delays in seconds (each above 0, at most 86400), got "${value}"`);
  }
  if (production && delays.reduce((sum, delay) => sum + delay, 0) < 86_400) {
    throw new ConfigError('DELIVERY_RETRY_SECONDS must retry for at least 24 h in production');
  }
  return delays;
}

/**
 * A secret's plain value when set, else (deployed) its SSM parameter `<NAME>_PARAMETER`, else the fallback.
 * Locally a parameter name alone does not count: a laptop asking AWS would fail on every call.
 */
function secret(env: NodeJS.ProcessEnv, name: string, fallback: string | undefined): SecretSetting | undefined {
  const value = text(env, name);
  if (value !== undefined) return { name, value };
  const parameter = text(env, `${name}_PARAMETER`);
  if (parameter !== undefined && isDeployed(env)) return { name, parameter };
  return fallback === undefined ? undefined : { name, value: fallback };
}

/** In AWS for real (not the local runner): the dev defaults and HS256 are never used there. */
export function isDeployed(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.AWS_LAMBDA_FUNCTION_NAME) && env.IS_OFFLINE !== 'true';
}

const isSigningJwk = (key: unknown): key is SigningJwk => {
  const jwk = key as Partial<SigningJwk> | null;
  return Boolean(jwk) && jwk!.kty === 'EC' && jwk!.crv === 'P-256' && [jwk!.x, jwk!.y, jwk!.d].every((part) => typeof part === 'string' && part.length > 0);
};

function signing(env: NodeJS.ProcessEnv, devDefaults: boolean): SigningSettings | undefined {
  const kmsKeyIds = text(env, 'SIGNING_KMS_KEY_IDS')
    ?.split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (kmsKeyIds?.length) return { kmsKeyIds };
  const keys = text(env, 'SIGNING_KEYS');
  if (keys !== undefined) {
    if (isDeployed(env)) throw new ConfigError('SIGNING_KEYS must not be plain configuration when deployed: set SIGNING_KMS_KEY_IDS');
    let parsed: unknown;
    try {
      parsed = JSON.parse(keys);
    } catch {
      throw new ConfigError('SIGNING_KEYS must be a JSON array of P-256 private JWKs, newest first');
    }
    const list = Array.isArray(parsed) ? parsed : [parsed];
    if (list.length === 0 || !list.every(isSigningJwk)) throw new ConfigError('SIGNING_KEYS must be a JSON array of P-256 private JWKs, newest first');
    return { keys: list };
  }
  return devDefaults ? { dev: true } : undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const stage = text(env, 'STAGE') ?? 'dev';
  const production = stage === 'prod' || stage === 'production';
  const devDefaults = !production && !isDeployed(env);
  const jwksUrl = url(env, 'AUTH_JWKS_URL');
  const jwtSecret = jwksUrl ? undefined : (text(env, 'AUTH_JWT_SECRET') ?? (devDefaults ? DEV_JWT_SECRET : undefined));
  if (!jwksUrl && (production || isDeployed(env))) {
    throw new ConfigError('AUTH_JWKS_URL is required when deployed: HS256 shared secrets are for local use only');
  }
  if (jwtSecret !== undefined && jwtSecret.length < 32) {
    throw new ConfigError('AUTH_JWT_SECRET must be at least 32 characters (256 bits) for HS256');
  }
  const pageTokenSecret = secret(env, 'PAGE_TOKEN_SECRET', devDefaults ? DEV_PAGE_TOKEN_SECRET : undefined);
  const webhookSecrets = secret(env, 'WEBHOOK_SECRETS', devDefaults ? DEV_WEBHOOK_SECRET : undefined);
  const linkSecret = secret(env, 'LINK_SECRET', devDefaults ? DEV_LINK_SECRET : undefined);
  const publicUrl = url(env, 'PUBLIC_URL', 'http://127.0.0.1:3000')!.replace(/\/+$/, '');
  if (production && new URL(publicUrl).protocol !== 'https:') throw new ConfigError(`PUBLIC_URL must be an https: URL in production, got "${publicUrl}"`);
  const mode = text(env, 'ONBOARDING_MODE') ?? 'local';
  if (mode !== 'local' && mode !== 'realto') {
    throw new ConfigError(`ONBOARDING_MODE must be "local" or "realto", got "${mode}"`);
  }
  let realto: Config['realto'];
  if (mode === 'realto') {
    const clientId = text(env, 'REALTO_CLIENT_ID');
    const clientSecret = text(env, 'REALTO_CLIENT_SECRET');
    const clientSecretParameter = text(env, 'REALTO_CLIENT_SECRET_PARAMETER');
    if (isDeployed(env) && clientSecret) {
      throw new ConfigError('REALTO_CLIENT_SECRET must not be plain configuration when deployed: set REALTO_CLIENT_SECRET_PARAMETER');
    }
    // Deployed: only the parameter. Locally: only a plain value (serverless.yml names the parameter for
    // every run, and a laptop asking AWS for it would fail on every call instead of at the start).
    // Deployed, only the functions that call the platform are given the parameter (resources/functions.cjs).
    if (!clientId || !(isDeployed(env) || clientSecret)) {
      throw new ConfigError(
        isDeployed(env)
          ? 'ONBOARDING_MODE=realto needs REALTO_CLIENT_ID when deployed'
          : 'ONBOARDING_MODE=realto needs REALTO_CLIENT_ID and REALTO_CLIENT_SECRET',
      );
    }
    const baseUrl = url(env, 'REALTO_BASE_URL', 'https://platform.realto.io/api')!;
    // The client secret is sent there: never in clear text once deployed.
    if ((isDeployed(env) || production) && new URL(baseUrl).protocol !== 'https:') {
      throw new ConfigError(`REALTO_BASE_URL must be an https: URL when deployed, got "${baseUrl}"`);
    }
    realto = {
      baseUrl,
      clientId,
      clientSecret: isDeployed(env)
        ? clientSecretParameter === undefined
          ? undefined
          : { name: 'REALTO_CLIENT_SECRET', parameter: clientSecretParameter }
        : { name: 'REALTO_CLIENT_SECRET', value: clientSecret! },
    };
  }
  return {
    stage,
    production,
    deployed: isDeployed(env),
    region: text(env, 'AWS_REGION') ?? 'eu-west-1',
    tableName: text(env, 'TABLE_NAME') ?? 'onboarding-dev',
    dynamoEndpoint: url(env, 'DYNAMODB_ENDPOINT'),
    auth: {
      issuer: text(env, 'AUTH_ISSUER') ?? 'onboarding-local',
      audience: text(env, 'AUTH_AUDIENCE') ?? 'onboarding-api',
      jwtSecret,
      jwksUrl,
    },
    pageTokenSecret,
    linkSecret,
    publicUrl,
    documentationUrl: url(env, 'DOCUMENTATION_URL', 'https://docs.realto.io/guides/manual-onboarding')!,
    webhookSecrets,
    webhookInboxTtlSeconds: 7 * 24 * 60 * 60,
    cleanup: {
      pendingMaxAgeHours: positiveNumber(env, 'PENDING_MAX_AGE_HOURS', 7 * 24),
      processingMaxAgeHours: positiveNumber(env, 'PROCESSING_MAX_AGE_HOURS', 3 * 24),
      safetyMarginMs: positiveNumber(env, 'CLEANUP_SAFETY_MARGIN_MS', 10_000),
    },
    events: {
      retrySeconds: retrySeconds(env, production),
      busName: text(env, 'EVENT_BUS_NAME'),
      workerFunction: text(env, 'DELIVERY_WORKER_FUNCTION'),
      lambdaEndpoint: text(env, 'LAMBDA_ENDPOINT'),
      safetyMarginMs: positiveNumber(env, 'DELIVERY_SAFETY_MARGIN_MS', 10_000),
    },
    signing: signing(env, devDefaults),
    mode,
    realto,
    logLevel: text(env, 'LOG_LEVEL') ?? 'INFO',
  };
}

export { DEV_JWT_SECRET };
