import type { AnyKind } from '../lifecycle/kind.ts';
import { COLLECTIVE_ONBOARDING } from './collective-onboarding.ts';
import { ENTITY_OFFBOARDING } from './entity-offboarding.ts';
import { ENTITY_ONBOARDING } from './entity-onboarding.ts';

/**
 * Every kind of request, in the order the API document lists them. Read only by what must know them all:
 * the OpenAPI document, the events' types, the platform client's paths, and the functions that handle
 * any request (the provider webhook, the cleanup, the events' publisher, the audit). A function that
 * serves one kind imports that kind's module, not this list, so its bundle carries no other.
 */
export const ALL_KINDS: readonly AnyKind[] = [COLLECTIVE_ONBOARDING, ENTITY_ONBOARDING, ENTITY_OFFBOARDING];

/** The kinds whose requests an end user approves on this service's consent page. */
export const CONSENT_KINDS: readonly AnyKind[] = ALL_KINDS.filter((kind) => kind.consentSubject !== undefined);

/** Each event type a provider may send and an integrator may subscribe to, once. */
export const eventTypesOf = (kinds: readonly AnyKind[]) => [...new Set(kinds.map((kind) => kind.event))];

/** Where the platform serves each kind (proxy mode's client refuses any other path). */
export const platformPathsOf = (kinds: readonly AnyKind[]) => kinds.map((kind) => kind.path);
