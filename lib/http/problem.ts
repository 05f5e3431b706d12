import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  ConflictError,
  type FieldError,
  ForbiddenError,
  GoneError,
  IdempotencyKeyReusedError,
  InvalidTransitionError,
  MethodNotAllowedError,
  NotFoundError,
  NotInThisModeError,
  ServiceError,
  UnauthenticatedError,
  UnavailableError,
  ValidationError,
} from '../lifecycle/errors.ts';
import { UpstreamRejectedError, UpstreamTimeoutError, UpstreamUnavailableError } from '../proxy/errors.ts';
import { InsufficientScopeError, PayloadTooLargeError, UnauthorizedError, UnsupportedMediaTypeError } from './errors.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  correlationId: string;
  errors?: FieldError[];
}

/** How a caller sees an error: its HTTP status, a title, and the headers that go with it. */
export interface Described {
  status: number;
  title: string;
  headers: Record<string, string>;
}

type ErrorClass = abstract new (...args: never[]) => ServiceError;

/**
 * The one mapping from the service's errors to HTTP, most specific first: the API's problem+json and the
 * pages' HTML error pages both read it. Anything not here is a 500 whose detail says nothing.
 */
const STATUSES: ReadonlyArray<[ErrorClass, number, string]> = [
  [ValidationError, 400, 'Request is not valid'],
  [UnauthenticatedError, 401, 'Authentication required'],
  [ForbiddenError, 403, 'Not allowed'],
  [NotFoundError, 404, 'Not found'],
  [MethodNotAllowedError, 405, 'Method not allowed'],
  [InvalidTransitionError, 409, 'Transition not allowed'],
  [ConflictError, 409, 'Conflict'],
  [GoneError, 410, 'Expired'],
  [PayloadTooLargeError, 413, 'Request body too large'],
  [UnsupportedMediaTypeError, 415, 'Unsupported media type'],
  [IdempotencyKeyReusedError, 422, 'Idempotency-Key reused with a different request'],
  [NotInThisModeError, 501, 'Not available in this mode'],
  [UpstreamUnavailableError, 502, 'Realto platform unavailable'],
  [UnavailableError, 503, 'Service temporarily unavailable'],
  [UpstreamTimeoutError, 504, 'Realto platform did not answer in time'],
];

export function describeError(error: unknown): Described | undefined {
  if (error instanceof UpstreamRejectedError) {
    return { status: error.platformStatus, title: 'Request refused by the Realto platform', headers: {} };
  }
  if (error instanceof UnauthorizedError) {
    const challenge = error.bearerError ? `Bearer realm="onboarding", error="${error.bearerError}"` : 'Bearer realm="onboarding"';
    return { status: 401, title: 'Authentication required', headers: { 'WWW-Authenticate': challenge } };
  }
  if (error instanceof InsufficientScopeError) {
    return {
      status: 403,
      title: 'Not allowed',
      headers: { 'WWW-Authenticate': `Bearer realm="onboarding", error="insufficient_scope", scope="${error.scope}"` },
    };
  }
  const known = STATUSES.find(([type]) => error instanceof type);
  if (!known) return undefined;
  const [, status, title] = known;
  return { status, title, headers: headersOf(error) };
}

/** The headers an error's answer carries: when to retry, or the methods the path takes. */
function headersOf(error: unknown): Record<string, string> {
  if (error instanceof UnavailableError) return { 'Retry-After': String(error.retryAfterSeconds) };
  if (error instanceof MethodNotAllowedError) return { Allow: error.allow.join(', ') };
  return {};
}

/**
 * An error as RFC 9457 describes it. A ServiceError says what the caller did wrong and is shown as it is;
 * anything else is a 500 whose detail says nothing about the cause (the log has it).
 */
export function toProblem(error: unknown, correlationId: string): { problem: Problem; headers: Record<string, string> } {
  const described = error instanceof ServiceError ? describeError(error) : undefined;
  if (described && error instanceof ServiceError) {
    return {
      problem: {
        type: `urn:onboarding:problem:${error.code}`,
        title: described.title,
        status: described.status,
        detail: error.message,
        code: error.code,
        correlationId,
        ...(error instanceof ValidationError && error.errors.length > 0 ? { errors: error.errors } : {}),
      },
      headers: described.headers,
    };
  }
  return {
    problem: {
      type: 'urn:onboarding:problem:internal_error',
      title: 'Internal error',
      status: 500,
      detail: 'The request could not be completed. Quote the correlationId if you report this.',
      code: 'internal_error',
      correlationId,
    },
    headers: {},
  };
}

export function problemResponse(error: unknown, correlationId: string): APIGatewayProxyStructuredResultV2 {
  const { problem, headers } = toProblem(error, correlationId);
  return {
    statusCode: problem.status,
    headers: { ...headers, 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store' },
    body: JSON.stringify(problem),
  };
}
