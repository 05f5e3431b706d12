import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ServiceError, type FieldError } from '../lifecycle/errors.ts';

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

/**
 * The one mapping from errors to RFC 9457 responses. A ServiceError says what the caller did wrong and
 * is shown as it is; anything else is a 500 whose detail says nothing about the cause (the log has it).
 */
export function toProblem(error: unknown, correlationId: string): { problem: Problem; headers: Record<string, string> } {
  if (error instanceof ServiceError) {
    return {
      problem: {
        type: `urn:onboarding:problem:${error.code}`,
        title: error.title,
        status: error.status,
        detail: error.message,
        code: error.code,
        correlationId,
        ...('errors' in error && Array.isArray(error.errors) && error.errors.length > 0 ? { errors: error.errors as FieldError[] } : {}),
      },
      headers: error.headers,
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
