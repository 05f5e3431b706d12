import { describe, expect, it } from 'vitest';
import { canTransition, decideCancel, isTerminal, OPEN_STATUSES } from '../../lib/lifecycle/status-machine.ts';
import { STATUSES, type Status } from '../../lib/lifecycle/types.ts';

/** Contract §3, written out by hand so the table in the code is checked against the picture, not itself. */
const ALLOWED: ReadonlyArray<readonly [Status, Status]> = [
  ['Pending', 'Processing'],
  ['Pending', 'Succeeded'],
  ['Pending', 'Failed'],
  ['Pending', 'Canceled'],
  ['Processing', 'Succeeded'],
  ['Processing', 'Failed'],
  ['Processing', 'Canceled'],
];

const isAllowed = (from: Status, to: Status) => ALLOWED.some(([f, t]) => f === from && t === to);
const FORBIDDEN = STATUSES.flatMap((from) => STATUSES.map((to) => [from, to] as const)).filter(([from, to]) => !isAllowed(from, to));

describe('status machine (contract §3)', () => {
  it.each(ALLOWED)('a %s request may become %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it.each(FORBIDDEN)('a %s request may not become %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it('forbids every one of the 18 transitions the picture does not draw', () => {
    expect(FORBIDDEN).toHaveLength(STATUSES.length * STATUSES.length - ALLOWED.length);
    expect(FORBIDDEN).toHaveLength(18);
  });

  it.each(['Succeeded', 'Failed', 'Canceled'] as const)('%s is terminal: nothing leaves it', (status) => {
    expect(isTerminal(status)).toBe(true);
    for (const to of STATUSES) expect(canTransition(status, to)).toBe(false);
  });

  it.each(['Pending', 'Processing'] as const)('%s is open: it is not terminal and counts as open for expiry', (status) => {
    expect(isTerminal(status)).toBe(false);
    expect(OPEN_STATUSES).toContain(status);
  });

  it('treats exactly Pending and Processing as open', () => {
    expect([...OPEN_STATUSES].sort()).toEqual(['Pending', 'Processing']);
  });
});

describe('decideCancel (contract §3: cancel from the API)', () => {
  it.each(['Pending', 'Processing'] as const)('given a %s request, when the caller cancels, then it is canceled', (status) => {
    expect(decideCancel(status)).toBe('apply');
  });

  it('given a Canceled request, when the caller cancels again, then nothing changes (safe retry)', () => {
    expect(decideCancel('Canceled')).toBe('already-canceled');
  });

  it.each(['Succeeded', 'Failed'] as const)('given a %s request, when the caller cancels, then it is refused', (status) => {
    expect(decideCancel(status)).toBe('refuse');
  });
});
