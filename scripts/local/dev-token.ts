import { SignJWT } from 'jose';
import { loadConfig } from '../../lib/config/settings.ts';

export const DEV_TENANT_ID = '00000000-0000-4000-8000-000000000001';
/** Every scope of the API, so the walk-through needs no other token. */
/** Who the end user's pages say asks (the `tenant_name` claim). */
export const DEV_TENANT_NAME = 'Dev Energy Supplier';
export const DEV_SCOPES = 'onboarding:read onboarding:write webhooks:read webhooks:write';

export interface DevTokenOptions {
  tenantId?: string;
  sub?: string;
  scope?: string;
  expiresIn?: string;
  /** The tenant's display name; '' leaves the claim out. */
  tenantName?: string;
}

/** Signs a token the local service accepts: HS256 with AUTH_JWT_SECRET (or the dev default), same iss/aud. */
export async function devToken(options: DevTokenOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { auth } = loadConfig(env);
  if (!auth.jwtSecret) throw new Error('AUTH_JWKS_URL is set: tokens come from your identity provider, not from this script');
  const tenantName = options.tenantName ?? DEV_TENANT_NAME;
  return new SignJWT({ tenant_id: options.tenantId ?? DEV_TENANT_ID, scope: options.scope ?? DEV_SCOPES, ...(tenantName ? { tenant_name: tenantName } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.sub ?? 'dev-integrator')
    .setIssuer(auth.issuer)
    .setAudience(auth.audience)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '12h')
    .sign(new TextEncoder().encode(auth.jwtSecret));
}
