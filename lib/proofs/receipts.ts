import type { CheckpointClaims, Notary } from '../lifecycle/proofs.ts';
import type { RequestType, Transition } from '../lifecycle/types.ts';
import { PROOF_TYPES, type Signer, signCompact } from './jws.ts';

/** node:crypto as the builtin it is, not an ES import (docs/performance.md, "Cold init"). */
const { createHash, createHmac, randomUUID } = process.getBuiltinModule('node:crypto');

/**
 * Consent receipts: one per decision (approve, decline, a guided session's submit), with the fields of
 * ISO/IEC TS 27560 that apply (docs/consent.md). The receipt names the trail record the decision wrote
 * (`trailHead`), so it proves that record and nothing else.
 */

/** How the decision reached us. The link is a bearer credential: neither it nor the client's address is kept. */
export interface ReceiptEvidence {
  channel: 'consent-link' | 'guided-session';
  userAgent: string | null;
  /** HMAC-SHA256 of the client's address under a key of the stack: the same address gives the same value, and none is kept. */
  clientAddressHash: string | null;
}

export interface ConsentReceiptClaims {
  receiptId: string;
  /** The version of this receipt's format. */
  version: 1;
  issuedAt: string;
  /** The integrator's tenant, and its display name when its token gave one. */
  controller: { id: string; name: string | null };
  /** Pseudonymous: the actor id of the trail (a digest of the link, or the guided session's id), never an email. */
  principal: { id: string };
  purpose: { description: string; subject: Array<{ term: string; value: string }> };
  noticeHash: { alg: 'SHA-256'; value: string; language: string };
  decision: 'given' | 'refused';
  request: { id: string; requestType: RequestType; version: number };
  trailHead: string;
  evidence: ReceiptEvidence;
}

/** What a page knows of a decision; the rest comes from the record it wrote. */
export interface Decision {
  controller: ConsentReceiptClaims['controller'];
  principalId: string;
  purpose: ConsentReceiptClaims['purpose'];
  /** The exact text the page showed, and its language. */
  notice: { text: string; language: string };
  decision: ConsentReceiptClaims['decision'];
  requestType: RequestType;
  evidence: ReceiptEvidence;
}

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

/** The keyed hash of a client's address: a key derived from a secret of the stack, so a table holds no address. */
export function addressHasher(secret: () => string) {
  return (address: string | undefined): string | null => {
    if (!address) return null;
    const key = createHash('sha256')
      .update(`onboarding client address\n${secret().split(',')[0]!.trim()}`)
      .digest();
    return createHmac('sha256', key).update(address).digest('hex').slice(0, 32);
  };
}

export function createNotary(
  signer: Signer,
  now: () => Date = () => new Date(),
): Notary & {
  receipt(decision: Decision, requestId: string, record: Transition): Promise<string>;
  signer: Signer;
} {
  return {
    signer,
    checkpoint: (claims: CheckpointClaims) => signCompact(signer, PROOF_TYPES.checkpoint, claims),
    receipt(decision, requestId, record) {
      const claims: ConsentReceiptClaims = {
        receiptId: randomUUID(),
        version: 1,
        issuedAt: now().toISOString(),
        controller: decision.controller,
        principal: { id: decision.principalId },
        purpose: decision.purpose,
        noticeHash: { alg: 'SHA-256', value: sha256Hex(decision.notice.text), language: decision.notice.language },
        decision: decision.decision,
        request: { id: requestId, requestType: decision.requestType, version: record.version },
        trailHead: record.hash,
        evidence: decision.evidence,
      };
      return signCompact(signer, PROOF_TYPES.receipt, claims);
    },
  };
}

export type ProofNotary = ReturnType<typeof createNotary>;
