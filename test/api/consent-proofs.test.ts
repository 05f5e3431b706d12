import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { compactVerify, createLocalJWKSet, SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import * as collectiveReceipt from '../../functions/collective-onboarding/consent-receipt.ts';
import * as entityReceipt from '../../functions/entity-onboarding/consent-receipt.ts';
import * as jwksFunction from '../../functions/meta/jwks.ts';
import * as consentPages from '../../functions/pages/consent.ts';
import * as guidedPages from '../../functions/pages/guided.ts';
import * as webhooks from '../../functions/webhooks/provider-events.ts';
import { buildConsentPagesApp, buildKeysApp, buildTrailApp } from '../../lib/app/app.ts';
import { COLLECTIVE_ONBOARDING_ROUTES, ENTITY_OFFBOARDING_ROUTES, ENTITY_ONBOARDING_ROUTES, ROUTES } from '../../lib/app/function-table.ts';
import { GUIDED_SESSION_ROUTES } from '../../lib/app/routes/guided-sessions.ts';
import { SIGNING_KEYS_ROUTE } from '../../lib/app/routes/meta.ts';
import { PAGE_ROUTES } from '../../lib/app/routes/pages.ts';
import { http } from '../../lib/http/handler.ts';
import { htmlPage } from '../../lib/http/html-page.ts';
import document from '../../lib/http/openapi.json' with { type: 'json' };
import { ok, pathOf } from '../../lib/http/replies.ts';
import type { Route } from '../../lib/http/route.ts';
import { COLLECTIVE_ONBOARDING } from '../../lib/kinds/collective-onboarding.ts';
import { auditRequest } from '../../lib/lifecycle/audit.ts';
import { runCleanup } from '../../lib/lifecycle/cleanup.ts';
import { transitionHash, verifyChain } from '../../lib/lifecycle/hash-chain.ts';
import type { Transition } from '../../lib/lifecycle/types.ts';
import type { EvidenceBundle } from '../../lib/proofs/evidence.ts';
import type { Jwks } from '../../lib/proofs/jws.ts';
import { devSigningKey, generateSigningKey, publicJwkOf } from '../../lib/proofs/local-signer.ts';
import type { ConsentReceiptClaims } from '../../lib/proofs/receipts.ts';
import { verifyBundle } from '../../lib/proofs/verify-bundle.ts';
import { requestKey, transitionKey } from '../../lib/store/keys.ts';
import { ROOT } from '../../scripts/local/build.ts';
import { documents, kinds, lifecycle, store } from '../support/app.ts';
import { at } from '../support/clock.ts';
import { BODIES, newMessageId, ownerOf, TEST_JWT_SECRET } from '../support/fixtures.ts';
import { apiEvent, invoke, lambdaContext, type Response, signedWebhookEvent, tenant, token } from '../support/http.ts';
import { type CollectionPath, callRoute, expectProblem, offboardingApi, onboardingApi } from '../support/onboarding-api.ts';
import { expectDocumented } from '../support/openapi-contract.ts';

/*
 * Provable consent as the people who rely on it see it: the integrator fetching a decision's signed receipt
 * and a request's evidence bundle through the API, an auditor verifying that bundle offline (in process and
 * with the CLI), the end user downloading their receipt from the page, and the operator rotating the key.
 * Receipts and checkpoints are verified with `jose` against the key set the service publishes, not with the
 * service's own verifier, except where the verifier itself is what is checked.
 */

const FORM = 'application/x-www-form-urlencoded';
const TENANT_NAME = 'Greenfield Energy';
/** The client's address as API Gateway saw it: a documentation address that must never be kept in the clear. */
const CLIENT_ADDRESS = '203.0.113.77';
const CLIENT_AGENT = 'Mozilla/5.0 (consent-proofs test)';
const TYPES = { receipt: 'consent-receipt+jws', checkpoint: 'trail-checkpoint+jws' } as const;

const scratch = mkdtempSync(join(tmpdir(), 'consent-proofs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// ---------------------------------------------------------------- calling the functions

type Handler = ((event: APIGatewayProxyEventV2, context: ReturnType<typeof lambdaContext>) => Promise<unknown>) & { route?: Route };

/**
 * Invokes a wrapped API handler whose answer may be something other than JSON (a compact JWS is
 * `application/jose`): the body is kept as text unless it is JSON. Checked against the OpenAPI document as
 * `invoke` checks every other answer.
 */
async function invokeText(handler: Handler, event: APIGatewayProxyEventV2): Promise<Response> {
  const result = (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2;
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
  const text = typeof result.body === 'string' ? result.body : '';
  const json = /^application\/(?:[\w.+-]+\+)?json\b/.test(headers['content-type'] ?? '');
  const response = { status: result.statusCode ?? 200, headers, body: text && json ? JSON.parse(text) : text || undefined };
  expect(handler.route, 'a handler made by http()').toBeDefined();
  expectDocumented(handler.route!, response);
  return response;
}

const RECEIPT_HANDLERS = { collectives: collectiveReceipt.handler, entities: entityReceipt.handler } as const;
const ROUTES_OF = { collectives: COLLECTIVE_ONBOARDING_ROUTES, entities: ENTITY_ONBOARDING_ROUTES } as const;

/** GET …/{id}/consent-receipt through its function. */
function consentReceipt(path: CollectionPath, id: string, authorization: string) {
  const route = ROUTES_OF[path].consentReceipt!;
  return invokeText(
    RECEIPT_HANDLERS[path],
    apiEvent({
      method: 'GET',
      path: pathOf(route.http.path, { onboardingRequestId: id }),
      pathParameters: { onboardingRequestId: id },
      headers: { authorization },
    }),
  );
}

/** GET …/{id}/evidence through its function. */
const evidence = (path: CollectionPath, id: string, authorization: string) =>
  callRoute(ROUTES_OF[path].evidence, { onboardingRequestId: id }, { headers: { authorization } });

const jwksEvent = () => apiEvent({ method: 'GET', path: '/.well-known/jwks.json' });

/** GET /.well-known/jwks.json, with no token. */
async function publishedKeys(): Promise<Jwks> {
  const answer = await invoke(jwksFunction.handler, jwksEvent());
  expect(answer.status).toBe(200);
  return answer.body as Jwks;
}

interface PageAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A page handler called as API Gateway would, from the end user's browser (address and user agent as it saw them). */
async function callPage(
  handler: (event: APIGatewayProxyEventV2, context: ReturnType<typeof lambdaContext>) => Promise<unknown>,
  event: APIGatewayProxyEventV2,
) {
  event.requestContext.http.sourceIp = CLIENT_ADDRESS;
  event.requestContext.http.userAgent = CLIENT_AGENT;
  const result = (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2;
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
  return { status: result.statusCode ?? 200, headers, body: typeof result.body === 'string' ? result.body : '' } satisfies PageAnswer;
}

type PageSet = { show: Handler; decide: Handler };

const consentGet = (token: string, pages: PageSet = consentPages) =>
  callPage(pages.show, apiEvent({ method: 'GET', path: `/consent/${token}`, pathParameters: { token } }));

/** The end user's download of their receipt: GET /consent/{token}/receipt. */
const consentReceiptDownload = (token: string) =>
  callPage(consentPages.receipt, apiEvent({ method: 'GET', path: `/consent/${token}/receipt`, pathParameters: { token } }));

function csrfOf(page: PageAnswer): string {
  const match = /<input type="hidden" name="csrf" value="([^"]+)">/.exec(page.body);
  expect(match, `the page has no anti-forgery field:\n${page.body.slice(0, 1000)}`).not.toBeNull();
  return match![1]!;
}

/** Opens the consent page and clicks Approve or Decline on it. */
async function clickDecision(token: string, decision: 'approve' | 'decline', pages: PageSet = consentPages) {
  const csrf = csrfOf(await consentGet(token, pages));
  const answer = await callPage(
    pages.decide,
    apiEvent({
      method: 'POST',
      path: `/consent/${token}`,
      pathParameters: { token },
      headers: { 'content-type': FORM },
      rawBody: new URLSearchParams({ decision, csrf }).toString(),
    }),
  );
  expect(answer.status, answer.body.slice(0, 1000)).toBe(303);
  return answer;
}

// ---------------------------------------------------------------- given

/** A tenant whose token names it, so the consent page (and the receipt's controller) shows the name. */
async function namedTenant(path: CollectionPath) {
  const tenantId = randomUUID();
  const sub = `principal-${tenantId.slice(0, 8)}`;
  const jwt = await new SignJWT({ scope: 'onboarding:read onboarding:write', tenant_id: tenantId, tenant_name: TENANT_NAME })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setIssuer('onboarding-local')
    .setAudience('onboarding-api')
    .setSubject(sub)
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
  const authorization = `Bearer ${jwt}`;
  return { tenantId, sub, authorization, api: onboardingApi(path, authorization) };
}

/** A Pending request created through the API, with the token of its consent link. */
async function givenRequest(path: CollectionPath = 'collectives', body: object = BODIES[path]) {
  const owner = await namedTenant(path);
  const created = await owner.api.create(body);
  expect(created.status).toBe(201);
  const link = created.body.action.redirectLink as string;
  return { ...owner, path, id: created.body.id as string, token: new URL(link).pathname.replace(/^\/consent\//, '') };
}

type Given = Awaited<ReturnType<typeof givenRequest>>;

async function transitionsOf(given: Pick<Given, 'api'>, id: string): Promise<Transition[]> {
  const history = await given.api.history(id, { pageSize: '100' });
  expect(history.status).toBe(200);
  return history.body.data;
}

async function bundleOf(given: Pick<Given, 'path' | 'id' | 'authorization'>): Promise<EvidenceBundle> {
  const answer = await evidence(given.path, given.id, given.authorization);
  expect(answer.status).toBe(200);
  return answer.body as EvidenceBundle;
}

/** A provider's signed status event through the webhook function. */
async function providerReports(id: string, status: string) {
  const body = JSON.stringify({ type: 'onboarding.status.updated', timestamp: new Date().toISOString(), data: { id, status } });
  const answer = await invoke(webhooks.handler, signedWebhookEvent(newMessageId(), body));
  expect(answer.body).toMatchObject({ outcome: 'applied' });
}

// ---------------------------------------------------------------- verifying with jose

/** A compact JWS verified with jose under `jwks`: its protected header and its payload. */
async function verifiedWithJose<T>(jws: string, jwks: Jwks) {
  const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet(jwks as never), { algorithms: ['ES256'] });
  return { header: protectedHeader, payload: JSON.parse(new TextDecoder().decode(payload)) as T };
}

interface CheckpointPayload {
  requestId: string;
  tenantId: string;
  version: number;
  headHash: string;
  at: string;
}

/** The bundle's checkpoints, each verified with jose under the published keys, by the version they sign. */
async function checkpointsOf(bundle: EvidenceBundle, jwks: Jwks): Promise<Map<number, CheckpointPayload>> {
  const byVersion = new Map<number, CheckpointPayload>();
  for (const jws of bundle.checkpoints) {
    const { header, payload } = await verifiedWithJose<CheckpointPayload>(jws, jwks);
    expect(header.typ).toBe(TYPES.checkpoint);
    byVersion.set(payload.version, payload);
  }
  return byVersion;
}

/** The checkpoint at `version` signs exactly that record of the trail, of this request and tenant. */
function expectCheckpointOf(checkpoints: Map<number, CheckpointPayload>, record: Transition, given: { id: string; tenantId: string }) {
  expect(checkpoints.get(record.version), `a checkpoint at v${record.version} (${record.to})`).toEqual({
    requestId: given.id,
    tenantId: given.tenantId,
    version: record.version,
    headHash: record.hash,
    at: record.at,
  });
}

/** The offline CLI on a bundle written to a file: `node scripts/audit-verify.ts --bundle <file> [--jwks <file>]`. */
async function auditVerifyCli(bundle: unknown, jwks?: Jwks) {
  const file = join(scratch, `bundle-${randomUUID()}.json`);
  writeFileSync(file, JSON.stringify(bundle));
  const args = [join(ROOT, 'scripts/audit-verify.ts'), '--bundle', file];
  if (jwks) {
    const jwksFile = join(scratch, `jwks-${randomUUID()}.json`);
    writeFileSync(jwksFile, JSON.stringify(jwks));
    args.push('--jwks', jwksFile);
  }
  try {
    const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: ROOT, env: { ...process.env } });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: `${failed.stdout}${failed.stderr}` };
  }
}

// ---------------------------------------------------------------- the tests

describe('the consent receipt of a decision on the consent page', () => {
  it("given the end user approves, then GET …/consent-receipt is an ES256 JWS of the published key that names the decision, the request, the trail record it wrote, the tenant and the end user's pseudonym", async () => {
    const given = await givenRequest('collectives', { name: 'Sunny Street 12', type: 'Household' });
    await clickDecision(given.token, 'approve');

    const answer = await consentReceipt('collectives', given.id, given.authorization);

    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/jose\b/);
    const jws = answer.body as string;
    const jwks = await publishedKeys();
    const { header, payload } = await verifiedWithJose<ConsentReceiptClaims>(jws, jwks);
    expect(header.alg).toBe('ES256');
    expect(header.typ).toBe(TYPES.receipt);
    expect(jwks.keys.map((key) => key.kid)).toContain(header.kid);
    const trail = await transitionsOf(given, given.id);
    const decision = trail.find((record) => record.version === 2)!;
    expect(decision).toMatchObject({ from: 'Pending', to: 'Processing', actor: { type: 'enduser' }, source: 'consent', evidence: { channel: 'consent-link' } });
    expect(payload).toMatchObject({
      version: 1,
      decision: 'given',
      request: { id: given.id, requestType: 'Collective', version: 2 },
      trailHead: decision.hash,
      controller: { id: given.tenantId, name: TENANT_NAME },
      principal: { id: decision.actor.id },
      noticeHash: { alg: 'SHA-256', value: expect.stringMatching(/^[0-9a-f]{64}$/), language: 'en' },
      evidence: { channel: 'consent-link', userAgent: CLIENT_AGENT, clientAddressHash: expect.stringMatching(/^[0-9a-f]+$/) },
    });
    expect(payload.receiptId).toEqual(expect.any(String));
    expect(Date.parse(payload.issuedAt)).not.toBeNaN();
    // The end user is named by the trail's pseudonym: neither the link nor their address is in the receipt.
    const decoded = jws
      .split('.')
      .slice(0, 2)
      .map((part) => Buffer.from(part, 'base64url').toString('utf8'))
      .join('\n');
    expect(decoded).not.toContain(CLIENT_ADDRESS);
    expect(decoded).not.toContain(given.token);
    expect(JSON.stringify(await bundleOf(given))).not.toContain(CLIENT_ADDRESS);
  });

  it('given the end user declines, then the receipt says consent was refused and the Canceled record it wrote is checkpointed in the evidence bundle', async () => {
    const given = await givenRequest('entities');
    await clickDecision(given.token, 'decline');

    const answer = await consentReceipt('entities', given.id, given.authorization);

    expect(answer.status).toBe(200);
    const jwks = await publishedKeys();
    const { payload } = await verifiedWithJose<ConsentReceiptClaims>(answer.body, jwks);
    const trail = await transitionsOf(given, given.id);
    const canceled = trail.at(-1)!;
    expect(canceled).toMatchObject({ version: 2, from: 'Pending', to: 'Canceled', actor: { type: 'enduser' }, source: 'consent' });
    expect(payload).toMatchObject({
      decision: 'refused',
      request: { id: given.id, requestType: 'Entity', version: 2 },
      trailHead: canceled.hash,
      principal: { id: canceled.actor.id },
    });
    const bundle = await bundleOf(given);
    expectCheckpointOf(await checkpointsOf(bundle, jwks), canceled, given);
    expect(verifyBundle(bundle).problems).toEqual([]);
  });

  it('given no decision yet, then GET …/consent-receipt is a 404 problem', async () => {
    const given = await givenRequest();

    const answer = await consentReceipt('collectives', given.id, given.authorization);

    expectProblem(answer, 404, 'not_found');
  });

  it("given another tenant asks for a decided request's consent receipt or evidence, then both are 404 and show nothing of it", async () => {
    const given = await givenRequest();
    await clickDecision(given.token, 'approve');
    const stranger = await tenant();

    const receipt = await consentReceipt('collectives', given.id, stranger.authorization);
    const bundle = await evidence('collectives', given.id, stranger.authorization);

    expectProblem(receipt, 404, 'not_found');
    expectProblem(bundle, 404, 'not_found');
    for (const answer of [receipt, bundle]) expect(JSON.stringify(answer.body)).not.toContain(given.tenantId);
  });

  it("given a decided collective's id asked for under entities, then its consent receipt and evidence are 404 there", async () => {
    const given = await givenRequest('collectives');
    await clickDecision(given.token, 'approve');

    expectProblem(await consentReceipt('entities', given.id, given.authorization), 404, 'not_found');
    expectProblem(await evidence('entities', given.id, given.authorization), 404, 'not_found');
    expect((await consentReceipt('collectives', given.id, given.authorization)).status).toBe(200);
  });
});

