import type { CreateEntityInput, EntityListFilters } from '../kinds/entity-onboarding.ts';
import type { OnboardingRequestView } from '../kinds/onboarding.ts';
import { displayName } from '../lifecycle/display-name.ts';
import { ConflictError, GoneError, NotFoundError, ValidationError } from '../lifecycle/errors.ts';
import type { TransitionMeta } from '../lifecycle/lifecycle.ts';
import type { LocalRequests } from '../lifecycle/requests.ts';
import { checkReturnUrl } from '../lifecycle/return-url.ts';
import type { Cursor, PageTokens, SessionStore } from '../lifecycle/store.ts';
import type { Actor, Caller, EntityType, GuidedSession, Page } from '../lifecycle/types.ts';
import type { CreateGuidedSessionInput } from './schemas.ts';

/** node:crypto as the builtin it is, not an ES import (docs/performance.md, "Cold init"). */
const { randomUUID } = process.getBuiltinModule('node:crypto');

/** A guided onboarding session as the API shows it (the platform's fields, then ours). */
export interface GuidedSessionView {
  companyName: string;
  created: string;
  expired: boolean;
  expiresAt: string | null;
  id: string;
  manufacturer: string;
  entityType: string | null;
  onboardingRequest: OnboardingRequestView | null;
  returnUrl: string | null;
}

export interface SessionQuery {
  pageSize?: string | undefined;
  continuationToken?: string | undefined;
  expired?: 'true' | 'false' | undefined;
}

/** The guided sessions API the functions serve: ours in local mode, the platform's reads in proxy mode. */
export interface GuidedApi {
  create(input: CreateGuidedSessionInput, caller: Caller): Promise<GuidedSessionView & { url: string }>;
  list(caller: Caller, query: SessionQuery): Promise<Page<GuidedSessionView>>;
  get(id: string, caller: Caller): Promise<GuidedSessionView>;
}

/** What the end user enters on the session's page. */
export interface DeviceDetails {
  entityType: EntityType;
  model: string;
  identifier: string;
}

const DEFAULT_MINUTES = 1_440;
const DEFAULT_PAGE_SIZE = 25;
/** A filtered page reads at most this many store pages; past that it may be short, with its next link. */
const MAX_READS_PER_PAGE = 10;

/**
 * The session's `companyName` as the end user will read it (who asks, on the guided page and as the tenant
 * name of the request it yields): the same rule as a token's `tenant_name`. A name with nothing visible left
 * is refused, as an empty one is.
 */
function companyNameOf(companyName: string): string {
  const shown = displayName(companyName);
  if (!shown) throw new ValidationError('companyName has nothing visible in it.', [{ path: '/companyName', message: 'must contain visible characters' }]);
  return shown;
}

/** Which identifier a device type is known by: a car by its VIN, a meter by its EAN, the rest by a serial number. */
export function identifierOf(entityType: string): { field: 'vin' | 'ean' | 'reference'; label: string; pattern: RegExp; hint: string } {
  if (entityType === 'EV')
    return {
      field: 'vin',
      label: 'Vehicle identification number (VIN)',
      pattern: /^[A-HJ-NPR-Z0-9]{17}$/i,
      hint: '17 letters and digits, on the registration papers',
    };
  if (['Meter', 'SmartMeter', 'RetrofitMeter'].includes(entityType)) {
    return { field: 'ean', label: 'Meter number (EAN)', pattern: /^\d{8,18}$/, hint: '8 to 18 digits, on your energy bill' };
  }
  return { field: 'reference', label: 'Serial number', pattern: /^[\w./-]{3,64}$/, hint: "On the device's label" };
}

/**
 * Guided onboarding sessions on the entity onboarding kind: an integrator creates one, the end user opens
 * its link, enters the device and consents, and that creates one entity onboarding request in the
 * session's tenant (its creator as principal), moved to Processing, both transitions by the end user. The
 * request's create claims the session in its own transaction, so a session yields one request however
 * often the page is submitted.
 */
