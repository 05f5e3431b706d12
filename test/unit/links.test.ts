import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GoneError, NotFoundError } from '../../lib/lifecycle/errors.ts';
import { createLinks } from '../../lib/pages/links.ts';

/**
 * The end user's links across a rotation of LINK_SECRET: the new value first, the old one
 * after it, as WEBHOOK_SECRETS rotates. Links and open pages handed out before keep working until the old
 * value is removed; then they are as unknown as a forged link.
 */
const subject = () => ({ id: randomUUID(), tenantId: randomUUID(), expiresAt: new Date(Date.now() + 3_600_000) });

describe('end-user links across a rotation of their secret', () => {
  it('given a link signed before the rotation, then it opens while the old value is kept, and is a 404 once it is removed', () => {
    const link = subject();
    const token = createLinks(() => 'old-secret').sign('consent', link);

    expect(createLinks(() => 'new-secret,old-secret').verify('consent', token, link.tenantId)).toEqual({
      id: link.id,
      expiresAt: new Date(Math.floor(link.expiresAt.getTime() / 1000) * 1000),
    });
    expect(() => createLinks(() => 'new-secret').verify('consent', token, link.tenantId)).toThrow(NotFoundError);
  });

  it('given a page rendered before the rotation, then its form is accepted while the old value is kept', () => {
    const token = createLinks(() => 'old-secret').sign('guided', subject());
    const rendered = createLinks(() => 'old-secret').formValue(token);

    expect(createLinks(() => 'new-secret, old-secret').acceptsForm(token, rendered)).toBe(true);
    expect(createLinks(() => 'new-secret').acceptsForm(token, rendered)).toBe(false);
  });

  it('given both values, then new links are signed with the first: they open once the old value is removed', () => {
    const link = subject();
    const token = createLinks(() => 'new-secret,old-secret').sign('consent', link);

    expect(createLinks(() => 'new-secret').verify('consent', token, link.tenantId).id).toBe(link.id);
    expect(() => createLinks(() => 'old-secret').verify('consent', token, link.tenantId)).toThrow(NotFoundError);
  });

  it('given a link of another kind or tenant, or past its expiry, then 404, 404 and 410 under every value', () => {
    const links = createLinks(() => 'new-secret,old-secret');
    const link = subject();
    const token = links.sign('consent', link);

    expect(() => links.verify('guided', token, link.tenantId)).toThrow(NotFoundError);
    expect(() => links.verify('consent', token, randomUUID())).toThrow(NotFoundError);
    const expired = links.sign('consent', { ...link, expiresAt: new Date(Date.now() - 1_000) });
    expect(() => links.verify('consent', expired, link.tenantId)).toThrow(GoneError);
  });
});
