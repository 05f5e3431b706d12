import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { lambdaContext } from '../../scripts/local/lambda-events.ts';
import { SignJWT } from 'jose';
import { DEV_WEBHOOK_SECRET } from '../../lib/config/settings.ts';
import { parseSecrets, sign } from '../../lib/webhooks/signature.ts';
import { apiEvent } from '../../scripts/local/lambda-events.ts';
import type { Route } from '../../lib/http/route.ts';
import { TEST_JWT_SECRET } from './fixtures.ts';
import { expectDocumented } from './openapi-contract.ts';

export { apiEvent, type EventOptions, lambdaContext } from '../../scripts/local/lambda-events.ts';

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

export interface Response<T = any> {
  status: number;
  headers: Record<string, string>;
  body: T;
}

type Handler = ((event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2 | string | object>) & { route?: Route };

/**
 * Invokes a wrapped handler as Lambda would and decodes its answer; header names lower-cased. Every answer
 * is checked against the OpenAPI document of the route the handler serves.
 */
export async function invoke<T = any>(handler: Handler, event: APIGatewayProxyEventV2): Promise<Response<T>> {
  const result = (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2;
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
  const text = typeof result.body === 'string' ? result.body : '';
  const response = { status: result.statusCode ?? 200, headers, body: text ? JSON.parse(text) : undefined };
  if (!handler.route) throw new Error('invoke() takes a handler made by http(): it checks the answer against its route');
  expectDocumented(handler.route, response);
  return response;
}

const DEV_WEBHOOK_KEY = parseSecrets(DEV_WEBHOOK_SECRET)[0]!;

/** A webhook delivery signed now with the local secret, as a provider sends it (contract §6). */
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
