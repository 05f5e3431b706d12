import { ConflictError, InvalidTransitionError, NotFoundError, RefusedError, UnavailableError } from '../lifecycle/errors.ts';
import type { AnyKind, KindRegistry } from '../lifecycle/kind.ts';
import type { Lifecycle } from '../lifecycle/lifecycle.ts';
import { canTransition, decideCancel, isTerminal } from '../lifecycle/status-machine.ts';
import type { OpenRequestRef } from '../lifecycle/store.ts';
import { type ConsentLinks, type RequestDetails, type RequestError, STATUSES, type Status } from '../lifecycle/types.ts';
import { isUpstreamUnavailable, UpstreamUnavailableError } from './errors.ts';
import { mergeSnapshot, platformSnapshot } from './snapshot.ts';

/** What the platform answers about one request (docs/platform.md); only these fields are used. */
export interface UpstreamRequest {
  id: string;
  status: string;
  errors?: unknown;
  action?: unknown;
  data?: unknown;
}

/** The platform, as proxy mode needs it (./realto-client.ts implements it); `path` is a kind's. */
export interface UpstreamRequests {
  createRequest(path: string, body: unknown): Promise<UpstreamRequest>;
  getRequest(path: string, id: string): Promise<UpstreamRequest>;
  cancelRequest(path: string, id: string): Promise<UpstreamRequest>;
}

/** A refusal (by the platform, or by our own rules on what it said), as opposed to the platform failing or not answering. */
export const isRefusal = (error: unknown): boolean => error instanceof RefusedError && !isUpstreamUnavailable(error);

/** The platform (or our database) failed, timed out, or calls to it are paused (our own bugs are none of these). */
export const isUnavailable = (error: unknown): boolean => isUpstreamUnavailable(error) || error instanceof UnavailableError;

/** The platform's consent links, when its answer carries usable ones (docs/platform.md). */
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
    ...((consent ?? current.consent) ? { consent: consent ?? current.consent } : {}),
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
  onUntracked?: (detail: { platformId: string; requestType: string; correlationId: string; reason: string }) => void;
}

/** What the platform made of our cancel: nothing to do (already canceled here), or its answer, Canceled. */
export type PlatformCancel = { outcome: 'already-canceled' } | { outcome: 'canceled'; seen: UpstreamRequest };

/**
 * Proxy mode (ONBOARDING_MODE=realto): the platform runs the lifecycle, this service keeps tenant isolation,
 * idempotency and the audit trail. These are the steps every kind's decorator (./requests.ts) is made of:
 * each asks the platform and answers what it said; a platform error changes nothing here. A status change
 * we only observe (in an answer, a webhook or the reconciliation) is recorded through the same
 * transition() with actor `upstream`, and every answer is mirrored: its snapshot goes with the transition
 * it causes, or, when the status did not change, replaces ours on its own.
 */
