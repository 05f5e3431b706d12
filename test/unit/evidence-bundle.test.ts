import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type TrailOwner, transitionHash, verifyChain } from '../../lib/lifecycle/hash-chain.ts';
import type { Status, Transition } from '../../lib/lifecycle/types.ts';
import type { EvidenceBundle } from '../../lib/proofs/evidence.ts';
import type { Jwks } from '../../lib/proofs/jws.ts';
import { generateSigningKey, localSigner } from '../../lib/proofs/local-signer.ts';
import { createNotary, type ProofNotary } from '../../lib/proofs/receipts.ts';
import { verifyBundle } from '../../lib/proofs/verify-bundle.ts';

/**
 * An evidence bundle is verified with nothing but itself (or a key set saved beforehand): every way of
 * altering one, by hand or with write access to the table, is a problem that names the part it altered.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TENANT_ID = '0b8e1d4c-7a2f-4c3e-9d1b-5a6c7e8f9a0b';
const REQUEST_ID = '6f1c2a9e-3b7d-4e21-9f0a-2c4d5e6f7a8b';
const OTHER_REQUEST_ID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const ownerOf = (id: string): TrailOwner => ({ id, tenantId: TENANT_ID, requestType: 'Collective' });

/** The actor id a consent link's decision records: a digest of the link, never the link. */
const LINK_ACTOR = createHash('sha256').update('https://onboarding.example/consent/abc').digest('hex').slice(0, 32);

type Step = { to: Status } & Partial<Omit<Transition, 'version' | 'from' | 'to' | 'previousHash' | 'hash'>>;

/** A trail as the lifecycle writes it, oldest first, each record chained to the one before (and the first to its request). */
function chain(owner: TrailOwner, ...steps: Step[]): Transition[] {
  return rechain(
    owner,
    steps.map((step, index) => ({
      version: index + 1,
      from: null,
      at: `2026-12-10T09:0${index}:00.000Z`,
      actor: { type: 'principal', id: 'integrator-1' },
      source: 'api',
      correlationId: `corr-${index + 1}`,
      ...step,
      previousHash: null,
      hash: '',
    })),
  );
}

/** Every `from`, `previousHash` and `hash` recomputed, oldest first: what someone who can write the table can do. */
function rechain(owner: TrailOwner, records: Transition[]): Transition[] {
  const trail: Transition[] = [];
  for (const record of records) {
    const previous = trail.at(-1);
    const { hash: _hash, ...fields } = { ...record, from: previous?.to ?? null, previousHash: previous?.hash ?? null };
    trail.push({ ...fields, hash: transitionHash(fields, owner) });
  }
  return trail;
}

const collectiveOnboarding = (owner = ownerOf(REQUEST_ID)) =>
  chain(
    owner,
    { to: 'Pending' },
    { to: 'Processing', actor: { type: 'enduser', id: LINK_ACTOR }, source: 'consent', evidence: { channel: 'consent-link' } },
    { to: 'Succeeded', actor: { type: 'webhook', id: 'msg_2mW8yq1' }, source: 'webhook' },
  );

const declinedOnboarding = () =>
  chain(
    ownerOf(REQUEST_ID),
    { to: 'Pending' },
    {
      to: 'Canceled',
      actor: { type: 'enduser', id: LINK_ACTOR },
      source: 'consent',
      errors: [{ code: 'ConsentDeclined', message: 'The end user declined consent.' }],
      evidence: { channel: 'consent-link' },
    },
  );

const isDecision = (record: Transition) => record.actor.type === 'enduser' && record.source === 'consent' && record.from === 'Pending';
const isTerminal = (record: Transition) => ['Succeeded', 'Failed', 'Canceled'].includes(record.to);

/** The receipt of a decision, as the consent page signs it; `says` overrides what it says was decided. */
function receiptOf(notary: ProofNotary, requestId: string, record: Transition, says?: 'given' | 'refused') {
  return notary.receipt(
    {
      controller: { id: TENANT_ID, name: 'Zonneveld Energie' },
      principalId: record.actor.id,
      purpose: { description: 'Connect your site to the energy platform', subject: [{ term: 'site', value: 'Heerlen household' }] },
      notice: { text: 'Zonneveld Energie asks to connect your household.', language: 'en' },
      decision: says ?? (record.to === 'Canceled' ? 'refused' : 'given'),
      requestType: 'Collective',
      evidence: { channel: record.evidence!.channel, userAgent: 'Mozilla/5.0 (X11; Linux x86_64)', clientAddressHash: null },
    },
    requestId,
    record,
  );
}