describe('offboarding requests: evidence, but no consent receipt', () => {
  it('given a canceled offboarding, then its evidence bundle verifies with a checkpoint at Canceled, and there is no consent-receipt route for offboardings', async () => {
    const owner = await tenant();
    const entities = onboardingApi('entities', owner.authorization);
    const offboardings = offboardingApi(owner.authorization);
    const onboarding = await entities.create(BODIES.entities);
    expect(onboarding.status).toBe(201);
    const entityId = randomUUID();
    const reported = await invoke(
      webhooks.handler,
      signedWebhookEvent(
        newMessageId(),
        JSON.stringify({
          type: 'onboarding.status.updated',
          timestamp: new Date().toISOString(),
          data: { id: onboarding.body.id, status: 'Succeeded', entity: { id: entityId } },
        }),
      ),
    );
    expect(reported.body).toMatchObject({ outcome: 'applied' });
    const created = await offboardings.create({ entityId });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await offboardings.cancel(id)).status).toBe(200);

    const answer = await callRoute(
      ENTITY_OFFBOARDING_ROUTES.evidence as Route,
      { offboardingRequestId: id },
      { headers: { authorization: owner.authorization } },
    );

    expect(answer.status).toBe(200);
    const bundle = answer.body as EvidenceBundle;
    expect(bundle.request).toMatchObject({ id, status: 'Canceled', data: { tenantId: owner.tenantId } });
    expect(bundle.receipts).toEqual([]);
    const trail = (await offboardings.history(id)).body.data as Transition[];
    expectCheckpointOf(await checkpointsOf(bundle, await publishedKeys()), trail.at(-1)!, { id, tenantId: owner.tenantId });
    expect(verifyBundle(bundle).problems).toEqual([]);
    // Offboarding has no consent step: no route, no function, nothing documented.
    expect('consentReceipt' in ENTITY_OFFBOARDING_ROUTES).toBe(false);
    expect(ROUTES.filter((route) => route.http.path.startsWith('/v1/offboarding/') && route.http.path.endsWith('/consent-receipt'))).toEqual([]);
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/v1/offboarding/') && path.includes('consent-receipt'))).toEqual([]);
  });
});

