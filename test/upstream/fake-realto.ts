import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the Realto platform on 127.0.0.1: the documented shapes of POST /v1/authentication, the
 * onboarding endpoints and the guided onboarding sessions' reads G1/G2 (docs/platform.md), in memory, with
 * switches for the faults a client must survive and counters of what reached it.
 */

export type Kind = 'collectives' | 'entities' | 'offboarding';

/** Where the platform serves each kind (docs/platform.md). */
const PATHS: Record<Kind, string> = { collectives: 'onboarding/collectives', entities: 'onboarding/entities', offboarding: 'offboarding/entities' };
const KIND_OF: Record<string, Kind> = Object.fromEntries(Object.entries(PATHS).map(([kind, path]) => [path, kind as Kind]));

export interface FakeRealtoBehaviour {
  /** Delay before every onboarding answer (authentication is never delayed). */
  delayMs: number;
  /** The next N onboarding requests fail with `failureStatus`. */
  failures: number;
  failureStatus: number;
  /** The next N onboarding requests get a 200 whose body is cut-off JSON. */
  malformed: number;
  /** When set, every cancel is refused with 400 `{ title, status }` carrying this title. */
  rejectCancelWith: string | undefined;
  /** `expires_in` of the tokens handed out. */
  tokenLifetimeSeconds: number;
}

/**
 * What a test gives `seedGuidedSession`: `tenantId` is the tenant the session's request names (not a field
 * of the session); every other field overrides the session's own. Without an `onboardingRequest` field
 * the session gets a new Entity request of the fake (kept with the fake's entities, so
 * `GET /v1/onboarding/entities/{id}` knows it and `update` shows in the session); with
 * `onboardingRequest: null` it has none.
 */
export interface GuidedSessionSeed {
  tenantId?: string | null;
  [field: string]: unknown;
}

export interface FakeRealto {
  baseUrl: string;
  clientId: string;
  readonly clientSecret: string;
  behaviour: FakeRealtoBehaviour;
  /** Calls of POST /v1/authentication, accepted or not. */
  readonly authCalls: number;
  /** Requests per route, e.g. `GET /v1/onboarding/entities/{id}`, counted before any switch applies. */
  hits(route: string): number;
  /** How many different requests a per-id route was called for (retries of one call count once). */
  requestsAsked(route: string): number;
  /** Onboarding requests of every route. */
  readonly onboardingCalls: number;
  /** The most onboarding requests it was answering at the same time. */
  readonly mostInFlight: number;
  /** From now on only this client secret is accepted (a rotation by the platform's owner). */
  rotateSecret(next: string): void;
  /** From now on the given token (default: every token issued so far) is answered with 401. */
  revokeTokens(token?: string): void;
  readonly issuedTokens: readonly string[];
  seed(kind: Kind, fields?: Record<string, unknown>): Record<string, unknown>;
  /** The platform no longer has this request (it answers 404 for it). */
  remove(kind: Kind, id: string): void;
  /** Changes a request the platform holds, as its own processing would; `data` is replaced as given. */
  update(kind: Kind, id: string, fields: Record<string, unknown>): Record<string, unknown>;
  /**
   * A guided onboarding session the platform holds (docs/platform.md), as G1/G2 answer it. G1 lists
   * sessions newest seeded first, paged like the onboarding lists.
   */
  seedGuidedSession(seed?: GuidedSessionSeed): Record<string, unknown>;
  reset(): void;
  close(): Promise<void>;
}

const CLIENT_PRINCIPAL_ID = '7d0c1f9e-5b7a-4c1e-9a52-3f4e8d2b6a10';
const ADMINISTRATOR_ID = '2b9e4c71-0d3f-4a8e-b6c5-9f1a7e3d5c24';
const ITEM = /^\/v1\/(onboarding\/collectives|onboarding\/entities|offboarding\/entities)\/([^/]+)$/;
const CANCEL = /^\/v1\/(onboarding\/collectives|onboarding\/entities|offboarding\/entities)\/([^/]+)\/cancel$/;
const COLLECTION = /^\/v1\/(onboarding\/collectives|onboarding\/entities|offboarding\/entities)$/;
const SESSIONS = '/v1/guided-onboarding-sessions';
const SESSION = /^\/v1\/guided-onboarding-sessions\/([^/]+)$/;

