import { type AnyKind, withoutConsentLink } from '../lifecycle/kind.ts';
import type { Lifecycle } from '../lifecycle/lifecycle.ts';
import type { SealedTrail } from '../lifecycle/proofs.ts';
import type { Caller, Transition } from '../lifecycle/types.ts';
import type { Jwks, Signer } from './jws.ts';

/**
 * An evidence bundle (`GET …/{id}/evidence`): everything needed to verify a request's trail offline, with
 * no table and no network (`npm run audit:verify -- --bundle <file>`, ./verify-bundle.ts).
 */
export interface EvidenceBundle {
  /** The request as `GET` shows it: its id, `requestType`, `status`, `version` and owner tenant (`data.tenant.id`, or `data.tenantId` for an offboarding). */
  request: BundledRequest;
  /** The whole trail, oldest first, as `…/transitions` shows it. */
  transitions: Transition[];
  /** The consent receipts of its decisions, oldest first (compact JWS). */
  receipts: string[];
  /** The signed checkpoints of its head, oldest first (compact JWS). */
  checkpoints: string[];
  /** The public keys that sign receipts and checkpoints, as `GET /.well-known/jwks.json` serves them. */
  jwks: Jwks;
}

export interface BundledRequest {
  id: string;
  requestType: string;
  status: string;
  version: number;
  data: { tenant?: { id: string }; tenantId?: string } & Record<string, unknown>;
  [field: string]: unknown;
}

export function bundleOf(request: BundledRequest, trail: Pick<SealedTrail, 'transitions' | 'seals'>, jwks: Jwks): EvidenceBundle {
  return {
    request,
    transitions: trail.transitions,
    receipts: trail.seals.flatMap((seal) => (seal.receipt ? [seal.receipt] : [])),
    checkpoints: trail.seals.flatMap((seal) => (seal.checkpoint ? [seal.checkpoint] : [])),
    jwks,
  };
}

/**
 * A kind's proofs as its integrator reads them, in either mode (the trail is ours): the evidence bundle,
 * and the receipt of the end user's decision.
 */
export function createEvidence(options: { lifecycle: Pick<Lifecycle, 'sealedTrail' | 'decisionReceipt'>; kind: AnyKind; signer: Pick<Signer, 'jwks'> }) {
  const { lifecycle, kind, signer } = options;
  return {
    /** The request as GET shows it, without the consent link (a bundle travels), its trail, its proofs and the keys. */
    async evidence(id: string, caller: Caller): Promise<EvidenceBundle> {
      const trail = await lifecycle.sealedTrail(kind, id, caller);
      const request = withoutConsentLink(kind.view(trail.request, {})) as BundledRequest;
      return bundleOf(request, trail, await signer.jwks());
    },
    receipt: (id: string, caller: Caller) => lifecycle.decisionReceipt(kind, id, caller),
  };
}
