import { createHash } from 'node:crypto';
import type { Transition } from './types.ts';

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

/** `hash` = SHA-256 hex of `previousHash` (empty for the first) followed by the canonical JSON of the other fields. */
export function transitionHash(transition: Omit<Transition, 'hash'>): string {
  const { previousHash, ...fields } = transition;
  return createHash('sha256')
    .update((previousHash ?? '') + canonicalJson(fields))
    .digest('hex');
}

export interface ChainProblem {
  version: number;
  problem: string;
}

/** Checks a whole trail, oldest first: contiguous versions, linked statuses and hashes. */
export function verifyChain(trail: readonly Transition[]): ChainProblem[] {
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
    if (transitionHash(rest) !== hash) {
      problems.push({ version: record.version, problem: 'hash does not match the record' });
    }
    previous = record;
  }
  return problems;
}
