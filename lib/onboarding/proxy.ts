import type { OnboardingService, CreateInput } from './service.ts';
import { canTransition, decideCancel } from './status-machine.ts';
import { InvalidTransitionError } from './errors.ts';
import { collectionOf, STATUSES, type Caller, type RequestError, type RequestType, type Status } from './types.ts';

/** What the platform answers about one request (realto-api-facts §3); only these fields are used. */
export interface UpstreamRequest {
  id: string;
  status: string;
  errors?: unknown;
  action?: unknown;
}

/** The platform, as proxy mode needs it (lib/upstream/realto-client.ts implements it). */
export interface UpstreamOnboarding {
  createOnboarding(kind: 'collectives' | 'entities', body: unknown): Promise<UpstreamRequest>;
  getOnboarding(kind: 'collectives' | 'entities', id: string): Promise<UpstreamRequest>;
  cancelOnboarding(kind: 'collectives' | 'entities', id: string): Promise<UpstreamRequest>;
}

/** The platform's consent links, when its answer carries usable ones (realto-api-facts §3, `action`). */
function consentLinksOf(seen: UpstreamRequest) {
  const action = seen.action as { redirectLink?: unknown; documentationLink?: unknown } | null | undefined;
  if (typeof action?.redirectLink !== 'string' || !/^https?:\/\//.test(action.redirectLink)) return {};
  const documentationLink = typeof action.documentationLink === 'string' ? action.documentationLink : '';
  return { action: { redirectLink: action.redirectLink, documentationLink } };
}


function errorsOf(seen: UpstreamRequest): RequestError[] | undefined {
  if (!Array.isArray(seen.errors) || seen.errors.length === 0) return undefined;
  return seen.errors
    .filter((error): error is RequestError => typeof error?.code === 'string' && typeof error?.message === 'string')
    .map(({ code, message }) => ({ code, message }));
}

/**
 * Proxy mode (ONBOARDING_MODE=realto): the platform runs the lifecycle, this service keeps tenant isolation,
 * idempotency and the audit trail. Every call goes to the platform first; a platform error changes nothing
 * here. What we initiate is recorded as in local mode (the principal's create and cancel, once the platform
 * accepted them); a status change we only observe (in an answer, a webhook or the reconciliation) is
 * recorded through the same transition() with actor `upstream`.
 */
export function createProxyService(local: OnboardingService, upstream: UpstreamOnboarding) {
  async function observe(id: string, seen: UpstreamRequest, correlationId: string) {
    if (!(STATUSES as readonly string[]).includes(seen.status)) return;
    const status = seen.status as Status;
    const errors = errorsOf(seen);
    return local.transition(
      id,
      (current) => (current.status !== status && canTransition(current.status, status)
        ? { to: status, reason: 'Observed on the Realto platform', ...(errors ? { errors } : {}) }
        : 'unchanged'),
      { actor: { type: 'upstream', id: 'realto' }, source: 'upstream', correlationId },
    );
  }

  return {
    ...local,
    observe,

    async create(requestType: RequestType, input: CreateInput, caller: Caller, correlationId: string, idempotencyKey?: string) {
      let seen: UpstreamRequest | undefined;
      const result = await local.create(requestType, input, caller, correlationId, idempotencyKey, async () => {
        seen = await upstream.createOnboarding(collectionOf(requestType), { ...input, tenantId: caller.tenantId });
        return { id: seen.id.toLowerCase(), ...consentLinksOf(seen) };
      });
      if (!seen || result.replayed || seen.status === 'Pending') return result;
      const observed = await observe(result.request.id, seen, correlationId);
      return observed?.outcome === 'applied' ? { request: local.view(observed.request), replayed: false } : result;
    },

    async get(requestType: RequestType, id: string, caller: Caller) {
      const mirrored = await local.get(requestType, id, caller);
      const observed = await observe(id, await upstream.getOnboarding(collectionOf(requestType), id), `get:${id}`);
      // Read again only when the platform's answer changed something.
      return observed?.outcome === 'applied' ? local.view(observed.request) : mirrored;
    },

    async cancel(requestType: RequestType, id: string, caller: Caller, correlationId: string) {
      const current = await local.get(requestType, id, caller);
      const decision = decideCancel(current.status);
      if (decision === 'already-canceled') return current;
      if (decision === 'refuse') throw new InvalidTransitionError(`The request is ${current.status} and can no longer be canceled.`);
      await upstream.cancelOnboarding(collectionOf(requestType), id);
      return local.cancel(requestType, id, caller, correlationId);
    },
  };
}
