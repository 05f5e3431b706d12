import { describe, expect, it } from 'vitest';
import { classifyAddress, refusedAddress, refusedUrl } from '../../lib/events/destination.ts';

/** Where events may be sent, by address and by URL (docs/events.md, "Destinations"). */
describe('event destinations', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['0.0.0.0', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['fd00::1', 'unique-local'],
    ['fc12:3456::1', 'unique-local'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'multicast'],
    ['172.32.0.1', 'public'],
    ['8.8.8.8', 'public'],
    ['2a00:1450:4001::1', 'public'],
    ['::ffff:8.8.8.8', 'public'],
  ])('classifies %s as %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it('refuses every non-public address in production, and link-local everywhere', () => {
    for (const address of ['127.0.0.1', '10.0.0.1', '192.168.0.10', 'fd00::1', '169.254.169.254', '::ffff:10.0.0.1']) {
      expect(refusedAddress(address, { production: true }), address).toBeDefined();
    }
    expect(refusedAddress('169.254.169.254', { production: false })).toMatch(/link-local/);
    expect(refusedAddress('fe80::1', { production: false })).toMatch(/link-local/);
    for (const address of ['127.0.0.1', '10.0.0.1', 'fd00::1']) expect(refusedAddress(address, { production: false }), address).toBeUndefined();
    expect(refusedAddress('93.184.216.34', { production: true })).toBeUndefined();
  });

  it('takes https anywhere, plain http only to localhost outside production, and no credentials in a URL', () => {
    const refused = (url: string, production: boolean) => refusedUrl(new URL(url), { production });
    expect(refused('https://hooks.example.com/x', true)).toBeUndefined();
    expect(refused('http://hooks.example.com/x', true)).toBe('must use https');
    expect(refused('http://localhost:4000/x', true)).toBe('must use https');
    expect(refused('http://localhost:4000/x', false)).toBeUndefined();
    expect(refused('http://127.0.0.1:4000/x', false)).toBeUndefined();
    expect(refused('http://10.0.0.5/x', false)).toMatch(/must use https/);
    expect(refused('https://user:secret@hooks.example.com/', false)).toBe('must not carry credentials');
  });
});
