import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, trailAnchor, transitionHash, UNBOUND_TRAILS_BEFORE, verifyChain } from '../../lib/lifecycle/hash-chain.ts';
import type { Status, Transition } from '../../lib/lifecycle/types.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The request the trails of these tests belong to. */
const OWNER = { id: '6f1c2a9e-3b7d-4e21-9f0a-2c4d5e6f7a8b', tenantId: '0b8e1d4c-7a2f-4c3e-9d1b-5a6c7e8f9a0b', requestType: 'Entity' };

type Step = { to: Status } & Partial<Omit<Transition, 'version' | 'from' | 'to' | 'previousHash' | 'hash'>>;

/** A trail built the way docs/api.md defines it, oldest first. */
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
    trail.push({ ...fields, hash: transitionHash(fields, OWNER) });
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
  return { ...record, hash: transitionHash(fields, OWNER) };
};

describe('canonicalJson', () => {
  it('sorts object keys at every level and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: true, c: 'x' }, list: [{ z: null, y: 2 }] })).toBe('{"a":{"c":"x","d":true},"b":1,"list":[{"y":2,"z":null}]}');
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

  it("is, for the first record (previousHash null), the SHA-256 hex of the trail's anchor and the canonical JSON of the other fields", () => {
    const { previousHash: _previous, ...fields } = first;
    const anchor = sha256(canonicalJson({ request: { id: OWNER.id, requestType: OWNER.requestType, tenantId: OWNER.tenantId } }));
    expect(trailAnchor(OWNER)).toBe(anchor);
    expect(transitionHash(first, OWNER)).toBe(sha256(anchor + canonicalJson(fields)));
    expect(transitionHash(first, OWNER)).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['id', { id: '00000000-0000-4000-8000-000000000001' }],
    ['tenant', { tenantId: '00000000-0000-4000-8000-000000000002' }],
    ['request type', { requestType: 'Collective' }],
  ])('binds the first record to its request: another %s gives another hash', (_what, other) => {
    expect(transitionHash(first, { ...OWNER, ...other })).not.toBe(transitionHash(first, OWNER));
  });

  it('covers previousHash: the same fields after another record hash differently', () => {
    const previousHash = 'a'.repeat(64);
    const { previousHash: _previous, ...fields } = first;
    expect(transitionHash({ ...first, previousHash }, OWNER)).toBe(sha256(previousHash + canonicalJson(fields)));
    expect(transitionHash({ ...first, previousHash }, OWNER)).not.toBe(transitionHash(first, OWNER));
  });

  it('does not depend on the order in which the fields were written', () => {
    const reordered = Object.fromEntries(Object.entries(first).reverse()) as Omit<Transition, 'hash'>;
    expect(transitionHash(reordered, OWNER)).toBe(transitionHash(first, OWNER));
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
    expect(transitionHash({ ...first, ...change } as Omit<Transition, 'hash'>, OWNER)).not.toBe(transitionHash(first, OWNER));
  });
});

describe('verifyChain', () => {
  it('given an untouched trail, then it finds no problem', () => {
    expect(verifyChain(lifecycle(), OWNER)).toEqual([]);
  });

  it('given an empty trail, then it finds no problem', () => {
    expect(verifyChain([], OWNER)).toEqual([]);
  });

  it.each([
    ['to', (record: Transition) => ({ ...record, to: 'Succeeded' as const })],
    ['actor id', (record: Transition) => ({ ...record, actor: { ...record.actor, id: 'attacker' } })],
    ['timestamp', (record: Transition) => ({ ...record, at: '2030-01-01T00:00:00.000Z' })],
    ['errors', (record: Transition) => ({ ...record, errors: [] })],
  ])('given a record whose %s was altered, then the altered record is reported', (_field, alter) => {
    const trail = lifecycle();
    trail[1] = alter(trail[1]!);
    const problems = verifyChain(trail, OWNER);
    expect(problems.map((problem) => problem.version)).toContain(2);
  });

  it('given an altered field whose own hash was recomputed, then the next record no longer links to it', () => {
    const trail = lifecycle();
    trail[1] = rehash({ ...trail[1]!, actor: { type: 'system', id: 'cleanup' } });
    const problems = verifyChain(trail, OWNER);
    expect(problems).toContainEqual(expect.objectContaining({ version: 3 }));
    expect(problems.some((problem) => /previousHash/.test(problem.problem))).toBe(true);
  });

  it('given the middle record removed, then the gap is reported', () => {
    const trail = lifecycle();
    trail.splice(1, 1);
    expect(verifyChain(trail, OWNER)).not.toEqual([]);
  });

  it('given the first record removed, then the trail no longer starts at version 1 from nothing', () => {
    const trail = lifecycle().slice(1);
    const problems = verifyChain(trail, OWNER);
    expect(problems).toContainEqual(expect.objectContaining({ version: 2 }));
  });

  it('given two records swapped, then the order is reported', () => {
    const trail = lifecycle();
    const [first, second, third] = trail;
    expect(verifyChain([first!, third!, second!], OWNER)).not.toEqual([]);
  });

  it('given the whole trail reversed, then every record is out of place', () => {
    const problems = verifyChain(lifecycle().reverse(), OWNER);
    expect(new Set(problems.map((problem) => problem.version))).toEqual(new Set([1, 2, 3]));
  });

  it('given a record inserted that was never applied, then it is reported', () => {
    const trail = lifecycle();
    const forged = rehash({ ...trail[1]!, version: 2, from: 'Pending', to: 'Processing', correlationId: 'forged' });
    expect(verifyChain([trail[0]!, forged, trail[1]!, trail[2]!], OWNER)).not.toEqual([]);
  });
});

describe('a trail moved under another request', () => {
  it('no longer verifies: its first record is bound to the request it was written for', () => {
    const moved = verifyChain(lifecycle(), { ...OWNER, id: '00000000-0000-4000-8000-00000000000f' });
    expect(moved).toEqual([{ version: 1, problem: 'hash does not match the record and its request' }]);
  });

  it('keeps an unbound first record written before trails were bound verifiable, and refuses one written after', () => {
    const unbound = (at: string) => {
      const fields: Omit<Transition, 'hash'> = {
        version: 1,
        from: null,
        to: 'Pending',
        at,
        actor: { type: 'principal', id: 'p' },
        source: 'api',
        correlationId: 'c',
        previousHash: null,
      };
      const { previousHash: _previous, ...hashed } = fields;
      return [{ ...fields, hash: sha256(canonicalJson(hashed)) }];
    };
    expect(verifyChain(unbound('2026-11-30T12:00:00.000Z'), OWNER)).toEqual([]);
    expect(verifyChain(unbound(UNBOUND_TRAILS_BEFORE), OWNER)).not.toEqual([]);
  });
});
