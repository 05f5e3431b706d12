import type { Transition } from './types.ts';

/** node:crypto as the builtin it is, not an ES import (docs/performance.md, "Cold init"). */
const { createHash } = process.getBuiltinModule('node:crypto');

/**
 * JSON with object keys sorted at every level and no whitespace (RFC 8785 for the values we store:
 * strings, integers, booleans, null). Undefined members are left out, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  const members = Object.keys(value)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${members.join(',')}}`;
}

/** Which request a trail belongs to; its first record is bound to it. */
export interface TrailOwner {
  id: string;
  tenantId: string;
  requestType: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * What version 1 chains from, since its `previousHash` is null: the SHA-256 of the canonical JSON of
 * `{ request: { id, requestType, tenantId } }`. Every later record chains from the one before, so the whole
 * trail is bound to its request: moved under another request's key, it no longer verifies.
 */
export function trailAnchor(owner: TrailOwner): string {
  return sha256(canonicalJson({ request: { id: owner.id, requestType: owner.requestType, tenantId: owner.tenantId } }));
}

/**
 * `hash` = SHA-256 hex of what the record chains from (`previousHash`; for version 1 the trail's anchor)
 * followed by the canonical JSON of the record's other fields.
 */
export function transitionHash(transition: Omit<Transition, 'hash'>, owner: TrailOwner): string {
  const { previousHash, ...fields } = transition;
  return sha256((previousHash ?? trailAnchor(owner)) + canonicalJson(fields));
}

/**
 * First records written before trails were bound to their request chained from nothing. They still verify,
 * but only if written before this instant: a first record from after it must be bound (docs/api.md).
 */
export const UNBOUND_TRAILS_BEFORE = '2026-12-03T00:00:00.000Z';

function unboundHash(transition: Omit<Transition, 'hash'>): string {
  const { previousHash, ...fields } = transition;
  return sha256((previousHash ?? '') + canonicalJson(fields));
}

export interface ChainProblem {
  version: number;
  problem: string;
}

/** Checks a whole trail of `owner`, oldest first: contiguous versions, linked statuses and hashes. */
export function verifyChain(trail: readonly Transition[], owner: TrailOwner): ChainProblem[] {
  const problems: ChainProblem[] = [];
  let previous: Transition | undefined;
  for (const [index, record] of trail.entries()) {
    const expectedVersion = index + 1;
    if (record.version !== expectedVersion) {
      problems.push({ version: record.version, problem: `expected version ${expectedVersion}` });
    }
    if ((previous?.to ?? null) !== record.from) {
      problems.push({ version: record.version, problem: `from ${record.from} does not follow ${previous?.to ?? null}` });
    }
    if ((previous?.hash ?? null) !== record.previousHash) {
      problems.push({ version: record.version, problem: 'previousHash does not match the previous record' });
    }
    const { hash, ...rest } = record;
    const unbound = record.previousHash === null && record.at < UNBOUND_TRAILS_BEFORE && unboundHash(rest) === hash;
    if (transitionHash(rest, owner) !== hash && !unbound) {
      problems.push({
        version: record.version,
        problem: record.previousHash === null ? 'hash does not match the record and its request' : 'hash does not match the record',
      });
    }
    previous = record;
  }
  return problems;
}
