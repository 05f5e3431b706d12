import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../lib/config/settings.ts';
import { parseSecrets, sign } from '../../lib/webhooks/signature.ts';
import { devToken } from '../local/dev-token.ts';
import type { HttpService } from './http-load.ts';
import { mapLimit, percentile, range } from './stats.ts';

/**
 * What one integrator's retry loop does to the local stack: `requests` requests over `tenants` tenants,
 * then, all at once, `cancels` cancels and `webhooks` signed webhooks racing on each of them. Every call
 * must get a real answer (cancel 200 or 409, webhook 200), a failure must be a 5xx problem+json, and
 * afterwards every request's version must equal the length of its trail: nothing lost, nothing half-written.
 */
export interface BurstOptions {
  tenants: number;
  requests: number;
  cancels: number;
  webhooks: number;
  env: NodeJS.ProcessEnv;
}

export interface BurstResult {
  calls: number;
  byStatus: Record<string, number>;
  /** Calls that got no proper answer: a timeout, a 5xx, or a 2xx whose body is an error. */
  failed: number;
  /** Failures that were not problem+json (a stack trace as a success, say). */
  notProblemJson: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Requests whose version equals the length of their trail afterwards. */
  consistentRequests: number;
  firstFailure?: string;
}

export async function runBurst(service: HttpService, options: BurstOptions): Promise<BurstResult> {
  const base = `http://127.0.0.1:${service.port}`;
  const config = loadConfig(options.env);
  const webhookKey = parseSecrets(config.webhookSecrets?.value ?? '')[0]!;
  const tenants = await Promise.all(
    range(options.tenants).map(async () => {
      const tenantId = randomUUID();
      return `Bearer ${await devToken({ tenantId, sub: `burst-${tenantId.slice(0, 8)}` }, options.env)}`;
    }),
  );
  const requests = await mapLimit(range(options.requests), 4, async (n) => {
    const authorization = tenants[n % tenants.length]!;
    const collection = n % 2 === 0 ? 'collectives' : 'entities';
    const body = collection === 'collectives' ? { name: `Burst ${n}`, type: 'Household' } : { type: 'Battery', manufacturer: 'Burst' };
    const response = await fetch(`${base}/v1/onboarding/${collection}`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status !== 201) throw new Error(`burst setup: create answered ${response.status}: ${await response.text()}`);
    return { id: ((await response.json()) as { id: string }).id, collection, authorization };
  });

  const webhook = (id: string) => {
    const raw = JSON.stringify({
      type: 'onboarding.status.updated',
      timestamp: new Date().toISOString(),
      data: { id, status: ['Processing', 'Succeeded', 'Failed'][Math.floor(Math.random() * 3)] },
    });
    const messageId = `msg_${randomUUID()}`;
    const timestamp = Math.floor(Date.now() / 1000);
    return fetch(`${base}/v1/webhooks/onboarding`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': messageId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': sign(webhookKey, messageId, timestamp, raw),
      },
      body: raw,
    });
  };
  const calls = requests.flatMap(({ id, collection, authorization }) => [
    ...range(options.cancels).map(() => ({
      kind: 'cancel',
      send: () => fetch(`${base}/v1/onboarding/${collection}/${id}/cancel`, { method: 'PATCH', headers: { authorization } }),
    })),
    ...range(options.webhooks).map(() => ({ kind: 'webhook', send: () => webhook(id) })),
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
    const expected = answer.kind === 'cancel' ? [200, 409] : [200];
    const errorBody = /"errorMessage"|"stackTrace"/.test(answer.text);
    if (expected.includes(answer.status) && !errorBody) continue;
    failed++;
    if (answer.status < 500 || !answer.type.startsWith('application/problem+json') || errorBody) notProblemJson++;
    firstFailure ??= `${answer.kind} ${answer.status}: ${answer.text.slice(0, 200)}`;
  }

  let consistentRequests = 0;
  for (const { id, collection, authorization } of requests) {
    const got = await fetch(`${base}/v1/onboarding/${collection}/${id}`, { headers: { authorization } });
    const trail = await fetch(`${base}/v1/onboarding/${collection}/${id}/transitions?pageSize=100`, { headers: { authorization } });
    if (got.status !== 200 || trail.status !== 200) continue;
    const { version } = (await got.json()) as { version: number };
    const { data } = (await trail.json()) as { data: Array<{ version: number }> };
    if (data.length === version && data.every((record, index) => record.version === index + 1)) consistentRequests++;
  }
  const times = answers.map((answer) => answer.ms);
  return {
    calls: answers.length,
    byStatus,
    failed,
    notProblemJson,
    p50Ms: percentile(times, 50),
    p99Ms: percentile(times, 99),
    maxMs: Math.max(...times),
    consistentRequests,
    ...(firstFailure ? { firstFailure } : {}),
  };
}