describe('the evidence bundle of a whole journey', () => {
  it('given a request created, approved by the end user and reported Succeeded by the provider, then its bundle verifies in process and with the CLI, with checkpoints at the approval and at Succeeded', async () => {
    const given = await givenRequest();
    await clickDecision(given.token, 'approve');
    await providerReports(given.id, 'Succeeded');

    const bundle = await bundleOf(given);

    const trail = await transitionsOf(given, given.id);
    expect(trail.map((record) => record.to)).toEqual(['Pending', 'Processing', 'Succeeded']);
    expect(bundle.transitions).toEqual(trail);
    expect(bundle.request).toMatchObject({ id: given.id, status: 'Succeeded', version: 3 });
    expect(bundle.receipts).toHaveLength(1);
    const jwks = await publishedKeys();
    expect(bundle.jwks).toEqual(jwks);
    const checkpoints = await checkpointsOf(bundle, jwks);
    expect([...checkpoints.keys()].sort()).toEqual([2, 3]);
    expectCheckpointOf(checkpoints, trail[1]!, given);
    expectCheckpointOf(checkpoints, trail[2]!, given);
    expect(verifyBundle(bundle).problems).toEqual([]);
    expect(verifyBundle(bundle, { trustedJwks: jwks }).problems).toEqual([]);
    const cli = await auditVerifyCli(bundle);
    expect(cli.code, cli.stdout).toBe(0);
    expect(cli.stdout).toContain(`OK ${given.id}`);
    const trusted = await auditVerifyCli(bundle, jwks);
    expect(trusted.code, trusted.stdout).toBe(0);
  });

  it('given a request canceled through the API, then its bundle verifies with a checkpoint at Canceled and no receipt', async () => {
    const given = await givenRequest('entities');
    expect((await given.api.cancel(given.id)).status).toBe(200);

    const bundle = await bundleOf(given);

    const trail = await transitionsOf(given, given.id);
    expect(trail.at(-1)).toMatchObject({ version: 2, to: 'Canceled', actor: { type: 'principal' }, source: 'api' });
    expect(bundle.receipts).toEqual([]);
    const checkpoints = await checkpointsOf(bundle, await publishedKeys());
    expect([...checkpoints.keys()]).toEqual([2]);
    expectCheckpointOf(checkpoints, trail[1]!, given);
    expect(verifyBundle(bundle).problems).toEqual([]);
  });

  it('given a request expired by the scheduled cleanup, then its bundle verifies with a checkpoint at Canceled', async () => {
    // Created two days ago: younger than any other sweep of the shared table reaches (the scheduled ages are
    // 7 days and more, the cleanup tests' eras over a year), and this sweep expires this request only.
    const instant = Date.now() - 2 * 24 * 60 * 60 * 1000;
    const owner = await tenant();
    const api = onboardingApi('collectives', owner.authorization);
    const id = await at(instant, async () => {
      const created = await onboardingApi('collectives', `Bearer ${await token({ tenantId: owner.tenantId, sub: owner.sub })}`).create(BODIES.collectives);
      expect(created.status).toBe(201);
      return created.body.id as string;
    });
    const age = Date.now() - (instant + 60 * 60 * 1000);

    const report = await runCleanup({
      lifecycle,
      store,
      maxAgeMs: { Pending: age },
      remainingMs: () => 60_000,
      safetyMarginMs: 10_000,
      correlationId: `cleanup-${randomUUID()}`,
      beforeExpire: async (stale) => stale.id === id,
    });

    expect(report.expired).toBe(1);
    const bundle = (await callRoute(COLLECTIVE_ONBOARDING_ROUTES.evidence, { onboardingRequestId: id }, { headers: { authorization: owner.authorization } }))
      .body as EvidenceBundle;
    const trail = (await api.history(id)).body.data as Transition[];
    expect(trail.at(-1)).toMatchObject({ version: 2, to: 'Canceled', actor: { type: 'system', id: 'cleanup' }, source: 'schedule' });
    const checkpoints = await checkpointsOf(bundle, await publishedKeys());
    expectCheckpointOf(checkpoints, trail[1]!, { id, tenantId: owner.tenantId });
    expect(verifyBundle(bundle).problems).toEqual([]);
  });
});

