import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, transitionHash, verifyChain } from '../../lib/lifecycle/hash-chain.ts';
import type { Status, Transition } from '../../lib/lifecycle/types.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

type Step = { to: Status } & Partial<Omit<Transition, 'version' | 'from' | 'to' | 'previousHash' | 'hash'>>;

/** A trail built the way the contract defines it (§2), oldest first. */
function chain(...steps: Step[]): Transition[] {
  const trail: Transition[] = [];
  for (const [index, step] of steps.entries()) {
    const previous = trail.at(-1);
    const fields: Omit<Transition, 'hash'> = {
      version: index + 1,
      from: previous?.to ?? null,
      at: `2025-01-0${index + 1}T10:00:00.000Z`,
      actor: { type: 'principal', id: 'integrator-1' },
      source: 'api',
      correlationId: `corr-${index + 1}`,
      ...step,
      previousHash: previous?.hash ?? null,
    };
    trail.push({ ...fields, hash: transitionHash(fields) });
  }
  return trail;
}

const lifecycle = () =>
  chain(
    { to: 'Pending' },
    { to: 'Processing', actor: { type: 'webhook', id: 'msg_1' }, source: 'webhook' },
    { to: 'Failed', actor: { type: 'webhook', id: 'msg_2' }, source: 'webhook', errors: [{ code: 'Rejected', message: 'consent refused' }] },
  );

const rehash = (record: Transition): Transition => {
  const { hash: _hash, ...fields } = record;
  return { ...record, hash: transitionHash(fields) };
};

describe('canonicalJson', () => {
  it('sorts object keys at every level and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: true, c: 'x' }, list: [{ z: null, y: 2 }] }))
      .toBe('{"a":{"c":"x","d":true},"b":1,"list":[{"y":2,"z":null}]}');
  });

  it('gives the same text for the same object built in a different key order', () => {
    const one = { version: 1, from: null, to: 'Pending', actor: { type: 'principal', id: 'p' } };
    const other = { actor: { id: 'p', type: 'principal' }, to: 'Pending', from: null, version: 1 };
    expect(canonicalJson(one)).toBe(canonicalJson(other));
  });

  it('keeps array order, since order in an array is meaningful', () => {
    expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]');
    expect(canonicalJson([3, 1, 2])).not.toBe(canonicalJson([1, 2, 3]));
  });

  it('leaves out undefined members, as JSON does, so an absent reason hashes like a missing one', () => {
    expect(canonicalJson({ a: 1, reason: undefined })).toBe('{"a":1}');
  });

  it('writes scalars and strings as JSON, escaping quotes', () => {
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson('say "hi"')).toBe('"say \\"hi\\""');
    expect(canonicalJson(42)).toBe('42');
  });
});

describe('transitionHash', () => {
  const first: Omit<Transition, 'hash'> = {
    version: 1,
    from: null,
    to: 'Pending',
    at: '2025-01-01T10:00:00.000Z',
    actor: { type: 'principal', id: 'integrator-1' },
    source: 'api',
    correlationId: 'corr-1',
    previousHash: null,
  };

  it('is the SHA-256 hex of the canonical JSON of the other fields for the first record (previousHash null)', () => {
    const { previousHash: _previous, ...fields } = first;
    expect(transitionHash(first)).toBe(sha256(canonicalJson(fields)));
    expect(transitionHash(first)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('covers previousHash: the same fields after another record hash differently', () => {
    const previousHash = 'a'.repeat(64);
    const { previousHash: _previous, ...fields } = first;
    expect(transitionHash({ ...first, previousHash })).toBe(sha256(previousHash + canonicalJson(fields)));
    expect(transitionHash({ ...first, previousHash })).not.toBe(transitionHash(first));
  });

  it('does not depend on the order in which the fields were written', () => {
    const reordered = Object.fromEntries(Object.entries(first).reverse()) as Omit<Transition, 'hash'>;
    expect(transitionHash(reordered)).toBe(transitionHash(first));
  });

  it.each([
    ['version', { version: 2 }],
    ['from', { from: 'Pending' }],
    ['to', { to: 'Processing' }],
    ['at', { at: '2025-01-01T10:00:00.001Z' }],
    ['actor.id', { actor: { type: 'principal', id: 'someone-else' } }],
    ['actor.type', { actor: { type: 'system', id: 'integrator-1' } }],
    ['source', { source: 'webhook' }],
    ['correlationId', { correlationId: 'corr-2' }],
    ['reason', { reason: 'added later' }],
    ['errors', { errors: [{ code: 'Expired', message: 'too old' }] }],
  ] as const)('changes when %s changes', (_field, change) => {
    expect(transitionHash({ ...first, ...change } as Omit<Transition, 'hash'>)).not.toBe(transitionHash(first));
  });
});

describe('verifyChain', () => {
  it('given an untouched trail, then it finds no problem', () => {
    expect(verifyChain(lifecycle())).toEqual([]);
  });

  it('given an empty trail, then it finds no problem', () => {
    expect(verifyChain([])).toEqual([]);
  });

  it.each([
    ['to', (record: Transition) => ({ ...record, to: 'Succeeded' as const })],
    ['actor id', (record: Transition) => ({ ...record, actor: { ...record.actor, id: 'attacker' } })],
    ['timestamp', (record: Transition) => ({ ...record, at: '2030-01-01T00:00:00.000Z' })],
    ['errors', (record: Transition) => ({ ...record, errors: [] })],
  ])('given a record whose %s was altered, then the altered record is reported', (_field, alter) => {
    const trail = lifecycle();
    trail[1] = alter(trail[1]!);
    const problems = verifyChain(trail);
    expect(problems.map((problem) => problem.version)).toContain(2);
  });

  it('given an altered field whose own hash was recomputed, then the next record no longer links to it', () => {
    const trail = lifecycle();
    trail[1] = rehash({ ...trail[1]!, actor: { type: 'system', id: 'cleanup' } });
    const problems = verifyChain(trail);
    expect(problems).toContainEqual(expect.objectContaining({ version: 3 }));
    expect(problems.some((problem) => /previousHash/.test(problem.problem))).toBe(true);
  });

  it('given the middle record removed, then the gap is reported', () => {
    const trail = lifecycle();
    trail.splice(1, 1);
    expect(verifyChain(trail)).not.toEqual([]);
  });

  it('given the first record removed, then the trail no longer starts at version 1 from nothing', () => {
    const trail = lifecycle().slice(1);
    const problems = verifyChain(trail);
    expect(problems).toContainEqual(expect.objectContaining({ version: 2 }));
  });

  it('given two records swapped, then the order is reported', () => {
    const trail = lifecycle();
    const [first, second, third] = trail;
    expect(verifyChain([first!, third!, second!])).not.toEqual([]);
  });

  it('given the whole trail reversed, then every record is out of place', () => {
    const problems = verifyChain(lifecycle().reverse());
    expect(new Set(problems.map((problem) => problem.version))).toEqual(new Set([1, 2, 3]));
  });

  it('given a record inserted that was never applied, then it is reported', () => {
    const trail = lifecycle();
    const forged = rehash({ ...trail[1]!, version: 2, from: 'Pending', to: 'Processing', correlationId: 'forged' });
    expect(verifyChain([trail[0]!, forged, trail[1]!, trail[2]!])).not.toEqual([]);
  });
});
