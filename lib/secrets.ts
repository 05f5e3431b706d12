import { isDeployed } from './config.ts';

/**
 * Deployed, the service's own secrets are SSM Parameter Store SecureStrings named by `<NAME>_PARAMETER`;
 * the template holds only the names. They are fetched once, during the cold start, in one call, and fill
 * `<NAME>`: rotating one takes effect at the next cold start (WEBHOOK_SECRETS holds old and new during
 * rotation). The Realto client secret, which the platform's owner may rotate at any time, is not among
 * them: lib/ssm-secret.ts reads it per invocation through a cache.
 */
const SECRET_NAMES = ['PAGE_TOKEN_SECRET', 'WEBHOOK_SECRETS'] as const;

export async function withSecretsFromSsm(env: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  // Offline (npm start) and in tests the secrets come from the environment or the dev defaults.
  if (!isDeployed(env)) return env;
  const wanted = SECRET_NAMES.filter((name) => env[`${name}_PARAMETER`] && !env[name]);
  if (wanted.length === 0) return env;
  // Imported here, not at the top: offline and in tests it is never needed, and loading it costs ~65 ms.
  const { GetParametersCommand, SSMClient } = await import('@aws-sdk/client-ssm');
  const client = new SSMClient({});
  try {
    const names = wanted.map((name) => env[`${name}_PARAMETER`]!);
    const result = await client.send(new GetParametersCommand({ Names: names, WithDecryption: true }));
    if (result.InvalidParameters?.length) {
      throw new Error(`SSM parameters not found: ${result.InvalidParameters.join(', ')}`);
    }
    const byName = new Map((result.Parameters ?? []).map((parameter) => [parameter.Name, parameter.Value]));
    return { ...env, ...Object.fromEntries(wanted.map((name) => [name, byName.get(env[`${name}_PARAMETER`]!)])) };
  } finally {
    client.destroy();
  }
}
