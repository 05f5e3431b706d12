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

/** The public keys that sign consent receipts and checkpoints (docs/consent.md). */
export const SIGNING_KEYS_ROUTE = route({
  function: 'signingKeys',
  handler: 'functions/meta/jwks.handler',
  access: {
    permissions: ['readSigningKeys'],
  },
  http: {
    method: 'GET',
    path: '/.well-known/jwks.json',
    auth: 'none',
    input: {},
    ok: { status: 200, description: 'The key set (RFC 7517): the current key first, then the previous ones', body: 'JsonWebKeySet' },
    errors: [400],
    operationId: 'getSigningKeys',
    summary: 'The public keys of consent receipts and checkpoints',
    tag: 'Consent proofs',
  },
});
