import { ConflictError, InvalidTransitionError, NotFoundError, ServiceError } from '../lifecycle/errors.ts';
import type { ListQuery } from '../lifecycle/schemas.ts';
import type { CreateInput, Created, OffboardingApi, OnboardingApi, OnboardingRequestView, OnboardingService } from '../lifecycle/service.ts';
import { canTransition, decideCancel, isTerminal, KINDS, type KindSpec } from '../lifecycle/status-machine.ts';
import type { OpenRequestRef } from '../lifecycle/store.ts';
import {
  STATUSES, type Caller, type ConsentLinks, type RequestDetails, type RequestError, type RequestKind, type RequestType, type Status,
} from '../lifecycle/types.ts';
import { UpstreamUnavailableError } from './errors.ts';
import { mergeSnapshot, platformSnapshot } from './snapshot.ts';

/** What the platform answers about one request (realto-api-facts §3); only these fields are used. */
export interface UpstreamRequest {
  id: string;
  status: string;
  errors?: unknown;
  action?: unknown;
  data?: unknown;
}

/** Where the platform serves a kind of request (KINDS[kind].path). */
export type PlatformCollection = KindSpec['path'];

/** The platform, as proxy mode needs it (./realto-client.ts implements it). */
export interface UpstreamOnboarding {
  createRequest(collection: PlatformCollection, body: unknown): Promise<UpstreamRequest>;
  getRequest(collection: PlatformCollection, id: string): Promise<UpstreamRequest>;
  cancelRequest(collection: PlatformCollection, id: string): Promise<UpstreamRequest>;
}

/** How many of a list page's open requests are asked about on the platform at once. */
const LIST_REFRESH_CONCURRENCY = 8;
/** A list stops asking the platform when less than this is left of the invocation, to answer in time. */
const LIST_ANSWER_RESERVE_MS = 1_500;

/** The platform refused (a 4xx other than rate limiting), as opposed to failing or not answering. */
function isRefusal(error: unknown): boolean {
  return error instanceof ServiceError && error.status >= 400 && error.status < 500 && error.status !== 429;
}

/** The platform failed, timed out, rate-limits us, or calls to it are paused (our own bugs are none of these). */
function isUnavailable(error: unknown): boolean {
  return error instanceof ServiceError && (error.status >= 500 || error.status === 429);
}