/** The request's data as `GET` shows it: its tenant (with the token's display name) and its collective. */
const SNAPSHOT = { tenant: { id: TENANT_ID, name: 'Zonneveld Energie' }, collective: { id: null, name: 'Heerlen household', type: 'Household' } };

/** The bundle `GET …/{id}/evidence` answers: a receipt per decision, a checkpoint per decision and terminal status. */
async function bundleOf(transitions: Transition[], notary: ProofNotary, options: { requestId?: string; says?: 'given' | 'refused' } = {}) {
  const requestId = options.requestId ?? REQUEST_ID;
  const last = transitions.at(-1)!;
  const receipts: string[] = [];
  const checkpoints: string[] = [];
  for (const record of transitions) {
    if (isDecision(record)) receipts.push(await receiptOf(notary, requestId, record, options.says));
    if (isDecision(record) || isTerminal(record)) {
      checkpoints.push(await notary.checkpoint({ requestId, tenantId: TENANT_ID, version: record.version, headHash: record.hash, at: record.at }));
    }
  }
  const bundle: EvidenceBundle = {
    request: {
      id: requestId,
      requestType: 'Collective',
      status: last.to,
      created: transitions[0]!.at,
      updated: last.at,
      principalId: 'integrator-1',
      returnUrl: null,
      action: null,
      data: SNAPSHOT,
      errors: last.errors ?? [],
      version: last.version,
    },
    transitions,
    receipts,
    checkpoints,
    // The signer hands out its own key set: a test that alters the bundle must not alter the signer.
    jwks: structuredClone(await notary.signer.jwks()),
  };
  return structuredClone(bundle);
}

const notaryWith = (key = generateSigningKey()) => createNotary(localSigner([key]));
const NOTARY = notaryWith();
const OTHER_NOTARY = notaryWith();
const KID = (await NOTARY.signer.jwks()).keys[0]!.kid;

const intact = () => bundleOf(collectiveOnboarding(), NOTARY);
const problemsOf = (bundle: unknown, trustedJwks?: Jwks) => verifyBundle(bundle, trustedJwks ? { trustedJwks } : {}).problems;

/** A compact JWS whose payload was changed and re-encoded, its header and signature kept. */
function withPayload(jws: string, change: (claims: Record<string, any>) => void): string {
  const [header, payload, signature] = jws.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  change(claims);
  return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
}

