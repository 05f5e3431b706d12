import type { ServiceError } from '../lifecycle/errors.ts';
import { UpstreamCircuitOpenError, UpstreamRejectedError, UpstreamTimeoutError, UpstreamUnavailableError } from './errors.ts';
import { isObject } from './snapshot.ts';

/**
 * Client for the Realto platform's Onboarding and Offboarding APIs (docs/platform.md), the foundation of
 * proxy mode.
 *
 * Per call: a bearer token from a shared cache, a timeout per attempt, retries with full-jitter backoff
 * for calls that are safe to repeat, and one circuit breaker so a failing platform is not hammered.
 * Every failure leaves as a ServiceError from ./errors.ts.
 */

/** The platform's Onboarding Request. Only `id` and `status` are checked; the rest is passed on as is. */
export interface RealtoOnboardingRequest {
  id: string;
  status: string;
  [field: string]: unknown;
}

export interface RealtoClientOptions {
  /** Where the platform serves the kinds this client may ask about (each kind's `path`, e.g. `onboarding/entities`). */
  paths: readonly string[];
  baseUrl?: string;
  clientId: string;
  /** A function when the secret may rotate (lib/config/secrets.ts): read at every authentication. */
  clientSecret: string | (() => string);
  /** Called when the platform refuses the credentials, so a cached secret is fetched again. */
  onCredentialsRefused?: () => void;
  timeoutMs?: number;
  retries?: number;
  fetch?: typeof globalThis.fetch;
  now?: () => number;
  /** First backoff step; attempt n waits a random time in [0, backoffBaseMs · 2^n). */
  backoffBaseMs?: number;
  random?: () => number;
}

export interface RealtoClient {
  /** A request of any kind, by where the platform serves the kind (`path`). */
  createRequest(path: string, body: unknown): Promise<RealtoOnboardingRequest>;
  getRequest(path: string, id: string): Promise<RealtoOnboardingRequest>;
  cancelRequest(path: string, id: string): Promise<RealtoOnboardingRequest>;
  /** A read the client has no method for (the guided sessions: ./guided.ts): its body, unchecked. */
  read(path: string): Promise<unknown>;
}

/** A token is replaced this long before the platform says it expires. */
const TOKEN_EXPIRY_MARGIN_MS = 60_000;

/** A timer, not node:timers/promises: that module is one more for every cold start to load. */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const BREAKER_THRESHOLD = 5;
const BREAKER_PAUSE_MS = 10_000;
const MAX_PLATFORM_MESSAGE = 300;
const RETRYABLE_STATUSES = new Set([502, 503, 504]);

interface PlatformAnswer {
  status: number;
  text: string;
}

interface Request {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  token?: string;
  body?: unknown;
  /** Safe to send twice: a repeat cannot create a second resource. */
  repeatable: boolean;
}