export function createPlatformMirror(
  lifecycle: Pick<Lifecycle, 'transition' | 'updateDetails'>,
  upstream: UpstreamRequests,
  kinds: KindRegistry,
  options: ProxyOptions = {},
) {
  /** The answer's status if we know it; an unknown one is reported, and the caller records nothing. */
  function statusOf(seen: UpstreamRequest, correlationId: string): Status | undefined {
    const status = knownStatus(seen);
    if (!status) options.onUnknownStatus?.({ platformId: seen.id, status: String(seen.status).slice(0, 64), correlationId });
    return status;
  }

  /** Records what the platform says of one of our requests: its status as a transition, else its details. */
  async function observe(id: string, seen: UpstreamRequest, correlationId: string) {
    const status = statusOf(seen, correlationId);
    // Not understood: nothing of this answer is kept, neither a transition nor its snapshot.
    if (!status) return { outcome: 'not-understood' as const };
    const errors = errorsOf(seen);
    const mirror = mirrorer(seen);
    const result = await lifecycle.transition(
      id,
      (current) =>
        current.status !== status && canTransition(current.status, status, kindOf(current.kind).machine)
          ? { to: status, reason: 'Observed on the Realto platform', ...(errors ? { errors } : {}), details: mirror(current) }
          : 'unchanged',
      { actor: { type: 'upstream', id: 'realto' }, source: 'upstream', correlationId },
    );
    if (result.outcome !== 'unchanged') return result;
    const refreshed = mirror(result.request);
    if (sameDetails(result.request, refreshed)) return result;
    return { outcome: 'refreshed' as const, request: await lifecycle.updateDetails(result.request, refreshed) };
  }

  function kindOf(name: string): AnyKind {
    const kind = kinds.get(name);
    if (!kind) throw new NotFoundError('No such request.');
    return kind;
  }

  /** Asks the platform about one of our requests and records what it says (gets, lists, the reconciliation). */
  async function observeOnPlatform(kind: Pick<AnyKind, 'path'>, id: string, correlationId: string) {
    return observe(id, await upstream.getRequest(kind.path, id), correlationId);
  }

  /**
   * The platform's answer to our cancel. When it refuses, the request may have finished there meanwhile:
   * then what it is now is the answer; a request still open there keeps the refusal.
   */
  async function cancelThere(path: string, id: string): Promise<UpstreamRequest> {
    try {
      return await upstream.cancelRequest(path, id);
    } catch (error) {
      if (!isRefusal(error)) throw error;
      const now = await upstream.getRequest(path, id).catch(() => undefined);
      const status = now && knownStatus(now);
      if (!now || !status || !isTerminal(status)) throw error;
      return now;
    }
  }

  /**
   * A cancel of any kind on the platform (its rules say from where), before ours: its answer, when it
   * canceled. Anything else it says is recorded and refused here: a finished request is a 409, another
   * open status a retryable 409, a status we do not know a 502 (nothing recorded).
   */
  async function cancelOnPlatform(kind: AnyKind, current: { id: string; status: Status }, correlationId: string): Promise<PlatformCancel> {
    const decision = decideCancel(current.status, kind.machine);
    if (decision === 'already-canceled') return { outcome: 'already-canceled' };
    if (decision === 'refuse') throw new InvalidTransitionError(`The request is ${current.status} and can no longer be canceled.`);
    const seen = await cancelThere(kind.path, current.id);
    const status = statusOf(seen, correlationId);
    if (!status) throw new UpstreamUnavailableError('The Realto platform answered the cancel with a status this service does not know; nothing was recorded');
    if (status === 'Canceled') return { outcome: 'canceled', seen };
    // The platform did not cancel it: what it says the request is, is what happened.
    await observe(current.id, seen, correlationId);
    if (isTerminal(status, kind.machine)) throw new InvalidTransitionError(`The request is ${status} on the Realto platform and can no longer be canceled.`);
    throw new ConflictError(`The Realto platform kept the request ${status}; retry the cancel.`);
  }

  /** A create on the platform, first: its answer (our own write follows, with its id). */
  const createOnPlatform = (kind: AnyKind, body: unknown) => upstream.createRequest(kind.path, body);

  /** Told that the platform holds a request we may not track. */
  const untracked = (kind: AnyKind, platformId: string, correlationId: string, reason: string) =>
    options.onUntracked?.({ platformId, requestType: kind.requestType, correlationId, reason });

  /** Cancels on the platform a request we do not keep (a create whose own write failed, or a duplicate). */
  async function withdraw(kind: AnyKind, platformId: string, correlationId: string) {
    await upstream.cancelRequest(kind.path, platformId).then(
      () => undefined,
      () => untracked(kind, platformId, correlationId, 'it could not be canceled on the platform'),
    );
  }

  /**
   * The cleanup's `beforeExpire` in proxy mode: a stale request is canceled on the platform first, and
   * expired here only if it is canceled there. If it finished there meanwhile, that is recorded instead;
   * if the platform refuses or cannot be reached, nothing is expired this time.
   */
  async function cancelBeforeExpiry(stale: OpenRequestRef, correlationId: string): Promise<boolean> {
    let seen: UpstreamRequest;
    try {
      seen = await cancelThere(kindOf(stale.kind).path, stale.id);
    } catch {
      return false;
    }
    const status = statusOf(seen, correlationId);
    if (!status) return false;
    if (status === 'Canceled') return true;
    await observe(stale.id, seen, correlationId);
    return false;
  }

  return {
    observe,
    observeOnPlatform,
    cancelOnPlatform,
    createOnPlatform,
    withdraw,
    untracked,
    cancelBeforeExpiry,
    /** The reconciliation's check of one open request, of any kind this function serves. */
    observeOpen: (open: OpenRequestRef, correlationId: string) => observeOnPlatform(kindOf(open.kind), open.id, correlationId),
  };
}

export type PlatformMirror = ReturnType<typeof createPlatformMirror>;