function defaults(): FakeRealtoBehaviour {
  return { delayMs: 0, failures: 0, failureStatus: 503, malformed: 0, rejectCancelWith: undefined, tokenLifetimeSeconds: 3599 };
}

export async function startFakeRealto(): Promise<FakeRealto> {
  const clientId = 'fake-client';
  const originalSecret = 'fake-secret';
  let clientSecret = originalSecret;
  const requests = new Map<Kind, Map<string, Record<string, unknown>>>([
    ['collectives', new Map()],
    ['entities', new Map()],
    ['offboarding', new Map()],
  ]);
  /** Guided sessions by id, in the order seeded; `requestId` links the session to a request in `entities`. */
  const sessions = new Map<string, { session: Record<string, unknown>; requestId: string | undefined }>();
  const counters = new Map<string, number>();
  const idsAsked = new Map<string, Set<string>>();
  const validTokens = new Set<string>();
  const issuedTokens: string[] = [];
  const pendingDelays = new Set<NodeJS.Timeout>();
  let authCalls = 0;
  let onboardingCalls = 0;
  let inFlight = 0;
  let mostInFlight = 0;
  let behaviour = defaults();

  /** A timestamp as the platform writes it (ISO-8601 UTC, whole seconds). */
  const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

  /** A new offboarding request as the platform documents it (docs/platform.md). */
  function offboardingRequest(input: Record<string, unknown>): Record<string, unknown> {
    return {
      id: randomUUID(),
      principalId: CLIENT_PRINCIPAL_ID,
      requestType: 'Entity',
      status: 'Pending',
      data: { collectiveId: null, entityId: input.entityId ?? null, tenantId: null, userId: null },
    };
  }

  /** A new request as the platform documents it, its `data` snapshot filled from the input. */
  function onboardingRequest(kind: Kind, input: Record<string, unknown>): Record<string, unknown> {
    if (kind === 'offboarding') return offboardingRequest(input);
    const id = randomUUID();
    const field = (name: string) => input[name] ?? null;
    const tenantId = field('tenantId');
    const snapshot = {
      tenant: { type: 'Company', administrator: ADMINISTRATOR_ID, id: tenantId, name: 'Fake Energy Supplier' },
      client: { id: CLIENT_PRINCIPAL_ID, name: 'fake-client', tenantId },
    };
    const data =
      kind === 'collectives'
        ? {
            collective: { id: randomUUID(), name: field('name'), owner: field('owner'), properties: field('properties'), tenantId, type: field('type') },
            ...snapshot,
          }
        : {
            entity: {
              collectiveId: field('collectiveId'),
              id: null,
              information: Object.fromEntries(
                ['code', 'ean', 'email', 'manufacturer', 'model', 'reference', 'track', 'type', 'uuid', 'vin'].map((name) => [name, field(name)]),
              ),
              owner: field('owner'),
              properties: field('properties'),
              reference: { manufacturer: field('manufacturer'), type: field('type'), reference: field('reference') },
              systemProperties: null,
              tenantId,
              type: field('type'),
            },
            ...snapshot,
          };
    return {
      action: {
        documentationLink: 'https://docs.realto.io/guides/manual-onboarding',
        redirectLink: `https://platform.realto.io/consent/${id}`,
        type: 'Consent',
      },
      created: now(),
      data,
      id,
      principalId: CLIENT_PRINCIPAL_ID,
      requestType: kind === 'collectives' ? 'Collective' : 'Entity',
      returnUrl: typeof input.returnUrl === 'string' ? input.returnUrl : null,
      status: 'Pending',
      errors: [],
    };
  }

  /** A guided session as G1/G2 answer it: its request as the platform holds it at this moment. */
  function sessionView(held: { session: Record<string, unknown>; requestId: string | undefined }): Record<string, unknown> {
    if (held.requestId === undefined) return held.session;
    return { ...held.session, onboardingRequest: requests.get('entities')!.get(held.requestId) ?? null };
  }

  /** A page of the platform's envelope: `pageSize` (default 25) from an offset in `continuationToken`. */
  function pageOf(all: unknown[], url: URL): Record<string, unknown> {
    const pageSize = Number(url.searchParams.get('pageSize') ?? 25);
    const offset = Number(Buffer.from(url.searchParams.get('continuationToken') ?? '', 'base64url').toString() || 0);
    const data = all.slice(offset, offset + pageSize);
    const next = offset + pageSize < all.length ? Buffer.from(String(offset + pageSize)).toString('base64url') : null;
    return {
      data,
      links: { next: next ? `${url.pathname}?pageSize=${pageSize}&continuationToken=${next}` : null },
      meta: { continuationToken: next, pageSize },
    };
  }

  function send(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  function problem(response: ServerResponse, status: number, title: string): void {
    send(response, status, { title, status });
  }

  async function readBody(request: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return null;
    }
  }

  function delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        pendingDelays.delete(timer);
        resolve();
      }, ms);
      pendingDelays.add(timer);
    });
  }

  function count(route: string, id: string | undefined): void {
    counters.set(route, (counters.get(route) ?? 0) + 1);
    if (id !== undefined) idsAsked.set(route, (idsAsked.get(route) ?? new Set()).add(id));
  }

  async function authenticate(request: IncomingMessage, response: ServerResponse): Promise<void> {
    authCalls += 1;
    const body = (await readBody(request)) as { clientId?: unknown; clientSecret?: unknown } | null | undefined;
    if (body?.clientId !== clientId || body.clientSecret !== clientSecret) {
      problem(response, 401, 'Invalid client credentials');
      return;
    }
    const token = `fake-token-${issuedTokens.length + 1}-${randomUUID()}`;
    issuedTokens.push(token);
    validTokens.add(token);
    send(response, 200, { access_token: token, expires_in: behaviour.tokenLifetimeSeconds, token_type: 'Bearer' });
  }

  async function onboarding(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const method = request.method ?? 'GET';
    const cancel = CANCEL.exec(url.pathname);
    const item = ITEM.exec(url.pathname);
    const collection = COLLECTION.exec(url.pathname);
    const session = SESSION.exec(url.pathname);
    const match = cancel ?? item ?? collection;
    const kind = match ? KIND_OF[match[1]!] : undefined;
    const route = cancel
      ? `${method} /v1/${match![1]}/{id}/cancel`
      : item
        ? `${method} /v1/${match![1]}/{id}`
        : session
          ? `${method} ${SESSIONS}/{id}`
          : `${method} ${url.pathname}`;
    count(route, (cancel ?? item)?.[2] ?? session?.[1]);
    onboardingCalls += 1;

    if (behaviour.delayMs > 0) await delay(behaviour.delayMs);
    if (behaviour.failures > 0) {
      behaviour.failures -= 1;
      response.writeHead(behaviour.failureStatus, { 'content-type': 'text/html' }).end('<h1>upstream error</h1>');
      return;
    }
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!token || !validTokens.has(token)) {
      problem(response, 401, 'Unauthorized');
      return;
    }
    if (behaviour.malformed > 0) {
      behaviour.malformed -= 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"id": "3f1c');
      return;
    }
    if (session || url.pathname === SESSIONS) {
      // G1 and G2 only: the platform creates sessions in its own UI (docs/platform.md).
      if (method !== 'GET') return problem(response, 405, 'Method Not Allowed');
      if (session) {
        const found = sessions.get(decodeURIComponent(session[1]!));
        return found ? send(response, 200, sessionView(found)) : problem(response, 404, 'Guided onboarding session not found');
      }
      return send(response, 200, pageOf([...sessions.values()].reverse().map(sessionView), url));
    }
    if (!kind) {
      problem(response, 404, 'Not Found');
      return;
    }
    const store = requests.get(kind)!;

    if (cancel && method === 'PATCH') {
      const found = store.get(decodeURIComponent(cancel[2]!));
      if (!found) return problem(response, 404, 'Request not found');
      if (behaviour.rejectCancelWith !== undefined) return problem(response, 400, behaviour.rejectCancelWith);
      if (found.status !== 'Pending' && found.status !== 'Canceled') {
        return problem(response, 400, 'Only Requests in Pending status can be cancelled');
      }
      found.status = 'Canceled';
      return send(response, 200, found);
    }
    if (item && method === 'GET') {
      const found = store.get(decodeURIComponent(item[2]!));
      return found ? send(response, 200, found) : problem(response, 404, 'Onboarding request not found');
    }
    if (collection && method === 'POST') {
      const body = await readBody(request);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        return problem(response, 400, 'The request body must be a JSON object');
      }
      if (kind === 'offboarding' && typeof (body as { entityId?: unknown }).entityId !== 'string') {
        return problem(response, 400, 'entityId is required');
      }
      const created = onboardingRequest(kind, body as Record<string, unknown>);
      store.set(created.id as string, created);
      return send(response, 201, created);
    }
    if (collection && method === 'GET') return send(response, 200, pageOf([...store.values()], url));
    problem(response, 405, 'Method Not Allowed');
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const isAuthentication = request.method === 'POST' && url.pathname === '/v1/authentication';
    if (!isAuthentication) {
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      response.once('close', () => {
        inFlight -= 1;
      });
    }
    const handled = isAuthentication ? authenticate(request, response) : onboarding(request, response, url);
    handled.catch(() => {
      if (!response.headersSent) problem(response, 500, 'Fake platform failure');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    clientId,
    get clientSecret() {
      return clientSecret;
    },
    rotateSecret(next) {
      clientSecret = next;
    },
    get behaviour() {
      return behaviour;
    },
    set behaviour(next) {
      behaviour = next;
    },
    get authCalls() {
      return authCalls;
    },
    get onboardingCalls() {
      return onboardingCalls;
    },
    get mostInFlight() {
      return mostInFlight;
    },
    hits: (route) => counters.get(route) ?? 0,
    requestsAsked: (route) => idsAsked.get(route)?.size ?? 0,
    revokeTokens(token) {
      if (token === undefined) validTokens.clear();
      else validTokens.delete(token);
    },
    get issuedTokens() {
      return issuedTokens;
    },
    seed(kind, fields = {}) {
      const created = { ...onboardingRequest(kind, {}), ...fields };
      requests.get(kind)!.set(created.id as string, created);
      return created;
    },
    remove(kind, id) {
      requests.get(kind)!.delete(id);
    },
    update(kind, id, fields) {
      const found = requests.get(kind)!.get(id);
      if (!found) throw new Error(`the fake platform holds no ${kind} request ${id}`);
      Object.assign(found, fields);
      return found;
    },
    seedGuidedSession(seed = {}) {
      const { tenantId = null, ...fields } = seed;
      const id = randomUUID();
      const manufacturer = typeof fields.manufacturer === 'string' ? fields.manufacturer : 'Tesla';
      const entityType = typeof fields.entityType === 'string' ? fields.entityType : 'Battery';
      let requestId: string | undefined;
      if (!('onboardingRequest' in fields)) {
        const request = onboardingRequest('entities', { tenantId, manufacturer, type: entityType });
        requestId = request.id as string;
        requests.get('entities')!.set(requestId, request);
      }
      // The documented fields in the documented order; the ones after `onboardingRequest` are unknown.
      const session: Record<string, unknown> = {
        companyName: 'Fake Energy Supplier',
        created: now(),
        expired: false,
        id,
        manufacturer,
        onboardingRequest: null,
        ...fields,
      };
      const held = { session, requestId };
      sessions.set(session.id as string, held);
      return sessionView(held);
    },
    reset() {
      for (const store of requests.values()) store.clear();
      sessions.clear();
      counters.clear();
      idsAsked.clear();
      validTokens.clear();
      issuedTokens.length = 0;
      authCalls = 0;
      onboardingCalls = 0;
      mostInFlight = 0;
      behaviour = defaults();
      clientSecret = originalSecret;
    },
    close() {
      for (const timer of pendingDelays) clearTimeout(timer);
      pendingDelays.clear();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
