import * as v from 'valibot';
import { ConflictError, NotFoundError } from '../lifecycle/errors.ts';
import type { Kind, ListFilters } from '../lifecycle/kind.ts';
import { answer, lowerCaseId, type Output, once, requestListFields, strictObject } from '../lifecycle/schemas.ts';
import type { StatusMachine } from '../lifecycle/status-machine.ts';
import type { Caller, EntityRecord, RequestError, RequestType, Status } from '../lifecycle/types.ts';

/**
 * The offboarding of an entity (the customer moved out, sold the battery): the reverse journey, for an
 * entity the caller's tenant onboarded. Its create claims the entity in its own transaction, so one
 * offboarding is open per entity however creates race; when it finishes the claim is released, and one
 * that succeeded leaves the entity offboarded.
 */

/** Pending → Succeeded, Failed or Canceled; only a Pending one may be canceled (the platform's rule). */
export const OFFBOARDING_MACHINE: StatusMachine = {
  next: {
    Pending: ['Succeeded', 'Failed', 'Canceled'],
    Processing: [],
    Succeeded: [],
    Failed: [],
    Canceled: [],
  },
  open: ['Pending'],
};

export const OFFBOARDING_STATUSES = ['Pending', 'Succeeded', 'Failed', 'Canceled'] as const;

/** An offboarding request as the API shows it. */
export interface OffboardingRequestView {
  id: string;
  requestType: RequestType;
  status: Status;
  created: string;
  updated: string;
  principalId: string;
  data: { entityId: string; collectiveId?: string; tenantId: string };
  errors: RequestError[];
  version: number;
}

const createBody = once(() => strictObject({ entityId: lowerCaseId() }));
export type CreateOffboardingInput = Output<ReturnType<typeof createBody>>;

const listQuery = once(() => strictObject(requestListFields(OFFBOARDING_STATUSES)));
const idParams = once(() => strictObject({ offboardingRequestId: lowerCaseId() }));

const viewSchema = once(() =>
  v.object({
    id: answer.id(),
    requestType: v.literal('Entity'),
    status: v.picklist(OFFBOARDING_STATUSES),
    created: answer.time(),
    updated: answer.time(),
    principalId: answer.text(256),
    data: v.object({ entityId: answer.id(), collectiveId: v.optional(answer.id()), tenantId: answer.id() }),
    errors: answer.errors(),
    version: answer.version(),
  }),
);

/** The entity as the caller may offboard it: its tenant's, still onboarded, with no offboarding open. */
function available(entity: EntityRecord | undefined, entityId: string, caller: Caller): EntityRecord {
  if (!entity || entity.tenantId !== caller.tenantId || entity.state !== 'Onboarded') {
    throw new NotFoundError(`No entity with id ${entityId} is onboarded for your tenant.`);
  }
  // The open one is not named: it may be another tenant's, opened before the entity moved to the caller's.
  if (entity.openOffboarding) {
    throw new ConflictError('The entity already has an open offboarding request.', 'offboarding_open');
  }
  return entity;
}

export const ENTITY_OFFBOARDING: Kind<CreateOffboardingInput, ListFilters, OffboardingRequestView> = {
  name: 'EntityOffboarding',
  // The platform's word for it too: what is offboarded is an entity.
  requestType: 'Entity',
  path: 'offboarding/entities',
  event: 'offboarding.status.updated',
  noun: 'entity offboarding request',
  machine: OFFBOARDING_MACHINE,
  idParameter: 'offboardingRequestId',
  // The platform documents no GET for an offboarding: reads are ours, the reconciliation asks anyway.
  platformReads: false,
  schemas: { create: createBody, list: listQuery, params: idParams, view: viewSchema, viewName: 'OffboardingRequest' },

  async prepare(input, caller, context) {
    const entity = available(await context.findEntity(input.entityId), input.entityId, caller);
    return {
      data: { tenant: { id: caller.tenantId }, entity: { id: input.entityId, collectiveId: entity.collectiveId } },
      returnUrl: null,
      platformBody: { entityId: input.entityId },
      claimsEntity: input.entityId,
    };
  },

  view(request) {
    const collectiveId = request.data.entity?.collectiveId;
    return {
      id: request.id,
      requestType: 'Entity',
      status: request.status,
      created: request.created,
      updated: request.updated,
      principalId: request.principalId,
      data: { entityId: String(request.data.entity?.id), ...(typeof collectiveId === 'string' ? { collectiveId } : {}), tenantId: request.tenantId },
      errors: request.errors,
      version: request.version,
    };
  },

  // A finished offboarding lets the entity be offboarded again, or, when it succeeded, no more.
  entityEffects(current, next) {
    const entityId = String(next.data.entity?.id ?? '');
    const open = OFFBOARDING_MACHINE.open;
    if (!open.includes(current.status) || open.includes(next.status)) return [];
    return [{ entityId, release: next.id, offboarded: next.status === 'Succeeded' }];
  },
};
