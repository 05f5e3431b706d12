import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { handler } from '../../functions/meta/openapi.ts';
import { COLLECTIVE_TYPES, ENTITY_TYPES } from '../../lib/onboarding/schemas.ts';
import { apiEvent, invoke } from '../support/http.ts';

const serverless = parse(readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8').replace(/!(GetAtt|Join|Sub|Ref) /g, ''));
const deployedRoutes = Object.values(serverless.functions as Record<string, { events?: Array<{ httpApi?: { method: string; path: string } }> }>)
  .flatMap((fn) => fn.events ?? [])
  .flatMap((event) => (event.httpApi ? [`${event.httpApi.method.toLowerCase()} ${event.httpApi.path}`] : []))
  .sort();

describe('GET /v1/openapi.json', () => {
  it('is served without a token as an OpenAPI 3.1 document', async () => {
    const response = await invoke(handler, apiEvent({ path: '/v1/openapi.json' }));
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body.openapi).toBe('3.1.0');
    expect(response.body.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('documents every route the stack deploys, and no other', async () => {
    const { body } = await invoke(handler, apiEvent({ path: '/v1/openapi.json' }));
    const documented = Object.entries(body.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`))
      .sort();
    expect(documented).toEqual(deployedRoutes);
    expect(deployedRoutes).toHaveLength(12);
  });

  it('describes create bodies with the schemas that validate them: required fields, enums, no unknown fields', async () => {
    const { body } = await invoke(handler, apiEvent({ path: '/v1/openapi.json' }));
    const collective = body.components.schemas.CreateCollectiveOnboardingRequest;
    expect(collective.required).toEqual(['name', 'type']);
    expect(collective.additionalProperties).toBe(false);
    expect(collective.properties.type.enum).toEqual([...COLLECTIVE_TYPES]);
    expect(collective.properties.name.maxLength).toBe(200);
    const entity = body.components.schemas.CreateEntityOnboardingRequest;
    expect(entity.required).toEqual(['type', 'manufacturer']);
    expect(entity.properties.type.enum).toEqual([...ENTITY_TYPES]);
    expect(body.paths['/v1/onboarding/entities'].get.parameters.map((p: { name: string }) => p.name))
      .toEqual(['pageSize', 'continuationToken', 'status', 'manufacturer', 'type']);
  });

  it('names the problem responses callers must handle', async () => {
    const { body } = await invoke(handler, apiEvent({ path: '/v1/openapi.json' }));
    const create = body.paths['/v1/onboarding/collectives'].post;
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '413', '415', '422']));
    expect(create.responses['400'].content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
    expect(body.components.schemas.Problem.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'code']));
  });
});
