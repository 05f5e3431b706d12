import { ForbiddenError, RefusedError, UnauthenticatedError } from '../lifecycle/errors.ts';

/** What only HTTP can get wrong: credentials, the body's size and media type. Mapped in ./problem.ts. */

/** No or bad credentials. `bearerError` is RFC 6750's error code for the challenge, when there is one. */
export class UnauthorizedError extends UnauthenticatedError {
  override readonly name = 'UnauthorizedError';
  readonly code: string;
  readonly bearerError: 'invalid_request' | 'invalid_token' | null;

  constructor(detail: string, bearerError: 'invalid_request' | 'invalid_token' | null = 'invalid_token', code = 'unauthorized') {
    super(detail);
    this.bearerError = bearerError;
    this.code = code;
  }
}

/** A valid token without the scope the route needs. */
export class InsufficientScopeError extends ForbiddenError {
  override readonly name = 'InsufficientScopeError';
  readonly scope: string;

  constructor(scope: string) {
    super(`The token lacks the ${scope} scope.`);
    this.scope = scope;
  }
}

export class PayloadTooLargeError extends RefusedError {
  override readonly name = 'PayloadTooLargeError';
  readonly code = 'payload_too_large';
}

export class UnsupportedMediaTypeError extends RefusedError {
  override readonly name = 'UnsupportedMediaTypeError';
  readonly code = 'unsupported_media_type';
}