describe('a trail rewritten by someone who can write the table', () => {
  it('given a reason altered in DynamoDB and every later hash and lastHash recomputed, then the plain chain still verifies, but the evidence bundle fails on a checkpoint and the CLI exits 1', async () => {
    const given = await givenRequest();
    await clickDecision(given.token, 'approve');
    await providerReports(given.id, 'Succeeded');
    const owner = ownerOf((await given.api.get(given.id)).body);

    // The whole trail as stored, then v2's reason rewritten and every hash from v2 on recomputed.
    const { Items = [] } = await documents.send(
      new QueryCommand({
        TableName: process.env.TABLE_NAME,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': requestKey(given.id).pk, ':prefix': 'TRANSITION#' },
        ConsistentRead: true,
      }),
    );
    const stored = (await transitionsOf(given, given.id)).map((record) => ({ ...record }));
    expect(Items).toHaveLength(stored.length);
    stored[1]!.reason = 'The end user declined on the phone, then approved later';
    for (let index = 1; index < stored.length; index++) {
      const { hash: _old, ...rest } = stored[index]!;
      rest.previousHash = stored[index - 1]!.hash;
      stored[index] = { ...rest, hash: transitionHash(rest, owner) };
      const record = stored[index]!;
      await documents.send(
        new UpdateCommand({
          TableName: process.env.TABLE_NAME,
          Key: transitionKey(given.id, record.version),
          UpdateExpression: 'SET #reason = :reason, previousHash = :previous, #hash = :hash',
          ExpressionAttributeNames: { '#reason': 'reason', '#hash': 'hash' },
          ExpressionAttributeValues: { ':reason': record.reason ?? null, ':previous': record.previousHash, ':hash': record.hash },
        }),
      );
    }
    await documents.send(
      new UpdateCommand({
        TableName: process.env.TABLE_NAME,
        Key: requestKey(given.id),
        UpdateExpression: 'SET lastHash = :hash',
        ExpressionAttributeValues: { ':hash': stored.at(-1)!.hash },
      }),
    );
    // The rewrite is perfect as far as hashes go: the plain chain and the table audit find nothing.
    const rewritten = await transitionsOf(given, given.id);
    expect(rewritten[1]!.reason).toBe('The end user declined on the phone, then approved later');
    expect(verifyChain(rewritten, owner)).toEqual([]);
    expect(await auditRequest(store, kinds, given.id)).toEqual([]);

    const bundle = await bundleOf(given);

    const { problems } = verifyBundle(bundle);
    expect(
      problems.filter((problem) => /^checkpoint \d+: /.test(problem)),
      problems.join('\n'),
    ).not.toEqual([]);
    const cli = await auditVerifyCli(bundle);
    expect(cli.code, cli.stdout).toBe(1);
    expect(cli.stdout).toMatch(new RegExp(`BROKEN ${given.id}: checkpoint \\d+: `));
  });
});

