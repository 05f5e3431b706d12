import { toJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { eventTypesOf } from '../kinds/index.ts';
import type { AnyKind } from '../lifecycle/kind.ts';
import { ANSWER_LIMITS, answer, integer } from '../lifecycle/schemas.ts';
import { ACTOR_TYPES, SOURCES, STATUSES } from '../lifecycle/types.ts';
import { MAX_BODY_BYTES } from './body.ts';
import type { LazySchema, Route, Schema } from './route.ts';

/**
 * The OpenAPI 3.1 document, built from the route table (lib/app/function-table.ts), the kinds of request
 * (lib/kinds/index.ts: each kind's view, and the events they send) and the very schemas that validate
 * requests, so the document and the behaviour cannot drift apart. `npm run openapi` writes it to
 * ./openapi.json, which the OpenAPI function serves; `npm run lint:openapi` checks it with Redocly and
 * Spectral's OWASP rules (docs/api.md says which two rules stay, and why).
 */
type JsonSchema = Record<string, unknown>;

const { id: ID, link: LINK, hash: HASH, page: MAX_PAGE } = ANSWER_LIMITS;
const { id, text, time, version } = answer;

/** The document's schemas are built when the document is, not when this module is loaded. */
function documentSchemas(eventTypes: readonly string[]) {
  const outboundTypes = [...eventTypes, 'webhook.test'] as unknown as [string, ...string[]];
  const transition = v.object({
    version: version(),
    from: v.nullable(v.picklist(STATUSES)),
    to: v.picklist(STATUSES),
    at: time(),
    actor: v.object({ type: v.picklist(ACTOR_TYPES), id: text(256) }),
    source: v.picklist(SOURCES),
    reason: v.optional(text()),
    errors: v.optional(answer.errors()),
    evidence: v.optional(v.object({ channel: v.picklist(['consent-link', 'guided-session']) })),
    correlationId: text(256),
    previousHash: v.nullable(text(HASH)),
    hash: text(HASH),
  });
  const pageOf = (item: Schema) =>
    v.object({
      data: v.pipe(v.array(item), v.maxLength(MAX_PAGE)),
      links: v.object({ next: v.nullable(text(LINK * 2)) }),
      meta: v.object({ continuationToken: v.nullable(text(LINK)), pageSize: integer(1, MAX_PAGE) }),
    });
  const problem = v.object({
    type: text(200),
    title: text(200),
    status: integer(400, 599),
    detail: text(),
    code: text(100),
    correlationId: text(128),
    errors: v.optional(v.pipe(v.array(v.object({ path: text(300), message: text(300) })), v.maxLength(20))),
  });
  const webhookEndpoint = v.object({
    id: id(),
    url: text(LINK),
    description: v.nullable(text(500)),
    eventTypes: v.pipe(v.array(v.picklist(eventTypes)), v.maxLength(eventTypes.length)),
    disabled: v.boolean(),
    disabledReason: v.nullable(text(200)),
    created: time(),
    updated: time(),
  });
  const secret = () => v.pipe(v.string(), v.maxLength(100), v.regex(/^whsec_[A-Za-z0-9+/=]+$/));
  const deliveryAttempt = v.object({
    eventId: text(100),
    eventType: v.picklist(outboundTypes),
    attempt: integer(1, 1000),
    at: time(),
    statusCode: v.nullable(integer(0, 999)),
    error: v.nullable(text(300)),
    durationMs: integer(0, 600_000),
    nextAttemptAt: v.nullable(time()),
    manual: v.boolean(),
  });
  const guidedSession = v.object({
    companyName: text(200),
    created: time(),
    expired: v.boolean(),
    expiresAt: v.nullable(time()),
    id: id(),
    manufacturer: text(100),
    entityType: v.nullable(text(40)),
    onboardingRequest: v.nullable(v.unknown()),
    returnUrl: v.nullable(text(LINK)),
  });

  /** What an endpoint receives: the request as GET shows it, and the transition. */
  const outboundEvent = v.object({
    id: text(100),
    type: v.picklist(outboundTypes),
    timestamp: time(),
    data: v.record(text(100), v.unknown()),
  });
  const webhookOutcome = v.object({
    outcome: v.picklist(['applied', 'duplicate', 'ignored']),
    version: v.optional(version()),
    reason: v.optional(text(300)),
  });
  return { transition, pageOf, problem, webhookEndpoint, secret, deliveryAttempt, guidedSession, outboundEvent, webhookOutcome };
}

/**
 * Inputs carry their own limits (lib/lifecycle/schemas.ts); formats the generator cannot see get theirs
 * here, and a strict object (every other field refused, `{ not: {} }`) is written the way readers expect.
 */
function bounded(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(bounded);
  if (schema === null || typeof schema !== 'object') return schema;
  const result: JsonSchema = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, bounded(value)]));
  if (isRefuseAll(result.additionalProperties)) result.additionalProperties = false;
  if (Array.isArray(result.required) && result.required.length === 0) delete result.required;
  if (typeof result.const === 'string') result.type ??= 'string';
  if (result.type === 'string' && result.format === 'uuid' && result.maxLength === undefined) result.maxLength = ID;
  if (result.type === 'integer' && result.format === undefined) result.format = 'int64';
  return result;
}

