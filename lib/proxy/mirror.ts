import { ConflictError, InvalidTransitionError, NotFoundError, ServiceError } from '../lifecycle/errors.ts';
import type { Lifecycle } from '../lifecycle/lifecycle.ts';
import { canTransition, decideCancel, isTerminal, KINDS, type KindSpec } from '../lifecycle/status-machine.ts';
import type { OpenRequestRef } from '../lifecycle/store.ts';
import {
  STATUSES, type Caller, type ConsentLinks, type RequestDetails, type RequestError, type RequestKind, type RequestType, type Status,
  type StoredRequest,
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

/** The platform refused (a 4xx other than rate limiting), as opposed to failing or not answering. */
export function isRefusal(error: unknown): boolean {
  return error instanceof ServiceError && error.status >= 400 && error.status < 500 && error.status !== 429;
}

/** The platform failed, timed out, rate-limits us, or calls to it are paused (our own bugs are none of these). */
export function isUnavailable(error: unknown): boolean {
  return error instanceof ServiceError && (error.status >= 500 || error.status === 429);
}

/** The platform's consent links, when its answer carries usable ones (realto-api-facts §3, `action`). */
export function consentLinksOf(seen: UpstreamRequest): ConsentLinks | undefined {
  const action = seen.action as { redirectLink?: unknown; documentationLink?: unknown } | null | undefined;
  if (typeof action?.redirectLink !== 'string' || !/^https?:\/\//.test(action.redirectLink)) return undefined;
  const documentationLink = typeof action.documentationLink === 'string' ? action.documentationLink : '';
  return { redirectLink: action.redirectLink, documentationLink };
}

export function errorsOf(seen: UpstreamRequest): RequestError[] | undefined {
  if (!Array.isArray(seen.errors) || seen.errors.length === 0) return undefined;
  return seen.errors
    .filter((error): error is RequestError => typeof error?.code === 'string' && typeof error?.message === 'string')
    .map(({ code, message }) => ({ code, message }));
}

export function knownStatus(seen: UpstreamRequest): Status | undefined {
  return (STATUSES as readonly string[]).includes(seen.status) ? (seen.status as Status) : undefined;
}

/** Our details with the platform's answer laid over them: its snapshot and its consent links. */
export function mirrorer(seen: UpstreamRequest) {
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

/** Whether we hold a request (`find` throws NotFoundError when we do not). */
export async function keeps(find: () => Promise<unknown>): Promise<'yes' | 'no' | 'unknown'> {
  try {
    await find();
    return 'yes';
  } catch (error) {
    return error instanceof NotFoundError ? 'no' : 'unknown';
  }
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
 * idempotency and the audit trail. This is what every kind shares: every call goes to the platform first,
 * and a platform error changes nothing here. What we initiate is recorded as in local mode (the principal's
 * create and cancel, once the platform accepted them); a status change we only observe (in an answer, a
 * webhook or the reconciliation) is recorded through the same transition() with actor `upstream`. Every
 * answer is mirrored: its snapshot goes with the transition it causes, or, when the status did not change,
 * replaces ours on its own. The decorators of each kind's API (./onboarding.ts, ./offboarding.ts) are
 * built on it.
 */
export function createPlatformMirror(
  lifecycle: Pick<Lifecycle, 'transition' | 'updateDetails'>, upstream: UpstreamOnboarding, options: ProxyOptions = {},
) {
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
    const result = await lifecycle.transition(
      id,
      (current) => (current.status !== status && canTransition(current.status, status, KINDS[current.requestType].machine)
        ? { to: status, reason: 'Observed on the Realto platform', ...(errors ? { errors } : {}), details: mirror(current) }
        : 'unchanged'),
      { actor: { type: 'upstream', id: 'realto' }, source: 'upstream', correlationId },
    );
    if (result.outcome !== 'unchanged') return result;
    const refreshed = mirror(result.request);
    if (sameDetails(result.request, refreshed)) return result;
    return { outcome: 'refreshed' as const, request: await lifecycle.updateDetails(result.request, refreshed) };
  }

  /** Asks the platform about one of our requests and records what it says (gets, lists, the reconciliation). */
  async function observeOnPlatform(kind: RequestKind, id: string, correlationId: string) {
    return observe(id, await upstream.getRequest(KINDS[kind].path, id), correlationId);
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
   * its chance, then ours with the platform's id (`commit`). A request the platform made that we do not
   * keep would live there untracked: it is canceled there, or reported. When the platform's answer is
   * already past Pending, that is recorded too, and `viewOf` shows it.
   */
  async function createThroughPlatform<D extends { caller: Caller; correlationId: string }, V extends { id: string }>(
    kind: RequestKind, draft: D, body: unknown,
    commit: (draft: D, seen: UpstreamRequest) => Promise<{ request: V; replayed: boolean }>,
    kept: (id: string) => Promise<'yes' | 'no' | 'unknown'>,
    viewOf: (request: StoredRequest) => V,
  ): Promise<{ request: V; replayed: boolean }> {
    const where = KINDS[kind].path;
    const seen = await upstream.createRequest(where, body);
    const untracked = (reason: string) => options.onUntracked?.({ platformId: seen.id, requestType: KINDS[kind].requestType, correlationId: draft.correlationId, reason });
    const withdraw = () => upstream.cancelRequest(where, seen.id).then(
      () => undefined,
      () => untracked('it could not be canceled on the platform'),
    );
    let created: { request: V; replayed: boolean };
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
    if (created.replayed) {
      await withdraw();
      return created;
    }
    if (seen.status === 'Pending') return created;
    const observed = await observe(created.request.id, seen, draft.correlationId);
    return observed.outcome === 'applied' ? { request: viewOf(observed.request), replayed: false } : created;
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

  return { observe, observeOnPlatform, cancelThroughPlatform, createThroughPlatform, cancelBeforeExpiry };
}

export type PlatformMirror = ReturnType<typeof createPlatformMirror>;
