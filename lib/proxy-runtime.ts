import { ConfigError, type RealtoSettings } from './config.ts';
import { config, logger } from './context.ts';
import { createProxyService } from './onboarding/proxy.ts';
import { onboarding as local } from './runtime.ts';
import { fixedSecret, ssmSecret } from './ssm-secret.ts';
import { createRealtoClient } from './upstream/realto-client.ts';

/**
 * The mode this code was built for. serverless.yml has esbuild replace `process.env.ONBOARDING_MODE` with
 * the stack's mode (as it chooses the IAM statements by it), so a local-mode bundle carries none of the
 * code below; unbundled (tests, scripts) it is the environment's. A function whose environment names the
 * other mode refuses to start rather than run without it.
 */
const builtFor = process.env.ONBOARDING_MODE || 'local';
if (builtFor !== config.mode) {
  throw new ConfigError(`This function was built for ONBOARDING_MODE=${builtFor} but runs with ${config.mode}: package it again`);
}

/** Proxy mode's parts: the platform client, the middleware that keeps its secret fresh, the proxy service. */
function platformRuntime(realto: RealtoSettings) {
  const clientSecret = realto.clientSecretParameter ? ssmSecret(realto.clientSecretParameter) : fixedSecret(realto.clientSecret!);
  const upstream = createRealtoClient({
    baseUrl: realto.baseUrl,
    clientId: realto.clientId,
    clientSecret: clientSecret.current,
    onCredentialsRefused: clientSecret.invalidate,
  });
  const proxy = createProxyService(local, upstream, {
    onUntracked: (detail) => logger.error('A request on the Realto platform may be untracked here', detail),
  });
  return { credentials: clientSecret.middleware, proxy };
}

const platform = process.env.ONBOARDING_MODE === 'realto' && config.realto ? platformRuntime(config.realto) : undefined;

/**
 * The functions that call the platform put this in their middleware stack: deployed, it keeps the Realto
 * client secret fresh from SSM (undefined when there is nothing to fetch).
 */
export const platformCredentials = platform?.credentials;

/** In proxy mode create, get, cancel, list and the scheduled job go through the platform first (lib/onboarding/proxy.ts). */
export const proxy = platform?.proxy;
export const onboarding = proxy ?? local;
