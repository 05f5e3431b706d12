import * as z from 'zod/mini';
import { STATUSES } from './types.ts';

/**
 * The request schemas. They validate what callers send and feed the OpenAPI document (lib/http/openapi.ts)
 * through the route table, so the two cannot drift.
 */
export const COLLECTIVE_TYPES = ['Community', 'Household', 'Fleet', 'SolarFarm', 'WindFarm', 'VirtualPowerPlant'] as const;
export const ENTITY_TYPES = [
  'Battery', 'ChargePoint', 'EV', 'HeatPump', 'Inverter', 'Meter', 'PV', 'RetrofitMeter', 'SmartMeter', 'SolarPlant',
] as const;

export { READ_ONLY_FIELDS } from './fields.ts';

// Any 8-4-4-4-12 hex id: the platform does not promise RFC 4122 versions, and ids are only compared.
const uuid = () => z.guid();
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
/** A one-line string: not empty, not too long, no control characters, no lone surrogates. */
export const text = (max: number) =>
  z.string().check(
    z.minLength(1),
    z.maxLength(max),
    z.refine((value) => !CONTROL_CHARACTERS.test(value) && value.isWellFormed(), 'must not contain control characters'),
  );

/** Nesting beyond this is refused: no real device property needs it, and it keeps every reader's recursion bounded. */
export const MAX_PROPERTIES_DEPTH = 16;

function depthOf(value: unknown, limit: number): number {
  if (value === null || typeof value !== 'object') return 0;
  if (limit === 0) return 1;
  let deepest = 0;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depthOf(child, limit - 1));
  return deepest + 1;
}

/** Any JSON, nested at most `MAX_PROPERTIES_DEPTH` levels. */
export const boundedJson = () => z.unknown().check(
  z.refine((value) => depthOf(value, MAX_PROPERTIES_DEPTH) <= MAX_PROPERTIES_DEPTH, `must not nest deeper than ${MAX_PROPERTIES_DEPTH} levels`),
);
const optional = <T extends z.core.SomeType>(schema: T) => z.optional(z.nullable(schema));

const common = () => ({
  tenantId: optional(uuid()),
  owner: optional(uuid()),
  properties: z.optional(boundedJson()),
  returnUrl: optional(text(2048)),
});

/*
 * The schemas are built on first use (z.lazy): a function's cold start builds only the ones its routes
 * validate with, not every schema of the API.
 */
export const createCollectiveBody = /* @__PURE__ */ z.lazy(() => z.strictObject({
  name: text(200),
  type: z.enum(COLLECTIVE_TYPES),
  collectiveId: optional(uuid()),
  ...common(),
}));
export type CreateCollectiveInput = z.infer<typeof createCollectiveBody>;

export const createEntityBody = /* @__PURE__ */ z.lazy(() => z.strictObject({
  type: z.enum(ENTITY_TYPES),
  manufacturer: text(100),
  collectiveId: optional(uuid()),
  code: optional(text(100)),
  ean: optional(text(64)),
  email: optional(z.email().check(z.maxLength(254))),
  model: optional(text(100)),
  reference: optional(text(200)),
  track: optional(text(100)),
  uuid: optional(text(100)),
  vin: optional(text(32)),
  ...common(),
}));
export type CreateEntityInput = z.infer<typeof createEntityBody>;

/** Ids are issued in lower case; an upper-case spelling of the same uuid finds the same request. */
export const requestIdParams = /* @__PURE__ */ z.lazy(() => z.strictObject({
  onboardingRequestId: z.pipe(uuid(), z.transform((id: string) => id.toLowerCase())),
}));

const pageSize = () => z.string().check(z.maxLength(3), z.regex(/^(?:[1-9]|[1-9]\d|100)$/, 'must be an integer from 1 to 100'));
const continuationToken = () => z.string().check(z.minLength(1), z.maxLength(2048));

export const pageQuery = /* @__PURE__ */ z.lazy(() => z.strictObject({
  pageSize: z.optional(pageSize()),
  continuationToken: z.optional(continuationToken()),
}));

export const listCollectivesQuery = /* @__PURE__ */ z.lazy(() => z.strictObject({
  pageSize: z.optional(pageSize()),
  continuationToken: z.optional(continuationToken()),
  status: z.optional(z.enum(STATUSES)),
}));

export const listEntitiesQuery = /* @__PURE__ */ z.lazy(() => z.strictObject({
  pageSize: z.optional(pageSize()),
  continuationToken: z.optional(continuationToken()),
  status: z.optional(z.enum(STATUSES)),
  manufacturer: z.optional(text(100)),
  type: z.optional(z.enum(ENTITY_TYPES)),
}));
export type ListQuery = z.infer<typeof listEntitiesQuery>;

export const idempotencyKey = z.string().check(z.minLength(1), z.maxLength(255), z.regex(/^[\x21-\x7e]+$/));

/** Contract §12: the entity to offboard; it must be one the caller's tenant onboarded. */
export const createOffboardingBody = /* @__PURE__ */ z.lazy(() => z.strictObject({ entityId: z.pipe(uuid(), z.transform((id: string) => id.toLowerCase())) }));
export type CreateOffboardingInput = z.infer<typeof createOffboardingBody>;

export const offboardingIdParams = /* @__PURE__ */ z.lazy(() => z.strictObject({
  offboardingRequestId: z.pipe(uuid(), z.transform((id: string) => id.toLowerCase())),
}));

export const OFFBOARDING_STATUSES = ['Pending', 'Succeeded', 'Failed', 'Canceled'] as const;

export const listOffboardingsQuery = /* @__PURE__ */ z.lazy(() => z.strictObject({
  pageSize: z.optional(pageSize()),
  continuationToken: z.optional(continuationToken()),
  status: z.optional(z.enum(OFFBOARDING_STATUSES)),
}));

/** Contract §10: a guided onboarding session, created by the integrator for one end user. */
export const createGuidedSessionBody = /* @__PURE__ */ z.lazy(() => z.strictObject({
  companyName: text(200),
  manufacturer: text(100),
  entityType: optional(z.enum(ENTITY_TYPES)),
  returnUrl: optional(text(2048)),
  expiresInMinutes: z.optional(z.int().check(z.minimum(5), z.maximum(10_080))),
}));
export type CreateGuidedSessionInput = z.infer<typeof createGuidedSessionBody>;

export const sessionIdParams = /* @__PURE__ */ z.lazy(() => z.strictObject({
  onboardingSessionId: z.pipe(uuid(), z.transform((id: string) => id.toLowerCase())),
}));

export const listSessionsQuery = /* @__PURE__ */ z.lazy(() => z.strictObject({
  pageSize: z.optional(pageSize()),
  continuationToken: z.optional(continuationToken()),
  expired: z.optional(z.enum(['true', 'false'])),
}));