const isRefuseAll = (schema: unknown) =>
  typeof schema === 'object' && schema !== null && Object.keys(schema).length === 1 && JSON.stringify((schema as JsonSchema).not) === '{}';

const jsonSchema = (schema: Schema): JsonSchema => {
  const { $schema: _ignored, ...rest } = toJsonSchema(schema, { target: 'draft-2020-12', typeMode: 'input', errorMode: 'ignore' }) as JsonSchema;
  return bounded(rest) as JsonSchema;
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const capitalized = (name: string) => name[0]!.toUpperCase() + name.slice(1);

/** The response headers a route may name, and the ones every answer carries. */
const HEADERS: Record<string, JsonSchema> = {
  'X-Correlation-Id': {
    description: "The caller's X-Correlation-Id when well-formed, else one of ours; quote it when reporting a problem",
    schema: { type: 'string', maxLength: 128 },
  },
  'Access-Control-Allow-Origin': {
    description:
      'Set by API Gateway for a browser Origin the stage allows (serverless.yml custom.stages.<stage>.cors; none by default: the API is for back ends)',
    schema: { type: 'string', maxLength: LINK },
  },
  Location: { description: 'The new resource', schema: { type: 'string', maxLength: LINK } },
  ETag: { description: "The request's version, quoted", schema: { type: 'string', maxLength: 16 } },
  'Idempotent-Replayed': {
    description: '`true` when this is the stored first answer to the same Idempotency-Key and body',
    schema: { type: 'string', enum: ['true'] },
  },
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', format: 'int32', minimum: 1, maximum: 3600 } },
  'Retry-After-Throttled': {
    description: "Not sent by API Gateway's own throttling, which answers this 429: wait at least 1 s and double the wait on each retry",
    schema: { type: 'integer', format: 'int32', minimum: 1, maximum: 3600 },
  },
  'WWW-Authenticate': { description: 'The bearer challenge (RFC 6750)', schema: { type: 'string', maxLength: 300 } },
};
const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });
const EVERY_ANSWER = ['X-Correlation-Id', 'Access-Control-Allow-Origin'];

/** `headers`: each header's name, and the component that describes it on this answer. */
const PROBLEMS: Record<number, { description: string; headers?: Record<string, string> }> = {
  400: {
    description:
      'Invalid input (code validation_failed, malformed_json, invalid_continuation_token, with errors[{path, message}]); in proxy mode also a refusal by the Realto platform, with its status and message (code upstream_rejected)',
  },
  401: {
    description: 'Missing or invalid credentials (code unauthorized; for webhooks invalid_signature)',
    headers: { 'WWW-Authenticate': 'WWW-Authenticate' },
  },
  403: { description: 'The token lacks the scope, or tenantId is not yours (code forbidden)' },
  404: { description: 'No such request or webhook endpoint for your tenant (code not_found); for an offboarding, no such entity onboarded by your tenant' },
  409: {
    description:
      'Transition not allowed (code invalid_transition); the entity has an offboarding open (offboarding_open); a webhook id reused for another message (webhook_id_reused); the tenant has as many webhook endpoints as allowed (endpoint_limit); or the resource is being changed by others right now (concurrent_modification, idempotency_in_progress, delivery_in_progress): retry',
  },
  413: { description: `Body over ${MAX_BODY_BYTES / 1024} KiB (code payload_too_large)` },
  415: { description: 'Body is not JSON (code unsupported_media_type)' },
  422: { description: 'Idempotency-Key reused with another body (code idempotency_key_reused)' },
  429: {
    description: "Too many requests: the stage's throttling at API Gateway (rate and burst per stage); retry with backoff",
    headers: { 'Retry-After': 'Retry-After-Throttled' },
  },
  500: { description: 'Internal error (code internal_error); the detail says nothing, the log has the cause under the correlation id' },
  502: {
    description:
      'An upstream failed: in proxy mode the Realto platform failed or answered something unreadable (code upstream_unavailable); locally, the function failed (code function_failed). Nothing changed',
  },
  503: {
    description:
      'The database, a secret or the identity provider is unavailable (code service_unavailable), or in proxy mode calls to the Realto platform are paused (code upstream_unavailable); retry after Retry-After seconds',
    headers: { 'Retry-After': 'Retry-After' },
  },
  501: { description: "Not available in this stack's mode (code local_mode_only): in realto mode guided sessions are created in the platform's own UI" },
  504: {
    description:
      'Proxy mode: the Realto platform did not answer in time (code upstream_timeout); locally, the function timed out (code function_timeout). Nothing changed',
  },
};
/** What any route may answer whatever it does: throttling, and the failures of what it runs on. */
const EVERY_ROUTE = [429, 500, 502, 503, 504];

