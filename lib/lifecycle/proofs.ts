import type { StoredRequest, Transition } from './types.ts';

/**
 * What a trail proves beyond its own hashes (docs/consent.md). Anyone who can write the table can recompute
 * every hash; nobody but this service can sign. So the head of a trail is signed as a checkpoint at each
 * consent decision and at each terminal status, and each decision gets a consent receipt. Both are compact
 * JWS (ES256) made by lib/proofs, kept on the transition record they sign, written in the transition's own
 * transaction: a decision is never recorded without its receipt, nor a receipt kept for a decision that
 * was not recorded.
 */

/** What a checkpoint signs: the head of one request's trail at one version. */
export interface CheckpointClaims {
  requestId: string;
  tenantId: string;
  version: number;
  headHash: string;
  at: string;
}

/** Signs checkpoints (lib/proofs/receipts.ts; a KMS key deployed, a key of the stack locally). */
export interface Notary {
  checkpoint(claims: CheckpointClaims): Promise<string>;
}

/** The signed proofs a transition record carries besides its hashed fields. */
export interface Seals {
  receipt?: string;
  checkpoint?: string;
}

/** Signs the consent receipt of a decision, once the record it writes (and so its hash) is known. */
export type ReceiptSigner = (record: Transition, next: StoredRequest) => Promise<string>;

/** A request's whole trail with the proofs its records carry, oldest first: what an evidence bundle holds. */
export interface SealedTrail {
  request: StoredRequest | undefined;
  transitions: Transition[];
  /** By version: the receipt and checkpoint of the records that have them. */
  seals: Array<{ version: number } & Seals>;
}

/** An end user decides only while a request is Pending, which it is only at version 1: a decision is version 2. */
export const DECISION_VERSION = 2;
