import * as z from 'zod/mini';
import {
  createCollectiveBody, createEntityBody, idempotencyKey, listCollectivesQuery, listEntitiesQuery, pageQuery, requestIdParams,
} from '../onboarding/schemas.ts';
import { ACTOR_TYPES, REQUEST_TYPES, SOURCES, STATUSES } from '../onboarding/types.ts';
import { webhookEvent } from '../webhooks/event.ts';

/**
 * The OpenAPI 3.1 document, built from the very schemas that validate requests (lib/onboarding/schemas.ts),
 * so the document and the behaviour cannot drift apart.
 */
type JsonSchema = Record<string, unknown>;

const jsonSchema = (schema: z.core.$ZodType): JsonSchema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

const requestError = z.object({ code: z.string(), message: z.string() });
const onboardingRequest = z.object({
  id: z.guid(),
  requestType: z.enum(REQUEST_TYPES),
  status: z.enum(STATUSES),
  created: z.iso.datetime(),
  updated: z.iso.datetime(),
  principalId: z.string(),
  returnUrl: z.nullable(z.string()),
  action: z.nullable(z.object({ type: z.literal('Consent'), redirectLink: z.string(), documentationLink: z.string() })),
  data: z.object({
    collective: z.optional(z.record(z.string(), z.unknown())),
    entity: z.optional(z.record(z.string(), z.unknown())),
    tenant: z.object({ id: z.guid() }),
    user: z.optional(z.record(z.string(), z.unknown())),
    client: z.optional(z.record(z.string(), z.unknown())),
  }),
  errors: z.array(requestError),
  version: z.int().check(z.minimum(1)),
});
const transition = z.object({
  version: z.int().check(z.minimum(1)),
  from: z.nullable(z.enum(STATUSES)),
  to: z.enum(STATUSES),
  at: z.iso.datetime(),
  actor: z.object({ type: z.enum(ACTOR_TYPES), id: z.string() }),
  source: z.enum(SOURCES),
  reason: z.optional(z.string()),
  errors: z.optional(z.array(requestError)),
  correlationId: z.string(),
  previousHash: z.nullable(z.string()),
  hash: z.string(),
});
const pageOf = (item: z.core.$ZodType) => z.object({
  data: z.array(item),
  links: z.object({ next: z.nullable(z.string()) }),
  meta: z.object({ continuationToken: z.nullable(z.string()), pageSize: z.int() }),
});
const problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  code: z.string(),
  correlationId: z.string(),
  errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
});

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const errors = (...codes: number[]) => {
  const text: Record<number, string> = {
    400: 'Invalid input (code validation_failed, malformed_json, invalid_continuation_token); in proxy mode also a refusal by the Realto platform, with its status and message (code upstream_rejected)',
    401: 'Missing or invalid bearer token (code unauthorized)',
    403: 'Token lacks the scope, or tenantId is not yours (code forbidden)',
    404: 'No such request for your tenant (code not_found)',
    409: 'Transition not allowed (code invalid_transition) or idempotent create in progress',
    413: 'Body over 64 KiB (code payload_too_large)',
    415: 'Body is not JSON (code unsupported_media_type)',
    422: 'Idempotency-Key reused with another body (code idempotency_key_reused)',
    503: 'Database unavailable (code service_unavailable), or in proxy mode calls to the Realto platform paused after repeated failures (code upstream_unavailable); retry after Retry-After seconds',
    502: 'Proxy mode: the Realto platform failed or answered something unreadable (code upstream_unavailable); nothing changed here',
    504: 'Proxy mode: the Realto platform did not answer in time (code upstream_timeout); nothing changed here',
  };
  return Object.fromEntries(codes.map((code) => [String(code), problemResponse(text[code]!)]));
};

