import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type HtmlReply, htmlResponse } from '../pages/html.ts';
import type { Language } from '../pages/texts/index.ts';
import type { Infer, StackParts } from './handler.ts';
import { correlation } from './middleware/correlation.ts';
import { formBody } from './middleware/form-body.ts';
import { htmlErrors } from './middleware/html-errors.ts';
import { lambdaContext } from './middleware/lambda-context.ts';
import { pageInput } from './middleware/page-input.ts';
import { pageLanguage } from './middleware/page-language.ts';
import { stateOf } from './middleware/request-state.ts';
import { secrets } from './middleware/secrets.ts';
import type { LazySchema, Route } from './route.ts';

export interface HtmlPageInput<B, P> {
  params: P;
  /** The validated form fields (POST routes). */
  form: B;
  correlationId: string;
  /** Who sent it, as API Gateway saw them: the evidence of an end user's decision. */
  client: { userAgent: string | null; address: string | undefined };
  /** The language the page is shown in (./middleware/page-language.ts). */
  language: Language;
  /** `?lang=<language>` when the person chose it, for the page they are sent back to; else empty. */
  languageQuery: string;
}

/**
 * The stack of the end user's pages, in its declared order, beside the API's
 * (./handler.ts): header names, Lambda context, correlation id, the household's language, then the form (POST), the link in the
 * path (a malformed one is a 404, like an unknown one), the form's fields (400), secrets, and last the
 * HTML error pages. No bearer token: the signed link is the credential, checked by the page itself.
 */
export function htmlPage<B extends LazySchema | undefined, Q extends LazySchema | undefined, P extends LazySchema | undefined>(
  route: Route<B, Q, P>,
  parts: StackParts,
  handler: (input: HtmlPageInput<Infer<B>, Infer<P>>) => Promise<HtmlReply>,
) {
  const stack = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(httpHeaderNormalizer())
    .use(lambdaContext(parts.logger))
    .use(correlation(parts.logger))
    .use(pageLanguage());
  if (route.http.method === 'POST') stack.use(formBody());
  stack.use(pageInput(route.http.input as Route['http']['input']));
  const needed = parts.secretsFor(route);
  if (needed.length > 0) stack.use(secrets(needed));
  const wrapped = stack.use(htmlErrors(parts.logger)).handler(async (event): Promise<APIGatewayProxyStructuredResultV2> => {
    const state = stateOf(event);
    const seen = event.requestContext?.http;
    const reply = await handler({
      params: state.params as Infer<P>,
      form: state.body as Infer<B>,
      correlationId: state.correlationId,
      client: { userAgent: seen?.userAgent ? seen.userAgent.slice(0, 512) : null, address: seen?.sourceIp },
      language: state.language ?? 'en',
      languageQuery: state.languageAsked ? `?lang=${state.language}` : '',
    });
    if ('redirect' in reply) {
      return { statusCode: 303, headers: { Location: reply.redirect, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' }, body: '' };
    }
    if ('download' in reply) {
      const { body, contentType, filename } = reply.download;
      return {
        statusCode: 200,
        headers: {
          'Content-Type': contentType,
          'Content-Disposition': `attachment; filename="${filename}"`,
          'Cache-Control': 'no-store',
          'Referrer-Policy': 'no-referrer',
          'X-Content-Type-Options': 'nosniff',
        },
        body,
      };
    }
    return htmlResponse(reply, state.language);
  });
  return Object.assign(wrapped, { route: route as unknown as Route });
}