export function createGuidedService(options: {
  sessions: SessionStore;
  /** The entity onboarding kind's requests (lib/kinds/entity-onboarding.ts). */
  entities: LocalRequests<CreateEntityInput, EntityListFilters, OnboardingRequestView>;
  /** Outside production a returnUrl may be plain http on localhost. */
  allowLoopbackHttpReturnUrl: boolean;
  pageTokens: PageTokens;
  /** The signed link of a session (lib/pages/links.ts). */
  urlOf: (session: GuidedSession) => string;
  now?: () => Date;
}) {
  const { sessions: store, entities, pageTokens } = options;
  const now = options.now ?? (() => new Date());

  const isExpired = (session: GuidedSession) => session.markedExpired || Date.parse(session.expiresAt) <= now().getTime();
  const creatorOf = (session: GuidedSession): Caller => ({
    principalId: session.principalId,
    tenantId: session.tenantId,
    scopes: new Set(),
    tenantName: session.companyName,
  });

  async function requestOf(session: GuidedSession): Promise<OnboardingRequestView | null> {
    if (!session.onboardingRequestId) return null;
    return entities.get(session.onboardingRequestId, creatorOf(session), { correlationId: `session:${session.id}` }).catch((error: unknown) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
  }

  async function view(session: GuidedSession): Promise<GuidedSessionView> {
    return {
      companyName: session.companyName,
      created: session.created,
      expired: isExpired(session),
      expiresAt: session.expiresAt,
      id: session.id,
      manufacturer: session.manufacturer,
      entityType: session.entityType,
      onboardingRequest: await requestOf(session),
      returnUrl: session.returnUrl,
    };
  }

  async function owned(id: string, caller: Caller): Promise<GuidedSession> {
    const session = await store.getSession(id);
    if (!session || session.tenantId !== caller.tenantId) throw new NotFoundError(`No guided onboarding session with id ${id}.`);
    return session;
  }

  /** Moves the session's request to Processing if it is still Pending (the end user consented with the submit). */
  async function consented(requestId: string, actor: Actor, correlationId: string, decision: NonNullable<TransitionMeta['decision']>) {
    const result = await entities.core.transition(
      requestId,
      (current) => (current.status === 'Pending' ? { to: 'Processing', reason: 'The end user consented in a guided session' } : 'unchanged'),
      { actor, source: 'consent', correlationId, decision },
    );
    if (result.outcome === 'duplicate-message') throw new Error('unreachable: a consent carries no message id');
    return entities.view(result.request);
  }

  const api: GuidedApi = {
    async create(input, caller) {
      const created = now();
      const minutes = input.expiresInMinutes ?? DEFAULT_MINUTES;
      const session: GuidedSession = {
        id: randomUUID(),
        tenantId: caller.tenantId,
        principalId: caller.principalId,
        companyName: companyNameOf(input.companyName),
        manufacturer: input.manufacturer,
        entityType: input.entityType ?? null,
        returnUrl: checkReturnUrl(input.returnUrl, options.allowLoopbackHttpReturnUrl),
        created: created.toISOString(),
        expiresAt: new Date(created.getTime() + minutes * 60_000).toISOString(),
        markedExpired: false,
        onboardingRequestId: null,
      };
      await store.insertSession(session);
      return { ...(await view(session)), url: options.urlOf(session) };
    },

    async list(caller, query) {
      const scope = ['sessions', caller.tenantId, query.expired ?? ''].join('|');
      const after: Cursor | undefined = query.continuationToken === undefined ? undefined : pageTokens.decode(query.continuationToken, scope);
      const size = query.pageSize === undefined ? DEFAULT_PAGE_SIZE : Number(query.pageSize);
      const wanted = (session: GuidedSession) => query.expired === undefined || isExpired(session) === (query.expired === 'true');
      // `expired` depends on the clock, so no index holds it: read on until the page is full, asking each
      // time for no more than is still wanted (so the cursor never skips a match), within a few reads.
      const items: GuidedSession[] = [];
      let cursor = after;
      for (let reads = 0; reads < MAX_READS_PER_PAGE && items.length < size; reads++) {
        const page = await store.listSessions(caller.tenantId, size - items.length, cursor);
        items.push(...page.items.filter(wanted));
        cursor = page.cursor;
        if (cursor === undefined) break;
      }
      return { items: await Promise.all(items.map(view)), continuationToken: cursor === undefined ? null : pageTokens.encode(cursor, scope) };
    },

    get: async (id, caller) => view(await owned(id, caller)),
  };

  return {
    ...api,
    isExpired,
    requestOf,

    /**
     * The end user's submit: one Entity request for the session's tenant, then Processing. A session that
     * yielded its request already answers that one (409 with it); an expired one accepts nothing (410).
     */
    async submit(
      session: GuidedSession,
      details: DeviceDetails,
      actor: Actor,
      correlationId: string,
      decision: NonNullable<TransitionMeta['decision']>,
    ): Promise<OnboardingRequestView> {
      if (isExpired(session)) throw new GoneError('This session has expired.');
      if (session.onboardingRequestId) throw new ConflictError('This session has been used already.', 'session_used');
      const identifier = identifierOf(details.entityType);
      if (!identifier.pattern.test(details.identifier)) {
        throw new ValidationError(`${identifier.label} is not valid.`, [{ path: '/identifier', message: identifier.hint }]);
      }
      const input = {
        type: details.entityType,
        manufacturer: session.manufacturer,
        model: details.model,
        returnUrl: session.returnUrl,
        [identifier.field]: identifier.field === 'vin' ? details.identifier.toUpperCase() : details.identifier,
      } as CreateEntityInput;
      const prepared = await entities.prepare(input, creatorOf(session), { correlationId });
      if ('replay' in prepared) throw new Error('unreachable: a guided session carries no Idempotency-Key');
      const { request } = await entities.commit(prepared, undefined, { actor, source: 'consent', session: session.id });
      return consented(request.id, actor, correlationId, decision);
    },

    /** A request created but not yet moved on (the page died in between): the consent it was given stands. */
    consented,
  };
}

export type GuidedService = ReturnType<typeof createGuidedService>;
