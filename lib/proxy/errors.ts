import { RefusedError, ServiceError, UnavailableError } from '../lifecycle/errors.ts';

/**
 * What a failed call to the Realto platform becomes in our API. The platform's own bodies never leave
 * lib/proxy: a refusal keeps its status and, at most, one short plain-text message.
 */

/** The platform refused the request (a 4xx); its status is passed through to the caller. */
export class UpstreamRejectedError extends RefusedError {
  override readonly name = 'UpstreamRejectedError';
  readonly code = 'upstream_rejected';
  readonly platformStatus: number;

  constructor(platformStatus: number, detail: string) {
    super(detail);
    this.platformStatus = platformStatus;
  }
}

/** The platform failed (5xx), was unreachable, refused our own credentials or answered something unreadable. */
export class UpstreamUnavailableError extends ServiceError {
  override readonly name = 'UpstreamUnavailableError';
  readonly code = 'upstream_unavailable';
}

/** The platform did not answer within the client's timeout. */
export class UpstreamTimeoutError extends ServiceError {
  override readonly name = 'UpstreamTimeoutError';
  readonly code = 'upstream_timeout';
}

/** The circuit breaker is open: the call was not sent; the caller may retry after the pause. */
export class UpstreamCircuitOpenError extends UnavailableError {
  override readonly name = 'UpstreamCircuitOpenError';
  override readonly code = 'upstream_unavailable';

  constructor(retryAfterSeconds: number) {
    super('Calls to the Realto platform are paused after repeated failures', retryAfterSeconds);
  }
}

/** The platform failed, timed out, rate-limits us, or calls to it are paused (our own bugs are none of these). */
export function isUpstreamUnavailable(error: unknown): boolean {
  return (
    error instanceof UpstreamUnavailableError ||
    error instanceof UpstreamTimeoutError ||
    error instanceof UpstreamCircuitOpenError ||
    (error instanceof UpstreamRejectedError && error.platformStatus === 429)
  );
}
