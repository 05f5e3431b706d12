import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/meta/openapi.ts';
import { COLLECTIVE_TYPES, ENTITY_TYPES } from '../../lib/lifecycle/types.ts';
import { apiEvent, invoke } from '../support/http.ts';

const served = async () => (await invoke(handler, apiEvent({ path: '/v1/openapi.json' }))).body;

describe('GET /v1/openapi.json', () => {
  it('is served without a token as an OpenAPI 3.1 document', async () => {
    const response = await invoke(handler, apiEvent({ path: '/v1/openapi.json' }));
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body.openapi).toBe('3.1.0');
    expect(response.body.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('describes create bodies with the schemas that validate them: required fields, enums, no unknown fields', async () => {
    const body = await served();
    const collective = body.components.schemas.CreateCollectiveOnboardingRequest;
    expect(collective.required).toEqual(['name', 'type']);
    expect(collective.additionalProperties).toBe(false);
    expect(collective.properties.type.enum).toEqual([...COLLECTIVE_TYPES]);
    expect(collective.properties.name.maxLength).toBe(200);
    const entity = body.components.schemas.CreateEntityOnboardingRequest;
    expect(entity.required).toEqual(['type', 'manufacturer']);
    expect(entity.properties.type.enum).toEqual([...ENTITY_TYPES]);
    expect(body.paths['/v1/onboarding/entities'].get.parameters.filter((p: { in: string }) => p.in === 'query').map((p: { name: string }) => p.name)).toEqual([
      'pageSize',
      'continuationToken',
      'status',
      'manufacturer',
      'type',
    ]);
  });

  it('names the problem responses callers must handle', async () => {
    const body = await served();
    const create = body.paths['/v1/onboarding/collectives'].post;
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '413', '415', '422', '429', '500']));
    expect(create.responses['400']).toEqual({ $ref: '#/components/responses/BadRequest' });
    expect(body.components.responses.BadRequest.content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
    expect(body.components.schemas.Problem.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'code']));
  });

  it('documents the webhook as signed, not as public', async () => {
    const body = await served();
    expect(body.paths['/v1/webhooks/onboarding'].post.security).toEqual([{ webhookSignature: [] }]);
    expect(body.paths['/v1/webhooks/onboarding'].post.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ReceiveOnboardingWebhookEvent',
    });
  });
});
