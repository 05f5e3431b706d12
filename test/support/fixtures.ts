import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { SignJWT } from 'jose';
import { DEV_WEBHOOK_SECRET } from '../../lib/config/settings.ts';
import type { Caller, ConsentLinks } from '../../lib/lifecycle/types.ts';
import { devSigningKey, localSigner } from '../../lib/proofs/local-signer.ts';
import { createNotary } from '../../lib/proofs/receipts.ts';
import { parseSecrets, sign } from '../../lib/webhooks/signature.ts';
import { apiEvent } from '../../scripts/local/lambda-events.ts';

/**
 * The fixtures every test shares: the local table, the secrets of the test environment (./env.ts sets
 * them), tokens and tenants, request bodies, signed webhooks, and the consent links tests build on.
 */
export const TEST_TABLE = 'onboarding-test';
/** The events project's table: the same, with the stream the publisher reads (vitest.config.ts). */
export const EVENTS_TEST_TABLE = 'onboarding-events-test';
export const TEST_JWT_SECRET = 'test-secret-for-hs256-at-least-32-bytes-long';

/** The notary of the test environment: the dev key the functions sign with when no SIGNING_KEYS is set. */
export const testNotary = () => createNotary(localSigner([devSigningKey('dev')]));

/** A valid create body of each request type. */
export const BODIES = {
  collectives: { name: 'Home', type: 'Household' },
  entities: { type: 'Battery', manufacturer: 'Tesla' },
} as const;
export type CollectionPath = keyof typeof BODIES;

/** Consent links as the local composition root makes them, for services a test builds itself. */
export const consentLinks =
  (redirectBase = 'https://consent.example/', documentationLink = 'https://docs.example/onboarding') =>
  (request: { id: string }): ConsentLinks => ({ redirectLink: `${redirectBase}${request.id}`, documentationLink });

export interface TokenOptions {
  tenantId?: string;
  sub?: string;
  scope?: string;
  issuer?: string;
  audience?: string;
  expiresIn?: string | number;
  notBefore?: string | number;
  secret?: string;
  omit?: Array<'exp' | 'sub' | 'tenant_id'>;
}

export async function token(options: TokenOptions = {}): Promise<string> {
  const claims: Record<string, unknown> = { scope: options.scope ?? 'onboarding:read onboarding:write' };
  if (!options.omit?.includes('tenant_id')) claims.tenant_id = options.tenantId ?? randomUUID();
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setIssuer(options.issuer ?? 'onboarding-local')
    .setAudience(options.audience ?? 'onboarding-api');
  if (!options.omit?.includes('sub')) jwt = jwt.setSubject(options.sub ?? 'integrator-1');
  if (!options.omit?.includes('exp')) jwt = jwt.setExpirationTime(options.expiresIn ?? '10m');
  if (options.notBefore !== undefined) jwt = jwt.setNotBefore(options.notBefore);
  return jwt.sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}

/** A tenant with its own bearer token, for tests that isolate themselves by tenant. */
export async function tenant(scope?: string) {
  const tenantId = randomUUID();
  const sub = `principal-${tenantId.slice(0, 8)}`;
  return { tenantId, sub, authorization: `Bearer ${await token({ tenantId, sub, ...(scope ? { scope } : {}) })}` };
}

/** A caller as the bearer middleware makes it, for tests below the HTTP layer: a tenant of its own. */
export function caller(principalId = 'integrator-1'): Caller {
  return { principalId, tenantId: randomUUID(), scopes: new Set(['onboarding:read', 'onboarding:write']) };
}

/** A fresh Standard Webhooks message id. */
export const newMessageId = () => `msg_${randomUUID().replaceAll('-', '')}`;

/** A provider's status event as JSON text. */
export function statusEvent(id: string, status: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: 'onboarding.status.updated', timestamp: new Date().toISOString(), data: { id, status, ...extra } });
}

const DEV_WEBHOOK_KEY = parseSecrets(DEV_WEBHOOK_SECRET)[0]!;

/** A webhook delivery signed now with the local secret, as a provider sends it. */
export function signedWebhookEvent(messageId: string, body: string, timestamp = Math.floor(Date.now() / 1000)): APIGatewayProxyEventV2 {
  return apiEvent({
    method: 'POST',
    path: '/v1/webhooks/onboarding',
    headers: {
      'content-type': 'application/json',
      'webhook-id': messageId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': sign(DEV_WEBHOOK_KEY, messageId, timestamp, body),
    },
    rawBody: body,
  });
}

/** Whose trail it is, from a request as the API answers it: what the trail's first record is bound to. */
export const ownerOf = (request: { id: string; requestType: string; data: { tenant?: { id: string }; tenantId?: string } }) => ({
  id: request.id,
  requestType: request.requestType,
  tenantId: (request.data.tenant?.id ?? request.data.tenantId)!,
});
