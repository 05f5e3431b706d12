import * as v from 'valibot';
import type { ConsentSubjectLine, Kind, ListFilters } from '../lifecycle/kind.ts';
import { email, type Output, once, oneOf, optional, requestListFields, strictObject, text, uuid } from '../lifecycle/schemas.ts';
import { ENTITY_TYPES, type EntityType } from '../lifecycle/types.ts';
import {
  checkOnboarding,
  commonCreateFields,
  ONBOARDING_MACHINE,
  type OnboardingRequestView,
  onboardingIdParams,
  onboardingRequestSchema,
  onboardingView,
  tenantOf,
} from './onboarding.ts';

/**
 * The onboarding of an entity: a device (battery, EV, heat pump…) connected with its owner's consent.
 * When a provider reports it Succeeded with the entity the platform made, that entity is registered to
 * the request's tenant (the entity registry an offboarding starts from).
 */

const createBody = once(() =>
  strictObject({
    type: oneOf(ENTITY_TYPES),
    manufacturer: text(100),
    collectiveId: optional(uuid()),
    code: optional(text(100)),
    ean: optional(text(64)),
    email: optional(email(254)),
    model: optional(text(100)),
    reference: optional(text(200)),
    track: optional(text(100)),
    uuid: optional(text(100)),
    vin: optional(text(32)),
    ...commonCreateFields(),
  }),
);
export type CreateEntityInput = Output<ReturnType<typeof createBody>>;

const listQuery = once(() =>
  strictObject({
    ...requestListFields(),
    manufacturer: v.optional(text(100)),
    type: v.optional(oneOf(ENTITY_TYPES)),
  }),
);
export interface EntityListFilters extends ListFilters {
  manufacturer?: string | undefined;
  type?: EntityType | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What the snapshot says of the device (`data.entity.information`). */
const informationOf = (data: { entity?: Record<string, unknown> }) => (data.entity?.information ?? {}) as Record<string, unknown>;

function withoutTenant(entity: Record<string, unknown>): Record<string, unknown> {
  const { tenantId: _ignored, ...rest } = entity;
  return rest;
}

export const ENTITY_ONBOARDING: Kind<CreateEntityInput, EntityListFilters, OnboardingRequestView> = {
  name: 'Entity',
  requestType: 'Entity',
  path: 'onboarding/entities',
  event: 'onboarding.status.updated',
  noun: 'entity onboarding request',
  machine: ONBOARDING_MACHINE,
  idParameter: 'onboardingRequestId',
  platformReads: true,
  schemas: { create: createBody, list: listQuery, params: onboardingIdParams, view: onboardingRequestSchema, viewName: 'OnboardingRequest' },

  prepare(input, caller, context) {
    const returnUrl = checkOnboarding(input, caller, context.allowLoopbackHttpReturnUrl);
    const entity = {
      id: null,
      collectiveId: input.collectiveId ?? null,
      owner: input.owner ?? null,
      properties: input.properties ?? null,
      tenantId: caller.tenantId,
      type: input.type,
      information: {
        code: input.code ?? null,
        ean: input.ean ?? null,
        email: input.email ?? null,
        manufacturer: input.manufacturer,
        model: input.model ?? null,
        reference: input.reference ?? null,
        track: input.track ?? null,
        type: input.type,
        uuid: input.uuid ?? null,
        vin: input.vin ?? null,
      },
      reference: { manufacturer: input.manufacturer, type: input.type, reference: input.reference ?? null },
    };
    return { data: { tenant: tenantOf(caller), entity }, returnUrl, platformBody: { ...input, tenantId: caller.tenantId } };
  },

  view: (request, context) => onboardingView(request, 'Entity', context),

  filter(query) {
    if (query.manufacturer === undefined && query.type === undefined) return undefined;
    return {
      scope: `${query.manufacturer ?? ''}|${query.type ?? ''}`,
      matches: (request) => {
        const information = informationOf(request.data);
        return (
          (query.manufacturer === undefined || information.manufacturer === query.manufacturer) && (query.type === undefined || information.type === query.type)
        );
      },
    };
  },

  // An entity onboarded (the platform names the entity it made) is known to its tenant from then on.
  entityEffects(current, next) {
    const entity = next.data.entity ?? {};
    const entityId = typeof entity.id === 'string' ? entity.id.toLowerCase() : undefined;
    if (next.status !== 'Succeeded' || current.status === 'Succeeded' || !entityId || !UUID.test(entityId)) return [];
    const collectiveId = typeof entity.collectiveId === 'string' ? entity.collectiveId : null;
    return [{ entityId, register: { tenantId: next.tenantId, onboardingRequestId: next.id, collectiveId } }];
  },

  // The platform creates the entity on success; its data joins the snapshot, but never re-homes it.
  providerDetails(current, event) {
    if (!event.entity || event.status !== 'Succeeded') return undefined;
    return { data: { ...current.data, entity: { ...current.data.entity, ...withoutTenant(event.entity) } } };
  },

  consentSubject(request) {
    const entity = request.data.entity ?? {};
    const information = informationOf(request.data);
    const model = typeof information.model === 'string' ? information.model : '';
    const lines: ConsentSubjectLine[] = [
      { term: 'device', value: typeof entity.type === 'string' ? entity.type : '' },
      { term: 'manufacturer', value: typeof information.manufacturer === 'string' ? information.manufacturer : '' },
    ];
    return model.trim() ? [...lines, { term: 'model', value: model }] : lines;
  },
};
