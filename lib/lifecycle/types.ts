/** What a request connects, as the API shows it (`requestType`). */
export const REQUEST_TYPES = ['Collective', 'Entity'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

/** What a collective is (the platform's types): a household, a fleet, a farm. */
export const COLLECTIVE_TYPES = ['Community', 'Household', 'Fleet', 'SolarFarm', 'WindFarm', 'VirtualPowerPlant'] as const;
/** What an entity is (the platform's types): a device. */
export const ENTITY_TYPES = ['Battery', 'ChargePoint', 'EV', 'HeatPump', 'Inverter', 'Meter', 'PV', 'RetrofitMeter', 'SmartMeter', 'SolarPlant'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

export const STATUSES = ['Pending', 'Processing', 'Succeeded', 'Failed', 'Canceled'] as const;
export type Status = (typeof STATUSES)[number];

/** Who made a transition. `enduser` and `consent` are the end user's own decisions (consent page, guided sessions). */
export const ACTOR_TYPES = ['principal', 'webhook', 'system', 'upstream', 'enduser'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

export const SOURCES = ['api', 'webhook', 'schedule', 'upstream', 'consent'] as const;
export type Source = (typeof SOURCES)[number];

export interface Actor {
  type: ActorType;
  id: string;
}

export interface RequestError {
  code: string;
  message: string;
}

export interface RequestData {
  collective?: Record<string, unknown>;
  entity?: Record<string, unknown>;
  tenant: { id: string } & Record<string, unknown>;
  user?: Record<string, unknown>;
  client?: Record<string, unknown>;
}

/** Where the end user goes to consent while a request is Pending (the view's `action`). */
export interface ConsentLinks {
  redirectLink: string;
  documentationLink: string;
}

/** A request as the store keeps it: the public fields plus what the lifecycle needs to chain. */
export interface StoredRequest {
  id: string;
  /** The request's kind: the `name` of its module of lib/kinds/ (never the public `requestType`, which the kind gives). */
  kind: string;
  status: Status;
  created: string;
  updated: string;
  principalId: string;
  tenantId: string;
  returnUrl: string | null;
  data: RequestData;
  errors: RequestError[];
  version: number;
  /** Hash of the newest transition, so the next one can chain to it without reading the trail. */
  lastHash: string;
  /** Set when the request is created; absent on requests stored before links were kept. */
  consent?: ConsentLinks;
  /**
   * The transition that made this version, as outbound events show it: with it, the
   * request item's own change in the table's stream is the whole event. Absent on requests stored before.
   */
  lastTransition?: TransitionSummary;
}

/** A transition as an outbound event carries it: who moved the request from where to where, when. */
export type TransitionSummary = Pick<Transition, 'version' | 'from' | 'to' | 'at' | 'actor' | 'source'>;

export function summaryOf(record: Transition): TransitionSummary {
  return {
    version: record.version,
    from: record.from,
    to: record.to,
    at: record.at,
    actor: { type: record.actor.type, id: record.actor.id },
    source: record.source,
  };
}

/**
 * What the entity registry keeps of an entity: whose it is, the onboarding that brought it,
 * and the one offboarding open for it, if any.
 */
export interface EntityRecord {
  entityId: string;
  tenantId: string;
  onboardingRequestId: string;
  collectiveId: string | null;
  state: 'Onboarded' | 'Offboarded';
  openOffboarding?: string;
}

/**
 * What a transition does to the entity registry, in the same transaction. `heldBy`: the tenant and the
 * onboarding the registry named when the change was decided (null: none), so that the change, and what it
 * recorded in that tenant's trail, are written only if that is still so.
 */
export type EntityEffect = (
  | { entityId: string; register: Pick<EntityRecord, 'tenantId' | 'onboardingRequestId' | 'collectiveId'> }
  | { entityId: string; release: string; offboarded: boolean }
) & { heldBy?: Pick<EntityRecord, 'tenantId' | 'onboardingRequestId'> | null };

/**
 * A guided onboarding session: a link an integrator hands to an end user, who enters the
 * device's details and consents; it yields at most one Entity onboarding request.
 */
export interface GuidedSession {
  id: string;
  tenantId: string;
  /** Who created it: the principal of the request it yields. */
  principalId: string;
  companyName: string;
  manufacturer: string;
  entityType: string | null;
  returnUrl: string | null;
  created: string;
  expiresAt: string;
  /** Set by the cleanup once `expiresAt` has passed; `expired` in the API is also true before that. */
  markedExpired: boolean;
  onboardingRequestId: string | null;
}

/** What may change about a request besides its status: its snapshot and its consent links. */
export interface RequestDetails {
  data: RequestData;
  consent?: ConsentLinks;
}

/** One entry of the audit trail. `hash` covers `previousHash` and every other field. */
export interface Transition {
  version: number;
  from: Status | null;
  to: Status;
  at: string;
  actor: Actor;
  source: Source;
  reason?: string;
  errors?: RequestError[];
  /** How an end user's decision reached us (actor `enduser`): hashed with the record. */
  evidence?: TransitionEvidence;
  correlationId: string;
  previousHash: string | null;
  hash: string;
}

/** The channel of an end user's decision: the consent link, or a guided session's page. */
export interface TransitionEvidence {
  channel: 'consent-link' | 'guided-session';
}

export interface Caller {
  principalId: string;
  tenantId: string;
  scopes: ReadonlySet<string>;
  /** The tenant's display name (the token's `tenant_name` claim, when it has one): who asks, on the end user's pages. */
  tenantName?: string;
}

export interface Page<T> {
  items: T[];
  continuationToken: string | null;
}

/** Per call: who to blame in the log, and how long the invocation has left. */
export interface CallContext {
  correlationId: string;
  remainingMs: () => number;
}
