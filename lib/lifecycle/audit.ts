import { verifyChain } from './hash-chain.ts';
import { type KindRegistry, trailOwner } from './kind.ts';
import type { RequestStore } from './store.ts';
import type { Transition } from './types.ts';

export interface AuditFinding {
  requestId: string;
  version: number | null;
  problem: string;
}

type AuditStore = Pick<RequestStore, 'get' | 'history' | 'listRequestIds' | 'openShards'>;

/**
 * Checks one request's trail: the chain itself (contiguous versions, linked statuses and hashes) and that
 * the request's current state is what the trail says (status, version, and the hash it chains from).
 */
export async function auditRequest(store: AuditStore, kinds: KindRegistry, requestId: string, pageSize = 100): Promise<AuditFinding[]> {
  const request = await store.get(requestId);
  if (!request) return [{ requestId, version: null, problem: 'request not found' }];
  const kind = kinds.get(request.kind);
  if (!kind) return [{ requestId, version: null, problem: `request of unknown kind ${request.kind}` }];
  const trail: Transition[] = [];
  let after: Record<string, unknown> | undefined;
  do {
    const page = await store.history(requestId, pageSize, after);
    trail.push(...page.items);
    after = page.cursor;
  } while (after);
  const findings: AuditFinding[] = verifyChain(trail, trailOwner(request, kind)).map(({ version, problem }) => ({ requestId, version, problem }));
  const last = trail.at(-1);
  if (!last) return [...findings, { requestId, version: null, problem: 'no transitions recorded' }];
  if (last.version !== request.version)
    findings.push({ requestId, version: request.version, problem: `request is at version ${request.version}, the trail ends at ${last.version}` });
  if (last.to !== request.status) findings.push({ requestId, version: last.version, problem: `request is ${request.status}, the trail ends in ${last.to}` });
  if (last.hash !== request.lastHash) findings.push({ requestId, version: last.version, problem: 'request does not chain from the last record' });
  return findings;
}

/** Walks every request through the allRequests index, in pages; reports as it goes. */
export async function auditAll(
  store: AuditStore,
  kinds: KindRegistry,
  onRequest: (requestId: string, findings: AuditFinding[]) => void,
  pageSize = 100,
): Promise<{ requests: number; findings: AuditFinding[] }> {
  const findings: AuditFinding[] = [];
  let requests = 0;
  for (let shard = 0; shard < store.openShards; shard++) {
    let after: Record<string, unknown> | undefined;
    do {
      const page = await store.listRequestIds(shard, pageSize, after);
      for (const id of page.items) {
        const found = await auditRequest(store, kinds, id, pageSize);
        requests++;
        findings.push(...found);
        onRequest(id, found);
      }
      after = page.cursor;
    } while (after);
  }
  return { requests, findings };
}
