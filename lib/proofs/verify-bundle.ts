import { type TrailOwner, verifyChain } from '../lifecycle/hash-chain.ts';
import type { CheckpointClaims } from '../lifecycle/proofs.ts';
import type { Transition } from '../lifecycle/types.ts';
import type { EvidenceBundle } from './evidence.ts';
import { type Jwks, PROOF_TYPES, type ProofType, type PublicJwk, thumbprint, verifyCompact } from './jws.ts';
import type { ConsentReceiptClaims } from './receipts.ts';

/**
 * Verifies an evidence bundle (./evidence.ts) offline: the trail's hash chain, its binding to the request,
 * every receipt and checkpoint, and that none the service always writes is missing. The hashes alone prove
 * nothing against someone who can write the table (they can recompute every one); the signatures do, so a
 * record is only as good as the checkpoint after it. Pure: no table, no network, no file.
 */

export interface BundleSummary {
  /** The bundle's request id, when it has one. */
  requestId: string | null;
  transitions: number;
  receipts: number;
  checkpoints: number;
  /** The keys that signed the proofs that verify. */
  keyIds: string[];
  /** The newest version a verified checkpoint signs (0: none): the records after it are not signed yet. */
  signedUpTo: number;
}

export interface BundleVerification {
  /** One plain sentence per mismatch, naming the part; none when the bundle verifies. */
  problems: string[];
  summary: BundleSummary;
}

export interface VerifyBundleOptions {
  /**
   * The key set saved from `GET /.well-known/jwks.json` beforehand. Given, only its keys count: a bundle
   * carries its own key set, and whoever forged the bundle could have put theirs in it.
   */
  trustedJwks?: Jwks;
}

const TERMINAL = new Set(['Succeeded', 'Failed', 'Canceled']);
/** Where a decision goes, and so what its receipt must say. */
const DECISION_BY_STATUS: Record<string, ConsentReceiptClaims['decision']> = { Processing: 'given', Canceled: 'refused' };

export function verifyBundle(bundle: unknown, options: VerifyBundleOptions = {}): BundleVerification {
  const shape = shapeProblems(bundle);
  const summary = summaryOf(bundle);
  if (shape.length > 0) return { problems: shape, summary };
  const { request, transitions, receipts, checkpoints, jwks } = bundle as EvidenceBundle;
  const owner = ownerOf(request);
  const byVersion = new Map(transitions.map((record) => [record.version, record]));
  const keys = keySet(jwks, options.trustedJwks);
  const signers = new Set<string>();

  const checkpointed = new Map<number, number>();
  const checkpointProblems = checkpoints.flatMap((jws, index) => {
    const found = checkCheckpoint(jws, keys.jwks, owner, byVersion, signers);
    if (found.valid !== undefined) checkpointed.set(found.valid, (checkpointed.get(found.valid) ?? 0) + 1);
    return found.problems.map((problem) => `checkpoint ${index + 1}: ${problem}`);
  });
  const receipted = new Map<number, number>();
  const receiptProblems = receipts.flatMap((jws, index) => {
    const found = checkReceipt(jws, keys.jwks, owner, byVersion, signers);
    if (found.valid !== undefined) receipted.set(found.valid, (receipted.get(found.valid) ?? 0) + 1);
    return found.problems.map((problem) => `receipt ${index + 1}: ${problem}`);
  });

  const problems = [
    ...keys.problems,
    ...verifyChain(transitions, owner).map(({ version, problem }) => `transition v${version}: ${problem}`),
    ...bindingProblems(request, transitions),
    ...checkpointProblems,
    ...receiptProblems,
    ...completenessProblems(transitions, checkpointed, receipted),
  ];
  return { problems, summary: { ...summary, keyIds: [...signers], signedUpTo: Math.max(0, ...checkpointed.keys()) } };
}

