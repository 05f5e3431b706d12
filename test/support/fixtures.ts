import type { ConsentLinks } from '../../lib/lifecycle/types.ts';

/**
 * The fixtures every test shares: the local table, the secrets of the test environment (./env.ts sets
 * them), and the requests and consent links tests build on.
 */
export const TEST_TABLE = 'onboarding-test';
export const TEST_JWT_SECRET = 'test-secret-for-hs256-at-least-32-bytes-long';

/** A valid create body of each request type. */
export const BODIES = {
  collectives: { name: 'Home', type: 'Household' },
  entities: { type: 'Battery', manufacturer: 'Tesla' },
} as const;
export type CollectionPath = keyof typeof BODIES;


/** Consent links as the local composition root makes them, for services a test builds itself. */
export const consentLinks = (redirectBase = 'https://consent.example/', documentationLink = 'https://docs.example/onboarding') =>
  (request: { id: string }): ConsentLinks => ({ redirectLink: `${redirectBase}${request.id}`, documentationLink });
