import { randomUUID } from 'node:crypto';
import pMap from 'p-map';
import { bearer, type NpmStart, signedWebhook, webhookKey } from './service.ts';
import { range, spread } from './stats.ts';

/**
 * What one integrator's retry loop does to the local stack: `requests` requests over `tenants` tenants,
 * then, all at once, `cancelsPerRequest` cancels and `webhooksPerRequest` signed webhooks racing on each
 * of them. Every call must get a real answer (cancel 200 or 409, webhook 200), a failure must be a 5xx
 * problem+json, and afterwards every request's version must equal the length of its trail: nothing lost,
 * nothing half-written.
 */
export async function runBurst(service: NpmStart, options: { tenants: number; requests: number; cancelsPerRequest: number; webhooksPerRequest: number }) {
  const { base } = service;
  const key = webhookKey();
  const tenants = await Promise.all(
    range(options.tenants).map(() => {
      const tenantId = randomUUID();
      return bearer(tenantId, `burst-${tenantId.slice(0, 8)}`);
    }),
  );
  const requests = await pMap(
    range(options.requests),
    async (n) => {
      const authorization = tenants[n % tenants.length]!;
      const collection = n % 2 === 0 ? 'collectives' : 'entities';
      const body = collection === 'collectives' ? { name: `Burst ${n}`, type: 'Household' } : { type: 'Battery', manufacturer: 'Burst' };
      const response = await fetch(`${base}/v1/onboarding/${collection}`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (response.status !== 201) throw new Error(`burst setup: create answered ${response.status}: ${await response.text()}`);
      return { id: ((await response.json()) as { id: string }).id, url: `${base}/v1/onboarding/${collection}`, authorization };
    },
    { concurrency: 4 },
  );

  const calls = requests.flatMap(({ id, url, authorization }) => [
    ...range(options.cancelsPerRequest).map(() => ({
      kind: 'cancel',
      send: () => fetch(`${url}/${id}/cancel`, { method: 'PATCH', headers: { authorization } }),
    })),
    ...range(options.webhooksPerRequest).map(() => ({
      kind: 'webhook',
      send: () => {
        const { raw, headers } = signedWebhook(key, id, ['Processing', 'Succeeded', 'Failed'][Math.floor(Math.random() * 3)]!);
        return fetch(`${base}/v1/webhooks/onboarding`, { method: 'POST', headers, body: raw });
      },
    })),
  ]);
  const answers = await Promise.all(
    calls.map(async ({ kind, send }) => {
      const started = performance.now();
      try {
        const response = await send();
        const text = await response.text();
        return { kind, status: response.status, type: response.headers.get('content-type') ?? '', text, ms: performance.now() - started };
      } catch (error) {
        return { kind, status: 0, type: '', text: (error as Error).message, ms: performance.now() - started };
      }
    }),
  );

  const byStatus: Record<string, number> = {};
  let failed = 0;
  let notProblemJson = 0;
  let firstFailure: string | undefined;
  for (const answer of answers) {
    byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1;
    const errorBody = /"errorMessage"|"stackTrace"/.test(answer.text);
    if ((answer.status === 200 || (answer.kind === 'cancel' && answer.status === 409)) && !errorBody) continue;
    failed++;
    if (answer.status < 500 || !answer.type.startsWith('application/problem+json') || errorBody) notProblemJson++;
    firstFailure ??= `${answer.kind} ${answer.status}: ${answer.text.slice(0, 200)}`;
  }

  let consistentRequests = 0;
  for (const { id, url, authorization } of requests) {
    const got = await fetch(`${url}/${id}`, { headers: { authorization } });
    const trail = await fetch(`${url}/${id}/transitions?pageSize=100`, { headers: { authorization } });
    if (got.status !== 200 || trail.status !== 200) continue;
    const { version } = (await got.json()) as { version: number };
    const { data } = (await trail.json()) as { data: Array<{ version: number }> };
    if (data.length === version && data.every((record, index) => record.version === index + 1)) consistentRequests++;
  }
  return {
    calls: answers.length,
    byStatus,
    failed,
    notProblemJson,
    ...spread(answers.map((answer) => answer.ms)),
    consistentRequests,
    ...(firstFailure ? { firstFailure } : {}),
  };
}
