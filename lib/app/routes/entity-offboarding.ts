import { ENTITY_OFFBOARDING } from '../../kinds/entity-offboarding.ts';
import { kindRoutes } from './requests.ts';

/**
 * Entity offboarding's five functions, from its kind (lib/kinds/entity-offboarding.ts). Its create claims
 * the entity and its cancel releases it, in their own transactions; in proxy mode both ask the platform
 * first.
 */
export const ENTITY_OFFBOARDING_ROUTES = kindRoutes(ENTITY_OFFBOARDING, {
  name: 'EntityOffboarding',
  handlers: 'functions/entity-offboarding',
  access: {
    create: { permissions: ['readRequest', 'writeRequest', 'writeIdempotencyKey', 'writeEntityRegistry'], platform: { permissions: ['signProofs'] } },
    list: { permissions: ['queryTenantIndexes'], secrets: ['pageTokenSecret'] },
    get: { permissions: ['readRequest'] },
    cancel: { permissions: ['readRequest', 'writeRequest', 'writeEntityRegistry', 'signProofs'], platform: { permissions: [] } },
    transitions: { permissions: ['readRequest', 'queryTable'], secrets: ['pageTokenSecret'] },
  },
  createErrors: [404],
  summaries: {
    create: 'Create an entity offboarding request for an entity your tenant onboarded (one open at a time)',
    cancel: 'Cancel a Pending entity offboarding request (safe to retry)',
  },
  cancelDescription: 'The request, Canceled (also when it already was: safe to retry); only a Pending one can be canceled',
});
