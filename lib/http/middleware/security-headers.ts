import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { HttpMiddleware } from './request-state.ts';

/**
 * The headers that matter for a JSON API (OWASP REST Security Cheat Sheet), on answers and problems
 * alike. Not @middy/http-security-headers: most of its twenty headers are for HTML pages.
 */
export const SECURITY_HEADERS = {
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
} as const;

export const securityHeaders = (): HttpMiddleware => {
  const add = (request: { response?: APIGatewayProxyStructuredResultV2 | null }) => {
    if (request.response) request.response.headers = { ...SECURITY_HEADERS, ...request.response.headers };
  };
  return { after: add, onError: add };
};