describe('the consent receipt of a guided session', () => {
  it("given the end user submits a guided session's form, then the Entity request's receipt says consent given by the guided session, named by the session's id", async () => {
    const owner = await tenant();
    const created = await callRoute(
      GUIDED_SESSION_ROUTES.create as Route,
      {},
      { headers: { authorization: owner.authorization }, body: { companyName: 'Acme Energy', manufacturer: 'Tesla', entityType: 'EV' } },
    );
    expect(created.status).toBe(201);
    const session = created.body;
    const link = new URL(session.url).pathname.split('/').at(-1)!;
    const form = await callPage(guidedPages.show, apiEvent({ method: 'GET', path: `/guided/${link}`, pathParameters: { token: link } }));
    const submitted = await callPage(
      guidedPages.submit,
      apiEvent({
        method: 'POST',
        path: `/guided/${link}`,
        pathParameters: { token: link },
        headers: { 'content-type': FORM },
        rawBody: new URLSearchParams({ model: 'Model 3', identifier: '5YJ3E1EA7KF317001', consent: 'yes', csrf: csrfOf(form) }).toString(),
      }),
    );
    expect(submitted.status, submitted.body.slice(0, 1000)).toBe(303);
    const found = await callRoute(GUIDED_SESSION_ROUTES.get as Route, { onboardingSessionId: session.id }, { headers: { authorization: owner.authorization } });
    const id = found.body.onboardingRequest.id as string;

    const answer = await consentReceipt('entities', id, owner.authorization);

    expect(answer.status).toBe(200);
    const jwks = await publishedKeys();
    const { header, payload } = await verifiedWithJose<ConsentReceiptClaims>(answer.body, jwks);
    expect(header.typ).toBe(TYPES.receipt);
    const trail = await transitionsOf({ api: onboardingApi('entities', owner.authorization) }, id);
    const decision = trail.find((record) => record.to === 'Processing')!;
    expect(decision).toMatchObject({ version: 2, from: 'Pending', actor: { type: 'enduser', id: session.id }, evidence: { channel: 'guided-session' } });
    expect(payload).toMatchObject({
      decision: 'given',
      request: { id, requestType: 'Entity', version: 2 },
      trailHead: decision.hash,
      controller: { id: owner.tenantId, name: 'Acme Energy' },
      principal: { id: session.id },
      noticeHash: { alg: 'SHA-256', language: 'en' },
      evidence: { channel: 'guided-session' },
    });
    expect(JSON.stringify(payload)).not.toContain(CLIENT_ADDRESS);
    const download = await callPage(guidedPages.receipt, apiEvent({ method: 'GET', path: `/guided/${link}/receipt`, pathParameters: { token: link } }));
    expect(download.status).toBe(200);
    expect(download.body).toBe(answer.body);
    const bundle = await bundleOf({ path: 'entities', id, authorization: owner.authorization });
    expect(verifyBundle(bundle).problems).toEqual([]);
  });
});

