import { route, type Permission } from '../../http/route.ts';
import {
  createCollectiveBody, createEntityBody, idempotencyKey, listCollectivesQuery, listEntitiesQuery, pageQuery, requestIdParams,
} from '../../lifecycle/schemas.ts';
import { collectionOf } from '../../lifecycle/status-machine.ts';
import type { RequestType } from '../../lifecycle/types.ts';

/** The onboarding API's routes (contract §4), part of the route table of ../functions.ts. */
const IDEMPOTENCY_KEY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  schema: idempotencyKey,
  description: 'The same key with the same body within 24 h returns the first response and creates nothing.',
};

/** The five routes of one onboarding request type (contract §4), served by the functions of functions/onboarding/. */
function onboardingRoutes(requestType: RequestType) {
  const plural = collectionOf(requestType);
  const base = `/v1/onboarding/${plural}`;
  const noun = `${requestType.toLowerCase()} onboarding request`;
  const tag = `${requestType} onboarding`;
  // In proxy mode these record what they observe on the platform; an entity's success registers the entity.
  const proxied = (...permissions: Permission[]) => ({ permissions: requestType === 'Entity' ? [...permissions, 'writeEntityRegistry' as const] : permissions });
  return {
    create: route({
      function: `create${requestType}Onboarding`,
      handler: `functions/onboarding/create.${plural}`,
      method: 'POST',
      path: base,
      auth: 'onboarding:write',
      input: { body: requestType === 'Collective' ? createCollectiveBody : createEntityBody, headers: [IDEMPOTENCY_KEY_HEADER] },
      ok: { status: 201, description: 'Created; `Location` names the new request, `ETag` its version', body: 'OnboardingRequest', headers: ['Location', 'ETag', 'Idempotent-Replayed'] },
      errors: [400, 401, 403, 409, 413, 415, 422],
      operationId: `create${requestType}OnboardingRequest`,
      summary: `Create a ${noun}`,
      tag,
      permissions: ['readRequest', 'writeRequest', 'writeIdempotencyKey'],
      // The new request's consent link is signed with it (contract §9).
      secrets: ['linkSecret'],
      platform: proxied(),
    }),
    list: route({
      function: `list${requestType}Onboarding`,
      handler: `functions/onboarding/list.${plural}`,
      method: 'GET',
      path: base,
      auth: 'onboarding:read',
      input: { query: requestType === 'Collective' ? listCollectivesQuery : listEntitiesQuery },
      ok: { status: 200, description: 'A page, newest first', body: 'OnboardingRequestPage' },
      errors: [400, 401, 403],
      operationId: `list${requestType}OnboardingRequests`,
      summary: `List your tenant's ${noun}s, newest first`,
      tag,
      permissions: ['queryTenantIndexes'],
      // A Pending request stored before its consent link was kept shows one signed now.
      secrets: ['pageTokenSecret', 'linkSecret'],
      // Open requests on a page are asked about on the platform, and what it says is recorded.
      platform: proxied('readRequest', 'writeRequest'),
    }),
    get: route({
      function: `get${requestType}Onboarding`,
      handler: `functions/onboarding/get.${plural}`,
      method: 'GET',
      path: `${base}/{onboardingRequestId}`,
      auth: 'onboarding:read',
      input: { params: requestIdParams },
      ok: { status: 200, description: 'The request; `ETag` its version', body: 'OnboardingRequest', headers: ['ETag'] },
      errors: [400, 401, 403, 404],
      operationId: `get${requestType}OnboardingRequest`,
      summary: `Retrieve a ${noun}`,
      tag,
      permissions: ['readRequest'],
      secrets: ['linkSecret'],
      platform: proxied('writeRequest'),
    }),
    cancel: route({
      function: `cancel${requestType}Onboarding`,
      handler: `functions/onboarding/cancel.${plural}`,
      method: 'PATCH',
      path: `${base}/{onboardingRequestId}/cancel`,
      auth: 'onboarding:write',
      input: { params: requestIdParams },
      ok: { status: 200, description: 'The request, Canceled (also when it already was: safe to retry)', body: 'OnboardingRequest', headers: ['ETag'] },
      errors: [400, 401, 403, 404, 409],
      operationId: `cancel${requestType}OnboardingRequest`,
      summary: `Cancel a ${noun} (safe to retry)`,
      tag,
      permissions: ['readRequest', 'writeRequest'],
      platform: proxied(),
    }),
    transitions: route({
      function: `${requestType.toLowerCase()}OnboardingTransitions`,
      handler: `functions/onboarding/transitions.${plural}`,
      method: 'GET',
      path: `${base}/{onboardingRequestId}/transitions`,
      auth: 'onboarding:read',
      input: { params: requestIdParams, query: pageQuery },
      ok: { status: 200, description: 'A page of the audit trail, oldest first', body: 'TransitionPage' },
      errors: [400, 401, 403, 404],
      operationId: `list${requestType}OnboardingTransitions`,
      summary: `The audit trail of a ${noun}, oldest first`,
      tag,
      permissions: ['readRequest', 'queryTable'],
      secrets: ['pageTokenSecret'],
    }),
  };
}

export const ONBOARDING_ROUTES = {
  Collective: onboardingRoutes('Collective'),
  Entity: onboardingRoutes('Entity'),
} as const;

