import { ENTITY_ONBOARDING } from '../../kinds/entity-onboarding.ts';
import { kindRoutes } from './requests.ts';

/**
 * Entity onboarding's five functions, from its kind (lib/kinds/entity-onboarding.ts). In proxy mode each
 * records what it observes on the platform, and an entity's success registers the entity.
 */
export const ENTITY_ONBOARDING_ROUTES = kindRoutes(ENTITY_ONBOARDING, {
  name: 'EntityOnboarding',
  handlers: 'functions/entity-onboarding',
  access: {
    // The new request's consent link is signed with the link secret.
    create: {
      permissions: ['readRequest', 'writeRequest', 'writeIdempotencyKey'],
      secrets: ['linkSecret'],
      // In proxy mode the platform's answer may be final already: the entity registered, with its checkpoint.
      platform: { permissions: ['writeEntityRegistry', 'signProofs'] },
    },
    list: {
      permissions: ['queryTenantIndexes'],
      secrets: ['pageTokenSecret', 'linkSecret'],
      platform: { permissions: ['readRequest', 'writeRequest', 'writeEntityRegistry', 'signProofs'] },
    },
    get: { permissions: ['readRequest'], secrets: ['linkSecret'], platform: { permissions: ['writeRequest', 'writeEntityRegistry', 'signProofs'] } },
    cancel: { permissions: ['readRequest', 'writeRequest', 'signProofs'], platform: { permissions: ['writeEntityRegistry'] } },
    transitions: { permissions: ['readRequest', 'queryTable'], secrets: ['pageTokenSecret'] },
  },
});
