import * as v from 'valibot';
import { ForbiddenError } from '../lifecycle/errors.ts';
import type { ViewContext } from '../lifecycle/kind.ts';
import { checkReturnUrl } from '../lifecycle/return-url.ts';
import { ANSWER_LIMITS, answer, boundedJson, lowerCaseId, once, optional, returnUrlText, strictObject, uuid } from '../lifecycle/schemas.ts';
import type { StatusMachine } from '../lifecycle/status-machine.ts';
import { type Caller, type RequestData, type RequestError, type RequestType, STATUSES, type Status, type StoredRequest } from '../lifecycle/types.ts';

/**
 * What the two onboarding kinds (./collective-onboarding.ts, ./entity-onboarding.ts) share: the platform's
 * Onboarding Request, its status machine, its checks and its view.
 */

/**
 * Pending → Processing → Succeeded, with Failed and Canceled from either open status; a provider may skip
 * Processing. Canceled from the API in Pending or Processing.
 */
export const ONBOARDING_MACHINE: StatusMachine = {
  next: {
    Pending: ['Processing', 'Succeeded', 'Failed', 'Canceled'],
    Processing: ['Succeeded', 'Failed', 'Canceled'],
    Succeeded: [],
    Failed: [],
    Canceled: [],
  },
  open: ['Pending', 'Processing'],
};

/** The public shape of an onboarding request: the stored one without internals, with `action` while Pending. */
export interface OnboardingRequestView {
  id: string;
  requestType: RequestType;
  status: Status;
  created: string;
  updated: string;
  principalId: string;
  returnUrl: string | null;
  action: { type: 'Consent'; redirectLink: string; documentationLink: string } | null;
  data: RequestData;
  errors: RequestError[];
  version: number;
}

/** The fields both onboarding creates take besides their own. */
export const commonCreateFields = () => ({
  tenantId: optional(uuid()),
  owner: optional(uuid()),
  properties: v.optional(boundedJson()),
  returnUrl: optional(returnUrlText()),
});

export const onboardingIdParams = once(() => strictObject({ onboardingRequestId: lowerCaseId() }));

/**
 * A request as the API shows it, fields in the platform's order whatever order the store returned them
 * in; `action` while Pending, with the links kept at creation (or made now for older ones).
 */
export function onboardingView(request: StoredRequest, requestType: RequestType, context: ViewContext): OnboardingRequestView {
  const links = request.status === 'Pending' ? (request.consent ?? context.consentLinks?.(request)) : undefined;
  return {
    id: request.id,
    requestType,
    status: request.status,
    created: request.created,
    updated: request.updated,
    principalId: request.principalId,
    returnUrl: request.returnUrl,
    action: links ? { type: 'Consent', redirectLink: links.redirectLink, documentationLink: links.documentationLink } : null,
    data: request.data,
    errors: request.errors,
    version: request.version,
  };
}

/** The checks every onboarding create makes: the body's tenant is the caller's, the return address is usable. */
export function checkOnboarding(
  input: { tenantId?: string | null | undefined; returnUrl?: string | null | undefined },
  caller: Caller,
  allowLoopbackHttp: boolean,
) {
  if (input.tenantId != null && input.tenantId.toLowerCase() !== caller.tenantId) {
    throw new ForbiddenError('tenantId is not the tenant of your token.');
  }
  return checkReturnUrl(input.returnUrl, allowLoopbackHttp);
}

/** The tenant part of a snapshot: its id, and the display name when the caller's token names one (who asks, on the consent page). */
export const tenantOf = (caller: Caller): RequestData['tenant'] => ({ id: caller.tenantId, ...(caller.tenantName ? { name: caller.tenantName } : {}) });

const snapshotPart = () => v.record(answer.text(100), v.unknown());

/** The Onboarding Request as the API answers it, for the OpenAPI document. */
export const onboardingRequestSchema = once(() =>
  v.object({
    id: answer.id(),
    requestType: v.picklist(['Collective', 'Entity']),
    status: v.picklist(STATUSES),
    created: answer.time(),
    updated: answer.time(),
    principalId: answer.text(256),
    returnUrl: v.nullable(answer.text(ANSWER_LIMITS.link)),
    action: v.nullable(
      v.object({ type: v.literal('Consent'), redirectLink: answer.text(ANSWER_LIMITS.link), documentationLink: answer.text(ANSWER_LIMITS.link) }),
    ),
    data: v.object({
      collective: v.optional(snapshotPart()),
      entity: v.optional(snapshotPart()),
      tenant: v.object({ id: answer.id(), name: v.optional(answer.text(200)) }),
      user: v.optional(snapshotPart()),
      client: v.optional(snapshotPart()),
    }),
    errors: answer.errors(),
    version: answer.version(),
  }),
);