describe('verifyBundle', () => {
  it('finds no problem in an intact bundle, and counts what it verified', async () => {
    const verification = verifyBundle(await intact());
    expect(verification.problems).toEqual([]);
    expect(verification.summary).toEqual({ requestId: REQUEST_ID, transitions: 3, receipts: 1, checkpoints: 2, keyIds: [KID], signedUpTo: 3 });
  });

  it('verifies a declined decision: its receipt says refused, and a checkpoint signs the Canceled record', async () => {
    expect(problemsOf(await bundleOf(declinedOnboarding(), NOTARY))).toEqual([]);
  });

  it.each([
    ['reason', (record: Transition) => Object.assign(record, { reason: 'approved by the owner' })],
    ['to', (record: Transition) => Object.assign(record, { to: 'Failed' })],
    ['at', (record: Transition) => Object.assign(record, { at: '2026-12-10T08:59:00.000Z' })],
  ])('names the record whose %s was changed', async (_field, change) => {
    const bundle = await intact();
    change(bundle.transitions[1]!);
    expect(problemsOf(bundle)).toContain('transition v2: hash does not match the record');
  });

  it('names the gap a removed record leaves', async () => {
    const bundle = await intact();
    bundle.transitions.splice(1, 1);
    const problems = problemsOf(bundle);
    expect(problems).toContain('transition v3: expected version 2');
    expect(problems).toContain('transition v3: previousHash does not match the previous record');
    expect(problems).toContain('receipt 1: names v2, which the trail does not have');
    expect(problems).toContain('checkpoint 1: signs v2, which the trail does not have');
  });

  it('names the records that were reordered', async () => {
    const bundle = await intact();
    bundle.transitions.reverse();
    const problems = problemsOf(bundle);
    expect(problems).toContain('transition v3: expected version 1');
    expect(problems).toContain('transition v1: expected version 3');
    expect(problems).toContain('request: it is Succeeded, the trail ends in Pending');
  });

  it('catches a record altered with every hash after it recomputed: the chain verifies, the signed checkpoints do not match it', async () => {
    const bundle = await intact();
    bundle.transitions[1]!.evidence = { channel: 'guided-session' };
    bundle.transitions = rechain(ownerOf(REQUEST_ID), bundle.transitions);
    expect(verifyChain(bundle.transitions, ownerOf(REQUEST_ID))).toEqual([]);
    const original = (await intact()).transitions;
    const problems = problemsOf(bundle);
    expect(problems).toContain(`checkpoint 1: signs head ${original[1]!.hash} at v2, the trail has ${bundle.transitions[1]!.hash}`);
    expect(problems).toContain(`checkpoint 2: signs head ${original[2]!.hash} at v3, the trail has ${bundle.transitions[2]!.hash}`);
    expect(problems).toContain(`receipt 1: names head ${original[1]!.hash} at v2, the trail has ${bundle.transitions[1]!.hash}`);
    expect(problems).toContain('transition v2: a consent decision with no valid checkpoint');
    expect(problems).toContain('transition v3: goes to Succeeded with no valid checkpoint');
  });

  it("names a receipt whose payload was altered and re-encoded under the receipt's signature", async () => {
    const bundle = await intact();
    bundle.receipts[0] = withPayload(bundle.receipts[0]!, (claims) => {
      claims.decision = 'refused';
    });
    const problems = problemsOf(bundle);
    expect(problems).toContain(`receipt 1: its signature does not verify under key ${KID}`);
    expect(problems).toContain('transition v2: a consent decision with no valid receipt');
  });

  it('names a receipt signed for another request put in place of the real one', async () => {
    const bundle = await intact();
    const other = await bundleOf(collectiveOnboarding(ownerOf(OTHER_REQUEST_ID)), NOTARY, { requestId: OTHER_REQUEST_ID });
    bundle.receipts[0] = other.receipts[0]!;
    const problems = problemsOf(bundle);
    expect(problems).toContain(`receipt 1: is for request ${OTHER_REQUEST_ID}, not ${REQUEST_ID}`);
    expect(problems).toContain('transition v2: a consent decision with no valid receipt');
  });

  it("names a checkpoint whose payload was altered and re-encoded under the checkpoint's signature", async () => {
    const bundle = await intact();
    bundle.checkpoints[1] = withPayload(bundle.checkpoints[1]!, (claims) => {
      claims.version = 2;
    });
    const problems = problemsOf(bundle);
    expect(problems).toContain(`checkpoint 2: its signature does not verify under key ${KID}`);
    expect(problems).toContain('transition v3: goes to Succeeded with no valid checkpoint');
  });

  it('names the terminal record whose checkpoint was removed', async () => {
    const bundle = await intact();
    bundle.checkpoints.pop();
    expect(problemsOf(bundle)).toEqual(['transition v3: goes to Succeeded with no valid checkpoint']);
  });

  it('names the decision whose receipt was removed, and one given two receipts', async () => {
    const removed = await intact();
    removed.receipts = [];
    expect(problemsOf(removed)).toEqual(['transition v2: a consent decision with no valid receipt']);
    const doubled = await intact();
    doubled.receipts.push(await receiptOf(NOTARY, REQUEST_ID, doubled.transitions[1]!));
    expect(problemsOf(doubled)).toEqual(['transition v2: a consent decision with 2 receipts, not one']);
  });

  it("names a key of the bundle's key set whose x was changed, and the proofs it no longer verifies", async () => {
    const bundle = await intact();
    const x = Buffer.from(bundle.jwks.keys[0]!.x, 'base64url');
    x[0]! ^= 0x01;
    bundle.jwks.keys[0]!.x = x.toString('base64url');
    const problems = problemsOf(bundle);
    expect(problems).toContain(`key ${KID}: its id is not the thumbprint of its x and y`);
    expect(problems).toContain(`checkpoint 1: key ${KID} is not the P-256 key its id names`);
    expect(problems).toContain(`receipt 1: key ${KID} is not the P-256 key its id names`);
  });

  it('accepts a bundle re-signed with another key on its own, and refuses it under the trusted key set', async () => {
    const original = await intact();
    const forged = await bundleOf(original.transitions, OTHER_NOTARY);
    const otherKid = forged.jwks.keys[0]!.kid;
    expect(problemsOf(forged)).toEqual([]);
    const problems = problemsOf(forged, original.jwks);
    expect(problems).toContain(`checkpoint 1: it names key ${otherKid}, which the key set does not hold`);
    expect(problems).toContain(`receipt 1: it names key ${otherKid}, which the key set does not hold`);
    expect(problems).toContain('transition v3: goes to Succeeded with no valid checkpoint');
  });

  it('names a bundle key that has the id of a trusted key and other coordinates', async () => {
    const original = await intact();
    const forged = await bundleOf(original.transitions, OTHER_NOTARY);
    forged.jwks.keys[0]!.kid = KID;
    const problems = problemsOf(forged, original.jwks);
    expect(problems).toContain(`key ${KID} differs from the trusted key set`);
  });

  it('names a declined decision whose receipt says consent was given', async () => {
    const problems = problemsOf(await bundleOf(declinedOnboarding(), NOTARY, { says: 'given' }));
    expect(problems).toContain('receipt 1: says consent was given, but the decision at v2 goes to Canceled');
    expect(problems).toContain('transition v2: a consent decision with no valid receipt');
  });

  it("names a receipt whose channel or principal is not the decision's", async () => {
    const owner = ownerOf(REQUEST_ID);
    const guided = chain(
      owner,
      { to: 'Pending', actor: { type: 'enduser', id: 'session-41' }, source: 'consent', evidence: { channel: 'guided-session' } },
      { to: 'Processing', actor: { type: 'enduser', id: 'session-41' }, source: 'consent', evidence: { channel: 'guided-session' } },
    );
    const honest = await bundleOf(guided, NOTARY);
    expect(problemsOf(honest), 'the first record of a guided session is no decision').toEqual([]);
    const lying = await bundleOf(guided, NOTARY);
    lying.receipts[0] = await receiptOf(NOTARY, REQUEST_ID, {
      ...guided[1]!,
      actor: { type: 'enduser', id: 'session-99' },
      evidence: { channel: 'consent-link' },
    });
    const problems = problemsOf(lying);
    expect(problems).toContain('receipt 1: its principal is session-99, the decision at v2 was made by session-41');
    expect(problems).toContain('receipt 1: its channel is consent-link, the decision at v2 came by guided-session');
  });

  it('names a receipt for a record that is no consent decision', async () => {
    const bundle = await intact();
    const webhook = bundle.transitions[2]!;
    bundle.receipts.push(await receiptOf(NOTARY, REQUEST_ID, { ...webhook, evidence: { channel: 'consent-link' } }));
    expect(problemsOf(bundle)).toEqual(['receipt 2: v3 is not a consent decision (webhook/webhook, Processing to Succeeded)']);
  });

  it('names a request whose version or status was changed', async () => {
    const moved = await intact();
    moved.request.version = 4;
    expect(problemsOf(moved)).toEqual(['request: it is at version 4, the trail ends at v3']);
    const restated = await intact();
    restated.request.status = 'Failed';
    expect(problemsOf(restated)).toEqual(['request: it is Failed, the trail ends in Succeeded']);
  });

  it('binds the trail to the request: the same trail under another request id breaks at v1', async () => {
    const bundle = await intact();
    bundle.request.id = OTHER_REQUEST_ID;
    const problems = problemsOf(bundle);
    expect(problems).toContain('transition v1: hash does not match the record and its request');
    expect(problems).toContain(`checkpoint 1: is for request ${REQUEST_ID}, not ${OTHER_REQUEST_ID}`);
  });

  it('asks the proofs of every decision and terminal record, however old its time says it is (a backdated trail is no way out)', async () => {
    const backdated = rechain(
      ownerOf(REQUEST_ID),
      collectiveOnboarding().map((record, index) => ({ ...record, at: `2020-01-01T09:0${index}:00.000Z` })),
    );
    const bundle = await bundleOf(backdated, NOTARY);
    bundle.receipts = [];
    bundle.checkpoints = [];
    expect(problemsOf(bundle)).toEqual([
      'transition v2: a consent decision with no valid receipt',
      'transition v2: a consent decision with no valid checkpoint',
      'transition v3: goes to Succeeded with no valid checkpoint',
    ]);
  });

  it.each([
    ['not an object', null],
    ['an array', []],
    ['empty', {}],
    ['without transitions', { request: { id: REQUEST_ID }, receipts: [], checkpoints: [], jwks: { keys: [] } }],
  ])('reports a bundle that is %s as problems, without throwing', (_what, bundle) => {
    expect(problemsOf(bundle).length).toBeGreaterThan(0);
  });

  it('never throws, whatever member of a bundle is replaced by whatever JSON', async () => {
    const bundle = await intact();
    const paths: string[][] = [];
    const walk = (value: unknown, path: string[]) => {
      paths.push(path);
      if (typeof value === 'object' && value !== null) for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
    };
    walk(bundle, []);
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue(), (path, replacement) => {
        const altered = structuredClone(bundle) as any;
        if (path.length === 0) return verifyBundle(replacement) !== undefined;
        const parent = path.slice(0, -1).reduce((value, key) => value[key], altered);
        parent[path.at(-1)!] = replacement;
        const { problems } = verifyBundle(altered);
        return Array.isArray(problems);
      }),
      { numRuns: 300 },
    );
  });
});

