import { ServiceError } from '../lifecycle/errors.ts';

/**
 * What a failed call to the Realto platform becomes in our API. The platform's own bodies never leave
 * lib/upstream: a refusal keeps its status and, at most, one short plain-text message.
 */

/** The platform refused the request (a 4xx); the status is passed through. */
export class UpstreamRejectedError extends ServiceError {
  readonly status: number;
  readonly code = 'upstream_rejected';
  readonly title = 'Request refused by the Realto platform';

  constructor(status: number, detail: string) {
    super(detail);
    this.status = status;
  }
}

/** The platform failed (5xx), was unreachable, refused our own credentials or answered something unreadable. */
export class UpstreamUnavailableError extends ServiceError {
  readonly status = 502;
  readonly code = 'upstream_unavailable';
  readonly title = 'Realto platform unavailable';
}

/** The platform did not answer within the client's timeout. */
export class UpstreamTimeoutError extends ServiceError {
  readonly status = 504;
  readonly code = 'upstream_timeout';
  readonly title = 'Realto platform did not answer in time';
}

/** The circuit breaker is open: the call was not sent; the caller may retry after the pause. */
export class UpstreamCircuitOpenError extends ServiceError {
  readonly status = 503;
  readonly code = 'upstream_unavailable';
  readonly title = 'Realto platform temporarily unavailable';
  override readonly headers: Record<string, string>;

  constructor(retryAfterSeconds: number) {
    super('Calls to the Realto platform are paused after repeated failures');
    this.headers = { 'Retry-After': String(retryAfterSeconds) };
  }
}
