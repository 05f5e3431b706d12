import { ConflictError, NotFoundError, ValidationError } from '../lifecycle/errors.ts';
import type { Cursor, PageTokens, StoredPage } from '../lifecycle/store.ts';
import type { Caller, Page } from '../lifecycle/types.ts';
import { type DeliveryEngine, PREVIOUS_SECRET_MS } from './delivery.ts';
import { type DestinationPolicy, ipVersion, refusedHost, refusedUrl } from './destination.ts';
import { SUBSCRIBABLE_EVENT_TYPES, testEvent } from './event.ts';
import type { CreateEndpointInput, UpdateEndpointInput } from './schemas.ts';
import type { DeliveryAttempt, EndpointStore, WebhookEndpoint } from './store.ts';

/** node:crypto as the builtin it is, not an ES import (docs/performance.md, "Cold init"). */
const { randomBytes, randomUUID } = process.getBuiltinModule('node:crypto');

/** A webhook endpoint as the API shows it: never its secret, except in the answers that issue one. */
export interface EndpointView {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  disabled: boolean;
  disabledReason: string | null;
  created: string;
  updated: string;
}

/** How many endpoints a tenant may have: each event is sent to each, within one invocation. */
export const MAX_ENDPOINTS_PER_TENANT = 10;
const DEFAULT_PAGE_SIZE = 25;

export interface EndpointServiceOptions {
  store: EndpointStore;
  pageTokens: PageTokens;
  /** Only for the functions that send now (`test`, `retry`); the others are built without it. */
  deliveries?: DeliveryEngine;
  policy: DestinationPolicy;
  /** Every address a host name resolves to (node:dns lookup, all). */
  resolve: (hostname: string) => Promise<string[]>;
  now?: () => Date;
}

function view(endpoint: WebhookEndpoint): EndpointView {
  return {
    id: endpoint.id,
    url: endpoint.url,
    description: endpoint.description,
    eventTypes: endpoint.eventTypes,
    disabled: endpoint.disabled,
    disabledReason: endpoint.disabledReason,
    created: endpoint.created,
    updated: endpoint.updated,
  };
}

/** A new signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes in base64. */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * The webhook endpoints API: a tenant's endpoints, their secrets and rotation, a test event,
 * the attempts made, and a retry of one delivery. Another tenant's endpoint is indistinguishable from none.
 */
