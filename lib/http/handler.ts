import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Secret } from '../config/secrets.ts';
import type { Output, Schema } from '../lifecycle/schemas.ts';
import type { Caller } from '../lifecycle/types.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Authenticate } from './auth.ts';
import { bearerAuth } from './middleware/bearer-auth.ts';
import { correlation } from './middleware/correlation.ts';
import { inputValidation } from './middleware/input-validation.ts';
import { lambdaContext } from './middleware/lambda-context.ts';
import { problemJson } from './middleware/problem-json.ts';
import { requestBody } from './middleware/request-body.ts';
import { stateOf } from './middleware/request-state.ts';
import { secrets } from './middleware/secrets.ts';
import { securityHeaders } from './middleware/security-headers.ts';
import type { DeployedFunction, LazySchema, Route } from './route.ts';

/** What a lazily built schema validates to. */
export type Infer<S> = S extends () => infer Built ? (Built extends Schema ? Output<Built> : undefined) : undefined;

export interface HttpInput<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  /** The verified caller; routes without a bearer token have none. */
  caller: Caller;
  /** The body bytes, on `rawBody` routes only. */
  rawBody: Buffer;
  correlationId: string;
  headers: Record<string, string | undefined>;
  context: Context;
}

export interface Reply {
  status: number;
  /** Sent as JSON; a string here is already JSON text, sent as it is (a document written at build time). */
  body: unknown;
  headers?: Record<string, string>;
}

/** What the stack takes from the composition root (lib/app/app.ts). */
export interface StackParts {
  logger: Logger;
  /** Bearer-token routes only. */
  authenticate?: Authenticate;
  /** The secrets this function reads in this stack's mode. */
  secretsFor(fn: DeployedFunction): readonly Secret[];
}

/**
 * The one HTTP middleware stack; every API function is `http(route, parts, handler)`. The order is the
 * design, the same for every route (each middleware in ./middleware/, with its own test):
 *
 * 1. normalise header names          @middy/http-header-normalizer
 * 2. Lambda context on every log     lambda-context.ts
 * 3. correlation id                  correlation.ts
 * 4. auth (bearer routes)            bearer-auth.ts: 401/403 before anything is read
 * 5. body                            request-body.ts: 413, 415, malformed JSON
 * 6. validation                      input-validation.ts: path, query and body against the route
 * 7. secrets                         secrets.ts: fresh from SSM, only for calls that got this far
 * 8. security headers                security-headers.ts: on answers and problems alike
 * 9. problem+json                    problem-json.ts: registered last, so it sees every error first
 */
export function http<B extends LazySchema | undefined, Q extends LazySchema | undefined, P extends LazySchema | undefined>(
  route: Route<B, Q, P>,
  parts: StackParts,
  handler: (input: HttpInput<Infer<B>, Infer<Q>, Infer<P>>) => Promise<Reply>,
) {
  const { auth, input, operationId } = route.http;
  const stack = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(httpHeaderNormalizer())
    .use(lambdaContext(parts.logger))
    .use(correlation(parts.logger));
  if (auth !== 'none' && auth !== 'signature') {
    if (!parts.authenticate) throw new Error(`route ${operationId} needs a bearer token check`);
    stack.use(bearerAuth(parts.authenticate, auth));
  }
  stack.use(requestBody({ raw: input.rawBody !== undefined })).use(inputValidation(input as Route['http']['input']));
  const needed = parts.secretsFor(route);
  if (needed.length > 0) stack.use(secrets(needed));
  const wrapped = stack
    .use(securityHeaders())
    .use(problemJson(parts.logger))
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
      if (reply.body === undefined) return { statusCode: reply.status, headers: { 'Cache-Control': 'no-store', ...reply.headers } };
      return {
        statusCode: reply.status,
        headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...reply.headers },
        body: typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body),
      };
    });
  // The handler knows the route it serves: tools read it from there (the test client checks each answer
  // against the route's document).
  return Object.assign(wrapped, { route: route as unknown as Route });
}
