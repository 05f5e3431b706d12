import { createRequire } from 'node:module';
import type { BlockList } from 'node:net';

/**
 * Where events may be sent (docs/events.md, "Destinations"). An endpoint URL is ours to call from inside
 * the cloud, so wherever the code runs deployed (any stage, not only prod) it must not reach the network we
 * run in: https only, and no host that resolves to anything but a public address: not loopback (the Lambda
 * runtime API), private, shared (CGNAT), link-local (cloud metadata), unique-local, special-purpose,
 * multicast or reserved, nor an IPv6 address that carries an IPv4 one (mapped, compatible, NAT64, 6to4).
 * Run locally (npm start, tests), http is allowed to localhost and loopback and private addresses are too,
 * so a laptop can receive; link-local, unspecified, multicast and reserved are refused everywhere. The
 * addresses are checked at creation and again at each delivery, on the address actually connected to (DNS
 * rebinding). A refusal of a host name never says what it resolved to: that would be our internal DNS.
 */

export interface DestinationPolicy {
  /** In AWS for real (Config.deployed), whatever the stage's name. */
  deployed: boolean;
}

export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'unique-local'
  | 'unspecified'
  | 'special-purpose'
  | 'multicast'
  | 'reserved'
  | 'ipv4-embedding';

type Listed = Exclude<AddressClass, 'public' | 'ipv4-embedding'>;

/** How each class reads in a refusal of an IP literal (`<address> is <this>`). */
const DESCRIPTIONS: Record<Exclude<AddressClass, 'public'>, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  'link-local': 'a link-local address (cloud metadata lives there)',
  'unique-local': 'a unique-local address',
  unspecified: 'the unspecified address',
  'special-purpose': 'a special-purpose address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
  'ipv4-embedding': 'an IPv6 address that carries an IPv4 address',
};

/** Refused even when run locally: nothing a laptop receives on. */
const REFUSED_EVERYWHERE = new Set<AddressClass>(['link-local', 'unspecified', 'multicast', 'reserved']);

/** The refusal of a host name: it says that, and never what the name resolved to. */
export const REFUSED_HOST = 'its host resolves to an address events may not be sent to';

/** node:net, loaded when an address is first judged: most functions that carry this never judge one. */
let net: typeof import('node:net') | undefined;
const netModule = () => (net ??= createRequire(import.meta.url)('node:net') as typeof import('node:net'));

/** Checked in this order, the first match wins (0.0.0.0 is unspecified before it is "this network"). */
const RANGES: Array<[Listed, Array<[string, number]>, Array<[string, number]>]> = [
  ['unspecified', [['0.0.0.0', 32]], [['::', 128]]],
  ['loopback', [['127.0.0.0', 8]], [['::1', 128]]],
  ['link-local', [['169.254.0.0', 16]], [['fe80::', 10]]],
  // RFC 1918 and carrier-grade NAT (RFC 6598): neither is the public internet.
  [
    'private',
    [
      ['10.0.0.0', 8],
      ['172.16.0.0', 12],
      ['192.168.0.0', 16],
      ['100.64.0.0', 10],
    ],
    [],
  ],
  ['unique-local', [], [['fc00::', 7]]],
  // RFC 6890: "this network", IETF protocol assignments, benchmarking, documentation; IPv6 discard,
  // IETF protocol assignments (Teredo among them) and documentation.
  [
    'special-purpose',
    [
      ['0.0.0.0', 8],
      ['192.0.0.0', 24],
      ['192.0.2.0', 24],
      ['198.18.0.0', 15],
      ['198.51.100.0', 24],
      ['203.0.113.0', 24],
    ],
    [
      ['100::', 64],
      ['2001::', 23],
      ['2001:db8::', 32],
    ],
  ],
  ['multicast', [['224.0.0.0', 4]], [['ff00::', 8]]],
  // 240.0.0.0/4, the limited broadcast address 255.255.255.255 among them.
  ['reserved', [['240.0.0.0', 4]], []],
];

let lists: Array<[Listed, BlockList, BlockList]> | undefined;

function blockList(entries: Array<[string, number]>, family: 'ipv4' | 'ipv6'): BlockList {
  const list = new (netModule().BlockList)();
  for (const [network, prefix] of entries) list.addSubnet(network, prefix, family);
  return list;
}

