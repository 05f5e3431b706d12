import { ConflictError, ForbiddenError, ValidationError } from './errors.ts';
import { createLifecycle, type Idempotency, type LifecycleOptions } from './lifecycle.ts';
import type { CreateCollectiveInput, CreateEntityInput, ListQuery } from './schemas.ts';
import { KINDS } from './status-machine.ts';
import {
  type Actor, type Caller, type ConsentLinks, type Source, type StoredRequest, type Page, type RequestData, type RequestDetails, type RequestError, type RequestType,
  type Status, summaryOf, type Transition,
} from './types.ts';

export interface ServiceOptions extends LifecycleOptions {
  /**
   * Where the end user of a new request goes to consent (contract §2 `action`): this service's consent
   * page in local mode; none in proxy mode, where the platform's own links are kept with each request.
   */
  consentLinks?: ((request: Pick<StoredRequest, 'id' | 'tenantId' | 'requestType' | 'created'>) => ConsentLinks) | undefined;
  /** Outside production a returnUrl may be plain http on localhost. */
  allowLoopbackHttpReturnUrl: boolean;
}

/** The public shape of a request (contract §2): the stored one without internals, with `action` while Pending. */
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

export type CreateInput = CreateCollectiveInput | CreateEntityInput;

export interface Created {
  request: OnboardingRequestView;
  /** True when this is the stored first answer to the same Idempotency-Key and body. */
  replayed: boolean;
}

/**
 * A create that passed every check, not yet written. `commitCreate` writes it; in between, a request may
 * be registered elsewhere (the platform, in proxy mode), which then gives its id and details.
 */
export interface CreateDraft {
  requestType: RequestType;
  input: CreateInput;
  caller: Caller;
  correlationId: string;
  returnUrl: string | null;
  idempotency?: Idempotency;
  /** Who made it, when not the principal through the API: an end user's guided session (contract §10). */
  origin?: { actor: Actor; source: Source; session: string };
}

/** The API the functions serve: the lifecycle itself in local mode, the platform's decorator in proxy mode. */
export interface OnboardingApi {
  create(requestType: RequestType, input: CreateInput, caller: Caller, correlationId: string, idempotencyKey?: string): Promise<Created>;
  get(requestType: RequestType, id: string, caller: Caller, correlationId?: string): Promise<OnboardingRequestView>;
  list(requestType: RequestType, caller: Caller, query: ListQuery, correlationId?: string, remainingMs?: () => number): Promise<Page<OnboardingRequestView>>;
  cancel(requestType: RequestType, id: string, caller: Caller, correlationId: string): Promise<OnboardingRequestView>;
  history(requestType: RequestType, id: string, caller: Caller, query: { pageSize?: string; continuationToken?: string }): Promise<Page<Transition>>;
}

/**
 * A request as the API shows it (contract §2), fields in the platform's order, whatever order the store
 * returned them in; `action` while Pending, with the links kept at creation (or made now for older ones).
 */
