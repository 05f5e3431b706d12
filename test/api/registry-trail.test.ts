import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as webhooks from '../../functions/webhooks/provider-events.ts';
import { auditRequest } from '../../lib/lifecycle/audit.ts';
import { kinds, store } from '../support/app.ts';
import { BODIES, newMessageId } from '../support/fixtures.ts';
import { invoke, signedWebhookEvent, tenant } from '../support/http.ts';
import { allPages, offboardingApi, onboardingApi } from '../support/onboarding-api.ts';

/*
 * A change to the entity registry that one tenant causes and another tenant loses by (a takeover, or an
 * offboarding opened before the entity moved) is in the losing tenant's own trail, so its audit trail is
 * complete without anyone telling it: a record on its onboarding of the entity, its status unchanged,
 * naming nothing of the other tenant.
 */

type Event = 'onboarding.status.updated' | 'offboarding.status.updated';

async function deliver(type: Event, id: string, status: string, extra: Record<string, unknown> = {}) {
  const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data: { id, status, ...extra } });
  return invoke(webhooks.handler, signedWebhookEvent(newMessageId(), body));
}

async function givenTenant() {
  const caller = await tenant();
  return { ...caller, entities: onboardingApi('entities', caller.authorization), offboardings: offboardingApi(caller.authorization) };
}
type Tenant = Awaited<ReturnType<typeof givenTenant>>;

async function onboard(owner: Tenant, entityId: string) {
  const created = await owner.entities.create(BODIES.entities);
  expect(created.status).toBe(201);
  expect((await deliver('onboarding.status.updated', created.body.id, 'Succeeded', { entity: { id: entityId } })).body).toMatchObject({ outcome: 'applied' });
  return created.body.id as string;
}

async function trailOf(owner: Tenant, id: string) {
  return (await allPages((query) => owner.entities.history(id, query))).flatMap((page) => page.body.data);
}

describe("the entity registry in each affected tenant's trail", () => {
  it("given another tenant's onboarding of the same entity succeeds, then the first tenant's onboarding records it, still Succeeded, and its trail verifies", async () => {
    const first = await givenTenant();
    const second = await givenTenant();
    const entityId = randomUUID();
    const firstOnboarding = await onboard(first, entityId);
    const secondOnboarding = await onboard(second, entityId);

    const trail = await trailOf(first, firstOnboarding);
    expect(trail.map((record) => [record.version, record.from, record.to])).toEqual([
      [1, null, 'Pending'],
      [2, 'Pending', 'Succeeded'],
      [3, 'Succeeded', 'Succeeded'],
    ]);
    expect(trail[2]).toMatchObject({ actor: { type: 'system', id: 'entity-registry' }, source: 'webhook' });
    expect(trail[2].reason).toContain(entityId);
    // Nothing of the other tenant: neither its request nor its tenant id.
    expect(JSON.stringify(trail[2])).not.toContain(secondOnboarding);
    expect(JSON.stringify(trail[2])).not.toContain(second.tenantId);

    const shown = await first.entities.get(firstOnboarding);
    expect(shown.body).toMatchObject({ status: 'Succeeded', version: 3 });
    expect(await auditRequest(store, kinds, firstOnboarding)).toEqual([]);
    // The taking tenant's own trail is its usual one.
    expect((await trailOf(second, secondOnboarding)).map((record) => record.to)).toEqual(['Pending', 'Succeeded']);
  });

  it('given the same tenant onboards an entity again, then its first onboarding records nothing', async () => {
    const owner = await givenTenant();
    const entityId = randomUUID();
    const firstOnboarding = await onboard(owner, entityId);
    await onboard(owner, entityId);

    expect((await trailOf(owner, firstOnboarding)).map((record) => record.to)).toEqual(['Pending', 'Succeeded']);
  });

  it("given an offboarding opened before the entity moved succeeds, then the new owner's onboarding records that its entity was offboarded", async () => {
    const first = await givenTenant();
    const second = await givenTenant();
    const entityId = randomUUID();
    await onboard(first, entityId);
    const offboarding = await first.offboardings.create({ entityId });
    expect(offboarding.status).toBe(201);
    const secondOnboarding = await onboard(second, entityId);

    expect((await deliver('offboarding.status.updated', offboarding.body.id, 'Succeeded')).body).toMatchObject({ outcome: 'applied' });

    const trail = await trailOf(second, secondOnboarding);
    expect(trail.map((record) => record.to)).toEqual(['Pending', 'Succeeded', 'Succeeded']);
    expect(trail[2]!.reason).toContain('offboarded');
    expect(JSON.stringify(trail[2])).not.toContain(offboarding.body.id);
    expect(JSON.stringify(trail[2])).not.toContain(first.tenantId);
    expect(await auditRequest(store, kinds, secondOnboarding)).toEqual([]);
  });

  it('given an offboarding opened before the entity moved is canceled, then the new owner records nothing: the entity is still theirs', async () => {
    const first = await givenTenant();
    const second = await givenTenant();
    const entityId = randomUUID();
    await onboard(first, entityId);
    const offboarding = await first.offboardings.create({ entityId });
    const secondOnboarding = await onboard(second, entityId);

    expect((await first.offboardings.cancel(offboarding.body.id)).status).toBe(200);

    expect((await trailOf(second, secondOnboarding)).map((record) => record.to)).toEqual(['Pending', 'Succeeded']);
  });
});