function addressLists() {
  lists ??= RANGES.map(([name, v4, v6]) => [name, blockList(v4, 'ipv4'), blockList(v6, 'ipv6')]);
  return lists;
}

/** Without the URL form's brackets and a zone (`%eth0`). */
const bare = (value: string) => value.replace(/^\[|\]$/g, '').replace(/%.*$/, '');

/** 4 or 6 for an IP address, 0 for anything else (a host name). */
export const ipVersion = (value: string): number => netModule().isIP(bare(value));

/** The eight 16-bit groups of an IPv6 address, however it is spelled (the URL parser writes it one way). */
function ipv6Groups(address: string): number[] {
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head = '', tail] = canonical.split('::');
  const before = head ? head.split(':') : [];
  const after = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - before.length - after.length).fill('0');
  return [...before, ...zeros, ...after].map((group) => Number.parseInt(group, 16));
}

const ipv4Of = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;

/**
 * The IPv4 address an IPv6 one carries, '' when it carries one we do not take out, undefined when none:
 * IPv4-mapped ::ffff:0:0/96, IPv4-translated ::ffff:0:0:0/96, IPv4-compatible ::/96, NAT64 64:ff9b::/96
 * (64:ff9b:1::/48 places it by prefix length), 6to4 2002::/16.
 */
function embeddedIpv4(groups: number[]): string | undefined {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  const zeroTo = (end: number) => groups.slice(0, end).every((group) => group === 0);
  if (zeroTo(5) && g5 === 0xffff) return ipv4Of(g6, g7);
  if (zeroTo(4) && g4 === 0xffff && g5 === 0) return ipv4Of(g6, g7);
  if (zeroTo(6)) return ipv4Of(g6, g7);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return ipv4Of(g6, g7);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return '';
  if (g0 === 0x2002) return ipv4Of(g1, g2);
  return undefined;
}

/**
 * What kind of address this is. An IPv6 address that carries an IPv4 one (mapped, NAT64, 6to4…) is of the
 * IPv4 address's class when that is not public, else `ipv4-embedding`: never `public`.
 */
export function classifyAddress(address: string): AddressClass {
  const ip = bare(address);
  const version = netModule().isIP(ip);
  if (version === 6) {
    const groups = ipv6Groups(ip);
    // :: and ::1 lie in ::/96 too, but are themselves.
    if (groups.slice(0, 7).every((group) => group === 0) && groups[7]! <= 1) return groups[7] === 0 ? 'unspecified' : 'loopback';
    const carried = embeddedIpv4(groups);
    if (carried !== undefined) {
      const kind = carried ? classifyAddress(carried) : 'public';
      return kind === 'public' ? 'ipv4-embedding' : kind;
    }
  }
  const family = version === 6 ? 'ipv6' : 'ipv4';
  for (const [name, v4, v6] of addressLists()) if ((family === 'ipv4' ? v4 : v6).check(ip, family)) return name;
  return 'public';
}

/**
 * Why an address may not be sent to under `policy`, naming it, or undefined when it may. For an address
 * the caller wrote (an IP literal in the URL) only: a name's refusal is REFUSED_HOST (see refusedHost).
 */
export function refusedAddress(address: string, policy: DestinationPolicy): string | undefined {
  const kind = classifyAddress(address);
  if (kind === 'public') return undefined;
  if (!policy.deployed && !REFUSED_EVERYWHERE.has(kind)) return undefined;
  return `${address} is ${DESCRIPTIONS[kind]}`;
}

/**
 * Why a host may not be sent to, given the addresses it resolved to: an IP literal's refusal names it (the
 * caller wrote it), a name's says only REFUSED_HOST. Undefined when every address may be sent to.
 */
export function refusedHost(hostname: string, addresses: readonly string[], policy: DestinationPolicy): string | undefined {
  if (ipVersion(hostname)) return refusedAddress(hostname, policy);
  return addresses.some((address) => refusedAddress(address, policy) !== undefined) ? REFUSED_HOST : undefined;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Why the URL itself may not be an endpoint (before any lookup), or undefined when it may. */
export function refusedUrl(url: URL, policy: DestinationPolicy): string | undefined {
  if (url.username || url.password) return 'must not carry credentials';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && !policy.deployed && LOCAL_HOSTS.has(url.hostname)) return undefined;
  return policy.deployed ? 'must use https' : 'must use https (or http to localhost, 127.0.0.1 or [::1] when run locally)';
}
