import { randomUUID } from 'node:crypto';
import pMap from 'p-map';
import { bearer, type NpmStart } from './service.ts';
import { range, spread } from './stats.ts';

/** How npm start holds a fixed load: `clients` concurrent clients send `requests` calls, a mix of reads (get, list, history) and cancels. */
const KINDS = ['get', 'list', 'history', 'cancel'] as const;
type Kind = (typeof KINDS)[number];

/** A function failure must never pass for an answer: check the shape too, not only the status. */
function answers(kind: Kind | 'create', text: string): boolean {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return false;
  }
  if ('errorMessage' in body || 'errorType' in body) return false;
  if (kind === 'create' || kind === 'get') return typeof body.id === 'string';
  return kind === 'cancel' ? body.status === 'Canceled' : Array.isArray(body.data);
}

export async function runHttpLoad(service: NpmStart, clients: number, requests: number) {
  const base = `${service.base}/v1/onboarding/collectives`;
  const headers = { authorization: await bearer(randomUUID(), 'bench-http'), 'content-type': 'application/json' };
  const call = async (method: string, url: string, body?: unknown) => {
    const response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: response.status, text: await response.text() };
  };
  /** Setup only: retried, as a client would be. */
  const createOne = async () => {
    let last = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const { status, text } = await call('POST', base, { name: 'HTTP bench', type: 'Household' });
      if (status === 201 && answers('create', text)) return (JSON.parse(text) as { id: string }).id;
      last = `${status}: ${text.slice(0, 300)}`;
    }
    throw new Error(`setup create failed three times, last ${last}`);
  };
  const createMany = (n: number) => pMap(range(n), createOne, { concurrency: clients });
  // Setup through the API: one create alone (its cold start), then requests to read and to cancel.
  const readIds = [await createOne(), ...(await createMany(19))];
  const cancelIds = await createMany(Math.ceil(requests / KINDS.length));
  const warmCancelIds = await createMany(clients * 3);
  const request = (kind: Kind, n: number, cancels = cancelIds) => {
    const id = readIds[n % readIds.length]!;
    if (kind === 'cancel') return { method: 'PATCH', url: `${base}/${cancels[n]}/cancel` };
    return { method: 'GET', url: kind === 'get' ? `${base}/${id}` : kind === 'list' ? base : `${base}/${id}/transitions` };
  };
  // Warm-up: each route once alone, then `clients` at a time, three rounds (the gateway starts a function's
  // environments on first use, more of them under concurrency). Warm-up answers are not judged.
  const warmCall = (kind: Kind, n: number) => {
    const { method, url } = request(kind, n, warmCancelIds);
    return call(method, url).catch(() => undefined);
  };
  for (const kind of KINDS) await warmCall(kind, 0);
  for (const kind of KINDS) await pMap(range(clients * 3 - 1), (n) => warmCall(kind, n + 1), { concurrency: clients });

  const plan = range(requests).map((n) => ({ kind: KINDS[n % KINDS.length]!, n: Math.floor(n / KINDS.length) }));
  const samples: Array<{ kind: Kind; ms: number; error?: string }> = [];
  const loadStarted = performance.now();
  await pMap(
    plan,
    async ({ kind, n }) => {
      const { method, url } = request(kind, n);
      const started = performance.now();
      let error: string | undefined;
      try {
        const { status, text } = await call(method, url);
        if (status < 200 || status > 299) error = `${kind} ${status}: ${text.slice(0, 200)}`;
        else if (!answers(kind, text)) error = `${kind} ${status} with an unexpected body: ${text.slice(0, 200)}`;
      } catch (thrown) {
        error = `${kind}: ${(thrown as Error).message}`;
      }
      samples.push({ kind, ms: performance.now() - started, ...(error ? { error } : {}) });
    },
    { concurrency: clients },
  );
  const durationMs = performance.now() - loadStarted;
  const figures = (of: typeof samples) => ({
    requests: of.length,
    ...spread(of.map((sample) => sample.ms)),
    errors: of.filter((sample) => sample.error).length,
  });
  const firstError = samples.find((sample) => sample.error)?.error;
  return {
    clients,
    durationMs,
    throughputPerSecond: samples.length / (durationMs / 1000),
    ...figures(samples),
    ...(firstError ? { firstError } : {}),
    byKind: Object.fromEntries(KINDS.map((kind) => [kind, figures(samples.filter((sample) => sample.kind === kind))])),
  };
}