/** The name of the shared response of a problem status (components.responses). */
const PROBLEM_NAMES: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  422: 'IdempotencyKeyReused',
  429: 'TooManyRequests',
  500: 'InternalError',
  502: 'BadGateway',
  501: 'NotImplemented',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

function problemResponse(status: number) {
  const { description, headers = {} } = PROBLEMS[status]!;
  return {
    description,
    headers: {
      ...Object.fromEntries(EVERY_ANSWER.map((name) => [name, headerRef(name)])),
      ...Object.fromEntries(Object.entries(headers).map(([name, component]) => [name, headerRef(component)])),
    },
    content: { 'application/problem+json': { schema: ref('Problem') } },
  };
}

function parametersOf(route: Route) {
  const { params, query, headers = [] } = route.http.input;
  const fromSchema = (schema: LazySchema | undefined, where: 'path' | 'query') => {
    if (!schema) return [];
    const { properties = {}, required = [] } = jsonSchema(schema()) as { properties?: Record<string, JsonSchema>; required?: string[] };
    return Object.entries(properties).map(([name, property]) => ({
      name,
      in: where,
      required: where === 'path' || required.includes(name),
      schema: property,
      ...(name === 'continuationToken'
        ? { description: "Opaque, from `meta.continuationToken` of the previous page (the platform's name for it; not a credential)" }
        : {}),
    }));
  };
  return [
    ...fromSchema(params, 'path'),
    ...fromSchema(query, 'query'),
    ...headers.map((header) => ({
      name: header.name,
      in: 'header',
      required: header.required,
      description: header.description,
      schema: jsonSchema(header.schema()),
    })),
    { $ref: '#/components/parameters/X-Correlation-Id' },
  ];
}

function requestBodyName(route: Route): string | undefined {
  if (route.http.input.body) return capitalized(route.http.operationId);
  if (route.http.input.rawBody) return `${capitalized(route.http.operationId)}Event`;
  return undefined;
}

function operation(route: Route) {
  const { http } = route;
  const bodyName = requestBodyName(route);
  const security = http.auth === 'none' ? [] : http.auth === 'signature' ? [{ webhookSignature: [] }] : [{ bearerAuth: [http.auth] }];
  // The body is read on every route, before validation: a body it cannot take is refused on any of them.
  const bodyProblems = http.input.rawBody ? [413] : [400, 413, 415];
  const statuses = [...new Set([...http.errors, ...bodyProblems, ...(http.auth === 'none' ? [] : [401]), ...EVERY_ROUTE])].sort();
  return {
    tags: [http.tag],
    operationId: http.operationId,
    summary: http.summary,
    description: `${http.summary}. Served by the \`${route.function}\` function.`,
    security,
    parameters: parametersOf(route),
    ...(bodyName ? { requestBody: { required: true, content: json(ref(bodyName)) } } : {}),
    responses: {
      [String(http.ok.status)]: {
        description: http.ok.description,
        headers: Object.fromEntries([...EVERY_ANSWER, ...(http.ok.headers ?? [])].map((name) => [name, headerRef(name)])),
        ...(http.ok.body === null ? {} : { content: { [http.ok.mediaType ?? 'application/json']: { schema: ref(http.ok.body) } } }),
      },
      ...Object.fromEntries(statuses.map((status) => [String(status), { $ref: `#/components/responses/${PROBLEM_NAMES[status]}` }])),
    },
  };
}

/** A page of a list of `name`s. */
const pageSchemaOf = (pageOf: (item: Schema) => Schema, name: string): JsonSchema => {
  const envelope = jsonSchema(pageOf(v.unknown()));
  return { ...envelope, properties: { ...(envelope.properties as object), data: { type: 'array', maxItems: MAX_PAGE, items: ref(name) } } };
};

