/**
 * Every setting, read from the environment once at cold start. A setting that cannot work fails the
 * start with a message naming it, rather than the first request.
 */
export interface Config {
  stage: string;
  production: boolean;
  region: string;
  tableName: string;
  idempotencyTableName: string;
  dynamoEndpoint: string | undefined;
  auth: {
    issuer: string;
    audience: string;
    /** HS256 shared secret; only outside production and only when no JWKS URL is set. */
    jwtSecret: string | undefined;
    jwksUrl: string | undefined;
  };
  pageTokenSecret: string;
  consentUrl: string;
  documentationUrl: string;
  idempotencyTtlSeconds: number;
  logLevel: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const DEV_JWT_SECRET = 'local-development-secret-change-me-0123456789';
const DEV_PAGE_TOKEN_SECRET = 'local-page-token-secret';

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

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const stage = text(env, 'STAGE') ?? 'dev';
  const production = stage === 'prod' || stage === 'production';
  const jwksUrl = url(env, 'AUTH_JWKS_URL');
  const jwtSecret = jwksUrl ? undefined : (text(env, 'AUTH_JWT_SECRET') ?? (production ? undefined : DEV_JWT_SECRET));
  if (production && !jwksUrl) {
    throw new ConfigError('AUTH_JWKS_URL is required in production: HS256 shared secrets are for local use only');
  }
  if (jwtSecret !== undefined && jwtSecret.length < 32) {
    throw new ConfigError('AUTH_JWT_SECRET must be at least 32 characters (256 bits) for HS256');
  }
  const pageTokenSecret = text(env, 'PAGE_TOKEN_SECRET') ?? (production ? undefined : DEV_PAGE_TOKEN_SECRET);
  if (!pageTokenSecret) throw new ConfigError('PAGE_TOKEN_SECRET is required in production');
  const mode = text(env, 'ONBOARDING_MODE') ?? 'local';
  if (mode !== 'local') {
    throw new ConfigError(`ONBOARDING_MODE "${mode}" is not supported by this build; use "local"`);
  }
  return {
    stage,
    production,
    region: text(env, 'AWS_REGION') ?? 'eu-west-1',
    tableName: text(env, 'TABLE_NAME') ?? 'onboarding-dev',
    idempotencyTableName: text(env, 'IDEMPOTENCY_TABLE_NAME') ?? 'onboarding-idempotency-dev',
    dynamoEndpoint: url(env, 'DYNAMODB_ENDPOINT'),
    auth: {
      issuer: text(env, 'AUTH_ISSUER') ?? 'onboarding-local',
      audience: text(env, 'AUTH_AUDIENCE') ?? 'onboarding-api',
      jwtSecret,
      jwksUrl,
    },
    pageTokenSecret,
    consentUrl: url(env, 'CONSENT_URL', 'http://127.0.0.1:3000/consent/{id}')!,
    documentationUrl: url(env, 'DOCUMENTATION_URL', 'https://docs.realto.io/guides/manual-onboarding')!,
    idempotencyTtlSeconds: 24 * 60 * 60,
    logLevel: text(env, 'LOG_LEVEL') ?? 'INFO',
  };
}

export { DEV_JWT_SECRET };
