import { config } from './context.ts';
import { createProxyService } from './onboarding/proxy.ts';
import { onboarding as local } from './runtime.ts';
import { createRealtoClient } from './upstream/realto-client.ts';

/** The platform client, in proxy mode only. */
export const upstream = config.realto ? createRealtoClient(config.realto) : undefined;

/** In proxy mode create, get, cancel and the scheduled job go through the platform first (lib/onboarding/proxy.ts). */
export const proxy = upstream ? createProxyService(local, upstream) : undefined;
export const onboarding = proxy ?? local;
