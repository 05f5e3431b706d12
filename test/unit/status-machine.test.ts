import { describe, expect, it } from 'vitest';
import { ALL_KINDS } from '../../lib/kinds/index.ts';
import { ONBOARDING_MACHINE } from '../../lib/kinds/onboarding.ts';
import { canTransition, decideCancel, isTerminal, OPEN_STATUSES } from '../../lib/lifecycle/status-machine.ts';
import { STATUSES, type Status } from '../../lib/lifecycle/types.ts';

/** The onboarding machine (docs/api.md), written out by hand so the table in the code is checked against the picture, not itself. */
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

describe('the onboarding status machine', () => {
  it.each(ALLOWED)('a %s request may become %s', (from, to) => {
    expect(canTransition(from, to, ONBOARDING_MACHINE)).toBe(true);
  });

  it.each(FORBIDDEN)('a %s request may not become %s', (from, to) => {
    expect(canTransition(from, to, ONBOARDING_MACHINE)).toBe(false);
  });

  it('forbids every one of the 18 transitions the picture does not draw', () => {
    expect(FORBIDDEN).toHaveLength(STATUSES.length * STATUSES.length - ALLOWED.length);
    expect(FORBIDDEN).toHaveLength(18);
  });

  it.each(['Succeeded', 'Failed', 'Canceled'] as const)('%s is terminal: nothing leaves it', (status) => {
    expect(isTerminal(status, ONBOARDING_MACHINE)).toBe(true);
    for (const to of STATUSES) expect(canTransition(status, to, ONBOARDING_MACHINE)).toBe(false);
  });

  it.each(['Pending', 'Processing'] as const)('%s is open: it is not terminal and counts as open for expiry', (status) => {
    expect(isTerminal(status, ONBOARDING_MACHINE)).toBe(false);
    expect(OPEN_STATUSES).toContain(status);
  });

  it('treats exactly Pending and Processing as open', () => {
    expect([...OPEN_STATUSES].sort()).toEqual(['Pending', 'Processing']);
  });
});

describe("every kind's machine", () => {
  // The store and the cleanup tell an open request from a finished one by its status alone.
  it.each(ALL_KINDS.map((kind) => [kind.name, kind] as const))('%s: its open statuses are open ones, and every other status is terminal', (_name, kind) => {
    for (const status of STATUSES) {
      const open = kind.machine.open.includes(status);
      if (open) expect(OPEN_STATUSES).toContain(status);
      if (!OPEN_STATUSES.includes(status)) expect(isTerminal(status, kind.machine), `${status} leaves nothing`).toBe(true);
      if (open) expect(kind.machine.next[status].length, `${status} leads somewhere`).toBeGreaterThan(0);
    }
  });
});

describe('a cancel from the API, on the onboarding machine', () => {
  it.each(['Pending', 'Processing'] as const)('given a %s request, when the caller cancels, then it is canceled', (status) => {
    expect(decideCancel(status, ONBOARDING_MACHINE)).toBe('apply');
  });

  it('given a Canceled request, when the caller cancels again, then nothing changes (safe retry)', () => {
    expect(decideCancel('Canceled', ONBOARDING_MACHINE)).toBe('already-canceled');
  });

  it.each(['Succeeded', 'Failed'] as const)('given a %s request, when the caller cancels, then it is refused', (status) => {
    expect(decideCancel(status, ONBOARDING_MACHINE)).toBe('refuse');
  });
});
