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
 * itself: it imports the SSM client at module load in every mode, local ones included (+ ~65 ms of cold
 * start), and with @middy/util it adds 5.9 KB to each bundle, which would take create, get, cancel and
 * list over their 100 KB budget. This one loads the client only when a parameter is configured.
 *
 * When SSM fails and a value is already held, the held value is used and the fetch is tried again on the
 * next invocation: a parameter store outage must not take down calls that still have a working secret.
 */
export function ssmSecret(parameterName: string, options: SsmSecretOptions = {}): SecretSource {
  const { maxAgeMs = SECRET_MAX_AGE_MS, now = Date.now } = options;
  let value: string | undefined;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let fetching: Promise<void> | undefined;
  let client: SSMClient | undefined;

  async function fetchValue(): Promise<void> {
    const { GetParameterCommand, SSMClient } = await import('@aws-sdk/client-ssm');
    client ??= new SSMClient({});
    const result = await client.send(new GetParameterCommand({ Name: parameterName, WithDecryption: true }));
    const fetched = result.Parameter?.Value;
    if (!fetched) throw new Error(`SSM parameter ${parameterName} has no value`);
    value = fetched;
    fetchedAt = now();
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
      fetchedAt = Number.NEGATIVE_INFINITY;
    },
    middleware: {
      before: async () => {
        if (value !== undefined && now() - fetchedAt < maxAgeMs) return;
        try {
          await refresh();
        } catch (error) {
          if (value === undefined) {
            throw new ServiceUnavailableError('A secret this service needs could not be read; retry shortly.', 5, { cause: error });
          }
        }
      },
    },
  };
}