function queryParameters(schema: z.core.$ZodType) {
  const { properties = {}, required = [] } = jsonSchema(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(properties).map(([name, property]) => ({ name, in: 'query', required: required.includes(name), schema: property }));
}

const idParameter = {
  name: 'onboardingRequestId',
  in: 'path',
  required: true,
  schema: (jsonSchema(requestIdParams) as { properties: Record<string, unknown> }).properties.onboardingRequestId,
};

function onboardingPaths(plural: 'collectives' | 'entities', type: 'Collective' | 'Entity') {
  const tag = `${type} onboarding`;
  const bodySchema = type === 'Collective' ? 'CreateCollectiveOnboardingRequest' : 'CreateEntityOnboardingRequest';
  const listQuery = type === 'Collective' ? listCollectivesQuery : listEntitiesQuery;
  return {
    [`/v1/onboarding/${plural}`]: {
      post: {
        tags: [tag],
        operationId: `create${type}OnboardingRequest`,
        summary: `Create a ${type.toLowerCase()} onboarding request`,
        security: [{ bearerAuth: ['onboarding:write'] }],
        parameters: [{
          name: 'Idempotency-Key', in: 'header', required: false, schema: jsonSchema(idempotencyKey),
          description: 'The same key with the same body within 24 h returns the first response and creates nothing.',
        }],
        requestBody: { required: true, content: json(ref(bodySchema)) },
        responses: {
          '201': {
            description: 'Created; `Location` names the new request, `ETag` its version',
            headers: { Location: { schema: { type: 'string' } }, ETag: { schema: { type: 'string' } } },
            content: json(ref('OnboardingRequest')),
          },
          ...errors(400, 401, 403, 409, 413, 415, 422, 502, 503, 504),
        },
      },
      get: {
        tags: [tag],
        operationId: `list${type}OnboardingRequests`,
        summary: `List your tenant's ${type.toLowerCase()} onboarding requests, newest first`,
        security: [{ bearerAuth: ['onboarding:read'] }],
        parameters: queryParameters(listQuery),
        responses: { '200': { description: 'A page', content: json(ref('OnboardingRequestPage')) }, ...errors(400, 401, 403, 502, 503, 504) },
      },
    },
    [`/v1/onboarding/${plural}/{onboardingRequestId}`]: {
      get: {
        tags: [tag],
        operationId: `get${type}OnboardingRequest`,
        summary: `Retrieve a ${type.toLowerCase()} onboarding request`,
        security: [{ bearerAuth: ['onboarding:read'] }],
        parameters: [idParameter],
        responses: { '200': { description: 'The request', content: json(ref('OnboardingRequest')) }, ...errors(400, 401, 403, 404, 502, 503, 504) },
      },
    },
    [`/v1/onboarding/${plural}/{onboardingRequestId}/cancel`]: {
      patch: {
        tags: [tag],
        operationId: `cancel${type}OnboardingRequest`,
        summary: `Cancel a ${type.toLowerCase()} onboarding request (safe to retry)`,
        security: [{ bearerAuth: ['onboarding:write'] }],
        parameters: [idParameter],
        responses: { '200': { description: 'The request, Canceled', content: json(ref('OnboardingRequest')) }, ...errors(400, 401, 403, 404, 409, 502, 503, 504) },
      },
    },
    [`/v1/onboarding/${plural}/{onboardingRequestId}/transitions`]: {
      get: {
        tags: [tag],
        operationId: `list${type}OnboardingTransitions`,
        summary: 'The audit trail of the request, oldest first',
        security: [{ bearerAuth: ['onboarding:read'] }],
        parameters: [idParameter, ...queryParameters(pageQuery)],
        responses: { '200': { description: 'A page of transitions', content: json(ref('TransitionPage')) }, ...errors(400, 401, 403, 404, 503) },
      },
    },
  };
}

export function buildOpenApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Onboarding API',
      version: '1.0.0',
      description: 'Onboarding requests for the Realto energy platform, with a hash-chained audit trail of every status transition.',
    },
    servers: [{ url: '/' }],
    tags: [{ name: 'Collective onboarding' }, { name: 'Entity onboarding' }, { name: 'Webhooks' }, { name: 'Meta' }],
    paths: {
      ...onboardingPaths('collectives', 'Collective'),
      ...onboardingPaths('entities', 'Entity'),
      '/v1/webhooks/onboarding': {
        post: {
          tags: ['Webhooks'],
          operationId: 'receiveOnboardingWebhook',
          summary: 'A provider reports progress (Standard Webhooks signature, no bearer token)',
          security: [],
          parameters: ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => ({
            name, in: 'header', required: true, schema: { type: 'string' },
          })),
          requestBody: { required: true, content: json(ref('OnboardingWebhookEvent')) },
          responses: {
            '200': {
              description: 'Applied, a duplicate of a delivered message, or ignored (not allowed now); never retry a 200',
              content: json({
                type: 'object',
                properties: {
                  outcome: { type: 'string', enum: ['applied', 'duplicate', 'ignored'] },
                  version: { type: 'integer' },
                  reason: { type: 'string' },
                },
                required: ['outcome'],
              }),
            },
            '400': problemResponse('Signature fine, body malformed (code validation_failed, malformed_json)'),
            '401': problemResponse('Bad or missing signature, or timestamp outside ±300 s (code invalid_signature)'),
            '404': problemResponse('No such onboarding request (code not_found); retry later'),
            '413': problemResponse('Body over 64 KiB (code payload_too_large)'),
            '503': problemResponse('Database unavailable; retry after Retry-After seconds (code service_unavailable)'),
          },
        },
      },
      '/v1/openapi.json': {
        get: {
          tags: ['Meta'],
          operationId: 'getOpenApiDocument',
          summary: 'This document',
          security: [],
          responses: { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } },
        },
      },
    },
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Claims: sub, tenant_id (uuid), scope.' },
      },
      schemas: {
        CreateCollectiveOnboardingRequest: jsonSchema(createCollectiveBody),
        CreateEntityOnboardingRequest: jsonSchema(createEntityBody),
        OnboardingRequest: jsonSchema(onboardingRequest),
        Transition: jsonSchema(transition),
        OnboardingRequestPage: { ...jsonSchema(pageOf(z.unknown())), properties: { ...(jsonSchema(pageOf(z.unknown())).properties as object), data: { type: 'array', items: ref('OnboardingRequest') } } },
        TransitionPage: { ...jsonSchema(pageOf(z.unknown())), properties: { ...(jsonSchema(pageOf(z.unknown())).properties as object), data: { type: 'array', items: ref('Transition') } } },
        Problem: jsonSchema(problem),
        OnboardingWebhookEvent: jsonSchema(webhookEvent),
      },
    },
  };
}