/** The platform's consent links, when its answer carries usable ones (realto-api-facts §3, `action`). */
function consentLinksOf(seen: UpstreamRequest): ConsentLinks | undefined {
  const action = seen.action as { redirectLink?: unknown; documentationLink?: unknown } | null | undefined;
  if (typeof action?.redirectLink !== 'string' || !/^https?:\/\//.test(action.redirectLink)) return undefined;
  const documentationLink = typeof action.documentationLink === 'string' ? action.documentationLink : '';
  return { redirectLink: action.redirectLink, documentationLink };
}

function errorsOf(seen: UpstreamRequest): RequestError[] | undefined {
  if (!Array.isArray(seen.errors) || seen.errors.length === 0) return undefined;
  return seen.errors
    .filter((error): error is RequestError => typeof error?.code === 'string' && typeof error?.message === 'string')
    .map(({ code, message }) => ({ code, message }));
}

function knownStatus(seen: UpstreamRequest): Status | undefined {
  return (STATUSES as readonly string[]).includes(seen.status) ? (seen.status as Status) : undefined;
}

/** Our details with the platform's answer laid over them: its snapshot and its consent links. */
function mirrorer(seen: UpstreamRequest) {
  const snapshot = platformSnapshot(seen.data);
  const consent = consentLinksOf(seen);
  return (current: RequestDetails): RequestDetails => ({
    data: snapshot ? mergeSnapshot(current.data, snapshot) : current.data,
    ...(consent ?? current.consent ? { consent: consent ?? current.consent } : {}),
  });
}

function sameDetails(current: RequestDetails, next: RequestDetails): boolean {
  return JSON.stringify(current.data) === JSON.stringify(next.data) && JSON.stringify(current.consent) === JSON.stringify(next.consent);
}

/** Runs `work` over `items`, at most `limit` at a time, keeping the order; the first failure fails all. */
async function mapBounded<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export interface ProxyOptions {
  /**
   * Told of an answer whose status this service does not know (a status the platform added): nothing is
   * recorded for it, so a new status never becomes a false Canceled or Expired. For the log and a metric.
   */
  onUnknownStatus?: (detail: { platformId: string; status: string; correlationId: string }) => void;
  /**
   * Told about a request the platform holds that we may not track: its withdrawal failed, or whether we
   * kept it could not be told. For the log, so an operator can look it up and cancel it there.
   */
  onUntracked?: (detail: { platformId: string; requestType: RequestType; correlationId: string; reason: string }) => void;
}

/**
 * Proxy mode (ONBOARDING_MODE=realto): the platform runs the lifecycle, this service keeps tenant isolation,
 * idempotency and the audit trail. Every call goes to the platform first; a platform error changes nothing
 * here. What we initiate is recorded as in local mode (the principal's create and cancel, once the platform
 * accepted them); a status change we only observe (in an answer, a webhook or the reconciliation) is
 * recorded through the same transition() with actor `upstream`. Every answer is mirrored: its snapshot
 * goes with the transition it causes, or, when the status did not change, replaces ours on its own.
 */
export function createProxyService(local: OnboardingService, upstream: UpstreamOnboarding, options: ProxyOptions = {}) {
  /** The answer's status if we know it; an unknown one is reported, and the caller records nothing. */
  function statusOf(seen: UpstreamRequest, correlationId: string): Status | undefined {
    const status = knownStatus(seen);
    if (!status) options.onUnknownStatus?.({ platformId: seen.id, status: String(seen.status).slice(0, 64), correlationId });
    return status;
  }

  async function observe(id: string, seen: UpstreamRequest, correlationId: string) {
    const status = statusOf(seen, correlationId);
    // Not understood: nothing of this answer is kept, neither a transition nor its snapshot.
    if (!status) return { outcome: 'not-understood' as const };
    const errors = errorsOf(seen);
    const mirror = mirrorer(seen);
    const result = await local.transition(
      id,
      (current) => (current.status !== status && canTransition(current.status, status, KINDS[current.requestType].machine)
        ? { to: status, reason: 'Observed on the Realto platform', ...(errors ? { errors } : {}), details: mirror(current) }
        : 'unchanged'),
      { actor: { type: 'upstream', id: 'realto' }, source: 'upstream', correlationId },
    );
    if (result.outcome !== 'unchanged') return result;
    const refreshed = mirror(result.request);
    if (sameDetails(result.request, refreshed)) return result;
    return { outcome: 'refreshed' as const, request: await local.updateDetails(result.request, refreshed) };
  }

  /** Asks the platform about one of our requests and records what it says (gets, lists, the reconciliation). */
  async function observeOnPlatform(kind: RequestKind, id: string, correlationId: string) {
    return observe(id, await upstream.getRequest(KINDS[kind].path, id), correlationId);
  }

  /** Asks the platform about one of our requests and returns it as it is now. */
  async function refresh(requestType: RequestType, mirrored: OnboardingRequestView, correlationId: string) {
    const observed = await observeOnPlatform(requestType, mirrored.id, correlationId);
    // Viewed again only when the platform's answer changed something.
    return observed.outcome === 'applied' || observed.outcome === 'refreshed' ? local.view(observed.request) : mirrored;
  }

  /**
   * The platform's answer to our cancel. When it refuses, the request may have finished there meanwhile:
   * then what it is now is the answer (the caller gets a 409, or a 200 if it was canceled); a request
   * still open there keeps the refusal.
   */
  async function cancelOnPlatform(where: PlatformCollection, id: string): Promise<UpstreamRequest> {
    try {
      return await upstream.cancelRequest(where, id);
    } catch (error) {
      if (!isRefusal(error)) throw error;
      const now = await upstream.getRequest(where, id).catch(() => undefined);
      const status = now && knownStatus(now);
      if (!now || !status || !isTerminal(status)) throw error;
      return now;
    }
  }

  /**
   * A cancel of any kind, the platform first (its rules say from where), then ours: the platform's answer
   * is what happened. A status we do not know records nothing (502); another open one is a retryable 409.
   */
  async function cancelThroughPlatform<V>(
    kind: RequestKind, current: { id: string; status: Status }, correlationId: string, cancelHere: (seen: UpstreamRequest) => Promise<V>,
  ): Promise<V | undefined> {
    const decision = decideCancel(current.status, KINDS[kind].machine);
    if (decision === 'already-canceled') return undefined;
    if (decision === 'refuse') throw new InvalidTransitionError(`The request is ${current.status} and can no longer be canceled.`);
    const seen = await cancelOnPlatform(KINDS[kind].path, current.id);
    const status = statusOf(seen, correlationId);
    if (!status) throw new UpstreamUnavailableError('The Realto platform answered the cancel with a status this service does not know; nothing was recorded');
    if (status !== 'Canceled') {
      // The platform did not cancel it: what it says the request is, is what happened.
      await observe(current.id, seen, correlationId);
      if (isTerminal(status, KINDS[kind].machine)) throw new InvalidTransitionError(`The request is ${status} on the Realto platform and can no longer be canceled.`);
      throw new ConflictError(`The Realto platform kept the request ${status}; retry the cancel.`);
    }
    return cancelHere(seen);
  }

  /**
   * A create of any kind, the platform first: after every local check and after an idempotent replay had
   * its chance (`prepared`), then ours with the platform's id. A request the platform made that we do not
   * keep would live there untracked: it is canceled there, or reported.
   */
  async function createThroughPlatform<D extends { caller: Caller; correlationId: string }, C extends { request: { id: string }; replayed: boolean }>(
    kind: RequestKind, draft: D, body: unknown, commit: (draft: D, seen: UpstreamRequest) => Promise<C>,
    kept: (id: string) => Promise<'yes' | 'no' | 'unknown'>,
  ): Promise<{ created: C; seen: UpstreamRequest }> {
    const where = KINDS[kind].path;
    const seen = await upstream.createRequest(where, body);
    const untracked = (reason: string) => options.onUntracked?.({ platformId: seen.id, requestType: KINDS[kind].requestType, correlationId: draft.correlationId, reason });
    const withdraw = () => upstream.cancelRequest(where, seen.id).then(
      () => undefined,
      () => untracked('it could not be canceled on the platform'),
    );
    let created: C;
    try {
      created = await commit(draft, seen);
    } catch (error) {
      // Withdrawn only when we know we do not have it: a write that timed out may still have committed.
      const ours = await kept(seen.id.toLowerCase());
      if (ours === 'no') await withdraw();
      if (ours === 'unknown') untracked('our write failed and whether it committed could not be read');
      throw error;
    }
    // Another create with the same Idempotency-Key won the race: ours on the platform is a duplicate.
    if (created.replayed) await withdraw();
    return { created, seen };
  }

  /**
   * The cleanup's `beforeExpire` in proxy mode: a stale request is canceled on the platform first, and
   * expired here only if it is canceled there. If it finished there meanwhile, that is recorded instead;
   * if the platform refuses or cannot be reached, nothing is expired this time.
   */
  async function cancelBeforeExpiry(stale: OpenRequestRef, correlationId: string): Promise<boolean> {
    let seen: UpstreamRequest;
    try {
      seen = await cancelOnPlatform(KINDS[stale.requestType].path, stale.id);
    } catch {
      return false;
    }
    const status = statusOf(seen, correlationId);
    if (!status) return false;
    if (status === 'Canceled') return true;
    await observe(stale.id, seen, correlationId);
    return false;
  }

  /** Whether we hold a request (`find` throws NotFoundError when we do not). */
  async function keeps(find: () => Promise<unknown>): Promise<'yes' | 'no' | 'unknown'> {
    try {
      await find();
      return 'yes';
    } catch (error) {
      return error instanceof NotFoundError ? 'no' : 'unknown';
    }
  }

  const api: OnboardingApi & {
    observe: typeof observe; observeOnPlatform: typeof observeOnPlatform; cancelBeforeExpiry: typeof cancelBeforeExpiry;
  } = {
    history: local.history,
    observe,
    observeOnPlatform,
    cancelBeforeExpiry,

    async create(requestType: RequestType, input: CreateInput, caller: Caller, correlationId: string, idempotencyKey?: string): Promise<Created> {
      const draft = local.prepareCreate(requestType, input, caller, correlationId, idempotencyKey);
      // A replay must not create a second request on the platform.
      const replay = await local.findReplay(draft);
      if (replay) return replay;
      const { created, seen } = await createThroughPlatform(
        requestType, draft, { ...input, tenantId: caller.tenantId },
        (prepared, answer) => local.commitCreate(prepared, { id: answer.id.toLowerCase(), details: mirrorer(answer) }),
        (id) => keeps(() => local.get(requestType, id, caller)),
      );
      if (created.replayed || seen.status === 'Pending') return created;
      const observed = await observe(created.request.id, seen, correlationId);
      return observed.outcome === 'applied' ? { request: local.view(observed.request), replayed: false } : created;
    },

    async get(requestType: RequestType, id: string, caller: Caller, correlationId = `get:${id}`) {
      return refresh(requestType, await local.get(requestType, id, caller), correlationId);
    },

    /**
     * A page from our copy (tenant isolation and page tokens are ours), its open requests asked about on
     * the platform, so a list is as current as a get. A request that left the `status` asked for is dropped
     * from the page. One request the platform cannot answer for (refused, failed, or out of time) keeps our
     * copy; only when the platform is unavailable for every one of them is the list a 502/503/504, like a get.
     */
    async list(requestType: RequestType, caller: Caller, query: ListQuery, correlationId = 'list', timeLeftMs = () => Number.POSITIVE_INFINITY) {
      const page = await local.list(requestType, caller, query);
      const open = page.items.filter((item) => !isTerminal(item.status));
      const unavailable: unknown[] = [];
      let timer: ReturnType<typeof setTimeout> | undefined;
      const budgetMs = timeLeftMs() - LIST_ANSWER_RESERVE_MS;
      // Once out of time, nothing more is sent; what is under way keeps our copy on this page.
      let expired = budgetMs <= 0;
      const outOfTime = Number.isFinite(budgetMs) && !expired
        ? new Promise<'out-of-time'>((resolve) => {
            timer = setTimeout(() => {
              expired = true;
              resolve('out-of-time');
            }, budgetMs);
          })
        : new Promise<never>(() => {});
      try {
        const refreshed = await mapBounded(open, LIST_REFRESH_CONCURRENCY, async (item) => {
          if (expired) return item;
          const answer = await Promise.race([
            refresh(requestType, item, correlationId).catch((error: unknown) => {
              if (!isUnavailable(error) && !isRefusal(error)) throw error;
              if (isUnavailable(error)) unavailable.push(error);
              return item;
            }),
            outOfTime,
          ]);
          return answer === 'out-of-time' ? item : answer;
        });
        if (open.length > 0 && unavailable.length === open.length) throw unavailable[0];
        const byId = new Map(refreshed.map((item) => [item.id, item]));
        const items = page.items.map((item) => byId.get(item.id) ?? item);
        return { ...page, items: query.status ? items.filter((item) => item.status === query.status) : items };
      } finally {
        clearTimeout(timer);
      }
    },

    async cancel(requestType: RequestType, id: string, caller: Caller, correlationId: string) {
      const current = await local.get(requestType, id, caller);
      const canceled = await cancelThroughPlatform(requestType, current, correlationId, (seen) => local.cancel(requestType, id, caller, correlationId, mirrorer(seen)));
      return canceled ?? current;
    },
  };

  /** Offboarding through the platform (contract §12): create and cancel go there first; reads are ours. */
  const offboarding: OffboardingApi = {
    ...local.offboarding,
    async create(input, caller, correlationId, idempotencyKey) {
      const prepared = await local.offboarding.prepare(input, caller, correlationId, idempotencyKey);
      if ('replay' in prepared) return prepared.replay;
      const { created, seen } = await createThroughPlatform(
        'EntityOffboarding', prepared.draft, { entityId: prepared.draft.entityId },
        (draft, answer) => local.offboarding.commit(draft, { id: answer.id.toLowerCase() }),
        (id) => keeps(() => local.offboarding.get(id, caller)),
      );
      if (created.replayed || seen.status === 'Pending') return created;
      const observed = await observe(created.request.id, seen, correlationId);
      return observed.outcome === 'applied' ? { request: local.offboarding.view(observed.request), replayed: false } : created;
    },
    async cancel(id, caller, correlationId) {
      const current = await local.offboarding.get(id, caller);
      const canceled = await cancelThroughPlatform('EntityOffboarding', current, correlationId, () => local.offboarding.cancel(id, caller, correlationId));
      return canceled ?? current;
    },
  };
  return Object.assign(api, { offboarding });
}
