import { createEndpointBody, deliveryParams, endpointIdParams, pageQuery, updateEndpointBody } from '../../events/schemas.ts';
import { route } from '../../http/route.ts';

/** The webhook endpoints API: where a tenant's events go. Part of the route table of ../function-table.ts. */
const base = '/v1/webhook-endpoints';
const byId = `${base}/{endpointId}`;
const tag = 'Webhook endpoints';

export const WEBHOOK_ENDPOINT_ROUTES = {
  create: route({
    function: 'createWebhookEndpoint',
    handler: 'functions/webhook-endpoints/create.handler',
    // The limit is kept by the write's own count: the create lists nothing.
    access: {
      permissions: ['readRequest', 'writeEvents'],
    },
    http: {
      method: 'POST',
      path: base,
      auth: 'webhooks:write',
      input: { body: createEndpointBody },
      ok: {
        status: 201,
        description: 'Created; the body carries the signing `secret`, shown only here',
        body: 'WebhookEndpointWithSecret',
        headers: ['Location'],
      },
      errors: [400, 401, 403, 409, 413, 415],
      operationId: 'createWebhookEndpoint',
      summary: "Subscribe a URL to your tenant's events (signed, retried for at least 24 h)",
      tag,
    },
  }),
  list: route({
    function: 'listWebhookEndpoints',
    handler: 'functions/webhook-endpoints/list.handler',
    access: {
      permissions: ['queryTenantIndexes'],
      secrets: ['pageTokenSecret'],
    },
    http: {
      method: 'GET',
      path: base,
      auth: 'webhooks:read',
      input: { query: pageQuery },
      ok: { status: 200, description: 'A page, newest first', body: 'WebhookEndpointPage' },
      errors: [400, 401, 403],
      operationId: 'listWebhookEndpoints',
      summary: "List your tenant's webhook endpoints, newest first",
      tag,
    },
  }),
  get: route({
    function: 'getWebhookEndpoint',
    handler: 'functions/webhook-endpoints/get.handler',
    access: {
      permissions: ['readRequest'],
    },
    http: {
      method: 'GET',
      path: byId,
      auth: 'webhooks:read',
      input: { params: endpointIdParams },
      ok: { status: 200, description: 'The endpoint (never its secret)', body: 'WebhookEndpoint' },
      errors: [400, 401, 403, 404],
      operationId: 'getWebhookEndpoint',
      summary: "Get one of your tenant's webhook endpoints",
      tag,
    },
  }),
  update: route({
    function: 'updateWebhookEndpoint',
    handler: 'functions/webhook-endpoints/update.handler',
    access: {
      permissions: ['readRequest', 'writeEvents'],
    },
    http: {
      method: 'PATCH',
      path: byId,
      auth: 'webhooks:write',
      input: { params: endpointIdParams, body: updateEndpointBody },
      ok: { status: 200, description: 'The endpoint as changed', body: 'WebhookEndpoint' },
      errors: [400, 401, 403, 404, 409, 413, 415],
      operationId: 'updateWebhookEndpoint',
      summary: "Change an endpoint's URL, event types or description, or disable or enable it",
      tag,
    },
  }),
  remove: route({
    function: 'deleteWebhookEndpoint',
    handler: 'functions/webhook-endpoints/delete.handler',
    access: {
      permissions: ['readRequest', 'writeEvents'],
    },
    http: {
      method: 'DELETE',
      path: byId,
      auth: 'webhooks:write',
      input: { params: endpointIdParams },
      ok: { status: 204, description: 'Deleted; nothing more is sent to it', body: null },
      errors: [400, 401, 403, 404],
      operationId: 'deleteWebhookEndpoint',
      summary: 'Delete a webhook endpoint',
      tag,
    },
  }),
  rotateSecret: route({
    function: 'rotateWebhookEndpointSecret',
    handler: 'functions/webhook-endpoints/rotate-secret.handler',
    access: {
      permissions: ['readRequest', 'writeEvents'],
    },
    http: {
      method: 'POST',
      path: `${byId}/rotate-secret`,
      auth: 'webhooks:write',
      input: { params: endpointIdParams },
      ok: { status: 200, description: 'The new `secret`, shown only here; the old one keeps signing beside it for 24 h', body: 'WebhookEndpointWithSecret' },
      errors: [400, 401, 403, 404, 409],
      operationId: 'rotateWebhookEndpointSecret',
      summary: 'Issue a new signing secret; both sign every delivery for the next 24 h',
      tag,
    },
  }),
  test: route({
    function: 'testWebhookEndpoint',
    handler: 'functions/webhook-endpoints/test.handler',
    timeout: 20,
    access: {
      permissions: ['readRequest', 'writeEvents'],
    },
    http: {
      method: 'POST',
      path: `${byId}/test`,
      auth: 'webhooks:write',
      input: { params: endpointIdParams },
      ok: { status: 200, description: 'The attempt: the status code the endpoint answered, or why there was none', body: 'DeliveryAttempt' },
      errors: [400, 401, 403, 404, 409],
      operationId: 'testWebhookEndpoint',
      summary: 'Send a `webhook.test` event to the endpoint now',
      tag,
    },
  }),
  deliveries: route({
    function: 'listWebhookDeliveries',
    handler: 'functions/webhook-endpoints/deliveries.handler',
    access: {
      permissions: ['readRequest', 'queryAttempts'],
      secrets: ['pageTokenSecret'],
    },
    http: {
      method: 'GET',
      path: `${byId}/deliveries`,
      auth: 'webhooks:read',
      input: { params: endpointIdParams, query: pageQuery },
      ok: { status: 200, description: 'A page of delivery attempts, newest first', body: 'DeliveryAttemptPage' },
      errors: [400, 401, 403, 404],
      operationId: 'listWebhookDeliveries',
      summary: 'List the delivery attempts to an endpoint: event, attempt, time, status code or error, duration, next attempt',
      tag,
    },
  }),
  retry: route({
    function: 'retryWebhookDelivery',
    handler: 'functions/webhook-endpoints/retry.handler',
    timeout: 20,
    access: {
      permissions: ['readRequest', 'writeEvents'],
    },
    http: {
      method: 'POST',
      path: `${byId}/deliveries/{eventId}/retry`,
      auth: 'webhooks:write',
      input: { params: deliveryParams },
      ok: { status: 200, description: 'The attempt made now: the status code the endpoint answered, or why there was none', body: 'DeliveryAttempt' },
      errors: [400, 401, 403, 404, 409],
      operationId: 'retryWebhookDelivery',
      summary: 'Send one delivery again now, whatever its state',
      tag,
    },
  }),
};
