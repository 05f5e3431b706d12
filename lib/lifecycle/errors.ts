/**
 * The errors the service can answer with. Each carries a stable `code` that clients can branch on;
 * lib/http/problem.ts is the one place that turns them into RFC 9457 responses.
 */
export interface FieldError {
  path: string;
  message: string;
}

export abstract class ServiceError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  abstract readonly title: string;
  readonly headers: Record<string, string> = {};

  constructor(detail: string, options?: ErrorOptions) {
    super(detail, options);
    this.name = new.target.name;
  }
}

export class ValidationError extends ServiceError {
  readonly status = 400;
  readonly code: string;
  readonly title = 'Request is not valid';
  readonly errors: FieldError[];

  constructor(detail: string, errors: FieldError[] = [], code = 'validation_failed') {
    super(detail);
    this.errors = errors;
    this.code = code;
  }
}

export class UnauthorizedError extends ServiceError {
  readonly status = 401;
  readonly code = 'unauthorized';
  readonly title = 'Authentication required';
  override readonly headers: Record<string, string>;

  constructor(detail: string, bearerError: 'invalid_request' | 'invalid_token' | null = 'invalid_token') {
    super(detail);
    this.headers = {
      'WWW-Authenticate': bearerError
        ? `Bearer realm="onboarding", error="${bearerError}"`
        : 'Bearer realm="onboarding"',
    };
  }
}

export class ForbiddenError extends ServiceError {
  readonly status = 403;
  readonly code = 'forbidden';
  readonly title = 'Not allowed';
}

export class NotFoundError extends ServiceError {
  readonly status = 404;
  readonly code = 'not_found';
  readonly title = 'Not found';
}

export class InvalidTransitionError extends ServiceError {
  readonly status = 409;
  readonly code = 'invalid_transition';
  readonly title = 'Transition not allowed';
}

/** What this stack does not do in its mode (guided sessions are created in the platform's own UI in proxy mode). */
export class NotImplementedError extends ServiceError {
  readonly status = 501;
  readonly code: string;
  readonly title = 'Not available in this mode';

  constructor(detail: string, code = 'local_mode_only') {
    super(detail);
    this.code = code;
  }
}

/** What a link or session was for has expired: nothing can be done through it any more. */
export class GoneError extends ServiceError {
  readonly status = 410;
  readonly code = 'expired';
  readonly title = 'Expired';
}

export class ConflictError extends ServiceError {
  readonly status = 409;
  readonly code: string;
  readonly title = 'Conflict';

  constructor(detail: string, code = 'conflict') {
    super(detail);
    this.code = code;
  }
}

export class PayloadTooLargeError extends ServiceError {
  readonly status = 413;
  readonly code = 'payload_too_large';
  readonly title = 'Request body too large';
}

export class UnsupportedMediaTypeError extends ServiceError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
  readonly title = 'Unsupported media type';
}

export class IdempotencyKeyReusedError extends ServiceError {
  readonly status = 422;
  readonly code = 'idempotency_key_reused';
  readonly title = 'Idempotency-Key reused with a different request';
}

/** A dependency (the database) is unavailable or throttling; the caller may retry after a pause. */
export class ServiceUnavailableError extends ServiceError {
  readonly status = 503;
  readonly code = 'service_unavailable';
  readonly title = 'Service temporarily unavailable';
  override readonly headers: Record<string, string>;

  constructor(detail: string, retryAfterSeconds = 1, options?: ErrorOptions) {
    super(detail, options);
    this.headers = { 'Retry-After': String(retryAfterSeconds) };
  }
}
