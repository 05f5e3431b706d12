import { createRequire } from 'node:module';
import type * as Ssm from '@aws-sdk/client-ssm';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { UnavailableError } from '../lifecycle/errors.ts';
import { ConfigError, type SecretSetting } from './settings.ts';

/** The SDK's client is required on first use, not imported (see lib/store/sdk.ts). */
const load = createRequire(import.meta.url);

/**
 * A secret that may rotate while a function stays warm. The secrets middleware (lib/http/middleware/
 * secrets.ts) calls `refresh()` before the handler runs, so `current()` has a value no older than the
 * cache allows; `invalidate()` (the other side refused the value) makes the next refresh fetch it at once.
 */
export interface Secret {
  /** The setting's name, for messages (never its value, never the parameter's). */
  readonly name: string;
  refresh(): Promise<void>;
  current(): string;
  invalidate(): void;
}

/** How long a fetched value is used: a rotated secret reaches every warm function within this. */
export const SECRET_MAX_AGE_MS = 5 * 60_000;
/** After a failed refresh, the held value is used this long before SSM is asked again. */
export const SECRET_RETRY_AFTER_FAILURE_MS = 30_000;
/** A refused secret is fetched again at once, but not more often than this (a wrong value in SSM). */
export const SECRET_MIN_REFETCH_MS = 10_000;

/** Local runs and tests: the value from the environment, fixed for the life of the process. */
export function fixedSecret(name: string, value: string): Secret {
  return { name, refresh: async () => {}, current: () => value, invalidate: () => {} };
}

export interface SsmSecretOptions {
  maxAgeMs?: number;
  now?: () => number;
  /** Logs why a fetch failed, naming the parameter (a response never does). */
  onFetchFailed?: (detail: { secret: string; parameter: string; error: unknown }) => void;
}

/**
 * The one SSM reader: a SecureString from Parameter Store, fetched on first need and cached, the way
 * @middy/ssm and Powertools Parameters work. Neither is used: @middy/ssm imports the SSM client at load in
 * every mode, local ones included, and Powertools Parameters does not fit the bundle budget
 * (docs/architecture.md, "Decisions"); this loads the client only when a parameter is configured.
 *
 * When SSM fails and a value is already held, the held value is used and SSM is asked again only after
 * SECRET_RETRY_AFTER_FAILURE_MS: a parameter store outage must neither take down nor slow down calls that
 * still have a working secret. Without a value, the call is a 503 and the log names the parameter.
 */
export function ssmSecret(name: string, parameterName: string, options: SsmSecretOptions = {}): Secret {
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
    const { GetParameterCommand, SSMClient } = load('@aws-sdk/client-ssm') as typeof Ssm;
    // Short, so a slow parameter store costs one invocation a few seconds at most, not its whole timeout.
    client ??= new SSMClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 } });
    const result = await client.send(new GetParameterCommand({ Name: parameterName, WithDecryption: true }));
    const fetched = result.Parameter?.Value;
    if (!fetched) throw new Error(`SSM parameter ${parameterName} has no value`);
    value = fetched;
    freshUntil = startedIn === generation ? now() + maxAgeMs : Number.NEGATIVE_INFINITY;
  }

  function fetchOnce(): Promise<void> {
    fetching ??= fetchValue().finally(() => {
      fetching = undefined;
    });
    return fetching;
  }

  return {
    name,
    async refresh() {
      if (value !== undefined && now() < freshUntil) return;
      try {
        await fetchOnce();
      } catch (error) {
        options.onFetchFailed?.({ secret: name, parameter: parameterName, error });
        if (value === undefined) {
          throw new UnavailableError('A secret this service needs could not be read; retry shortly.', 5, { cause: error });
        }
        freshUntil = now() + SECRET_RETRY_AFTER_FAILURE_MS;
      }
    },
    current() {
      if (value === undefined) throw new Error(`secret ${name} read before it was fetched`);
      return value;
    },
    invalidate() {
      generation += 1;
      freshUntil = Math.min(freshUntil, lastFetchStarted + SECRET_MIN_REFETCH_MS);
    },
  };
}

/**
 * A secret this function was given no setting for. Deployed, a function gets only the parameters its routes
 * declare (resources/functions.cjs), so it starts without the others; one that does use it fails on that
 * call, naming the setting, instead of every function failing at every cold start.
 */
export function missingSecret(name: string): Secret {
  const missing = () => {
    throw new ConfigError(`${name} (or ${name}_PARAMETER) is not set for this function: declare the secret on its route or job`);
  };
  return { name, refresh: async () => missing(), current: missing, invalidate: () => {} };
}

/** The secret a setting names: its plain value, or its SSM parameter through the one reader. */
export function secretOf(setting: SecretSetting, options: SsmSecretOptions = {}): Secret {
  return setting.parameter === undefined ? fixedSecret(setting.name, setting.value) : ssmSecret(setting.name, setting.parameter, options);
}
