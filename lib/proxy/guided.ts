import type { GuidedApi, GuidedSessionView } from '../guided-sessions/service.ts';
import type { OnboardingRequestView } from '../kinds/onboarding.ts';
import { NotFoundError, NotInThisModeError } from '../lifecycle/errors.ts';
import type { Caller, RequestData } from '../lifecycle/types.ts';
import { UpstreamRejectedError, UpstreamUnavailableError } from './errors.ts';
import { consentLinksOf, errorsOf, knownStatus, type UpstreamRequest } from './mirror.ts';
import type { RealtoClient } from './realto-client.ts';
import { isObject, platformSnapshot } from './snapshot.ts';

const text = (value: unknown) => (typeof value === 'string' ? value : null);
/** G1, G2 (docs/platform.md). */
const SESSIONS = '/v1/guided-onboarding-sessions';

const isSession = (value: unknown): value is Record<string, unknown> => isObject(value) && typeof value.id === 'string';

/**
 * A session's request as our API shows one. Ours when we hold it (mirrored, with our trail's
 * version); otherwise the platform's answer in our shape: a request the platform made in its own guided
 * UI has no trail here, so its version is 1, the one state we have seen. Unreadable: null.
 */
async function requestView(
  seen: unknown,
  tenantId: string,
  sessionCreated: string,
  ours: (id: string) => Promise<OnboardingRequestView | null>,
): Promise<OnboardingRequestView | null> {
  const request = seen as (UpstreamRequest & Record<string, unknown>) | null | undefined;
  if (!request || typeof request.id !== 'string') return null;
  const held = await ours(request.id.toLowerCase());
  if (held) return held;
  const status = knownStatus(request);
  if (!status) return null;
  const snapshot = platformSnapshot(request.data) ?? {};
  const consent = status === 'Pending' ? consentLinksOf(request) : undefined;
  const created = text(request.created) ?? sessionCreated;
  return {
    id: request.id.toLowerCase(),
    requestType: 'Entity',
    status,
    created,
    updated: text(request.updated) ?? created,
    principalId: text(request.principalId) ?? '',
    returnUrl: text(request.returnUrl),
    action: consent ? { type: 'Consent', ...consent } : null,
    data: { ...snapshot, tenant: { ...snapshot.tenant, id: tenantId } } as RequestData,
    errors: errorsOf(request) ?? [],
    version: 1,
  };
}

/** The platform's session, in our shape; the fields it does not document are null (docs/platform.md). */
async function viewOf(
  session: Record<string, unknown>,
  tenantId: string,
  ours: (id: string) => Promise<OnboardingRequestView | null>,
): Promise<GuidedSessionView> {
  const created = text(session.created) ?? '';
  return {
    companyName: text(session.companyName) ?? '',
    created,
    // True once expiresAt has passed, whatever the platform's flag says yet.
    expired: session.expired === true || (text(session.expiresAt) !== null && Date.parse(session.expiresAt as string) <= Date.now()),
    expiresAt: text(session.expiresAt),
    id: String(session.id),
    manufacturer: text(session.manufacturer) ?? '',
    entityType: text(session.entityType),
    onboardingRequest: await requestView(session.onboardingRequest, tenantId, created, ours),
    returnUrl: text(session.returnUrl),
  };
}

/** The tenant a platform session belongs to: its request's tenant, the only tenant it names. */
function tenantOf(session: Record<string, unknown>): string | undefined {
  const request = session.onboardingRequest as { data?: { tenant?: { id?: unknown } } } | null | undefined;
  const id = request?.data?.tenant?.id;
  return typeof id === 'string' ? id.toLowerCase() : undefined;
}

/**
 * Guided sessions in proxy mode: the platform creates them in its own UI, so a create here
 * is a 501; list and get ask the platform. One platform client serves every tenant of this service, so a
 * session is shown only to the tenant its request names: one without a request is shown to nobody.
 */
export function createProxyGuided(
  platform: Pick<RealtoClient, 'read'>,
  /** Our copy of a request, when we hold it for this caller. */
  ours: (id: string, caller: Caller) => Promise<OnboardingRequestView | null>,
): GuidedApi {
  return {
    async create() {
      throw new NotInThisModeError("Guided sessions are created in the Realto platform's own UI in realto mode; this service creates them in local mode only.");
    },
    async list(caller, query) {
      const search = new URLSearchParams();
      if (query.pageSize !== undefined) search.set('pageSize', query.pageSize);
      if (query.continuationToken !== undefined) search.set('continuationToken', query.continuationToken);
      const page = await platform.read(`${SESSIONS}${search.size > 0 ? `?${search}` : ''}`);
      if (!isObject(page) || !Array.isArray(page.data) || !page.data.every(isSession)) {
        throw new UpstreamUnavailableError('The Realto platform answered with an unexpected page of sessions');
      }
      const meta = isObject(page.meta) ? page.meta : {};
      const sessions = await Promise.all(
        page.data.filter((session) => tenantOf(session) === caller.tenantId).map((session) => viewOf(session, caller.tenantId, (id) => ours(id, caller))),
      );
      const items = sessions.filter((session) => query.expired === undefined || session.expired === (query.expired === 'true'));
      return { items, continuationToken: typeof meta.continuationToken === 'string' ? meta.continuationToken : null };
    },
    async get(id, caller) {
      const session = await platform.read(`${SESSIONS}/${encodeURIComponent(id)}`).catch((error: unknown) => {
        if (error instanceof UpstreamRejectedError && error.platformStatus === 404) throw new NotFoundError(`No guided onboarding session with id ${id}.`);
        throw error;
      });
      if (!isSession(session)) throw new UpstreamUnavailableError('The Realto platform answered with an unexpected session');
      if (tenantOf(session) !== caller.tenantId) throw new NotFoundError(`No guided onboarding session with id ${id}.`);
      return viewOf(session, caller.tenantId, (requestId) => ours(requestId, caller));
    },
  };
}
