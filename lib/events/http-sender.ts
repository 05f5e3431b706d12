import type { LookupAddress } from 'node:dns';
import { createRequire } from 'node:module';
import type { LookupFunction } from 'node:net';
import { type DestinationPolicy, ipVersion, refusedAddress, refusedHost, refusedUrl } from './destination.ts';

/** One delivery attempt's outcome: the receiver's status, or why there was none. */
export type SendOutcome = { status: number; durationMs: number } | { error: string; durationMs: number };

export interface Sender {
  send(url: string, headers: Record<string, string>, body: string): Promise<SendOutcome>;
}

export const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * node:http, node:https and node:dns, loaded on the first call: TLS alone is several milliseconds of every
 * cold start, and most functions that carry the sender (the endpoints API) never send.
 */
interface Network {
  http: typeof import('node:http');
  https: typeof import('node:https');
  dns: typeof import('node:dns');
}
let modules: Network | undefined;
function network(): Network {
  const load = createRequire(import.meta.url);
  modules ??= { http: load('node:http') as Network['http'], https: load('node:https') as Network['https'], dns: load('node:dns') as Network['dns'] };
  return modules;
}

/** Every address a host name resolves to, as the sender's lookup will see them. */
export async function resolveHost(hostname: string): Promise<string[]> {
  return (await network().dns.promises.lookup(hostname, { all: true })).map((entry) => entry.address);
}

class RefusedDestination extends Error {
  override name = 'RefusedDestination';
}

/**
 * POSTs an event with node:http(s). The host is resolved by our own lookup, which refuses what the policy
 * refuses (./destination.ts) for the very address the socket then connects to, so a name that resolves
 * differently between the check and the call gains nothing. Redirects are not followed: a 3xx is an
 * answer that is not a success. The answer's body is read and dropped.
 */
export function createHttpSender(policy: DestinationPolicy, timeoutMs = DELIVERY_TIMEOUT_MS): Sender {
  const guardedLookup: LookupFunction = (hostname, options, callback) => {
    network().dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 4);
      const all = addresses as LookupAddress[];
      // A name's refusal never says what it resolved to (refusedHost): the attempt is shown to the tenant.
      if (all.length === 0) return callback(new RefusedDestination(`${hostname} has no address`), '', 4);
      const refused = refusedHost(
        hostname,
        all.map((entry) => entry.address),
        policy,
      );
      if (refused) return callback(new RefusedDestination(refused), '', 4);
      if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, all);
      return callback(null, all[0]!.address, all[0]!.family);
    });
  };

  return {
    send(url, headers, body) {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      return new Promise<SendOutcome>((resolve) => {
        let target: URL;
        try {
          target = new URL(url);
        } catch {
          resolve({ error: 'the endpoint URL is not valid', durationMs: 0 });
          return;
        }
        const refused = refusedUrl(target, policy) ?? (ipVersion(target.hostname) ? refusedAddress(target.hostname, policy) : undefined);
        if (refused) {
          resolve({ error: `destination refused: ${refused}`, durationMs: 0 });
          return;
        }
        const send = target.protocol === 'https:' ? network().https.request : network().http.request;
        const call = send(
          target,
          {
            method: 'POST',
            headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
            lookup: guardedLookup,
            timeout: timeoutMs,
          },
          (response) => {
            response.resume();
            response.on('end', () => resolve({ status: response.statusCode ?? 0, durationMs: elapsed() }));
            response.on('error', () => resolve({ error: 'the connection broke while the answer was read', durationMs: elapsed() }));
          },
        );
        // One deadline for the whole exchange: connecting, sending and the answer.
        const deadline = setTimeout(() => call.destroy(new Error('timeout')), timeoutMs);
        call.on('close', () => clearTimeout(deadline));
        call.on('timeout', () => call.destroy(new Error('timeout')));
        call.on('error', (error: NodeJS.ErrnoException) => {
          clearTimeout(deadline);
          const reason =
            error instanceof RefusedDestination
              ? `destination refused: ${error.message}`
              : error.message === 'timeout'
                ? `no answer within ${timeoutMs / 1000} s`
                : error.code === 'ECONNREFUSED'
                  ? 'connection refused'
                  : error.code === 'ENOTFOUND'
                    ? 'the host does not resolve'
                    : `connection failed (${error.code ?? 'error'})`;
          resolve({ error: reason, durationMs: elapsed() });
        });
        call.end(body);
      });
    },
  };
}
