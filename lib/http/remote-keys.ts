import { createRequire } from 'node:module';
import { isJwkSet, type JwkSet, type KeysFor, keysOfSet } from './jwt.ts';

/**
 * The identity provider's signing keys (a JWKS URL), fetched with node:http(s) (loaded by the AWS SDK
 * anyway; Node's fetch would load its own implementation at every deployed cold start).
 *
 * As jose's remote key set does: the keys are fetched on first use and kept for `maxAgeMs`; a token signed
 * with a key the set does not hold refetches it, at most once per `cooldownMs` (a key rotation is picked up,
 * a flood of strange key ids is not a flood of fetches); concurrent verifications share one fetch.
 */
export interface RemoteKeyOptions {
  timeoutMs: number;
  cooldownMs: number;
  maxAgeMs?: number;
}

/** The keys could not be had (timeout, refused connection, an error status, an unreadable key set). */
export class KeysUnavailableError extends Error {
  override name = 'KeysUnavailableError';
}

const MAX_BYTES = 512 * 1024;

type Network = Pick<typeof import('node:https'), 'get'>;
let network: { http: Network; https: Network } | undefined;
function modules() {
  const load = createRequire(import.meta.url);
  network ??= { http: load('node:http') as Network, https: load('node:https') as Network };
  return network;
}

/** GET the key set: 200 and JSON within the time, the size and without a redirect, or KeysUnavailableError. */
function fetchKeySet(url: URL, timeoutMs: number): Promise<unknown> {
  const client = url.protocol === 'https:' ? modules().https : modules().http;
  return new Promise((resolve, reject) => {
    const fail = (why: string, cause?: unknown) => reject(new KeysUnavailableError(`The keys at ${url.origin} could not be read: ${why}.`, { cause }));
    const request = client.get(url, { headers: { accept: 'application/json, application/jwk-set+json' }, timeout: timeoutMs }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        return fail(`the answer was ${response.statusCode}`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BYTES) {
          request.destroy();
          return fail('the answer is too large');
        }
        chunks.push(chunk);
      });
      response.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (error) {
          fail('the answer is not JSON', error);
        }
      });
      response.on('error', (error) => fail('the answer broke off', error));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error) => fail(error.message, error));
  });
}

export function remoteKeySet(url: URL, options: RemoteKeyOptions): KeysFor {
  const maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
  let keys: JwkSet | undefined;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<void> | undefined;

  const reload = () => {
    pending ??= fetchKeySet(url, options.timeoutMs)
      .then((set) => {
        if (!isJwkSet(set)) throw new KeysUnavailableError(`The keys at ${url.origin} are not a JSON Web Key Set.`);
        keys = set;
        fetchedAt = Date.now();
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };

  return async (header) => {
    if (!keys || Date.now() - fetchedAt >= maxAgeMs) await reload();
    const found = keysOfSet(keys!, header);
    if (found.length > 0 || Date.now() - fetchedAt < options.cooldownMs) return found;
    await reload();
    return keysOfSet(keys!, header);
  };
}
