import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../lib/app/function-table.ts';
import { SUBSCRIBABLE_EVENT_TYPES } from '../../lib/events/event.ts';
import { buildOpenApiDocument } from '../../lib/http/openapi.ts';
import { createPageTokens } from '../../lib/http/page-tokens.ts';
import type { Route } from '../../lib/http/route.ts';
import { ALL_KINDS, eventTypesOf, platformPathsOf } from '../../lib/kinds/index.ts';
import { auditRequest } from '../../lib/lifecycle/audit.ts';
import { registryOf } from '../../lib/lifecycle/kind.ts';
import { createLifecycle } from '../../lib/lifecycle/lifecycle.ts';
import { createRequests } from '../../lib/lifecycle/requests.ts';
import { createRealtoClient } from '../../lib/proxy/realto-client.ts';
import { PROVIDER_EVENT_TYPES } from '../../lib/webhooks/event.ts';
import { store } from '../support/app.ts';
import { caller, testNotary } from '../support/fixtures.ts';
import { METER_READING, METER_READING_ROUTES } from '../support/toy-kind.ts';

/**
 * The list of kinds (lib/kinds/index.ts) is what the rest is made from: a kind added there, with its
 * routes, is in the API document, in the events' types and among the platform's paths, and the core serves
 * it as it is. Shown with a kind the service does not have (test/support/toy-kind.ts).
 */
const WITH_TOY = [...ALL_KINDS, METER_READING];

describe("the kinds' list", () => {
  it('drives the OpenAPI document: the new kind has its five operations, its view and its events', () => {
    const routes = [...ROUTES, ...Object.values(METER_READING_ROUTES)] as Route[];
    const document = buildOpenApiDocument(routes, WITH_TOY) as any;

    expect(Object.keys(document.paths['/v1/readings/meters'])).toEqual(['post', 'get']);
    expect(Object.keys(document.paths['/v1/readings/meters/{readingRequestId}'])).toEqual(['get']);
    expect(document.paths['/v1/readings/meters/{readingRequestId}/cancel'].patch.operationId).toBe('cancelMeterReadingRequest');
    expect(document.components.schemas.MeterReadingRequest.properties.data.properties.meterId.maxLength).toBe(64);
    expect(document.components.schemas.CreateMeterReadingRequest.required).toEqual(['meterId']);
    expect(document.components.schemas.OutboundEvent.properties.type.enum).toContain('reading.status.updated');
    expect(document.components.schemas.WebhookEndpoint.properties.eventTypes.items.enum).toContain('reading.status.updated');

    const without = buildOpenApiDocument(ROUTES, ALL_KINDS) as any;
    expect(without.paths['/v1/readings/meters']).toBeUndefined();
    expect(without.components.schemas.OutboundEvent.properties.type.enum).not.toContain('reading.status.updated');
  });

  it("drives the events' types: what a provider may send and an integrator subscribe to is each kind's event, once", () => {
    expect(PROVIDER_EVENT_TYPES).toEqual(eventTypesOf(ALL_KINDS));
    expect(SUBSCRIBABLE_EVENT_TYPES).toEqual(eventTypesOf(ALL_KINDS));
    expect(eventTypesOf(ALL_KINDS)).toEqual(['onboarding.status.updated', 'offboarding.status.updated']);
    expect(eventTypesOf(WITH_TOY)).toEqual(['onboarding.status.updated', 'offboarding.status.updated', 'reading.status.updated']);
  });

  it("drives the platform's paths: the client asks where a kind is served, and refuses any other path", async () => {
    const asked: string[] = [];
    const client = createRealtoClient({
      paths: platformPathsOf(WITH_TOY),
      baseUrl: 'https://platform.test/api',
      clientId: 'id',
      clientSecret: 'secret',
      fetch: async (url, init) => {
        asked.push(`${init?.method} ${String(url)}`);
        const body = String(url).endsWith('/authentication') ? { access_token: 't', expires_in: 3600 } : { id: 'r-1', status: 'Pending' };
        return new Response(JSON.stringify(body), {
          status: String(url).endsWith('/authentication') ? 200 : 201,
          headers: { 'content-type': 'application/json' },
        });
      },
    });

    await expect(client.createRequest('readings/meters', { meterId: 'M-1' })).resolves.toMatchObject({ id: 'r-1' });
    expect(asked.at(-1)).toBe('POST https://platform.test/api/v1/readings/meters');
    await expect(async () => client.createRequest('readings/unknown', {})).rejects.toThrow(TypeError);
    expect(platformPathsOf(ALL_KINDS)).toEqual(['onboarding/collectives', 'onboarding/entities', 'offboarding/entities']);
  });

  it('gives the core a kind it takes as it is: created, listed, canceled, with a trail that verifies (DynamoDB Local)', async () => {
    const kinds = registryOf(WITH_TOY);
    const core = createLifecycle({ notary: testNotary(), store, pageTokens: createPageTokens('toy-kind-test-secret-0123456789abcdef'), kinds });
    const readings = createRequests(METER_READING, core, { allowLoopbackHttpReturnUrl: false });
    const owner = caller();
    const call = { correlationId: 'toy-kind' };

    const { request } = await readings.create({ meterId: 'M-42' }, owner, call);
    expect(request).toMatchObject({ requestType: 'Entity', status: 'Pending', data: { meterId: 'M-42' }, version: 1 });
    expect((await readings.list(owner, {}, call)).items.map((item) => item.id)).toEqual([request.id]);
    expect(await readings.cancel(request.id, owner, call)).toMatchObject({ status: 'Canceled', version: 2 });
    expect((await readings.history(request.id, owner, {})).items.map((entry) => entry.to)).toEqual(['Pending', 'Canceled']);
    expect(await auditRequest(store, kinds, request.id)).toEqual([]);

    // Another tenant does not see it.
    await expect(readings.get(request.id, caller('stranger'), call)).rejects.toThrow(/No meter reading request/);
  });
});
