export const REQUEST_TYPES = ['Collective', 'Entity'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

/** The plural of a request type, as it appears in paths (ours and the platform's). */
export const collectionOf = (requestType: RequestType) => (requestType === 'Collective' ? 'collectives' : 'entities');

export const STATUSES = ['Pending', 'Processing', 'Succeeded', 'Failed', 'Canceled'] as const;
export type Status = (typeof STATUSES)[number];

export const ACTOR_TYPES = ['principal', 'webhook', 'system', 'upstream'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

export const SOURCES = ['api', 'webhook', 'schedule', 'upstream'] as const;
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

/** The onboarding request as the store keeps it: the public fields plus what the service needs to chain. */
export interface OnboardingRequest {
  id: string;
  requestType: RequestType;
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
  /** Proxy mode: the consent links the platform gave, used for `action` instead of CONSENT_URL. */
  platformAction?: { redirectLink: string; documentationLink: string };
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
  correlationId: string;
  previousHash: string | null;
  hash: string;
}

export interface Caller {
  principalId: string;
  tenantId: string;
  scopes: ReadonlySet<string>;
}

export interface Page<T> {
  items: T[];
  continuationToken: string | null;
}
