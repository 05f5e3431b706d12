import type { Kind, ListFilters } from '../lifecycle/kind.ts';
import { type Output, once, oneOf, optional, requestListFields, strictObject, text, uuid } from '../lifecycle/schemas.ts';
import { COLLECTIVE_TYPES } from '../lifecycle/types.ts';
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

/** The onboarding of a collective: a household, a fleet, a solar farm, connected with its owner's consent. */

const createBody = once(() =>
  strictObject({
    name: text(200),
    type: oneOf(COLLECTIVE_TYPES),
    collectiveId: optional(uuid()),
    ...commonCreateFields(),
  }),
);
export type CreateCollectiveInput = Output<ReturnType<typeof createBody>>;

const listQuery = once(() => strictObject(requestListFields()));

export const COLLECTIVE_ONBOARDING: Kind<CreateCollectiveInput, ListFilters, OnboardingRequestView> = {
  name: 'Collective',
  requestType: 'Collective',
  path: 'onboarding/collectives',
  event: 'onboarding.status.updated',
  noun: 'collective onboarding request',
  machine: ONBOARDING_MACHINE,
  idParameter: 'onboardingRequestId',
  platformReads: true,
  schemas: { create: createBody, list: listQuery, params: onboardingIdParams, view: onboardingRequestSchema, viewName: 'OnboardingRequest' },

  prepare(input, caller, context) {
    const returnUrl = checkOnboarding(input, caller, context.allowLoopbackHttpReturnUrl);
    const collective = {
      id: input.collectiveId ?? null,
      name: input.name,
      owner: input.owner ?? null,
      properties: input.properties ?? null,
      tenantId: caller.tenantId,
      type: input.type,
    };
    return { data: { tenant: tenantOf(caller), collective }, returnUrl, platformBody: { ...input, tenantId: caller.tenantId } };
  },

  view: (request, context) => onboardingView(request, 'Collective', context),

  consentSubject(request) {
    const collective = request.data.collective ?? {};
    const name = typeof collective.name === 'string' ? collective.name : '';
    const type = typeof collective.type === 'string' ? collective.type : '';
    return [
      { term: 'site', value: name },
      { term: 'siteType', value: type },
    ];
  },
};
