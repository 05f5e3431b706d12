import { createGuidedSessionBody, listSessionsQuery, sessionIdParams } from '../../guided-sessions/schemas.ts';
import { route } from '../../http/route.ts';

/** Guided onboarding sessions, part of the route table of ../function-table.ts. */
const base = '/v1/guided-onboarding-sessions';
const tag = 'Guided entity onboarding';

export const GUIDED_SESSION_ROUTES = {
  create: route({
    function: 'createGuidedSession',
    handler: 'functions/guided-sessions/create.handler',
    access: {
      permissions: ['writeSession'],
      secrets: ['linkSecret'],
    },
    http: {
      method: 'POST',
      path: base,
      auth: 'onboarding:write',
      input: { body: createGuidedSessionBody },
      ok: { status: 201, description: 'Created; `url` is the signed link to hand to the end user', body: 'GuidedSessionWithUrl', headers: ['Location'] },
      errors: [400, 401, 403, 413, 415, 501],
      operationId: 'createGuidedOnboardingSession',
      summary: 'Create a guided onboarding session: a link where the end user enters the device and consents (local mode)',
      tag,
    },
  }),
  list: route({
    function: 'listGuidedSessions',
    handler: 'functions/guided-sessions/list.handler',
    access: {
      permissions: ['queryTenantIndexes', 'readRequest'],
      secrets: ['pageTokenSecret', 'linkSecret'],
      platform: { permissions: [] },
    },
    http: {
      method: 'GET',
      path: base,
      auth: 'onboarding:read',
      input: { query: listSessionsQuery },
      ok: { status: 200, description: 'A page, newest first', body: 'GuidedSessionPage' },
      errors: [400, 401, 403],
      operationId: 'listGuidedOnboardingSessions',
      summary: "List your tenant's guided onboarding sessions, newest first",
      tag,
    },
  }),
  get: route({
    function: 'getGuidedSession',
    handler: 'functions/guided-sessions/get.handler',
    access: {
      permissions: ['readRequest'],
      secrets: ['linkSecret'],
      platform: { permissions: [] },
    },
    http: {
      method: 'GET',
      path: `${base}/{onboardingSessionId}`,
      auth: 'onboarding:read',
      input: { params: sessionIdParams },
      ok: { status: 200, description: 'The session, with the request it produced', body: 'GuidedSession' },
      errors: [400, 401, 403, 404],
      operationId: 'getGuidedOnboardingSession',
      summary: "Get one of your tenant's guided onboarding sessions",
      tag,
    },
  }),
};
