import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lib/config/settings.ts';

/** Configuration is read once at cold start; a setting that cannot work stops the start, naming itself. */
const DEPLOYED = {
  AWS_LAMBDA_FUNCTION_NAME: 'onboarding-prod-getEntityOnboarding',
  STAGE: 'prod',
  AUTH_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
  PAGE_TOKEN_SECRET: 'page-token-secret-from-ssm',
  PUBLIC_URL: 'https://abc123.execute-api.eu-west-1.amazonaws.com',
};

describe('configuration', () => {
  it('given no settings at all, when run locally, then local mode with the dev defaults', () => {
    const config = loadConfig({});
    expect(config.mode).toBe('local');
    expect(config.realto).toBeUndefined();
    expect(config.auth.jwtSecret).toBeDefined();
    expect(config.webhookSecrets?.value).toMatch(/^whsec_/);
  });

  it('given a deployed function without AUTH_JWKS_URL, then the start fails naming it', () => {
    expect(() => loadConfig({ ...DEPLOYED, AUTH_JWKS_URL: '' })).toThrow(/AUTH_JWKS_URL/);
  });

  it('given a deployed function, then no dev webhook secret is made up (only the webhook function gets one)', () => {
    expect(loadConfig(DEPLOYED).webhookSecrets).toBeUndefined();
  });

  it('given a deployed function with secrets as SSM parameter names, then the names are kept and no value is made up', () => {
    const config = loadConfig({
      ...DEPLOYED,
      PAGE_TOKEN_SECRET: '',
      PAGE_TOKEN_SECRET_PARAMETER: '/onboarding/prod/page-token-secret',
      WEBHOOK_SECRETS_PARAMETER: '/onboarding/prod/webhook-secrets',
    });
    expect(config.pageTokenSecret).toEqual({ name: 'PAGE_TOKEN_SECRET', parameter: '/onboarding/prod/page-token-secret' });
    expect(config.webhookSecrets).toEqual({ name: 'WEBHOOK_SECRETS', parameter: '/onboarding/prod/webhook-secrets' });
  });

  it('given a deployed function that reads no page tokens and signs no links, then it starts without either secret', () => {
    const config = loadConfig({ ...DEPLOYED, PAGE_TOKEN_SECRET: '' });
    expect(config.pageTokenSecret).toBeUndefined();
    expect(config.linkSecret).toBeUndefined();
  });

  it('given a production stage whose PUBLIC_URL is not https, then the start fails: end users would be sent to it', () => {
    expect(() => loadConfig({ ...DEPLOYED, PUBLIC_URL: 'http://pages.example.com' })).toThrow(/PUBLIC_URL must be an https: URL/);
    expect(loadConfig({ PUBLIC_URL: 'http://127.0.0.1:4000/' }).publicUrl).toBe('http://127.0.0.1:4000');
  });

  it('given a local run with only a parameter name for a secret, then the local default is used rather than asking AWS', () => {
    expect(loadConfig({ PAGE_TOKEN_SECRET_PARAMETER: '/onboarding/dev/page-token-secret' }).pageTokenSecret?.value).toBeDefined();
  });

  it('given deployed proxy mode with the client secret as plain configuration, then the start fails', () => {
    const env = { ...DEPLOYED, ONBOARDING_MODE: 'realto', REALTO_CLIENT_ID: 'client', REALTO_CLIENT_SECRET: 'plain-secret' };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/REALTO_CLIENT_SECRET_PARAMETER/);
  });

  it('given deployed proxy mode with the secret as an SSM parameter name, then that name is what the config holds', () => {
    const config = loadConfig({
      ...DEPLOYED,
      ONBOARDING_MODE: 'realto',
      REALTO_CLIENT_ID: 'client',
      REALTO_CLIENT_SECRET_PARAMETER: '/onboarding/prod/realto-client-secret',
    });
    expect(config.realto).toEqual({
      baseUrl: 'https://platform.realto.io/api',
      clientId: 'client',
      clientSecret: { name: 'REALTO_CLIENT_SECRET', parameter: '/onboarding/prod/realto-client-secret' },
    });
  });

  it('given proxy mode without credentials, then the start fails naming what is missing', () => {
    expect(() => loadConfig({ ONBOARDING_MODE: 'realto', REALTO_CLIENT_ID: 'client' })).toThrow(/REALTO_CLIENT_SECRET/);
    expect(() => loadConfig({ ONBOARDING_MODE: 'proxy' })).toThrow(/ONBOARDING_MODE/);
  });

  it('given a local run with only the parameter name (serverless.yml always sets it), then the start fails asking for the secret', () => {
    expect(() => loadConfig({ ONBOARDING_MODE: 'realto', REALTO_CLIENT_ID: 'client', REALTO_CLIENT_SECRET_PARAMETER: '/p' })).toThrow(
      /needs REALTO_CLIENT_ID and REALTO_CLIENT_SECRET$/,
    );
    const config = loadConfig({ ONBOARDING_MODE: 'realto', REALTO_CLIENT_ID: 'client', REALTO_CLIENT_SECRET: 's', REALTO_CLIENT_SECRET_PARAMETER: '/p' });
    expect(config.realto).toEqual({
      baseUrl: 'https://platform.realto.io/api',
      clientId: 'client',
      clientSecret: { name: 'REALTO_CLIENT_SECRET', value: 's' },
    });
  });
});

describe("the platform's address", () => {
  it('given deployed proxy mode with an http: REALTO_BASE_URL, then the start fails: the client secret never travels in clear text', () => {
    const env = {
      ...DEPLOYED,
      ONBOARDING_MODE: 'realto',
      REALTO_CLIENT_ID: 'client',
      REALTO_CLIENT_SECRET_PARAMETER: '/p',
      REALTO_BASE_URL: 'http://platform.example.com/api',
    };
    expect(() => loadConfig(env)).toThrow(/REALTO_BASE_URL must be an https: URL/);
  });

  it('given a local run, then http on loopback is fine (the fake platform of the tests)', () => {
    expect(
      loadConfig({ ONBOARDING_MODE: 'realto', REALTO_CLIENT_ID: 'c', REALTO_CLIENT_SECRET: 's', REALTO_BASE_URL: 'http://127.0.0.1:4010' }).realto?.baseUrl,
    ).toBe('http://127.0.0.1:4010');
  });
});
