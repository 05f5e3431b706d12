/**
 * The errors the service can answer with: a small hierarchy, each with a stable `code` that clients can
 * branch on. The domain says what went wrong; lib/http/problem.ts is the one place that says what a caller
 * sees of it (an RFC 9457 problem, its status and headers), and lib/pages its HTML page.
 */
export interface FieldError {
  path: string;
  message: string;
}

/** Each class names itself in a literal: the bundles are minified, class names too (serverless.yml). */
export abstract class ServiceError extends Error {
  abstract readonly code: string;
}

/** The caller asked for something that cannot be done as asked; nothing changed, and asking again will not help. */
export abstract class RefusedError extends ServiceError {}

export class ValidationError extends RefusedError {
  override readonly name = 'ValidationError';
  readonly code: string;
  readonly errors: FieldError[];

  constructor(detail: string, errors: FieldError[] = [], code = 'validation_failed') {
    super(detail);
    this.errors = errors;
    this.code = code;
  }
}

/** The caller could not be told apart from anyone: no credentials, or ones that do not verify. */
export abstract class UnauthenticatedError extends RefusedError {}

/** The caller is known but may not do this (a scope it lacks, another tenant's id in the body). */
export class ForbiddenError extends RefusedError {
  override readonly name: string = 'ForbiddenError';
  readonly code = 'forbidden';
}

/** No such thing for this caller: another tenant's is indistinguishable from a missing one. */
export class NotFoundError extends RefusedError {
  override readonly name = 'NotFoundError';
  readonly code = 'not_found';
}

/**
 * The path exists, but not with this method. `allow` lists the methods it has, in the order GET, POST,
 * PUT, PATCH, DELETE (sent as the `Allow` header).
 */
export class MethodNotAllowedError extends RefusedError {
  override readonly name = 'MethodNotAllowedError';
  readonly code = 'method_not_allowed';
  readonly allow: readonly string[];

  constructor(detail: string, allow: readonly string[]) {
    super(detail);
    this.allow = allow;
  }
}

export class InvalidTransitionError extends RefusedError {
  override readonly name = 'InvalidTransitionError';
  readonly code = 'invalid_transition';
}

/** Not now: somebody else holds or is changing it (some codes say retry). */
export class ConflictError extends RefusedError {
  override readonly name = 'ConflictError';
  readonly code: string;

  constructor(detail: string, code = 'conflict') {
    super(detail);
    this.code = code;
  }
}

/** What a link or session was for has expired: nothing can be done through it any more. */
export class GoneError extends RefusedError {
  override readonly name = 'GoneError';
  readonly code = 'expired';
}

export class IdempotencyKeyReusedError extends RefusedError {
  override readonly name = 'IdempotencyKeyReusedError';
  readonly code = 'idempotency_key_reused';
}

/** What this stack does not do in its mode (guided sessions are created in the platform's own UI in proxy mode). */
export class NotInThisModeError extends ServiceError {
  override readonly name = 'NotInThisModeError';
  readonly code: string;

  constructor(detail: string, code = 'local_mode_only') {
    super(detail);
    this.code = code;
  }
}

/** Something the service depends on is unavailable or throttling (the database, a secret); retry after a pause. */
export class UnavailableError extends ServiceError {
  override readonly name: string = 'UnavailableError';
  readonly code: string = 'service_unavailable';
  readonly retryAfterSeconds: number;

  constructor(detail: string, retryAfterSeconds = 1, options?: ErrorOptions) {
    super(detail, options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
