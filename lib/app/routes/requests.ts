import { type Access, route } from '../../http/route.ts';
import type { Kind, ListFilters, RequestView } from '../../lifecycle/kind.ts';
import { idempotencyKey, pageQuery } from '../../lifecycle/schemas.ts';

/** The operations every kind of request has, each its own function (and a consent receipt's for kinds with a consent step). */
export const OPERATIONS = ['create', 'list', 'get', 'cancel', 'transitions'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface KindRoutesOptions {
  /**
   * The kind in PascalCase words, e.g. `EntityOnboarding`: its functions are `create<Name>`,
   * `list<Name>`, `get<Name>`, `cancel<Name>` and `<name>Transitions`, its operations
   * `create<Name>Request` and so on, its tag the same words spaced.
   */
  name: string;
  /** The folder of its handlers under functions/, e.g. `functions/entity-onboarding`. */
  handlers: string;
  /** What each function's role may touch. */
  access: Record<Operation, Access>;
  /** Problem statuses a create may answer besides the usual (an offboarding's unknown entity is a 404). */
  createErrors?: readonly number[];
  /** Words of the document where a kind says more than the usual. */
  summaries?: Partial<Record<Operation, string>>;
  cancelDescription?: string;
}

const IDEMPOTENCY_KEY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  schema: idempotencyKey,
  description: 'The same key with the same body within 24 h returns the first response and creates nothing.',
};

/** A request's whole trail and its proofs are read in one query of its partition; the bundle names the keys. */
const PROOF_READS: Access = { permissions: ['readRequest', 'queryTable', 'readSigningKeys'] };

const words = (pascal: string) => pascal.replace(/(?<=[a-z])(?=[A-Z])/g, ' ');
const article = (noun: string) => (/^[aeiou]/i.test(noun) ? 'an' : 'a');

/**
 * The routes of one kind of request, from its module of lib/kinds/ and how it is deployed: the same five
 * for every kind, under `/v1/<kind path>`. A kind's routes file calls this once.
 */
export function kindRoutes<Input, Query extends ListFilters, View extends RequestView>(kind: Kind<Input, Query, View>, options: KindRoutesOptions) {
  const base = `/v1/${kind.path}`;
  const item = `${base}/{${kind.idParameter}}`;
  const { name, handlers, access } = options;
  const tag = words(name).replace(/ (\w)/g, (_, first: string) => ` ${first.toLowerCase()}`);
  const noun = kind.noun;
  const a = article(noun);
  const summary = (operation: Operation, usual: string) => options.summaries?.[operation] ?? usual;
  const { schemas } = kind;
  const lower = `${name[0]!.toLowerCase()}${name.slice(1)}`;
  const proofs = {
    evidence: route({
      function: `${lower}Evidence`,
      handler: `${handlers}/evidence.handler`,
      access: PROOF_READS,
      http: {
        method: 'GET',
        path: `${item}/evidence`,
        auth: 'onboarding:read',
        input: { params: schemas.params },
        ok: {
          status: 200,
          description: 'The evidence bundle: the request, its whole trail, its receipts and checkpoints, and the keys',
          body: 'EvidenceBundle',
        },
        errors: [400, 401, 403, 404],
        operationId: `get${name}Evidence`,
        summary: `Everything needed to verify ${a} ${noun}'s trail offline`,
        tag,
      },
    }),
    ...(kind.consentSubject
      ? {
          consentReceipt: route({
            function: `${lower}ConsentReceipt`,
            handler: `${handlers}/consent-receipt.handler`,
            access: PROOF_READS,
            http: {
              method: 'GET',
              path: `${item}/consent-receipt`,
              auth: 'onboarding:read',
              input: { params: schemas.params },
              ok: { status: 200, description: "The end user's latest decision, signed (compact JWS)", body: 'CompactJws', mediaType: 'application/jose' },
              errors: [400, 401, 403, 404],
              operationId: `get${name}ConsentReceipt`,
              summary: `The consent receipt of ${a} ${noun} (404 until the end user decides)`,
              tag,
            },
          }),
        }
      : {}),
  };
  return {
    create: route({
      function: `create${name}`,
      handler: `${handlers}/create.handler`,
      access: access.create,
      http: {
        method: 'POST',
        path: base,
        auth: 'onboarding:write',
        input: { body: schemas.create, headers: [IDEMPOTENCY_KEY_HEADER] },
        ok: {
          status: 201,
          description: 'Created; `Location` names the new request, `ETag` its version',
          body: schemas.viewName,
          headers: ['Location', 'ETag', 'Idempotent-Replayed'],
        },
        errors: [...new Set([400, 401, 403, 409, 413, 415, 422, ...(options.createErrors ?? [])])].sort(),
        operationId: `create${name}Request`,
        summary: summary('create', `Create ${a} ${noun}`),
        tag,
      },
    }),
    list: route({
      function: `list${name}`,
      handler: `${handlers}/list.handler`,
      access: access.list,
      http: {
        method: 'GET',
        path: base,
        auth: 'onboarding:read',
        input: { query: schemas.list },
        ok: { status: 200, description: 'A page, newest first', body: `${schemas.viewName}Page` },
        errors: [400, 401, 403],
        operationId: `list${name}Requests`,
        summary: summary('list', `List your tenant's ${noun}s, newest first`),
        tag,
      },
    }),
    get: route({
      function: `get${name}`,
      handler: `${handlers}/get.handler`,
      access: access.get,
      http: {
        method: 'GET',
        path: item,
        auth: 'onboarding:read',
        input: { params: schemas.params },
        ok: { status: 200, description: 'The request; `ETag` its version', body: schemas.viewName, headers: ['ETag'] },
        errors: [400, 401, 403, 404],
        operationId: `get${name}Request`,
        summary: summary('get', `Retrieve ${a} ${noun}`),
        tag,
      },
    }),
    cancel: route({
      function: `cancel${name}`,
      handler: `${handlers}/cancel.handler`,
      access: access.cancel,
      http: {
        method: 'PATCH',
        path: `${item}/cancel`,
        auth: 'onboarding:write',
        input: { params: schemas.params },
        ok: {
          status: 200,
          description: options.cancelDescription ?? 'The request, Canceled (also when it already was: safe to retry)',
          body: schemas.viewName,
          headers: ['ETag'],
        },
        errors: [400, 401, 403, 404, 409],
        operationId: `cancel${name}Request`,
        summary: summary('cancel', `Cancel ${a} ${noun} (safe to retry)`),
        tag,
      },
    }),
    transitions: route({
      function: `${lower}Transitions`,
      handler: `${handlers}/transitions.handler`,
      access: access.transitions,
      http: {
        method: 'GET',
        path: `${item}/transitions`,
        auth: 'onboarding:read',
        input: { params: schemas.params, query: pageQuery },
        ok: { status: 200, description: 'A page of the audit trail, oldest first', body: 'TransitionPage' },
        errors: [400, 401, 403, 404],
        operationId: `list${name}Transitions`,
        summary: summary('transitions', `The audit trail of ${a} ${noun}, oldest first`),
        tag,
      },
    }),
    ...proofs,
  };
}

export type KindRoutes = ReturnType<typeof kindRoutes>;