export function createEndpointService(options: EndpointServiceOptions) {
  const { store, pageTokens, policy } = options;
  const now = options.now ?? (() => new Date());
  const deliveries = (): DeliveryEngine => {
    if (!options.deliveries) throw new Error('This function was built without the delivery engine: build it with buildEndpointSendingApp');
    return options.deliveries;
  };

  /** The URL, if events may go there: its form first, then every address its host resolves to. */
  async function checkedUrl(raw: string): Promise<string> {
    const refuse = (message: string) => new ValidationError(`url ${message}.`, [{ path: '/url', message }]);
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw refuse('must be an absolute URL');
    }
    const byForm = refusedUrl(url, policy);
    if (byForm) throw refuse(byForm);
    // An IP literal is judged as written; a name by every address it resolves to, which are never told.
    let addresses: string[] = [];
    if (!ipVersion(url.hostname)) {
      try {
        addresses = await options.resolve(url.hostname);
      } catch {
        addresses = [];
      }
      if (addresses.length === 0) throw refuse(`names a host that does not resolve (${url.hostname})`);
    }
    const byAddress = refusedHost(url.hostname, addresses, policy);
    if (byAddress) throw refuse(`is not an allowed destination: ${byAddress}`);
    return url.href;
  }

  async function owned(id: string, caller: Caller): Promise<WebhookEndpoint> {
    const endpoint = await store.getEndpoint(id);
    if (!endpoint || endpoint.tenantId !== caller.tenantId) throw new NotFoundError(`No webhook endpoint with id ${id}.`);
    return endpoint;
  }

  /** Applies `change` to the endpoint as it is now, again if it changed meanwhile. */
  async function change(id: string, caller: Caller, next: (current: WebhookEndpoint) => Promise<WebhookEndpoint> | WebhookEndpoint) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await owned(id, caller);
      const updated = await next(current);
      if ((await store.replaceEndpoint(current, updated)) === 'applied') return updated;
    }
    throw new ConflictError('The endpoint is being changed by others right now; retry.', 'concurrent_modification');
  }

  function decode(token: string | undefined, scope: string): Cursor | undefined {
    return token === undefined ? undefined : pageTokens.decode(token, scope);
  }

  function page<T, V>(stored: StoredPage<T>, scope: string, map: (item: T) => V): Page<V> {
    return { items: stored.items.map(map), continuationToken: stored.cursor === undefined ? null : pageTokens.encode(stored.cursor, scope) };
  }

  return {
    async create(input: CreateEndpointInput, caller: Caller): Promise<EndpointView & { secret: string }> {
      const url = await checkedUrl(input.url);
      const at = now().toISOString();
      const endpoint: WebhookEndpoint = {
        id: randomUUID(),
        tenantId: caller.tenantId,
        url,
        description: input.description ?? null,
        eventTypes: input.eventTypes ?? [...SUBSCRIBABLE_EVENT_TYPES],
        disabled: false,
        disabledReason: null,
        created: at,
        updated: at,
        version: 1,
        secret: newSecret(),
        previousSecret: null,
        previousSecretExpiresAt: null,
        failingSince: null,
      };
      // The limit is held by the write itself (it counts the tenant's endpoints), so concurrent creates cannot pass it.
      if ((await store.insertEndpoint(endpoint, MAX_ENDPOINTS_PER_TENANT)) === 'limit') {
        throw new ConflictError(`A tenant may have at most ${MAX_ENDPOINTS_PER_TENANT} webhook endpoints; delete one first.`, 'endpoint_limit');
      }
      return { ...view(endpoint), secret: endpoint.secret };
    },

    async list(caller: Caller, query: { pageSize?: string; continuationToken?: string }): Promise<Page<EndpointView>> {
      const scope = `endpoints|${caller.tenantId}`;
      const limit = query.pageSize === undefined ? DEFAULT_PAGE_SIZE : Number(query.pageSize);
      return page(await store.listEndpoints(caller.tenantId, limit, decode(query.continuationToken, scope)), scope, view);
    },

    get: async (id: string, caller: Caller) => view(await owned(id, caller)),

    async update(id: string, caller: Caller, patch: UpdateEndpointInput): Promise<EndpointView> {
      const url = patch.url === undefined ? undefined : await checkedUrl(patch.url);
      return view(
        await change(id, caller, (current) => {
          const enabling = patch.disabled === false && current.disabled;
          return {
            ...current,
            ...(url === undefined ? {} : { url }),
            ...(patch.eventTypes === undefined ? {} : { eventTypes: patch.eventTypes }),
            ...(patch.description === undefined ? {} : { description: patch.description }),
            ...(patch.disabled === undefined ? {} : { disabled: patch.disabled }),
            // Enabled again: the five days start afresh, and the reason no longer holds.
            ...(enabling ? { disabledReason: null, failingSince: null } : {}),
            ...(patch.disabled === true && !current.disabled ? { disabledReason: 'Disabled through the API' } : {}),
            updated: now().toISOString(),
            version: current.version + 1,
          };
        }),
      );
    },

    async remove(id: string, caller: Caller): Promise<void> {
      // Deleted meanwhile by another request: as if it had been gone before this one (which frees no second slot).
      if ((await store.deleteEndpoint(await owned(id, caller))) === 'absent') throw new NotFoundError(`No webhook endpoint with id ${id}.`);
    },

    /** A new secret; the old one keeps signing beside it for 24 h, so receivers can switch without a gap. */
    async rotateSecret(id: string, caller: Caller): Promise<EndpointView & { secret: string }> {
      const at = now();
      const rotated = await change(id, caller, (current) => ({
        ...current,
        secret: newSecret(),
        previousSecret: current.secret,
        previousSecretExpiresAt: new Date(at.getTime() + PREVIOUS_SECRET_MS).toISOString(),
        updated: at.toISOString(),
        version: current.version + 1,
      }));
      return { ...view(rotated), secret: rotated.secret };
    },

    /** Sends a `webhook.test` event to this endpoint now, and answers how it went. */
    async test(id: string, caller: Caller): Promise<DeliveryAttempt> {
      const endpoint = await owned(id, caller);
      const event = testEvent(endpoint.id, `evt_test_${randomUUID()}`, now().toISOString());
      const made = await deliveries().sendNow(event, endpoint);
      if (!made) throw new ConflictError('The test event is being sent by another request right now.', 'concurrent_modification');
      return made;
    },

    async attempts(id: string, caller: Caller, query: { pageSize?: string; continuationToken?: string }): Promise<Page<DeliveryAttempt>> {
      await owned(id, caller);
      const scope = `attempts|${caller.tenantId}|${id}`;
      const limit = query.pageSize === undefined ? DEFAULT_PAGE_SIZE : Number(query.pageSize);
      return page(await store.listAttempts(id, limit, decode(query.continuationToken, scope)), scope, (attempt) => attempt);
    },

    /** One more attempt at a delivery now, whatever its state; a success settles it. */
    async retry(id: string, eventId: string, caller: Caller): Promise<DeliveryAttempt> {
      await owned(id, caller);
      if (!(await store.getDelivery(eventId, id))) throw new NotFoundError(`No delivery of event ${eventId} to this endpoint.`);
      const made = await deliveries().attempt(id, eventId);
      if (!made) throw new ConflictError('The delivery is being attempted right now; retry in a few seconds.', 'delivery_in_progress');
      return made;
    },
  };
}

export type EndpointService = ReturnType<typeof createEndpointService>;
