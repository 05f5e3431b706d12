import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/settings.ts';
import { classifyAddress, REFUSED_HOST, refusedAddress, refusedHost, refusedUrl } from '../../lib/events/destination.ts';

/** Where events may be sent, by address and by URL (docs/events.md, "Destinations"). */
const deployed = { deployed: true };
const local = { deployed: false };

describe('event destinations', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['0.1.2.3', 'special-purpose'],
    ['192.0.0.8', 'special-purpose'],
    ['198.18.0.1', 'special-purpose'],
    ['198.19.255.255', 'special-purpose'],
    ['2001:db8::1', 'special-purpose'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['FE80::a:b', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0:0:0:0:0:ffff:127.0.0.1', 'loopback'],
    ['[::ffff:127.0.0.1]', 'loopback'],
    ['::127.0.0.1', 'loopback'],
    ['::ffff:0:a00:1', 'private'],
    ['64:ff9b::a00:1', 'private'],
    ['64:ff9b::169.254.169.254', 'link-local'],
    ['2002:a00:1::', 'private'],
    ['2002:7f00:1::1', 'loopback'],
    ['fd00::1', 'unique-local'],
    ['fc12:3456::1', 'unique-local'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['::ffff:8.8.8.8', 'ipv4-embedding'],
    ['64:ff9b::808:808', 'ipv4-embedding'],
    ['2002:808:808::', 'ipv4-embedding'],
    ['64:ff9b:1::a00:1', 'ipv4-embedding'],
    ['172.32.0.1', 'public'],
    ['100.128.0.1', 'public'],
    ['198.20.0.1', 'public'],
    ['192.0.1.1', 'public'],
    ['8.8.8.8', 'public'],
    ['2a00:1450:4001::1', 'public'],
  ])('classifies %s as %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  // [address, may be sent to when deployed, may be sent to when run locally]
  it.each([
    ['93.184.216.34', true, true],
    ['2a00:1450:4001::1', true, true],
    ['127.0.0.1', false, true],
    ['::1', false, true],
    ['[::1]', false, true],
    ['10.0.0.1', false, true],
    ['192.168.0.10', false, true],
    ['172.16.0.1', false, true],
    ['100.64.0.1', false, true],
    ['fd00::1', false, true],
    ['198.18.0.1', false, true],
    ['198.19.255.255', false, true],
    ['192.0.0.8', false, true],
    ['0.1.2.3', false, true],
    ['::ffff:127.0.0.1', false, true],
    ['::ffff:7f00:1', false, true],
    ['0:0:0:0:0:ffff:127.0.0.1', false, true],
    ['[::ffff:127.0.0.1]', false, true],
    ['::127.0.0.1', false, true],
    ['::ffff:10.0.0.1', false, true],
    ['64:ff9b::a00:1', false, true],
    ['2002:a00:1::', false, true],
    ['::ffff:8.8.8.8', false, true],
    ['64:ff9b::808:808', false, true],
    ['2002:808:808::', false, true],
    ['169.254.169.254', false, false],
    ['fe80::1', false, false],
    ['::ffff:169.254.169.254', false, false],
    ['::ffff:a9fe:a9fe', false, false],
    ['64:ff9b::a9fe:a9fe', false, false],
    ['2002:a9fe:a9fe::', false, false],
    ['0.0.0.0', false, false],
    ['::', false, false],
    ['224.0.0.1', false, false],
    ['ff02::1', false, false],
    ['240.0.0.1', false, false],
    ['255.255.255.255', false, false],
  ])('%s: deployed allowed=%s, local allowed=%s', (address, whenDeployed, whenLocal) => {
    expect(refusedAddress(address, deployed) === undefined, 'deployed').toBe(whenDeployed);
    expect(refusedAddress(address, local) === undefined, 'local').toBe(whenLocal);
  });

  it('names an IP literal and its kind in a refusal, the caller having written it', () => {
    expect(refusedAddress('10.1.2.3', deployed)).toBe('10.1.2.3 is a private address');
    expect(refusedAddress('[::ffff:7f00:1]', deployed)).toBe('[::ffff:7f00:1] is a loopback address');
    expect(refusedAddress('169.254.169.254', local)).toMatch(/^169\.254\.169\.254 is a link-local address/);
    expect(refusedHost('10.1.2.3', ['10.1.2.3'], deployed)).toBe('10.1.2.3 is a private address');
  });

  it('refuses a host name without saying what it resolved to', () => {
    expect(refusedHost('hooks.example.com', ['93.184.216.34', '10.9.8.7'], deployed)).toBe(REFUSED_HOST);
    expect(REFUSED_HOST).not.toMatch(/\d/);
    expect(refusedHost('hooks.example.com', ['169.254.169.254'], local)).toBe(REFUSED_HOST);
    expect(refusedHost('hooks.example.com', ['10.9.8.7'], local)).toBeUndefined();
    expect(refusedHost('hooks.example.com', ['93.184.216.34', '2a00:1450:4001::1'], deployed)).toBeUndefined();
  });

  it('takes https anywhere, plain http only to localhost when run locally, and no credentials in a URL', () => {
    const refused = (url: string, policy: { deployed: boolean }) => refusedUrl(new URL(url), policy);
    expect(refused('https://hooks.example.com/x', deployed)).toBeUndefined();
    expect(refused('http://hooks.example.com/x', deployed)).toBe('must use https');
    expect(refused('http://localhost:4000/x', deployed)).toBe('must use https');
    expect(refused('http://127.0.0.1:4000/x', deployed)).toBe('must use https');
    expect(refused('http://[::1]:4000/x', deployed)).toBe('must use https');
    expect(refused('http://localhost:4000/x', local)).toBeUndefined();
    expect(refused('http://127.0.0.1:4000/x', local)).toBeUndefined();
    expect(refused('http://[::1]:4000/x', local)).toBeUndefined();
    expect(refused('http://10.0.0.5/x', local)).toMatch(/must use https/);
    expect(refused('http://hooks.example.com/x', local)).toMatch(/must use https/);
    expect(refused('ftp://hooks.example.com/x', local)).toMatch(/must use https/);
    expect(refused('https://user:secret@hooks.example.com/', local)).toBe('must not carry credentials');
    expect(refused('https://user@hooks.example.com/', deployed)).toBe('must not carry credentials');
  });

  it('is judged by where the code runs, not by the stage name', () => {
    const inAws = {
      AWS_LAMBDA_FUNCTION_NAME: 'onboarding-dev-endpoints',
      STAGE: 'dev',
      AUTH_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
      PAGE_TOKEN_SECRET: 'page-token-secret-from-ssm',
    };
    expect(loadConfig(inAws)).toMatchObject({ production: false, deployed: true });
    expect(loadConfig({ ...inAws, IS_OFFLINE: 'true', STAGE: 'prod', PUBLIC_URL: 'https://x.example.com' }).deployed).toBe(false);
    expect(loadConfig({}).deployed).toBe(false);
  });
});