/** What a receipt or checkpoint proves, if it verifies: the version it names (counted for completeness). */
interface ProofCheck {
  problems: string[];
  valid?: number;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const isVersion = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 1;
const isStringOrNull = (value: unknown) => value === null || isString(value);

/** What the checks below read of a record; the chain's hash covers the rest, whatever it is. */
const TRANSITION_FIELDS: Record<string, (value: unknown) => boolean> = {
  version: isVersion,
  from: isStringOrNull,
  to: isString,
  at: isString,
  actor: (value) => isObject(value) && isString(value.type) && isString(value.id),
  source: isString,
  previousHash: isStringOrNull,
  hash: isString,
};

const tenantOf = (request: Record<string, unknown>): unknown => {
  const data = isObject(request.data) ? request.data : {};
  return (isObject(data.tenant) ? data.tenant.id : undefined) ?? data.tenantId;
};

/** Only the members the checks read: the rest of a malformed bundle is never touched, so nothing throws. */
function shapeProblems(bundle: unknown): string[] {
  if (!isObject(bundle)) return ['the bundle is not a JSON object'];
  const problems: string[] = [];
  const { request, transitions, receipts, checkpoints, jwks } = bundle;
  if (!isObject(request)) {
    problems.push('the bundle has no request');
  } else {
    if (!isString(request.id)) problems.push('request: its id is missing or not a string');
    if (!isString(request.requestType)) problems.push('request: its requestType is missing or not a string');
    if (!isString(request.status)) problems.push('request: its status is missing or not a string');
    if (!isVersion(request.version)) problems.push('request: its version is missing or not a positive integer');
    if (!isString(tenantOf(request))) problems.push('request: it names no tenant (data.tenant.id, or data.tenantId)');
  }
  if (!Array.isArray(transitions)) {
    problems.push('the bundle has no transitions list');
  } else {
    for (const [index, record] of transitions.entries()) {
      if (!isObject(record)) {
        problems.push(`transition ${index + 1} of the bundle is not a record`);
        continue;
      }
      const malformed = Object.keys(TRANSITION_FIELDS).filter((field) => !TRANSITION_FIELDS[field]!(record[field]));
      if (malformed.length > 0) problems.push(`transition ${index + 1} of the bundle: ${malformed.join(', ')} missing or malformed`);
    }
  }
  if (!Array.isArray(receipts)) problems.push('the bundle has no receipts list');
  if (!Array.isArray(checkpoints)) problems.push('the bundle has no checkpoints list');
  if (!isObject(jwks) || !Array.isArray(jwks.keys)) problems.push('the bundle has no key set (jwks.keys)');
  else if (!jwks.keys.every(isObject)) problems.push('the bundle key set holds an entry that is not a key');
  return problems;
}

function summaryOf(bundle: unknown): BundleSummary {
  const member = (name: string) => (isObject(bundle) ? bundle[name] : undefined);
  const count = (name: string) => {
    const list = member(name);
    return Array.isArray(list) ? list.length : 0;
  };
  const request = member('request');
  const requestId = isObject(request) && isString(request.id) ? request.id : null;
  return { requestId, transitions: count('transitions'), receipts: count('receipts'), checkpoints: count('checkpoints'), keyIds: [], signedUpTo: 0 };
}

/** The owner the chain is bound to, as `GET` shows the request: an offboarding keeps its tenant in `data.tenantId`. */
function ownerOf(request: EvidenceBundle['request']): TrailOwner {
  return { id: request.id, requestType: request.requestType, tenantId: tenantOf(request) as string };
}

/**
 * The keys proofs are verified under, and what is wrong with the bundle's own: a key whose id is not its
 * thumbprint, two keys under one id, a key the trusted set holds with other coordinates.
 */
function keySet(bundled: Jwks, trusted: Jwks | undefined): { jwks: Jwks; problems: string[] } {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [index, key] of (bundled.keys as unknown as Record<string, unknown>[]).entries()) {
    const name = isString(key.kid) ? `key ${key.kid}` : `key ${index + 1} of the bundle's key set`;
    if (key.kty !== 'EC' || key.crv !== 'P-256' || !isString(key.x) || !isString(key.y) || !isString(key.kid)) {
      problems.push(`${name}: not a P-256 public key`);
      continue;
    }
    if (thumbprint(key as unknown as PublicJwk) !== key.kid) problems.push(`${name}: its id is not the thumbprint of its x and y`);
    if (seen.has(key.kid)) problems.push(`${name}: appears twice in the bundle's key set`);
    seen.add(key.kid);
    const same = trusted?.keys.find((known) => known.kid === key.kid);
    if (same && (same.x !== key.x || same.y !== key.y)) problems.push(`${name} differs from the trusted key set`);
  }
  return { jwks: trusted ?? bundled, problems };
}