describe('npm run audit:verify -- --bundle', () => {
  const folder = mkdtempSync(join(tmpdir(), 'evidence-bundle-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  const write = (name: string, content: unknown) => {
    const file = join(folder, name);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return file;
  };
  /** Offline: an environment with no table, no stack and no AWS settings. */
  const auditVerify = (...args: string[]) =>
    promisify(execFile)(process.execPath, ['scripts/audit-verify.ts', ...args], { cwd: ROOT, env: { PATH: process.env.PATH!, HOME: folder } }).then(
      ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, out: error.stdout + error.stderr }),
    );

  it('says OK with the counts for an intact bundle, BROKEN for an altered one, and exits 2 for a file that is not JSON', async () => {
    const bundle = await intact();
    const altered = structuredClone(bundle);
    altered.transitions[1]!.at = '2026-12-10T08:59:00.000Z';
    const [ok, broken, notJson, missing] = await Promise.all([
      auditVerify('--bundle', write('intact.json', bundle)),
      auditVerify('--bundle', write('altered.json', altered)),
      auditVerify('--bundle', write('not-json.json', '<html>not found</html>')),
      auditVerify('--bundle', join(folder, 'absent.json')),
    ]);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toMatch(new RegExp(`^OK ${REQUEST_ID}: 3 transition\\(s\\), 1 receipt\\(s\\), 2 checkpoint\\(s\\).*${KID}`, 'm'));
    expect(broken.code, broken.out).toBe(1);
    expect(broken.out).toMatch(new RegExp(`^BROKEN ${REQUEST_ID}: transition v2: hash does not match the record$`, 'm'));
    expect(broken.out).toMatch(/^\d+ problem\(s\)/m);
    expect(notJson.code, notJson.out).toBe(2);
    expect(notJson.out).toContain('is not JSON');
    expect(missing.code, missing.out).toBe(2);
    expect(missing.out).toContain('cannot read');
  });

  it('verifies under a trusted key set with --jwks: a bundle re-signed with another key is BROKEN', async () => {
    const original = await intact();
    const forged = await bundleOf(original.transitions, OTHER_NOTARY);
    const trusted = write('jwks.json', original.jwks);
    const [honest, resigned] = await Promise.all([
      auditVerify('--bundle', write('trusted-intact.json', original), '--jwks', trusted),
      auditVerify('--bundle', write('resigned.json', forged), '--jwks', trusted),
    ]);
    expect(honest.code, honest.out).toBe(0);
    expect(resigned.code, resigned.out).toBe(1);
    expect(resigned.out).toMatch(/^BROKEN .*which the key set does not hold$/m);
  });
});