describe("the end user's download of their receipt", () => {
  it('given a decision, then GET /consent/{token}/receipt is the same JWS as the API serves, as an attachment, and the decided page links to it', async () => {
    const given = await givenRequest();
    await clickDecision(given.token, 'approve');

    const download = await consentReceiptDownload(given.token);

    expect(download.status).toBe(200);
    expect(download.headers['content-type']).toMatch(/^application\/jose\b/);
    expect(download.headers['content-disposition']).toMatch(/^attachment\b/);
    expect(download.headers['cache-control']).toBe('no-store');
    expect(download.body).toBe((await consentReceipt('collectives', given.id, given.authorization)).body);
    const decided = await consentGet(given.token);
    expect(decided.status).toBe(200);
    const href = /<a href="([^"]+)"[^>]*>Download your consent receipt<\/a>/.exec(decided.body)?.[1];
    expect(href, 'the decided page links to the receipt').toBeDefined();
    // Resolved against the page's own address, the link is the download's address.
    expect(new URL(href!, `http://127.0.0.1:3000/consent/${given.token}`).pathname).toBe(`/consent/${given.token}/receipt`);
  });

  it('given no decision yet, then the download is a 404 HTML page, and the pending page offers no receipt', async () => {
    const given = await givenRequest();

    const download = await consentReceiptDownload(given.token);

    expect(download.status).toBe(404);
    expect(download.headers['content-type']).toMatch(/^text\/html\b/);
    expect(download.body).toMatch(/<html lang="en">/);
    expect(download.body).not.toMatch(/\.[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}/);
    expect((await consentGet(given.token)).body).not.toContain('Download your consent receipt');
  });

  it('given a decided request and a forged link, then the download is a 404 HTML page without the receipt', async () => {
    const given = await givenRequest();
    await clickDecision(given.token, 'approve');
    const index = given.token.length - 5;
    const forged = given.token.slice(0, index) + (given.token[index] === 'A' ? 'B' : 'A') + given.token.slice(index + 1);

    const download = await consentReceiptDownload(forged);

    expect(download.status).toBe(404);
    expect(download.headers['content-type']).toMatch(/^text\/html\b/);
    expect(download.body).not.toContain((await consentReceipt('collectives', given.id, given.authorization)).body);
  });
});

