import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { buildFallbackApp } from '../../lib/app/app.ts';
import { ROUTES } from '../../lib/app/function-table.ts';
import { unmatchedRequests } from '../../lib/app/routes/fallback.ts';
import { correlation } from '../../lib/http/middleware/correlation.ts';
import { htmlErrors } from '../../lib/http/middleware/html-errors.ts';
import { lambdaContext } from '../../lib/http/middleware/lambda-context.ts';
import { pageLanguage } from '../../lib/http/middleware/page-language.ts';
import { problemJson } from '../../lib/http/middleware/problem-json.ts';
import { securityHeaders } from '../../lib/http/middleware/security-headers.ts';

/**
 * API Gateway's `$default` route (lib/app/routes/fallback.ts): every request no route takes. It reads the
 * whole route table, since any path may be asked, and answers from it alone: a 405 with `Allow` for a path
 * the table has with other methods, else a 404. Under the pages' paths the answer is the pages' HTML error
 * page, in the person's language; anywhere else the API's problem+json. Nothing else is read, so nothing
 * can fail but a bug (a 500 that says nothing).
 */
const { logger } = buildFallbackApp();
const unmatched = unmatchedRequests(ROUTES);

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;
const refuse = async (event: Event): Promise<never> => {
  throw unmatched(event.requestContext?.http?.method ?? '', event.rawPath ?? '/').error;
};

/** The API's answer: its stack's front and end (lib/http/handler.ts), with nothing between to read. */
const api = middy<Event, Result>()
  .use(httpHeaderNormalizer())
  .use(lambdaContext(logger))
  .use(correlation(logger))
  .use(securityHeaders())
  .use(problemJson(logger))
  .handler(refuse);

/**
 * A page's answer: the pages' stack (lib/http/html-page.ts) up to the language, then their HTML error
 * pages, which run first on an error (registered last).
 */
const page = middy<Event, Result>()
  .use(httpHeaderNormalizer())
  .use(lambdaContext(logger))
  .use(correlation(logger))
  .use(pageLanguage())
  .use(htmlErrors(logger))
  .handler(refuse);

export const handler = (event: Event, context: Context): Promise<Result> =>
  unmatched(event.requestContext?.http?.method ?? '', event.rawPath ?? '/').page ? page(event, context) : api(event, context);
