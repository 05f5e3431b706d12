import { config } from './context.ts';
import { createProxyService } from './onboarding/proxy.ts';
import { onboarding as local } from './runtime.ts';
import { fixedSecret, ssmSecret } from './ssm-secret.ts';
import { createRealtoClient } from './upstream/realto-client.ts';

const realto = config.realto;
const clientSecret = realto?.clientSecretParameter ? ssmSecret(realto.clientSecretParameter) : fixedSecret(realto?.clientSecret ?? '');

/**
 * The functions that call the platform put this in their middleware stack: deployed, it keeps the Realto
 * client secret fresh from SSM (undefined when there is nothing to fetch).
 */
export const platformCredentials = realto ? clientSecret.middleware : undefined;

/** The platform client, in proxy mode only. */
export const upstream = realto
  ? createRealtoClient({
      baseUrl: realto.baseUrl,
      clientId: realto.clientId,
      clientSecret: clientSecret.current,
      onCredentialsRefused: clientSecret.invalidate,
    })
  : undefined;

/** In proxy mode create, get, cancel, list and the scheduled job go through the platform first (lib/onboarding/proxy.ts). */
export const proxy = upstream ? createProxyService(local, upstream) : undefined;
export const onboarding = proxy ?? local;