describe('signing key rotation', () => {
  it('given SIGNING_KEYS rotated to [new, old], then the key set lists both, new first; a receipt signed before still verifies, and one signed after carries the new key', async () => {
    const newKey = generateSigningKey();
    const oldKey = devSigningKey('dev');
    const rotated = { ...process.env, SIGNING_KEYS: JSON.stringify([newKey, oldKey]) };
    const newKid = publicJwkOf(newKey).kid;
    const oldKid = publicJwkOf(oldKey).kid;
    // The functions as a stack with the rotated keys builds them (functions/meta/jwks.ts, …/evidence.ts, pages/consent.ts).
    const keysApp = buildKeysApp(rotated);
    const rotatedJwks = http(SIGNING_KEYS_ROUTE, keysApp.stack, async () => ({ status: 200, body: await keysApp.jwks() }));
    const trailApp = buildTrailApp(COLLECTIVE_ONBOARDING, rotated);
    const rotatedEvidence = http(COLLECTIVE_ONBOARDING_ROUTES.evidence, trailApp.stack, async ({ params, caller }) =>
      ok(await trailApp.evidence((params as { onboardingRequestId: string }).onboardingRequestId, caller)),
    );
    const pagesApp = buildConsentPagesApp(rotated);
    const rotatedPages = {
      show: htmlPage(PAGE_ROUTES.consent, pagesApp.stack, async ({ params, language }) => pagesApp.consent.show(params.token, language)),
      decide: htmlPage(PAGE_ROUTES.consentDecision, pagesApp.stack, async ({ params, form, correlationId, client, language }) =>
        pagesApp.consent.decide(params.token, form, correlationId, client, language),
      ),
    };
    const before = await givenRequest();
    await clickDecision(before.token, 'approve');
    const signedBefore = (await consentReceipt('collectives', before.id, before.authorization)).body as string;

    const keySet = await invoke(rotatedJwks, jwksEvent());

    expect(keySet.status).toBe(200);
    const jwks = keySet.body as Jwks;
    expect(jwks.keys.map((key) => key.kid)).toEqual([newKid, oldKid]);
    expect(jwks.keys.every((key) => key.kty === 'EC' && key.crv === 'P-256' && key.alg === 'ES256' && !('d' in key))).toBe(true);
    // Signed before the rotation, with the old key: it still verifies, and so does its whole bundle.
    const old = await verifiedWithJose<ConsentReceiptClaims>(signedBefore, jwks);
    expect(old.header.kid).toBe(oldKid);
    const bundleBefore = await invoke(
      rotatedEvidence,
      apiEvent({
        method: 'GET',
        path: `/v1/onboarding/collectives/${before.id}/evidence`,
        pathParameters: { onboardingRequestId: before.id },
        headers: { authorization: before.authorization },
      }),
    );
    expect(bundleBefore.status).toBe(200);
    expect((bundleBefore.body as EvidenceBundle).jwks.keys.map((key) => key.kid)).toEqual([newKid, oldKid]);
    expect(verifyBundle(bundleBefore.body).problems).toEqual([]);
    // Decided after the rotation: the receipt and the checkpoint carry the new key, which the old key set does not hold.
    const after = await givenRequest();
    await clickDecision(after.token, 'approve', rotatedPages as PageSet);
    const signedAfter = (await consentReceipt('collectives', after.id, after.authorization)).body as string;
    const fresh = await verifiedWithJose<ConsentReceiptClaims>(signedAfter, jwks);
    expect(fresh.header.kid).toBe(newKid);
    expect(fresh.payload).toMatchObject({ decision: 'given', request: { id: after.id, version: 2 } });
    await expect(verifiedWithJose(signedAfter, { keys: [publicJwkOf(oldKey)] })).rejects.toThrow();
    const bundleAfter = (await bundleOf(after)).checkpoints;
    expect(bundleAfter.map((jws) => JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString()).kid)).toEqual([newKid]);
  });
});

describe('the published key set', () => {
  it('given no token, then GET /.well-known/jwks.json lists P-256 public keys whose ids are their RFC 7638 thumbprints, and may be cached', async () => {
    const answer = await invoke(jwksFunction.handler, jwksEvent());

    expect(answer.status).toBe(200);
    const { keys } = answer.body as Jwks;
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      const { calculateJwkThumbprint } = await import('jose');
      expect(await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: key.x, y: key.y }, 'sha256')).toBe(key.kid);
    }
    expect(keys[0]!.kid).toBe(publicJwkOf(devSigningKey('dev')).kid);
    expect(answer.headers['cache-control']).toMatch(/\bpublic\b/);
  });
});
