import { NotFoundError, NotImplementedError } from '../lifecycle/errors.ts';
import type { GuidedApi, GuidedSessionView } from '../lifecycle/guided.ts';
import type { RealtoClient } from './realto-client.ts';

/** The platform's session, in our shape; the fields it does not document are null (realto-api-facts §4.3). */
function viewOf(session: Record<string, unknown>): GuidedSessionView {
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return {
    companyName: text(session.companyName) ?? '',
    created: text(session.created) ?? '',
    expired: session.expired === true,
    expiresAt: text(session.expiresAt),
    id: String(session.id),
    manufacturer: text(session.manufacturer) ?? '',
    entityType: text(session.entityType),
    onboardingRequest: (session.onboardingRequest ?? null) as GuidedSessionView['onboardingRequest'],
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
 * Guided sessions in proxy mode (contract §10): the platform creates them in its own UI, so a create here
 * is a 501; list and get ask the platform. One platform client serves every tenant of this service, so a
 * session is shown only to the tenant its request names: one without a request is shown to nobody.
 */
export function createProxyGuided(platform: Pick<RealtoClient, 'listGuidedSessions' | 'getGuidedSession'>): GuidedApi {
  return {
    async create() {
      throw new NotImplementedError('Guided sessions are created in the Realto platform\'s own UI in realto mode; this service creates them in local mode only.');
    },
    async list(caller, query) {
      const page = await platform.listGuidedSessions({
        ...(query.pageSize === undefined ? {} : { pageSize: Number(query.pageSize) }),
        ...(query.continuationToken === undefined ? {} : { continuationToken: query.continuationToken }),
      });
      const items = page.data
        .filter((session) => tenantOf(session) === caller.tenantId)
        .map(viewOf)
        .filter((session) => query.expired === undefined || session.expired === (query.expired === 'true'));
      return { items, continuationToken: page.continuationToken };
    },
    async get(id, caller) {
      const session = await platform.getGuidedSession(id).catch((error: unknown) => {
        if ((error as { status?: number }).status === 404) throw new NotFoundError(`No guided onboarding session with id ${id}.`);
        throw error;
      });
      if (tenantOf(session) !== caller.tenantId) throw new NotFoundError(`No guided onboarding session with id ${id}.`);
      return viewOf(session);
    },
  };
}