/**
 * The document of the given routes (the route table), in their order, with each kind's view (a kind's
 * routes answer it by name) and the events the kinds send.
 */
export function buildOpenApiDocument(allRoutes: readonly Route[], kinds: readonly AnyKind[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  const bodies: Record<string, JsonSchema> = {};
  const eventTypes = eventTypesOf(kinds);
  const schemas = documentSchemas(eventTypes);
  const { pageOf, guidedSession } = schemas;
  const views: Record<string, JsonSchema> = {};
  for (const kind of kinds) {
    views[kind.schemas.viewName] = jsonSchema(kind.schemas.view());
    views[`${kind.schemas.viewName}Page`] = pageSchemaOf(pageOf, kind.schemas.viewName);
  }
  // The end user's pages are HTML for people, not API.
  const routes = allRoutes.filter((route) => !route.http.html);
  for (const route of routes) {
    paths[route.http.path] = { ...paths[route.http.path], [route.http.method.toLowerCase()]: operation(route) };
    const bodyName = requestBodyName(route);
    const body = route.http.input.body ?? route.http.input.rawBody;
    if (bodyName && body) bodies[bodyName] = jsonSchema(body());
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Onboarding API',
      version: '1.0.0',
      // No operation answers 405, so it is not among the responses (a component none names is a warning):
      // the API's `$default` route answers it (functions/meta/fallback.ts), said here.
      description:
        'Onboarding requests for the Realto energy platform, with a hash-chained audit trail of every status transition. ' +
        'A path this API does not have is a 404 problem (code not_found); a path it has, asked with a method it does not take, is a 405 problem (code method_not_allowed) whose Allow header lists the methods it takes.',
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
      contact: { name: 'Onboarding service team' },
    },
    servers: [{ url: '/', description: 'The stage this document is served from', 'x-internal': false }],
    tags: [...new Set(routes.map((route) => route.http.tag))].map((name) => ({ name, description: TAGS[name] ?? name })),
    paths,
    // What this service sends to integrators' endpoints, signed the Standard Webhooks way.
    webhooks: Object.fromEntries(
      [...eventTypes, 'webhook.test'].map((type) => [
        type,
        {
          post: {
            operationId: `send.${type}`,
            summary:
              type === 'webhook.test'
                ? 'A test event, sent by POST /v1/webhook-endpoints/{endpointId}/test'
                : `Sent for every applied transition (${type}): the request as GET shows it, and \`transition\``,
            tags: ['Webhook endpoints'],
            security: [],
            parameters: [
              {
                name: 'webhook-id',
                in: 'header',
                required: true,
                description: 'The event id: the same on every retry, so receivers dedupe by it',
                schema: { type: 'string', maxLength: 100 },
              },
              {
                name: 'webhook-timestamp',
                in: 'header',
                required: true,
                description: 'Unix seconds of this attempt',
                schema: { type: 'string', maxLength: 12 },
              },
              {
                name: 'webhook-signature',
                in: 'header',
                required: true,
                description:
                  'Space-separated `v1,<base64 HMAC-SHA256>` over `{webhook-id}.{webhook-timestamp}.{body}`, one per secret that signs (two for 24 h after a rotation)',
                schema: { type: 'string', maxLength: 1024 },
              },
            ],
            requestBody: { required: true, content: json(ref('OutboundEvent')) },
            responses: { '200': { description: 'Any 2xx is a success; anything else, a timeout (10 s) or a connection error is retried for at least 24 h' } },
          },
        },
      ]),
    ),
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            "A JWT from your identity provider, verified as RFC 8725 advises (RFC8725): RS256 or ES256 from the stage's JWKS only (HS256 only locally), the algorithm pinned by the key, `iss`, `aud`, `exp` and `nbf` checked. Claims: `sub` (the principal), `tenant_id` (uuid), `scope` (`onboarding:read`, `onboarding:write`, `webhooks:read`, `webhooks:write`).",
        },
        webhookSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'webhook-signature',
          description:
            'Standard Webhooks: `v1,<base64 HMAC-SHA256>` over `{webhook-id}.{webhook-timestamp}.{raw body}` with a shared `whsec_` secret; timestamps outside ±300 s are refused.',
        },
      },
      // Every operation takes it: declared once.
      parameters: {
        'X-Correlation-Id': {
          name: 'X-Correlation-Id',
          in: 'header',
          required: false,
          description: 'Echoed back and logged with every line of the call',
          schema: { type: 'string', pattern: '^[\\w.:-]{1,128}$', maxLength: 128 },
        },
      },
      headers: HEADERS,
      responses: Object.fromEntries(Object.keys(PROBLEMS).map((status) => [PROBLEM_NAMES[Number(status)]!, problemResponse(Number(status))])),
      schemas: {
        ...bodies,
        ...views,
        Transition: jsonSchema(schemas.transition),
        TransitionPage: pageSchemaOf(pageOf, 'Transition'),
        WebhookOutcome: jsonSchema(schemas.webhookOutcome),
        WebhookEndpoint: jsonSchema(schemas.webhookEndpoint),
        WebhookEndpointWithSecret: jsonSchema(v.object({ ...schemas.webhookEndpoint.entries, secret: schemas.secret() })),
        WebhookEndpointPage: pageSchemaOf(pageOf, 'WebhookEndpoint'),
        DeliveryAttempt: jsonSchema(schemas.deliveryAttempt),
        DeliveryAttemptPage: pageSchemaOf(pageOf, 'DeliveryAttempt'),
        OutboundEvent: jsonSchema(schemas.outboundEvent),
        GuidedSession: {
          ...jsonSchema(guidedSession),
          properties: { ...(jsonSchema(guidedSession).properties as object), onboardingRequest: { oneOf: [ref('OnboardingRequest'), { type: 'null' }] } },
        },
        GuidedSessionWithUrl: {
          ...jsonSchema(v.object({ ...guidedSession.entries, url: text(LINK) })),
          properties: {
            ...(jsonSchema(v.object({ ...guidedSession.entries, url: text(LINK) })).properties as object),
            onboardingRequest: { oneOf: [ref('OnboardingRequest'), { type: 'null' }] },
          },
        },
        GuidedSessionPage: pageSchemaOf(pageOf, 'GuidedSession'),
        OpenApiDocument: { type: 'object', description: 'This document' },
        CompactJws: COMPACT_JWS,
        JsonWebKeySet: JSON_WEB_KEY_SET,
        EvidenceBundle: {
          type: 'object',
          description: "Everything needed to verify a request's trail offline (`npm run audit:verify -- --bundle <file>`)",
          required: ['request', 'transitions', 'receipts', 'checkpoints', 'jwks'],
          properties: {
            request: { type: 'object', description: 'The request as GET shows it' },
            // A request has at most a handful of transitions (each status once, and the registry's records).
            transitions: { type: 'array', maxItems: 1_000, items: ref('Transition'), description: 'The whole trail, oldest first' },
            receipts: { type: 'array', maxItems: 1_000, items: COMPACT_JWS, description: 'The consent receipts of its decisions, oldest first' },
            checkpoints: { type: 'array', maxItems: 1_000, items: COMPACT_JWS, description: 'Signed checkpoints of its head, oldest first' },
            jwks: JSON_WEB_KEY_SET,
          },
        },
        Problem: jsonSchema(schemas.problem),
      },
    },
  };
}

