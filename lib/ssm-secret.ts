import type { MiddlewareObj } from '@middy/core';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { ServiceUnavailableError } from './onboarding/errors.ts';

/**
 * A secret that may rotate while a function stays warm. `middleware` makes sure every invocation has a
 * value no older than `maxAgeMs`; `current()` reads it during the invocation; `invalidate()` (called when
 * the other side refuses it) makes the next invocation fetch it again at once.
 */
export interface SecretSource {
  current(): string;
  invalidate(): void;
  middleware: MiddlewareObj | undefined;
}

/** How long a fetched value is used: a rotated secret reaches every warm function within this. */
export const SECRET_MAX_AGE_MS = 5 * 60_000;
/** After a failed refresh, the held value is used this long before SSM is asked again. */
export const SECRET_RETRY_AFTER_FAILURE_MS = 30_000;
/** A refused secret is fetched again at once, but not more often than this (a wrong value in SSM). */
export const SECRET_MIN_REFETCH_MS = 10_000;

/** Local runs and tests: the value from the environment, fixed for the life of the process. */
export function fixedSecret(value: string): SecretSource {
  return { current: () => value, invalidate: () => {}, middleware: undefined };
}

export interface SsmSecretOptions {
  maxAgeMs?: number;
  now?: () => number;
}

/**
 * A SecureString from SSM Parameter Store, fetched through a middy middleware with a cache, the way
 * @middy/ssm works (prefetch during the cold start, cache with expiry, a refusal clears it). Not @middy/ssm
 * itself: it imports the SSM client at module load in every mode, local ones included (+90 ms of cold
 * start in `npm run bench`), and with @middy/util it adds 5.9 KB to each bundle. This one loads the
 * client only when a parameter is configured.
 *
 * When SSM fails and a value is already held, the held value is used and SSM is asked again only after
 * SECRET_RETRY_AFTER_FAILURE_MS: a parameter store outage must neither take down nor slow down calls that
 * still have a working secret.
 */
export function ssmSecret(parameterName: string, options: SsmSecretOptions = {}): SecretSource {
  const { maxAgeMs = SECRET_MAX_AGE_MS, now = Date.now } = options;
  let value: string | undefined;
  /** When the held value stops being fresh. */
  let freshUntil = Number.NEGATIVE_INFINITY;
  let lastFetchStarted = Number.NEGATIVE_INFINITY;
  /** Bumped by invalidate(), so a fetch that was already under way cannot make a refused value fresh. */
  let generation = 0;
  let fetching: Promise<void> | undefined;
  let client: SSMClient | undefined;

  async function fetchValue(): Promise<void> {
    const startedIn = generation;
    lastFetchStarted = now();
    const { GetParameterCommand, SSMClient } = await import('@aws-sdk/client-ssm');
    // Short, so a slow parameter store costs one invocation a few seconds at most, not its whole timeout.
    client ??= new SSMClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 } });
    const result = await client.send(new GetParameterCommand({ Name: parameterName, WithDecryption: true }));
    const fetched = result.Parameter?.Value;
    if (!fetched) throw new Error(`SSM parameter ${parameterName} has no value`);
    value = fetched;
    freshUntil = startedIn === generation ? now() + maxAgeMs : Number.NEGATIVE_INFINITY;
  }

  function refresh(): Promise<void> {
    fetching ??= fetchValue().finally(() => {
      fetching = undefined;
    });
    return fetching;
  }

  // Started during the cold start, so the fetch overlaps the rest of the init; a failure here is
  // retried by the first invocation, which reports it.
  refresh().catch(() => {});

  return {
    current() {
      if (value === undefined) throw new Error(`secret ${parameterName} read before the middleware fetched it`);
      return value;
    },
    invalidate() {
      generation += 1;
      freshUntil = Math.min(freshUntil, lastFetchStarted + SECRET_MIN_REFETCH_MS);
    },
    middleware: {
      before: async () => {
        if (value !== undefined && now() < freshUntil) return;
        try {
          await refresh();
        } catch (error) {
          if (value === undefined) {
            throw new ServiceUnavailableError('A secret this service needs could not be read; retry shortly.', 5, { cause: error });
          }
          freshUntil = now() + SECRET_RETRY_AFTER_FAILURE_MS;
        }
      },
    },
  };
}