export function createRealtoClient(options: RealtoClientOptions): RealtoClient {
  const {
    baseUrl = 'https://platform.realto.io/api',
    clientId,
    clientSecret,
    timeoutMs = 3000,
    retries = 2,
    fetch = globalThis.fetch,
    now = Date.now,
    backoffBaseMs = 100,
    random = Math.random,
    onCredentialsRefused,
  } = options;
  const secret = typeof clientSecret === 'function' ? clientSecret : () => clientSecret;
  const paths = new Set(options.paths);
  /** The platform's path of a kind's requests; a path no kind has is a bug here, never sent. */
  const collection = (path: string) => {
    if (!paths.has(path)) throw new TypeError(`Not a path of any kind: ${String(path)}`);
    return `/v1/${path}`;
  };
  const item = (path: string, id: string) => `${collection(path)}/${encodeURIComponent(id)}`;
  const root = baseUrl.replace(/\/+$/, '');
  const breaker = createBreaker(now);
  let cached: { token: string; refreshAt: number } | undefined;
  let authenticating: Promise<string> | undefined;

  async function send(request: Request): Promise<PlatformAnswer> {
    let lastError: ServiceError | undefined;
    for (let attempt = 0; ; attempt++) {
      if (!breaker.allow()) throw lastError ?? new UpstreamCircuitOpenError(breaker.retryAfterSeconds());
      const outcome = await attemptOnce(request);
      if ('answer' in outcome) {
        breaker.succeeded();
        return outcome.answer;
      }
      breaker.failed();
      lastError = outcome.error;
      if (!outcome.retryable || !request.repeatable || attempt >= retries) throw lastError;
      await sleep(Math.floor(random() * backoffBaseMs * 2 ** attempt));
    }
  }

  async function attemptOnce(request: Request): Promise<{ answer: PlatformAnswer } | { error: ServiceError; retryable: boolean }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (request.token) headers.authorization = `Bearer ${request.token}`;
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    try {
      const response = await fetch(`${root}${request.path}`, {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: AbortSignal.timeout(timeoutMs),
        // Never followed: a redirect would re-send the credentials (and the token) to whatever host it names.
        redirect: 'manual',
      });
      const text = await response.text();
      if (response.status >= 300 && response.status < 400) {
        return {
          error: new UpstreamUnavailableError(`The Realto platform answered with a redirect (status ${response.status}), which is not followed`),
          retryable: false,
        };
      }
      if (response.status >= 500) {
        return {
          error: new UpstreamUnavailableError(`The Realto platform failed with status ${response.status}`),
          retryable: RETRYABLE_STATUSES.has(response.status),
        };
      }
      return { answer: { status: response.status, text } };
    } catch (error) {
      if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
        return {
          error: new UpstreamTimeoutError(`The Realto platform did not answer within ${timeoutMs} ms`, { cause: error }),
          retryable: true,
        };
      }
      return {
        error: new UpstreamUnavailableError('The Realto platform could not be reached', { cause: error }),
        retryable: true,
      };
    }
  }

  function token(): Promise<string> {
    if (cached && now() < cached.refreshAt) return Promise.resolve(cached.token);
    authenticating ??= authenticate().finally(() => {
      authenticating = undefined;
    });
    return authenticating;
  }

  async function authenticate(): Promise<string> {
    // Minting a token changes nothing on the platform, so it may be repeated like a read.
    const answer = await send({
      method: 'POST',
      path: '/v1/authentication',
      body: { clientId, clientSecret: secret() },
      repeatable: true,
    });
    if (answer.status < 200 || answer.status > 299) {
      // Our own credentials are refused: that is our misconfiguration (or a rotation), never the caller's 401.
      if (answer.status === 400 || answer.status === 401 || answer.status === 403) onCredentialsRefused?.();
      throw new UpstreamUnavailableError(`The Realto platform refused the service credentials (status ${answer.status})`);
    }
    const body = parseJson(answer.text);
    if (
      !isObject(body) ||
      typeof body.access_token !== 'string' ||
      body.access_token === '' ||
      typeof body.expires_in !== 'number' ||
      !Number.isFinite(body.expires_in)
    ) {
      throw new UpstreamUnavailableError('The Realto platform answered the authentication with an unexpected body');
    }
    cached = { token: body.access_token, refreshAt: now() + body.expires_in * 1000 - TOKEN_EXPIRY_MARGIN_MS };
    return body.access_token;
  }

  /** Sends with a bearer token; a 401 drops that token and the call is sent once more with a fresh one. */
  async function authorised(request: Omit<Request, 'token'>): Promise<PlatformAnswer> {
    const first = await token();
    const answer = await send({ ...request, token: first });
    if (answer.status !== 401) return answer;
    if (cached?.token === first) cached = undefined;
    const again = await send({ ...request, token: await token() });
    if (again.status === 401) {
      throw new UpstreamUnavailableError('The Realto platform refused a freshly issued token');
    }
    return again;
  }

  async function single(request: Omit<Request, 'token'>): Promise<RealtoOnboardingRequest> {
    const body = expectSuccess(await authorised(request));
    if (!isOnboardingRequest(body)) {
      throw new UpstreamUnavailableError('The Realto platform answered with an unexpected onboarding request');
    }
    return body;
  }

  const client: RealtoClient = {
    createRequest(where, body) {
      return single({ method: 'POST', path: collection(where), body, repeatable: false });
    },
    getRequest(where, id) {
      return single({ method: 'GET', path: item(where, id), repeatable: true });
    },
    cancelRequest(where, id) {
      // Cancelling twice leaves the same state, so the PATCH may be repeated.
      return single({ method: 'PATCH', path: `${item(where, id)}/cancel`, repeatable: true });
    },
    async read(path) {
      return expectSuccess(await authorised({ method: 'GET', path, repeatable: true }));
    },
  };
  return client;
}

function expectSuccess(answer: PlatformAnswer): unknown {
  if (answer.status >= 400 && answer.status <= 499) {
    throw new UpstreamRejectedError(answer.status, platformMessage(answer.text) ?? `The Realto platform refused the request with status ${answer.status}`);
  }
  if (answer.status < 200 || answer.status > 299) {
    throw new UpstreamUnavailableError(`The Realto platform answered with unexpected status ${answer.status}`);
  }
  const body = parseJson(answer.text);
  if (body === undefined) throw new UpstreamUnavailableError('The Realto platform answered with a body that is not JSON');
  return body;
}

/** The platform's own words, only when they are one short line of plain text; anything else stays here. */
function platformMessage(text: string): string | undefined {
  const body = parseJson(text);
  if (!isObject(body)) return undefined;
  for (const field of ['detail', 'message', 'title']) {
    const value = body[field];
    if (typeof value === 'string' && value.trim() !== '' && value.length <= MAX_PLATFORM_MESSAGE && !/[\r\n]/.test(value)) {
      return value;
    }
  }
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isOnboardingRequest(value: unknown): value is RealtoOnboardingRequest {
  return isObject(value) && typeof value.id === 'string' && typeof value.status === 'string';
}

/**
 * Opens after BREAKER_THRESHOLD consecutive failures; while open no call reaches the network. After the
 * pause one trial call is let through: success closes the breaker, failure opens it for another pause.
 */
function createBreaker(now: () => number) {
  let consecutiveFailures = 0;
  let openUntil: number | undefined;
  let trialInFlight = false;

  return {
    allow(): boolean {
      if (openUntil === undefined) return true;
      if (now() < openUntil || trialInFlight) return false;
      trialInFlight = true;
      return true;
    },
    succeeded(): void {
      consecutiveFailures = 0;
      openUntil = undefined;
      trialInFlight = false;
    },
    failed(): void {
      if (trialInFlight) {
        trialInFlight = false;
        openUntil = now() + BREAKER_PAUSE_MS;
        return;
      }
      consecutiveFailures += 1;
      if (consecutiveFailures >= BREAKER_THRESHOLD) {
        consecutiveFailures = 0;
        openUntil = now() + BREAKER_PAUSE_MS;
      }
    },
    retryAfterSeconds(): number {
      return Math.max(1, Math.ceil(((openUntil ?? now()) - now()) / 1000));
    },
  };
}