/** A compact JWS (ES256): a consent receipt or a checkpoint. */
const COMPACT_JWS = { type: 'string', pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$', maxLength: 16_384, description: 'A compact JWS (ES256)' };
const JSON_WEB_KEY_SET = {
  type: 'object',
  description: 'The public keys that sign consent receipts and checkpoints, current first',
  required: ['keys'],
  properties: {
    keys: {
      type: 'array',
      maxItems: 10,
      items: {
        type: 'object',
        required: ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use'],
        properties: {
          kty: { const: 'EC', type: 'string' },
          crv: { const: 'P-256', type: 'string' },
          x: { type: 'string', maxLength: 64 },
          y: { type: 'string', maxLength: 64 },
          kid: { type: 'string', maxLength: 64 },
          alg: { const: 'ES256', type: 'string' },
          use: { const: 'sig', type: 'string' },
        },
      },
    },
  },
};

const TAGS: Record<string, string> = {
  'Collective onboarding': 'Connecting a household, fleet or farm: create, track, cancel, and its audit trail',
  'Entity onboarding': 'Connecting a device (battery, EV, heat pump…): create, track, cancel, and its audit trail',
  'Entity offboarding': 'Removing an onboarded device (the customer moved out, sold it): create, track, cancel, and its audit trail',
  'Guided entity onboarding': 'A link for the end user, who enters the device and consents; it yields one entity onboarding request',
  Webhooks: 'Providers report progress, signed',
  'Webhook endpoints': "Where your tenant's events go: every status transition, signed and retried, so you need not poll",
  Meta: 'About the API itself',
  'Consent proofs': 'The keys that sign consent receipts and checkpoints, for anyone to verify them offline',
};