/** The payload of a proof if it verifies; the reason it does not otherwise (a ProofError, or a key node:crypto refuses). */
function verified<T>(jws: unknown, typ: ProofType, jwks: Jwks, signers: Set<string>): { payload: T } | { problem: string } {
  try {
    const { header, payload } = verifyCompact<T>(jws as string, typ, jwks);
    signers.add(header.kid);
    return { payload };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}

function checkCheckpoint(jws: unknown, jwks: Jwks, owner: TrailOwner, byVersion: Map<number, Transition>, signers: Set<string>): ProofCheck {
  const result = verified<Record<string, unknown>>(jws, PROOF_TYPES.checkpoint, jwks, signers);
  if ('problem' in result) return { problems: [result.problem] };
  const claims = result.payload;
  if (!isString(claims.requestId) || !isString(claims.tenantId) || !isVersion(claims.version) || !isString(claims.headHash) || !isString(claims.at)) {
    return { problems: ['its claims are not requestId, tenantId, version, headHash and at'] };
  }
  const { requestId, tenantId, version, headHash, at } = claims as unknown as CheckpointClaims;
  const problems: string[] = [];
  if (requestId !== owner.id) problems.push(`is for request ${requestId}, not ${owner.id}`);
  if (tenantId !== owner.tenantId) problems.push(`is for tenant ${tenantId}, not ${owner.tenantId}`);
  const record = byVersion.get(version);
  if (!record) problems.push(`signs v${version}, which the trail does not have`);
  else if (record.hash !== headHash) problems.push(`signs head ${headHash} at v${version}, the trail has ${record.hash}`);
  else if (record.at !== at) problems.push(`signs v${version} as of ${at}, the record is from ${record.at}`);
  return problems.length > 0 ? { problems } : { problems, valid: version };
}

/** A record the end user's consent decision wrote (approve, decline, a guided session's submit). */
const isConsentDecision = (record: Transition) => record.actor.type === 'enduser' && record.source === 'consent' && record.from === 'Pending';

function receiptClaimsAreWellFormed(claims: Record<string, unknown>): boolean {
  const { request, controller, principal, evidence } = claims;
  return (
    isObject(request) &&
    isString(request.id) &&
    isString(request.requestType) &&
    isVersion(request.version) &&
    isObject(controller) &&
    isString(controller.id) &&
    isObject(principal) &&
    isString(principal.id) &&
    isObject(evidence) &&
    isString(evidence.channel) &&
    isString(claims.decision) &&
    isString(claims.trailHead)
  );
}

function checkReceipt(jws: unknown, jwks: Jwks, owner: TrailOwner, byVersion: Map<number, Transition>, signers: Set<string>): ProofCheck {
  const result = verified<Record<string, unknown>>(jws, PROOF_TYPES.receipt, jwks, signers);
  if ('problem' in result) return { problems: [result.problem] };
  if (!receiptClaimsAreWellFormed(result.payload)) {
    return { problems: ['its claims lack request (id, requestType, version), controller.id, principal.id, decision, trailHead or evidence.channel'] };
  }
  const claims = result.payload as unknown as ConsentReceiptClaims;
  const { version } = claims.request;
  const problems: string[] = [];
  if (claims.request.id !== owner.id) problems.push(`is for request ${claims.request.id}, not ${owner.id}`);
  if (claims.request.requestType !== owner.requestType) problems.push(`is for a ${claims.request.requestType} request, not a ${owner.requestType} one`);
  if (claims.controller.id !== owner.tenantId) problems.push(`its controller is ${claims.controller.id}, not the request's tenant ${owner.tenantId}`);
  const record = byVersion.get(version);
  if (!record) {
    problems.push(`names v${version}, which the trail does not have`);
  } else if (record.hash !== claims.trailHead) {
    problems.push(`names head ${claims.trailHead} at v${version}, the trail has ${record.hash}`);
  } else if (!isConsentDecision(record)) {
    problems.push(`v${version} is not a consent decision (${record.actor.type}/${record.source}, ${record.from} to ${record.to})`);
  } else {
    problems.push(...decisionMismatches(claims, record));
  }
  return problems.length > 0 ? { problems } : { problems, valid: version };
}

/** What a receipt says of the decision against what the record of the decision says. */
function decisionMismatches(claims: ConsentReceiptClaims, record: Transition): string[] {
  const problems: string[] = [];
  const v = `v${record.version}`;
  if (claims.principal.id !== record.actor.id) problems.push(`its principal is ${claims.principal.id}, the decision at ${v} was made by ${record.actor.id}`);
  const channel = record.evidence?.channel;
  if (claims.evidence.channel !== channel)
    problems.push(`its channel is ${claims.evidence.channel}, the decision at ${v} came by ${channel ?? 'no recorded channel'}`);
  const expected = DECISION_BY_STATUS[record.to];
  if (!expected) problems.push(`the decision at ${v} goes to ${record.to}, which no consent decision does`);
  else if (claims.decision !== expected) problems.push(`says consent was ${claims.decision}, but the decision at ${v} goes to ${record.to}`);
  return problems;
}

function bindingProblems(request: EvidenceBundle['request'], transitions: readonly Transition[]): string[] {
  const last = transitions.at(-1);
  if (!last) return ['the trail is empty'];
  const problems: string[] = [];
  if (last.version !== request.version) problems.push(`request: it is at version ${request.version}, the trail ends at v${last.version}`);
  if (last.to !== request.status) problems.push(`request: it is ${request.status}, the trail ends in ${last.to}`);
  return problems;
}

/**
 * The proofs the service writes with every decision and terminal status: one receipt and
 * a checkpoint per decision, a checkpoint per terminal status. A bundle that left one out hides what it signed.
 */
function completenessProblems(transitions: readonly Transition[], checkpointed: Map<number, number>, receipted: Map<number, number>): string[] {
  const problems: string[] = [];
  for (const record of transitions) {
    const name = `transition v${record.version}`;
    const decision = isConsentDecision(record);
    const receipts = receipted.get(record.version) ?? 0;
    if (decision && receipts === 0) problems.push(`${name}: a consent decision with no valid receipt`);
    if (decision && receipts > 1) problems.push(`${name}: a consent decision with ${receipts} receipts, not one`);
    const checkpoints = checkpointed.get(record.version) ?? 0;
    if ((decision || TERMINAL.has(record.to)) && checkpoints === 0) {
      problems.push(`${name}: ${decision ? 'a consent decision' : `goes to ${record.to}`} with no valid checkpoint`);
    }
    if (checkpoints > 1) problems.push(`${name}: checkpointed ${checkpoints} times, not once`);
  }
  return problems;
}
