import { route } from '../../http/route.ts';

/** The API's own document, part of the route table of ../function-table.ts. */
export const OPENAPI_ROUTE = route({
  function: 'openapi',
  handler: 'functions/meta/openapi.handler',
  access: {
    permissions: [],
  },
  http: {
    method: 'GET',
    path: '/v1/openapi.json',
    auth: 'none',
    input: {},
    ok: { status: 200, description: 'This document (OpenAPI 3.1)', body: 'OpenApiDocument' },
    errors: [400],
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    tag: 'Meta',
  },
});
