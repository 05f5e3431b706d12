import { describe, expect, it } from 'vitest';
import type { RequestData } from '../../lib/lifecycle/types.ts';
import { mergeSnapshot, platformSnapshot } from '../../lib/proxy/snapshot.ts';

const ours: RequestData = {
  tenant: { id: 'our-tenant' },
  entity: { id: null, type: 'EV', information: { manufacturer: 'Tesla', vin: 'VIN1', type: 'EV' }, properties: { tags: ['a', 'b'] } },
};

describe('the platform snapshot proxy mode mirrors', () => {
  it('takes only the documented parts, and only objects', () => {
    expect(platformSnapshot({ entity: { id: 'e' }, tenant: { name: 'T' }, secrets: { key: 'k' }, user: 'not an object', client: null })).toEqual({
      entity: { id: 'e' },
      tenant: { name: 'T' },
    });
    expect(platformSnapshot(null)).toBeUndefined();
    expect(platformSnapshot(['entity'])).toBeUndefined();
    expect(platformSnapshot({ other: {} })).toBeUndefined();
  });

  it('refuses a snapshot over 64 KiB', () => {
    expect(platformSnapshot({ entity: { properties: 'x'.repeat(64 * 1024) } })).toBeUndefined();
  });

  it('lays the platform over ours: its values win, fields it leaves out or null keep ours, arrays are replaced', () => {
    const merged = mergeSnapshot(ours, {
      entity: { id: 'entity-1', information: { vin: null, model: 'Model 3' }, properties: { tags: ['c'] } },
      user: { id: 'user-1' },
    });
    expect(merged.entity).toEqual({
      id: 'entity-1',
      type: 'EV',
      information: { manufacturer: 'Tesla', vin: 'VIN1', type: 'EV', model: 'Model 3' },
      properties: { tags: ['c'] },
    });
    expect(merged.user).toEqual({ id: 'user-1' });
  });

  it('keeps the owner tenant id whatever the platform says, and takes its other tenant fields', () => {
    expect(mergeSnapshot(ours, { tenant: { id: 'another-tenant', name: 'Supplier' } }).tenant).toEqual({ id: 'our-tenant', name: 'Supplier' });
  });
});
