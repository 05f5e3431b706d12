import type { DeployedFunction, Route } from '../../http/route.ts';
import { MethodNotAllowedError, NotFoundError } from '../../lifecycle/errors.ts';

/**
 * API Gateway's catch-all (`$default`): any method, any path no route of the table matches. Not a route of
 * the API, so declared apart from the route table (../function-table.ts `ROUTES`) and not in the OpenAPI
 * document; serverless.yml gives it the `$default` route (resources/functions.cjs) and the local gateway
 * hands it every request no route matches (scripts/local/gateway.ts), as API Gateway does.
 */
export interface FallbackFunction extends DeployedFunction {
  http: { routeKey: '$default' };
}

/** What the API and the pages answer for a path or method they do not have. It touches nothing. */
export const FALLBACK_ROUTE: FallbackFunction = {
  function: 'fallback',
  handler: 'functions/meta/fallback.handler',
  timeout: 3,
  access: {
    permissions: [],
  },
  http: { routeKey: '$default' },
};

/** The order of the methods in an `Allow` header, whatever the table's order. */
const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * A route's path as API Gateway matches it: each `{name}` one whole segment, not empty; everything else as
 * it is written, case and all. `names` are the path parameters, in order.
 */
export function pathTemplate(path: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{(\w+)\\?\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { pattern: new RegExp(`^${source}$`), names };
}

/** Why a request no route takes is refused: on a page's path, as an HTML page; elsewhere as problem+json. */
export interface Unmatched {
  /** Under one of the pages' paths (`/consent`, `/guided`): a person's browser, answered in HTML. */
  page: boolean;
  /** 405 with the methods the path has, or 404. */
  error: MethodNotAllowedError | NotFoundError;
}

/**
 * What the fallback answers, from the route table: a path some route has with other methods is a 405 that
 * lists them; any other path a 404. The path is matched as sent (`rawPath`, still percent-encoded), never
 * decoded or normalised, so no path can fail to match. A path whose first segment is a page's (the HTML
 * routes', `consent` and `guided`) is answered as a page.
 */
export function unmatchedRequests(routes: readonly Route[]) {
  const templates = routes.map((route) => ({ route, pattern: pathTemplate(route.http.path).pattern }));
  const firstSegment = (path: string) => path.split('/')[1] ?? '';
  const pageSegments = new Set(routes.filter((route) => route.http.html).map((route) => firstSegment(route.http.path)));
  return (method: string, path: string): Unmatched => {
    const page = pageSegments.has(firstSegment(path));
    const methods = new Set(templates.filter(({ pattern }) => pattern.test(path)).map(({ route }) => route.http.method as string));
    // A route with this very method would have taken the request: not served here, so not a 405 either.
    if (methods.size === 0 || methods.has(method)) {
      return { page, error: new NotFoundError(page ? 'No such page.' : 'This API has no such path; its routes are described at /v1/openapi.json.') };
    }
    const allow = METHOD_ORDER.filter((known) => methods.has(known));
    return { page, error: new MethodNotAllowedError(`This path does not take this method: it takes ${allow.join(', ')}.`, allow) };
  };
}
