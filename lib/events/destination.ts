import { createRequire } from 'node:module';
import type { BlockList } from 'node:net';

/**
 * Where events may be sent (docs/events.md, "Destinations"). An endpoint URL is ours to call from inside
 * the cloud, so in production it must not reach the network we run in: https only, and no host that
 * resolves to a loopback, private, link-local (cloud metadata) or unique-local address. Outside production
 * http is allowed to localhost, so a laptop can receive; link-local is refused everywhere. The addresses
 * are checked at creation and again at each delivery, on the address actually connected to (DNS rebinding).
 */

export interface DestinationPolicy {
  production: boolean;
}

export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'unique-local' | 'unspecified' | 'multicast';

/** node:net, loaded when an address is first judged: most functions that carry this never judge one. */
let net: typeof import('node:net') | undefined;
const netModule = () => (net ??= createRequire(import.meta.url)('node:net') as typeof import('node:net'));

let classes: Array<[Exclude<AddressClass, 'public'>, BlockList]> | undefined;

function blockList(entries: Array<[string, number, 'ipv4' | 'ipv6']>): BlockList {
  const list = new (netModule().BlockList)();
  for (const [network, prefix, family] of entries) list.addSubnet(network, prefix, family);
  return list;
}

function addressClasses() {
  classes ??= [
    [
      'loopback',
      blockList([
        ['127.0.0.0', 8, 'ipv4'],
        ['::1', 128, 'ipv6'],
      ]),
    ],
    [
      'link-local',
      blockList([
        ['169.254.0.0', 16, 'ipv4'],
        ['fe80::', 10, 'ipv6'],
      ]),
    ],
    // RFC 1918, carrier-grade NAT (RFC 6598) and "this network": none of them is the public internet.
    [
      'private',
      blockList([
        ['10.0.0.0', 8, 'ipv4'],
        ['172.16.0.0', 12, 'ipv4'],
        ['192.168.0.0', 16, 'ipv4'],
        ['100.64.0.0', 10, 'ipv4'],
        ['0.0.0.0', 8, 'ipv4'],
      ]),
    ],
    ['unique-local', blockList([['fc00::', 7, 'ipv6']])],
    ['unspecified', blockList([['::', 128, 'ipv6']])],
    [
      'multicast',
      blockList([
        ['224.0.0.0', 3, 'ipv4'],
        ['ff00::', 8, 'ipv6'],
      ]),
    ],
  ];
  return classes;
}

/** 4 or 6 for an IP address, 0 for anything else (a host name). */
export const ipVersion = (value: string): number => netModule().isIP(value.replace(/^\[|\]$/g, ''));

/** What kind of address this is; an IPv4-mapped IPv6 address is judged as the IPv4 address it carries. */
export function classifyAddress(address: string): AddressClass {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = mapped ?? address.replace(/^\[|\]$/g, '');
  const family = netModule().isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  for (const [name, list] of addressClasses()) if (list.check(ip, family)) return name;
  return 'public';
}

/** Why an address may not be sent to under `policy`, or undefined when it may. */
export function refusedAddress(address: string, policy: DestinationPolicy): string | undefined {
  const kind = classifyAddress(address);
  if (kind === 'public') return undefined;
  if (kind === 'link-local') return `${address} is a link-local address (cloud metadata lives there)`;
  if (kind === 'loopback' && !policy.production) return undefined;
  if ((kind === 'private' || kind === 'unique-local') && !policy.production) return undefined;
  return `${address} is a ${kind} address`;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Why the URL itself may not be an endpoint (before any lookup), or undefined when it may. */
export function refusedUrl(url: URL, policy: DestinationPolicy): string | undefined {
  if (url.username || url.password) return 'must not carry credentials';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && !policy.production && LOCAL_HOSTS.has(url.hostname)) return undefined;
  return policy.production ? 'must use https' : 'must use https (or http to localhost or 127.0.0.1 outside production)';
}
