import type { Schema } from './schemas.ts';
import type { StatusMachine } from './status-machine.ts';
import type {
  Caller,
  ConsentLinks,
  EntityEffect,
  EntityRecord,
  RequestData,
  RequestDetails,
  RequestError,
  RequestType,
  Status,
  StoredRequest,
} from './types.ts';

/**
 * What makes a kind of request itself, as the lifecycle core needs it: its name, where it is served, its
 * status machine, how a create becomes a request and how a request is shown. Every kind is one module of
 * lib/kinds/ that exports one of these; the core, the requests API (./requests.ts), the proxy decorator,
 * the webhook, the cleanup and the outbound events take any kind as it is (docs/architecture.md).
 */
export interface Kind<Input = never, Query extends ListFilters = ListFilters, View extends RequestView = RequestView> {
  /** What the store keeps as the request's kind; the tenant's lists are keyed by it. Never changes. */
  readonly name: string;
  /** What the API shows as `requestType` (the platform's word: what is connected). */
  readonly requestType: RequestType;
  /** Where it is served under /v1, by this service and by the platform alike, e.g. `onboarding/entities`. */
  readonly path: string;
  /** The event a provider's webhook about it carries, and the outbound event of each of its transitions. */
  readonly event: string;
  /** In messages: "No <noun> with id …". */
  readonly noun: string;
  readonly machine: StatusMachine;
  /** The path parameter that names one request, e.g. `onboardingRequestId`. */
  readonly idParameter: string;
  /**
   * Proxy mode: the platform documents a GET for it, so a get or a list asks the platform about open
   * requests and records what it says. Without one, reads are ours and the reconciliation asks.
   */
  readonly platformReads: boolean;
  /** The schemas of its input and of its view, each built on first use (a cold start builds none). */
  readonly schemas: KindSchemas;
  /**
   * Every check a create makes before anything is written, and the request it makes: its snapshot, its
   * return address, what is sent to the platform in proxy mode, and the entity it claims, if any.
   */
  prepare(input: Input, caller: Caller, context: PrepareContext): Draft | Promise<Draft>;
  /** The request as the API shows it. */
  view(request: StoredRequest, context: ViewContext): View;
  /** A list filter beyond `status` (entity onboarding's manufacturer and type), applied within the tenant's index. */
  filter?(query: Query): ListFilter | undefined;
  /** What a transition to `next` does to the entity registry, in the transition's own transaction. */
  entityEffects?(current: StoredRequest, next: StoredRequest): EntityEffect[];
  /** What a provider's event brings besides the status (an onboarded entity's id), as new details. */
  providerDetails?(current: StoredRequest, event: ProviderEvent): RequestDetails | undefined;
  /**
   * The end user's consent page (local mode): what is being connected, in the page's terms. A kind without
   * it has no consent step, no `action` and no page.
   */
  consentSubject?(request: StoredRequest): ConsentSubjectLine[];
}

export interface KindSchemas {
  create: () => Schema;
  list: () => Schema;
  /** `{ <idParameter>: uuid }`, lower-cased. */
  params: () => Schema;
  /** What the API answers, for the OpenAPI document, under `viewName` (kinds may share one). */
  view: () => Schema;
  viewName: string;
}

/** The list query every kind takes; a kind's own adds filters. */
export interface ListFilters {
  pageSize?: string | undefined;
  continuationToken?: string | undefined;
  status?: Status | undefined;
}

export interface ListFilter {
  /** Part of the continuation token's scope, so a token serves only the list it came from. */
  scope: string;
  matches: (request: StoredRequest) => boolean;
}

/** What a kind's `prepare` may ask of the lifecycle. */
export interface PrepareContext {
  findEntity(entityId: string): Promise<EntityRecord | undefined>;
  /** Outside production a returnUrl may be plain http on localhost. */
  allowLoopbackHttpReturnUrl: boolean;
}

/** A create that passed its kind's checks, not yet written. */
export interface Draft {
  data: RequestData;
  returnUrl: string | null;
  /** What a create sends to the platform in proxy mode. */
  platformBody: unknown;
  /** The entity the create claims (the one offboarding open for it): written in the create's transaction. */
  claimsEntity?: string;
}

export interface ViewContext {
  /** The consent links of a Pending request stored before links were kept with it. */
  consentLinks?: ((request: StoredRequest) => ConsentLinks) | undefined;
}

/** A request as any kind's API shows it: what the replies need of it. */
export interface RequestView {
  id: string;
  version: number;
  status: Status;
}

/** A provider's status event about a request (lib/webhooks/event.ts). */
export interface ProviderEvent {
  status: Status;
  errors?: RequestError[] | undefined;
  entity?: Record<string, unknown> | undefined;
}

/** One line of "what is being connected" on the consent page: a term the page words, and its value. */
export interface ConsentSubjectLine {
  term: 'site' | 'siteType' | 'device' | 'manufacturer' | 'model';
  value: string;
}

/** The kinds a function serves, by name: what the core looks a stored request's kind up in. */
export type KindRegistry = ReadonlyMap<string, Kind<never, ListFilters, RequestView>>;

// biome-ignore lint/suspicious/noExplicitAny: a kind of any input, query and view, as the core takes it
export type AnyKind = Kind<any, any, any>;

export function registryOf(kinds: readonly AnyKind[]): KindRegistry {
  return new Map(kinds.map((kind) => [kind.name, kind as Kind<never, ListFilters, RequestView>]));
}

/** Whose trail a request's is: what the first record's hash is bound to (./hash-chain.ts). */
export function trailOwner(request: Pick<StoredRequest, 'id' | 'tenantId'>, kind: Pick<Kind, 'requestType'>) {
  return { id: request.id, tenantId: request.tenantId, requestType: kind.requestType };
}

/**
 * The view with `action.redirectLink` left out (`type` and `documentationLink` kept, in their place). The
 * link is a bearer credential: whoever holds it decides for the end user. Events and evidence bundles go
 * further than the integrator's own `GET` (receivers and their logs, payloads stored for retries, every
 * consumer of the bus, a regulator), so only that `GET` shows it.
 */
export function withoutConsentLink(view: object): object {
  const { action } = view as { action?: unknown };
  if (action === null || typeof action !== 'object' || !('redirectLink' in action)) return view;
  const { redirectLink: _link, ...kept } = action;
  return { ...view, action: kept };
}
