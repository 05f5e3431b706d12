import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { compactVerify, createLocalJWKSet } from 'jose';
import { describe, expect, it } from 'vitest';
import * as collectiveReceipt from '../../functions/collective-onboarding/consent-receipt.ts';
import * as entityReceipt from '../../functions/entity-onboarding/consent-receipt.ts';
import * as jwksFunction from '../../functions/meta/jwks.ts';
import * as consentPages from '../../functions/pages/consent.ts';
import { COLLECTIVE_ONBOARDING_ROUTES, ENTITY_ONBOARDING_ROUTES } from '../../lib/app/function-table.ts';
import { loadConfig } from '../../lib/config/settings.ts';
import type { Transition } from '../../lib/lifecycle/types.ts';
import { createLinks } from '../../lib/pages/links.ts';
import type { EvidenceBundle } from '../../lib/proofs/evidence.ts';
import type { Jwks } from '../../lib/proofs/jws.ts';
import { verifyBundle } from '../../lib/proofs/verify-bundle.ts';
import { BODIES } from '../support/fixtures.ts';
import { apiEvent, invoke, lambdaContext, tenant } from '../support/http.ts';
import { type CollectionPath, callRoute, expectProblem, onboardingApi } from '../support/onboarding-api.ts';

/*
 * Proxy mode (the `realto` project of vitest.config.ts, ONBOARDING_MODE=realto, against the fake platform
 * of test/support/realto-setup.ts): the platform owns consent, so this service's consent pages are off and
 * no receipt is ever written here; the trail is still ours, and its terminal statuses are still signed.
 */

const RECEIPT_HANDLERS = { collectives: collectiveReceipt.handler, entities: entityReceipt.handler } as const;
const ROUTES_OF = { collectives: COLLECTIVE_ONBOARDING_ROUTES, entities: ENTITY_ONBOARDING_ROUTES } as const;

describe('evidence in proxy mode', () => {
  it('given the realto project, then these tests run in proxy mode (ONBOARDING_MODE=realto)', () => {
    expect(process.env.ONBOARDING_MODE).toBe('realto');
  });

  it.each(['collectives', 'entities'] as const)(
    'given a request canceled through the API (%s), then its evidence bundle verifies, with a checkpoint at Canceled and no receipts',
    async (path: CollectionPath) => {
      const owner = await tenant();
      const api = onboardingApi(path, owner.authorization);
      const created = await api.create(BODIES[path]);
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      expect((await api.cancel(id)).status).toBe(200);

      const answer = await callRoute(ROUTES_OF[path].evidence, { onboardingRequestId: id }, { headers: { authorization: owner.authorization } });

      expect(answer.status).toBe(200);
      const bundle = answer.body as EvidenceBundle;
      const trail = (await api.history(id, { pageSize: '100' })).body.data as Transition[];
      const canceled = trail.at(-1)!;
      expect(canceled).toMatchObject({ to: 'Canceled' });
      expect(bundle.transitions).toEqual(trail);
      expect(bundle.request).toMatchObject({ id, status: 'Canceled', version: canceled.version });
      expect(bundle.receipts).toEqual([]);
      const jwks = (await invoke(jwksFunction.handler, apiEvent({ method: 'GET', path: '/.well-known/jwks.json' }))).body as Jwks;
      const checkpoints = await Promise.all(
        bundle.checkpoints.map(async (jws) => {
          const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet(jwks as never), { algorithms: ['ES256'] });
          expect(protectedHeader.typ).toBe('trail-checkpoint+jws');
          return JSON.parse(new TextDecoder().decode(payload));
        }),
      );
      expect(checkpoints).toContainEqual({ requestId: id, tenantId: owner.tenantId, version: canceled.version, headHash: canceled.hash, at: canceled.at });
      expect(verifyBundle(bundle).problems).toEqual([]);
      expect(verifyBundle(bundle, { trustedJwks: jwks }).problems).toEqual([]);
      // No decision is ever taken here: the consent receipt is a 404.
      const receipt = await invoke(
        RECEIPT_HANDLERS[path],
        apiEvent({
          method: 'GET',
          path: `/v1/onboarding/${path}/${id}/consent-receipt`,
          pathParameters: { onboardingRequestId: id },
          headers: { authorization: owner.authorization },
        }),
      );
      expectProblem(receipt, 404, 'not_found');
    },
  );

  it("given a validly signed consent link for a Pending request, then this service's consent page, its decision and its receipt download are off (404) and nothing is recorded", async () => {
    const owner = await tenant();
    const api = onboardingApi('collectives', owner.authorization);
    const created = await api.create(BODIES.collectives);
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const secret = loadConfig(process.env).linkSecret?.value;
    expect(secret, 'the test environment signs links with a plain secret').toEqual(expect.any(String));
    const links = createLinks(() => secret!);
    const token = links.sign('consent', { id, tenantId: owner.tenantId, expiresAt: new Date(Date.now() + 3_600_000) });
    const calls = [
      [consentPages.show, apiEvent({ method: 'GET', path: `/consent/${token}`, pathParameters: { token } })],
      [
        consentPages.decide,
        apiEvent({
          method: 'POST',
          path: `/consent/${token}`,
          pathParameters: { token },
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          rawBody: new URLSearchParams({ decision: 'approve', csrf: links.formValue(token) }).toString(),
        }),
      ],
      [consentPages.receipt, apiEvent({ method: 'GET', path: `/consent/${token}/receipt`, pathParameters: { token } })],
    ] as const;

    for (const [handler, event] of calls) {
      const result = (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2;
      expect(result.statusCode, event.rawPath).toBe(404);
      const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
      expect(headers['content-type']).toMatch(/^text\/html\b/);
    }

    const trail = (await api.history(id)).body.data as Transition[];
    expect(trail.map((record) => record.to)).toEqual(['Pending']);
    const bundle = (await callRoute(COLLECTIVE_ONBOARDING_ROUTES.evidence, { onboardingRequestId: id }, { headers: { authorization: owner.authorization } }))
      .body as EvidenceBundle;
    expect(bundle).toMatchObject({ receipts: [], checkpoints: [] });
    expect(verifyBundle(bundle).problems).toEqual([]);
  });
});