export function onboardingView(request: StoredRequest, consentLinks?: ServiceOptions['consentLinks']): OnboardingRequestView {
  const links = request.status === 'Pending' ? (request.consent ?? consentLinks?.(request)) : undefined;
  return {
    id: request.id,
    requestType: KINDS[request.requestType].requestType,
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

/**
 * Collective and entity onboarding (contract §2–§4) on the lifecycle core: their input, snapshot and
 * view. `transition` and `updateDetails` are the core's, for the webhook, the cleanup and proxy mode.
 */
export function createOnboardingService(options: ServiceOptions) {
  const lifecycle = createLifecycle(options);

  const view = (request: StoredRequest) => onboardingView(request, options.consentLinks);

  function checkReturnUrl(returnUrl: string | null | undefined): string | null {
    if (returnUrl == null) return null;
    let url: URL;
    try {
      url = new URL(returnUrl);
    } catch {
      throw new ValidationError('returnUrl is not a valid URL.', [{ path: '/returnUrl', message: 'must be an absolute URL' }]);
    }
    const loopback = url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    if (url.protocol !== 'https:' && !(loopback && options.allowLoopbackHttpReturnUrl)) {
      const allowed = options.allowLoopbackHttpReturnUrl ? 'https (or http on localhost)' : 'https';
      throw new ValidationError(`returnUrl must use ${allowed}.`, [{ path: '/returnUrl', message: `must use ${allowed}` }]);
    }
    return url.href;
  }

  function snapshot(requestType: RequestType, input: CreateInput, caller: Caller): RequestData {
    const { tenantId } = caller;
    // The tenant's display name, when its token names one: who asks, on the end user's consent page.
    const data: RequestData = { tenant: { id: tenantId, ...(caller.tenantName ? { name: caller.tenantName } : {}) } };
    if (requestType === 'Collective') {
      const collective = input as CreateCollectiveInput;
      data.collective = {
        id: collective.collectiveId ?? null,
        name: collective.name,
        owner: collective.owner ?? null,
        properties: collective.properties ?? null,
        tenantId,
        type: collective.type,
      };
    } else {
      const entity = input as CreateEntityInput;
      data.entity = {
        id: null,
        collectiveId: entity.collectiveId ?? null,
        owner: entity.owner ?? null,
        properties: entity.properties ?? null,
        tenantId,
        type: entity.type,
        information: {
          code: entity.code ?? null,
          ean: entity.ean ?? null,
          email: entity.email ?? null,
          manufacturer: entity.manufacturer,
          model: entity.model ?? null,
          reference: entity.reference ?? null,
          track: entity.track ?? null,
          type: entity.type,
          uuid: entity.uuid ?? null,
          vin: entity.vin ?? null,
        },
        reference: { manufacturer: entity.manufacturer, type: entity.type, reference: entity.reference ?? null },
      };
    }
    return data;
  }

  /** Every check a create makes before anything is written: the tenant and the returnUrl. */
  function prepareCreate(
    requestType: RequestType, input: CreateInput, caller: Caller, correlationId: string, idempotencyKey?: string,
  ): CreateDraft {
    if (input.tenantId != null && input.tenantId.toLowerCase() !== caller.tenantId) {
      throw new ForbiddenError('tenantId is not the tenant of your token.');
    }
    const returnUrl = checkReturnUrl(input.returnUrl);
    const idempotency = lifecycle.idempotencyOf(requestType, caller, input, idempotencyKey);
    return { requestType, input, caller, correlationId, returnUrl, ...(idempotency ? { idempotency } : {}) };
  }

  /**
   * The stored first answer when the draft's Idempotency-Key was used before (a 422 for another body).
   * Only needed before registering a request elsewhere: the create's own transaction detects a replay.
   */
  function findReplay(draft: CreateDraft): Promise<Created | undefined> {
    return lifecycle.findReplay<OnboardingRequestView>(draft.idempotency);
  }

  /**
   * Writes a prepared create: the request and its first transition (`null → Pending`) in one transaction,
   * with the idempotency record when there is a key, so a key never points at a request that does not
   * exist. A concurrent create with the same key that won answers its response instead. `assigned` gives
   * the id, and the details laid over ours, of a request registered elsewhere first.
   */
  async function commitCreate(
    draft: CreateDraft, assigned?: { id: string; details?: (ours: RequestDetails) => RequestDetails },
  ): Promise<Created> {
    const { requestType, caller } = draft;
    const id = assigned?.id ?? lifecycle.newId();
    const at = lifecycle.now().toISOString();
    const identity = { id, tenantId: caller.tenantId, requestType, created: at };
    const first = lifecycle.firstRecord(identity, caller, at, draft.correlationId, draft.origin);
    const ours = { data: snapshot(requestType, draft.input, caller), consent: options.consentLinks?.(identity) };
    const details = assigned?.details ? assigned.details(ours) : ours;
    const request: StoredRequest = {
      id,
      requestType,
      status: 'Pending',
      created: at,
      updated: at,
      principalId: caller.principalId,
      tenantId: caller.tenantId,
      returnUrl: draft.returnUrl,
      data: details.data,
      ...(details.consent ? { consent: details.consent } : {}),
      errors: [],
      version: 1,
      lastHash: first.hash,
      lastTransition: summaryOf(first),
    };
    const created = view(request);
    const session = draft.origin && { sessionId: draft.origin.session, requestId: id, now: at };
    const inserted = await lifecycle.insertFirst(request, first, created, { idempotency: draft.idempotency, session });
    if (inserted === 'entity-unavailable') throw new Error('unreachable: an onboarding claims no entity');
    if (inserted === 'session-used') throw new ConflictError('The session has yielded its request already, or expired.', 'session_used');
    return inserted === 'inserted' ? { request: created, replayed: false } : inserted;
  }

  /**
   * With an Idempotency-Key, the key is written in the create's own transaction: the same key and body
   * within 24 h replays the first answer; another body is a 422. No in-progress window, no orphan keys.
   */
  function create(requestType: RequestType, input: CreateInput, caller: Caller, correlationId: string, idempotencyKey?: string): Promise<Created> {
    return commitCreate(prepareCreate(requestType, input, caller, correlationId, idempotencyKey));
  }

  async function cancel(
    requestType: RequestType, id: string, caller: Caller, correlationId: string, details?: (current: StoredRequest) => RequestDetails,
  ): Promise<OnboardingRequestView> {
    return view(await lifecycle.cancel(requestType, id, caller, correlationId, details));
  }

  async function get(requestType: RequestType, id: string, caller: Caller): Promise<OnboardingRequestView> {
    return view(await lifecycle.findOwned(requestType, id, caller));
  }

  async function list(requestType: RequestType, caller: Caller, query: ListQuery): Promise<Page<OnboardingRequestView>> {
    const page = await lifecycle.list(requestType, caller, query);
    return { ...page, items: page.items.map(view) };
  }

  return {
    create, prepareCreate, findReplay, commitCreate, get, list, cancel, history: lifecycle.history, view, checkReturnUrl,
    transition: lifecycle.transition, updateDetails: lifecycle.updateDetails, lifecycle,
  };
}

export type OnboardingService = ReturnType<typeof createOnboardingService>;
