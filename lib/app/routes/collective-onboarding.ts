import { COLLECTIVE_ONBOARDING } from '../../kinds/collective-onboarding.ts';
import { kindRoutes } from './requests.ts';

/** Collective onboarding's five functions, from its kind (lib/kinds/collective-onboarding.ts). */
export const COLLECTIVE_ONBOARDING_ROUTES = kindRoutes(COLLECTIVE_ONBOARDING, {
  name: 'CollectiveOnboarding',
  handlers: 'functions/collective-onboarding',
  access: {
    // The new request's consent link is signed with the link secret.
    // In proxy mode the platform's answer may be final already: recorded with its checkpoint.
    create: { permissions: ['readRequest', 'writeRequest', 'writeIdempotencyKey'], secrets: ['linkSecret'], platform: { permissions: ['signProofs'] } },
    // A Pending request stored before its consent link was kept shows one signed now. In proxy mode the
    // open requests on a page are asked about on the platform, and what it says is recorded.
    list: {
      permissions: ['queryTenantIndexes'],
      secrets: ['pageTokenSecret', 'linkSecret'],
      platform: { permissions: ['readRequest', 'writeRequest', 'signProofs'] },
    },
    get: { permissions: ['readRequest'], secrets: ['linkSecret'], platform: { permissions: ['writeRequest', 'signProofs'] } },
    cancel: { permissions: ['readRequest', 'writeRequest', 'signProofs'], platform: { permissions: [] } },
    transitions: { permissions: ['readRequest', 'queryTable'], secrets: ['pageTokenSecret'] },
  },
});
