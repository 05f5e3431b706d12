import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { logger } from '../context.ts';
import { ServiceError, ValidationError } from '../onboarding/errors.ts';
import type { Caller } from '../onboarding/types.ts';
import { parseJsonBody, readRawBody } from './body.ts';
import { problemResponse } from './problem.ts';
import { noQuery } from '../onboarding/schemas.ts';
import { validate } from './validation.ts';

type Schema = z.core.$ZodType;
type Infer<S> = S extends Schema ? z.infer<S> : undefined;

export interface HttpOptions<B extends Schema | undefined, Q extends Schema | undefined, P extends Schema | undefined> {
  /**
   * `bearer(scope)` from ./bearer.ts for the API; null for public routes (the OpenAPI document, signed
   * webhooks). Passed in rather than imported here, so functions without tokens do not bundle jose.
   */
  auth: HttpMiddleware | null;
  body?: B;
  query?: Q;
  params?: P;
  /** Hand the body over as bytes, unparsed (signed webhooks verify the exact bytes first). */
  rawBody?: boolean;
  /**
   * Fetches the secrets the call needs (lib/ssm-secret.ts; proxy mode's platform credentials). Runs after
   * auth and validation, so a refused call never costs a fetch.
   */
  secrets?: MiddlewareObj | undefined;
}

export interface HttpInput<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  caller: Caller;
  /** The body bytes, with `rawBody: true` only. */
  rawBody: Buffer;
  correlationId: string;
  headers: Record<string, string | undefined>;
  context: Context;
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface RequestState {
  correlationId: string;
  caller?: Caller;
  body?: unknown;
  rawBody?: Buffer;
  query?: unknown;
  params?: unknown;
}

export type HttpMiddleware = MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;

const states = new WeakMap<APIGatewayProxyEventV2, RequestState>();
const CORRELATION_ID = /^[\w.:-]{1,128}$/;

export function stateOf(event: APIGatewayProxyEventV2): RequestState {
  const state = states.get(event);
  if (!state) throw new Error('middleware did not run: correlation state missing');
  return state;
}

/**
 * Takes the caller's X-Correlation-Id when it is well-formed, else the invocation's request id (unique in
 * AWS and offline alike, where API Gateway's requestId is a constant); echoes it back.
 */
const correlation = (): HttpMiddleware => ({
  before: (request) => {
    const given = request.event.headers?.['x-correlation-id'];
    const correlationId = given && CORRELATION_ID.test(given) ? given : (request.context.awsRequestId || randomUUID());
    states.set(request.event, { correlationId });
    logger.setCorrelationId(correlationId);
  },
  after: (request) => {
    request.response = { ...request.response, headers: { ...request.response?.headers, 'X-Correlation-Id': stateOf(request.event).correlationId } };
  },
});

/** Parses and validates path, query and body; a route without a body schema refuses any body. */
const input = (schemas: { body?: Schema; query?: Schema; params?: Schema; rawBody?: boolean }): HttpMiddleware => ({
  before: (request) => {
    const { event } = request;
    const state = stateOf(event);
    if (schemas.params) state.params = validate(schemas.params, event.pathParameters ?? {}, 'path');
    state.query = validate(schemas.query ?? noQuery, event.queryStringParameters ?? {}, 'query');
    if (schemas.rawBody) {
      state.rawBody = readRawBody(event);
      return;
    }
    const body = parseJsonBody({ body: event.body, isBase64Encoded: event.isBase64Encoded, contentType: event.headers?.['content-type'] });
    if (schemas.body) {
      if (body === undefined) throw new ValidationError('A JSON body is required.', [{ path: '', message: 'is required' }]);
      state.body = validate(schemas.body, body, 'body');
    } else if (body !== undefined) {
      throw new ValidationError('This operation takes no body.', [{ path: '', message: 'must be empty' }]);
    }
  },
});


/**
 * The headers that matter for a JSON API (OWASP REST Security Cheat Sheet). @middy/http-security-headers
 * sets twenty, mostly for HTML pages, for 5 KB in every bundle.
 */
const SECURITY_HEADERS = {
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
};

const securityHeaders = (): HttpMiddleware => {
  const add = (request: { response?: APIGatewayProxyStructuredResultV2 | null }) => {
    if (request.response) request.response.headers = { ...SECURITY_HEADERS, ...request.response.headers };
  };
  return { after: add, onError: add };
};

/** Registered last so it runs first on error: every failure leaves as problem+json, security headers still added. */
const problems = (): HttpMiddleware => ({
  onError: (request) => {
    const correlationId = states.get(request.event)?.correlationId ?? (request.context.awsRequestId || randomUUID());
    const { error } = request;
    if (error instanceof ServiceError && error.status < 500) {
      logger.info('request refused', { status: error.status, code: error.code });
    } else {
      logger.error('request failed', { error: error as Error });
    }
    request.response = { ...problemResponse(error, correlationId) };
    request.response.headers = { ...request.response.headers, 'X-Correlation-Id': correlationId };
  },
});

/**
 * The one HTTP middleware stack; every API function is `http(fn, options)`. The order is the design:
 * normalise headers → correlation id + logger → auth → body and validation → secrets → security headers →
 * problems.
 */
export function http<B extends Schema | undefined = undefined, Q extends Schema | undefined = undefined, P extends Schema | undefined = undefined>(
  handler: (input: HttpInput<Infer<B>, Infer<Q>, Infer<P>>) => Promise<Reply>,
  options: HttpOptions<B, Q, P>,
) {
  const stack = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(httpHeaderNormalizer())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(correlation());
  if (options.auth) stack.use(options.auth);
  stack.use(input(options));
  if (options.secrets) stack.use(options.secrets);
  return stack
    .use(securityHeaders())
    .use(problems())
    .handler(async (event, context) => {
      const state = stateOf(event);
      const reply = await handler({
        body: state.body as Infer<B>,
        query: state.query as Infer<Q>,
        params: state.params as Infer<P>,
        caller: state.caller as Caller,
        rawBody: state.rawBody ?? Buffer.alloc(0),
        correlationId: state.correlationId,
        headers: event.headers ?? {},
        context,
      });
      return {
        statusCode: reply.status,
        headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...reply.headers },
        body: JSON.stringify(reply.body),
      };
    });
}

/** A header validated like any other input; absent is undefined, malformed is a 400 naming it. */
export function optionalHeader<S extends Schema>(headers: Record<string, string | undefined>, name: string, schema: S): z.infer<S> | undefined {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return undefined;
  const result = (schema as unknown as z.ZodMiniType).safeParse(value);
  if (!result.success) {
    throw new ValidationError(`The ${name} header is not valid.`, [{ path: `/headers/${name}`, message: 'must be 1 to 255 visible ASCII characters' }]);
  }
  return result.data as z.infer<S>;
}
